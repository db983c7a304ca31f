"""What every part of the SQLite store shares: the write connection, per-thread readers, caches."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

from duluan.core.query import SearchQuery
from duluan.storage.sqlite.compile import Compiler, Plan
from duluan.storage.sqlite.postings import PostingsCache
from duluan.storage.sqlite.rollup import HourlyCache


def ts(value: datetime) -> float:
    return value.timestamp()


def dt(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


class SQLiteBase:
    """The state the writes, search, timelines and top-N parts share; SQLiteStore sets it up."""

    path: Path
    _postings: PostingsCache | None
    _hourly: HourlyCache | None
    _lock: threading.RLock
    _local: threading.local
    _readers: list[sqlite3.Connection]
    _conn: sqlite3.Connection

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            str(self.path), timeout=30.0, isolation_level=None, check_same_thread=False
        )
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA busy_timeout=30000")
        conn.execute("PRAGMA cache_size=-65536")
        conn.execute("PRAGMA temp_store=MEMORY")
        conn.execute("PRAGMA mmap_size=1073741824")
        return conn

    @property
    def _r(self) -> sqlite3.Connection:
        """A read connection per thread, so API requests never queue behind one another."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._open()
            self._local.conn = conn
            with self._lock:
                self._readers.append(conn)
        return conn

    @staticmethod
    def _plan(query: SearchQuery) -> Plan:
        return Compiler().plan(query)

    def _cacheable(self, plan: Plan) -> str | None:
        """The plan's FTS5 expression when its matches can come from the postings cache (FTS5
        alone decides them and the cache is on); None otherwise."""
        if self._postings is None or plan.needs_posts:
            return None
        return plan.fts
