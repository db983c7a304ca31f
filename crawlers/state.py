"""Per-source crawl memory (a small SQLite file) so the next run fetches only what is new."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any


class CrawlState:
    """Key/value memory plus a set of seen ids, one file per source under the crawl state dir.

    Writes are batched and committed every `commit_every` changes and on `close()`; a crashed run
    loses at most that batch, which the next run fetches again (at-least-once).
    """

    def __init__(self, path: Path, commit_every: int = 500) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL,"
            " updated REAL NOT NULL)"
        )
        self._db.execute("CREATE TABLE IF NOT EXISTS seen (id TEXT PRIMARY KEY, at REAL NOT NULL)")
        self._commit_every = commit_every
        self._pending = 0
        self._db.execute("BEGIN")

    @classmethod
    def for_source(cls, state_dir: Path, source: str) -> CrawlState:
        return cls(Path(state_dir) / f"{source}.sqlite")

    def get(self, key: str, default: Any = None) -> Any:
        row = self._db.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        return default if row is None else json.loads(row[0])

    def set(self, key: str, value: Any) -> None:
        self._db.execute(
            "INSERT INTO kv (key, value, updated) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE"
            " SET value = excluded.value, updated = excluded.updated",
            (key, json.dumps(value, ensure_ascii=False), time.time()),
        )
        self._touch()

    def seen(self, item_id: str) -> bool:
        row = self._db.execute("SELECT 1 FROM seen WHERE id = ?", (item_id,)).fetchone()
        return row is not None

    def mark_seen(self, item_id: str) -> bool:
        """Remember an id; True if it is new."""
        cur = self._db.execute(
            "INSERT OR IGNORE INTO seen (id, at) VALUES (?, ?)", (item_id, time.time())
        )
        self._touch()
        return cur.rowcount > 0

    def count_seen(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM seen").fetchone()[0])

    def _touch(self) -> None:
        self._pending += 1
        if self._pending >= self._commit_every:
            self.commit()

    def commit(self) -> None:
        self._db.execute("COMMIT")
        self._db.execute("BEGIN")
        self._pending = 0

    def close(self) -> None:
        try:
            self._db.execute("COMMIT")
        finally:
            self._db.close()
