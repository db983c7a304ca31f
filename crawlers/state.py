"""Per-source crawl memory in the metadata database, so the next run (on any replica) fetches
only what is new: a key/value memory plus the set of ids already seen."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from duluan.core.logging import get_logger
from duluan.core.settings import Settings
from duluan.meta.database import MetaDB, meta_url, open_meta
from duluan.meta.tables import crawl_kv, crawl_seen

log = get_logger(__name__)
_IMPORT_BATCH = 1000


class CrawlState:
    """Memory of one source in tables `crawl_kv` / `crawl_seen` of the metadata database.

    Writes are buffered and written every `commit_every` changes and on `close()`; a crashed
    run loses at most that batch, which the next run fetches again (at-least-once).
    """

    def __init__(self, db: MetaDB | Path | str, source: str, commit_every: int = 500) -> None:
        self._db, self._owns_db = open_meta(db)
        self.source = source
        self._commit_every = commit_every
        self._kv: dict[str, str] = {}  # key -> JSON, not yet written
        self._seen: dict[str, float] = {}  # id -> time first seen, not yet written

    @classmethod
    def for_settings(cls, settings: Settings, source: str) -> CrawlState:
        """The source's memory in the configured metadata database (a file of an older
        version under the crawl state dir is imported once)."""
        state = cls(meta_url(settings), source)
        legacy = settings.resolved_crawl_state_dir / f"{source}.sqlite"
        if legacy.is_file():
            state.import_file(legacy)
        return state

    @classmethod
    def for_source(cls, state_dir: Path, source: str) -> CrawlState:
        """A memory kept in a SQLite file of its own under `state_dir` (tools and tests)."""
        return cls(Path(state_dir) / "crawl-state.db", source)

    def get(self, key: str, default: Any = None) -> Any:
        raw = self._kv.get(key)
        if raw is None:
            t = crawl_kv
            rows = self._db.rows(
                sa.select(t.c.value).where(t.c.source == self.source, t.c.key == key)
            )
            raw = rows[0].value if rows else None
        return default if raw is None else json.loads(raw)

    def set(self, key: str, value: Any) -> None:
        self._kv[key] = json.dumps(value, ensure_ascii=False)
        self._touch()

    def seen(self, item_id: str) -> bool:
        if item_id in self._seen:
            return True
        t = crawl_seen
        stmt = sa.select(t.c.id).where(t.c.source == self.source, t.c.id == item_id)
        return bool(self._db.rows(stmt))

    def mark_seen(self, item_id: str) -> bool:
        """Remember an id; True if it is new."""
        if self.seen(item_id):
            return False
        self._seen[item_id] = time.time()
        self._touch()
        return True

    def count_seen(self) -> int:
        t = crawl_seen
        stmt = sa.select(sa.func.count()).select_from(t).where(t.c.source == self.source)
        return int(self._db.rows(stmt)[0][0]) + len(self._seen)

    def _touch(self) -> None:
        if len(self._kv) + len(self._seen) >= self._commit_every:
            self.commit()

    def commit(self) -> None:
        """Write what is buffered in one transaction."""
        if not self._kv and not self._seen:
            return
        now = time.time()
        kv = [
            {"source": self.source, "key": k, "value": v, "updated": now}
            for k, v in self._kv.items()
        ]
        seen = [{"source": self.source, "id": i, "at": at} for i, at in self._seen.items()]
        with self._db.write() as conn:
            if kv:
                ins = self._db.insert(crawl_kv)
                conn.execute(
                    ins.on_conflict_do_update(
                        index_elements=["source", "key"],
                        set_={"value": ins.excluded.value, "updated": ins.excluded.updated},
                    ),
                    kv,
                )
            if seen:
                ins = self._db.insert(crawl_seen)
                conn.execute(ins.on_conflict_do_nothing(index_elements=["source", "id"]), seen)
        self._kv.clear()
        self._seen.clear()

    def import_file(self, path: Path) -> int:
        """Copy a per-source SQLite file of an older version in (rows already here win), then
        rename it `<name>.imported`; returns the number of rows read."""
        src = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        read = 0
        try:
            names = {r[0] for r in src.execute("SELECT name FROM sqlite_master")}
            kv = src.execute("SELECT key, value, updated FROM kv") if "kv" in names else []
            for key, value, updated in kv:
                read += 1
                with self._db.write() as conn:
                    self._db.upsert(
                        conn,
                        crawl_kv,
                        {"source": self.source, "key": key, "value": value, "updated": updated},
                        ["source", "key"],
                    )
            seen = src.execute("SELECT id, at FROM seen") if "seen" in names else None
            while seen is not None and (batch := seen.fetchmany(_IMPORT_BATCH)):
                read += len(batch)
                ins = self._db.insert(crawl_seen).on_conflict_do_nothing(
                    index_elements=["source", "id"]
                )
                with self._db.write() as conn:
                    conn.execute(
                        ins, [{"source": self.source, "id": i, "at": at} for i, at in batch]
                    )
        finally:
            src.close()
        path.rename(path.with_name(path.name + ".imported"))
        log.info("crawl_state.imported", source=self.source, file=str(path), rows=read)
        return read

    def close(self) -> None:
        try:
            self.commit()
        finally:
            if self._owns_db:
                self._db.close()
