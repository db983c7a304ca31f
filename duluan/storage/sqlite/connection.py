"""What every part of the SQLite store shares: the write connection, per-thread readers, caches."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
import weakref
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


class _Watchdog:
    """One thread for every armed read connection: past its deadline, `interrupt()` it. SQLite
    checks the flag between VM steps at no cost to the query; a progress handler instead calls
    into Python (and must take the GIL) every N steps, which cost the API a tenth of its timeline
    throughput under 20 concurrent clients at 1M posts."""

    TICK_S = 0.02

    def __init__(self) -> None:
        self._armed: weakref.WeakSet[TimedConnection] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def watch(self, conn: TimedConnection) -> None:
        with self._lock:
            self._armed.add(conn)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="duluan-sqlite-deadlines", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        while True:
            time.sleep(self.TICK_S)
            with self._lock:
                conns = list(self._armed)
            now = time.monotonic()
            for conn in conns:
                conn.interrupt_if_late(now)


_WATCHDOG = _Watchdog()


class TimedConnection(sqlite3.Connection):
    """A read connection with a time limit: a watchdog thread interrupts a statement running
    past `deadline`, so a costly query stops instead of holding an API thread and the store."""

    deadline: float | None = None
    _fired = False
    _guard: threading.Lock | None = None

    def arm(self, limit_ms: int) -> None:
        """Start the clock for the next statement(s): `limit_ms` from now (0: no limit)."""
        if limit_ms <= 0:
            if self.deadline is not None:
                self.deadline = None
            return
        if self._guard is None:
            self._guard = threading.Lock()
            _WATCHDOG.watch(self)
        with self._guard:  # never interrupt on a deadline this call has just replaced
            self.deadline = time.monotonic() + limit_ms / 1000
            self._fired = False

    def interrupt_if_late(self, now: float) -> None:
        """Called by the watchdog; a no-op unless a deadline passed and was not acted on yet.
        An interrupt that finds no statement running is cleared by SQLite at the next one."""
        guard = self._guard
        if guard is None or self.deadline is None or self._fired or now <= self.deadline:
            return
        with guard:
            if self.deadline is not None and not self._fired and now > self.deadline:
                self._fired = True
                with contextlib.suppress(sqlite3.ProgrammingError):  # closed meanwhile
                    self.interrupt()


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
