"""Where the small transactional tables live (alerts, API keys, watchlists, schedules, campaigns).

SQLite store: the store's own file (WAL mode, so these connections and the store's coexist).
Elasticsearch store: a SQLite file `DATA_DIR/duluan-meta.db`, since Elasticsearch is no place
for small transactional tables.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any, ClassVar

from duluan.core.settings import Settings

META_DB_NAME = "duluan-meta.db"


def meta_db_path(settings: Settings | None = None, store: Any = None) -> Path:
    """The SQLite file holding metadata tables beside `store` (or the one settings would open)."""
    store_path = getattr(store, "path", None)
    if isinstance(store_path, Path | str):  # the SQLite store; Elasticsearch has no file
        return Path(store_path)
    if settings is None:
        from duluan.core.settings import get_settings

        settings = get_settings()
    if settings.store == "sqlite" and store is None:
        return settings.resolved_store_path
    return settings.data_dir / META_DB_NAME


def open_meta_db(path: Path | str, schema: str) -> sqlite3.Connection:
    """One autocommit connection (WAL, busy timeout) with `schema` applied; share it under a lock."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=30.0, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA busy_timeout=30000")
    if str(path) != ":memory:":
        conn.execute("PRAGMA journal_mode=WAL")
    conn.executescript(schema)
    return conn


class MetaRepository:
    """Base of the small repositories: one shared connection to the metadata file, one lock."""

    schema: ClassVar[str] = ""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._conn = open_meta_db(path, self.schema)

    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()
