"""The embedded Store: SQLite with FTS5 over diacritic-folded text, and SQL aggregates.

Rowids are `created_at` in microseconds (nudged up on collision), so the rowid order is time
order in every table: FTS5 walks its doclists newest-first natively, a time window is a rowid
range, and a scan over a window reads pages in order. Hourly counts (`post_counts`) answer
dashboards' timelines without scanning posts; facet tokens in the FTS5 row (`sqlite_facets`)
let a text query filter and split by source, sentiment, language and topic inside FTS5.

The class composes one part per responsibility, all sharing the connections (`connection.py`):
writes (`writes.py`), search (`search.py`), timelines (`timelines.py`), top-N (`topn.py`).
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from duluan.core.logging import get_logger
from duluan.core.settings import Settings
from duluan.storage.base import Store, StoreError
from duluan.storage.sqlite.errors import translate_errors
from duluan.storage.sqlite.facets import FACETS_SQL
from duluan.storage.sqlite.postings import CHANGES_SCHEMA, MIN_MATCHES, PostingsCache
from duluan.storage.sqlite.rollup import HourlyCache
from duluan.storage.sqlite.schema import FTS_TABLE, SCHEMA, SCHEMA_VERSION
from duluan.storage.sqlite.search import SearchMixin
from duluan.storage.sqlite.topn import TopNMixin
from duluan.storage.sqlite.writes import WritesMixin

__all__ = ["SCHEMA_VERSION", "SQLiteStore"]

log = get_logger(__name__)


@translate_errors
class SQLiteStore(WritesMixin, SearchMixin, TopNMixin, Store):
    """One SQLite file (WAL): one writer process and many readers (a connection per thread)."""

    def __init__(
        self,
        path: Path | str,
        postings_cache_mb: int = 256,
        postings_min_matches: int = MIN_MATCHES,
        query_timeout_ms: int = 0,
    ) -> None:
        self.path = Path(path)
        self.query_timeout_ms = query_timeout_ms
        self._postings = (
            PostingsCache(postings_cache_mb * 2**20, lambda: self._r, postings_min_matches)
            if postings_cache_mb > 0
            else None
        )
        self._hourly = HourlyCache() if postings_cache_mb > 0 else None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._local = threading.local()
        self._readers = []
        self._conn = self._open()
        self._version_conn: sqlite3.Connection | None = None
        self._version_lock = threading.Lock()  # not the write lock: never wait for a write
        with self._lock:
            self._conn.executescript(SCHEMA + CHANGES_SCHEMA)
            row = self._conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
            if row is None:
                self._conn.executescript(FTS_TABLE)
                cols = [r[1] for r in self._conn.execute("PRAGMA table_info(posts_fts)")]
                self._conn.execute(  # an FTS table from before the meta row: migrate it
                    "INSERT OR IGNORE INTO meta(key, value) VALUES ('schema', ?)",
                    (str(SCHEMA_VERSION) if "facets" in cols else "2",),
                )
                row = self._conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
            if int(row[0]) == 2:
                self._migrate_2_to_3()
                row = (3,)
            if int(row[0]) == 3:  # 4 adds post_changes, created above: new writes fill it
                self._conn.execute(
                    "UPDATE meta SET value = ? WHERE key = 'schema' AND value = '3'",
                    (str(SCHEMA_VERSION),),
                )
            elif int(row[0]) != SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path} has schema {row[0]}, this duluan needs {SCHEMA_VERSION}: "
                    "export with the old version and re-import"
                )

    def _migrate_2_to_3(self) -> None:
        """Schema 3 adds the facets column to the FTS5 index: rebuild it from the stored posts.

        About 10-20 s per million posts; one process does it, others wait for the write lock.
        """
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            row = self._conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
            if row is not None and int(row[0]) == 2:  # not done meanwhile by another process
                log.info("store.migrating", path=str(self.path), to_schema=3)
                self._conn.execute("ALTER TABLE posts_fts RENAME TO posts_fts_v2")
                self._conn.execute(FTS_TABLE.replace("IF NOT EXISTS ", "").rstrip(";"))
                self._conn.execute(
                    f"INSERT INTO posts_fts(rowid, body, facets) SELECT c.id, c.c0, {FACETS_SQL}"
                    " FROM posts_fts_v2_content c JOIN posts p ON p.rowid = c.id ORDER BY c.id"
                )
                self._conn.execute("DROP TABLE posts_fts_v2")
                self._conn.execute("UPDATE meta SET value = '3' WHERE key = 'schema'")
            self._conn.execute("COMMIT")
        except sqlite3.Error as exc:
            self._conn.execute("ROLLBACK")
            raise StoreError(
                f"migrating {self.path} to schema 3 failed ({exc}); if another duluan process"
                " is migrating it, retry when it is done"
            ) from exc

    def data_version(self) -> int | None:
        """SQLite's data_version on a connection that never writes: it changes on every commit,
        whichever connection or process made it."""
        with self._version_lock:
            if self._version_conn is None:
                self._version_conn = self._open()
            return int(self._version_conn.execute("PRAGMA data_version").fetchone()[0])

    @classmethod
    def from_settings(cls, settings: Settings) -> SQLiteStore:
        return cls(
            settings.resolved_store_path,
            settings.store_postings_cache_mb,
        )

    def close(self) -> None:
        if self._postings is not None:
            self._postings.close()
        with self._lock:
            for conn in self._readers:
                conn.close()
            self._readers.clear()
            if self._version_conn is not None:
                self._version_conn.close()
            self._conn.close()
