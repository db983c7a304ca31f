"""What every part of the SQLite store shares: the write connection, per-thread readers, caches."""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from duluan.core.deadline import store_time_limit_ms
from duluan.core.query import SearchQuery
from duluan.storage.sqlite.compile import Compiler, Plan
from duluan.storage.sqlite.postings import PostingsCache
from duluan.storage.sqlite.rollup import HourlyCache


def ts(value: datetime) -> float:
    return value.timestamp()


def dt(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


PROGRESS_STEPS = 500_000


class TimedConnection(sqlite3.Connection):
    """A read connection with a time limit: a progress handler aborts a statement running past
    `deadline`, so a costly query stops instead of holding an API thread and the store."""

    deadline: float | None = None
    limit_ms: int = 0

    def arm(self, limit_ms: int) -> None:
        """Start the clock for the next statement(s): `limit_ms` from now (0: no limit)."""
        if limit_ms <= 0:
            self.deadline = None
            return
        if self.limit_ms != limit_ms:
            self.limit_ms = limit_ms
            # ~1-5 ms of VM work between checks: a callback every 10k steps (into Python, under
            # the GIL) cost a quarter of the API's search throughput at 1M posts
            self.set_progress_handler(self._late, PROGRESS_STEPS)
        self.deadline = time.monotonic() + limit_ms / 1000

    def _late(self) -> int:
        return 1 if self.deadline is not None and time.monotonic() > self.deadline else 0


class SQLiteBase:
    """The state the writes, search, timelines and top-N parts share; SQLiteStore sets it up."""

    path: Path
    _postings: PostingsCache | None
    _hourly: HourlyCache | None
    _lock: threading.RLock
    _local: threading.local
    _readers: list[sqlite3.Connection]
    _conn: sqlite3.Connection
    query_timeout_ms: int = 0

    def _open(self, factory: type[sqlite3.Connection] = sqlite3.Connection) -> sqlite3.Connection:
        conn = sqlite3.connect(
            str(self.path),
            timeout=30.0,
            isolation_level=None,
            check_same_thread=False,
            factory=factory,
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
        """A read connection per thread, so API requests never queue behind one another; each
        use starts the clock of the request's time limit (duluan.core.deadline), or of the
        store's own `query_timeout_ms` outside requests (a statement past it: QueryTimedOut)."""
        conn: TimedConnection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._open(TimedConnection)  # type: ignore[assignment]
            assert isinstance(conn, TimedConnection)
            self._local.conn = conn
            with self._lock:
                self._readers.append(conn)
        conn.arm(store_time_limit_ms(self.query_timeout_ms))
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
