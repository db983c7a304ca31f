"""What every part of the SQLite store shares: the write connection, per-thread readers, caches."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from duluan.core.deadline import store_time_limit_ms
from duluan.core.query import QueryTimedOut, SearchQuery
from duluan.storage.sqlite.compile import Compiler, Plan
from duluan.storage.sqlite.postings import PostingsCache
from duluan.storage.sqlite.rollup import HourlyCache


def ts(value: datetime) -> float:
    return value.timestamp()


def dt(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


class _TimedCursor(sqlite3.Cursor):
    """A cursor whose statement, stopped at its connection's deadline, raises QueryTimedOut."""

    connection: TimedConnection

    def _stopped(self, exc: sqlite3.OperationalError) -> Exception:
        return self.connection.translate(exc)

    def execute(self, sql: str, parameters: Any = ()) -> _TimedCursor:
        try:
            super().execute(sql, parameters)
        except sqlite3.OperationalError as exc:
            raise self._stopped(exc) from exc
        return self

    def fetchone(self) -> Any:
        try:
            return super().fetchone()
        except sqlite3.OperationalError as exc:
            raise self._stopped(exc) from exc

    def fetchmany(self, size: int | None = 1) -> list[Any]:
        try:
            return super().fetchmany(size if size is not None else self.arraysize)
        except sqlite3.OperationalError as exc:
            raise self._stopped(exc) from exc

    def fetchall(self) -> list[Any]:
        try:
            return super().fetchall()
        except sqlite3.OperationalError as exc:
            raise self._stopped(exc) from exc

    def __next__(self) -> Any:
        try:
            return super().__next__()
        except sqlite3.OperationalError as exc:
            raise self._stopped(exc) from exc


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
            self.set_progress_handler(self._late, 10_000)
        self.deadline = time.monotonic() + limit_ms / 1000

    def _late(self) -> int:
        return 1 if self.deadline is not None and time.monotonic() > self.deadline else 0

    def translate(self, exc: sqlite3.OperationalError) -> Exception:
        if "interrupted" in str(exc) and self.deadline is not None:
            return QueryTimedOut(
                f"the store stopped this query after {self.limit_ms} ms "
                "(store_query_timeout_ms): narrow it (fewer terms or wildcards, a shorter "
                "time range)"
            )
        return exc

    def cursor(self, factory: Any = _TimedCursor) -> Any:
        return super().cursor(factory)

    def execute(self, sql: str, parameters: Any = ()) -> Any:
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql: str, parameters: Iterable[Any]) -> Any:
        return self.cursor().executemany(sql, parameters)


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
