"""The embedded Bus: a durable SQLite log with Kafka-like consumer groups, for one machine.

Each topic is an append-only table of messages; each (group, topic) keeps a committed offset.
One consumer per group reads at a time (a lease with heartbeats decides who); when it dies
without committing, the next holder of the lease starts again from the committed offset.

Retention: consumers' commits prune, at most once a `prune_interval`, the messages every group
of their topic has committed that are older than the retention (dead letters: by age only), so
freed pages are reused and the file stops growing; new files also give big frees back to the OS.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from duluan.core.logging import get_logger
from duluan.core.settings import Settings
from streaming.bus import Bus, BusError, BusRejected, BusUnavailable, Consumer, Message

log = get_logger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
  offset INTEGER PRIMARY KEY AUTOINCREMENT,
  topic TEXT NOT NULL,
  key TEXT,
  value BLOB NOT NULL,
  headers TEXT,
  ts_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_topic_offset ON messages(topic, offset);
CREATE TABLE IF NOT EXISTS group_offsets (
  grp TEXT NOT NULL, topic TEXT NOT NULL, committed INTEGER NOT NULL,
  PRIMARY KEY (grp, topic)
);
CREATE TABLE IF NOT EXISTS leases (
  grp TEXT NOT NULL, topic TEXT NOT NULL, owner TEXT NOT NULL, expires_ms INTEGER NOT NULL,
  PRIMARY KEY (grp, topic)
);
"""


def _connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=30.0, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA auto_vacuum=INCREMENTAL")  # takes effect on a new, empty file only
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA journal_size_limit={64 * 2**20}")  # the WAL shrinks back after bursts
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


def _now_ms() -> int:
    return int(time.time() * 1000)


def _open(path: Path) -> sqlite3.Connection:
    """A connection with the schema in place; SQLite errors leave as bus errors."""
    try:
        conn = _connect(path)
    except sqlite3.Error as exc:
        raise translate(exc, "open") from exc
    try:
        conn.executescript(_SCHEMA)
    except sqlite3.Error as exc:
        conn.close()
        raise translate(exc, "open") from exc
    return conn


_BUSY = ("locked", "busy", "disk i/o", "unable to open", "interrupted")


def translate(exc: sqlite3.Error, what: str) -> BusError:
    """The bus error for a SQLite error: a busy or unreachable file is retryable; a corrupt file,
    a full disk or a constraint is not (retrying cannot repair it)."""
    busy = isinstance(exc, sqlite3.OperationalError) and any(b in str(exc).lower() for b in _BUSY)
    cls = BusUnavailable if busy else BusRejected
    return cls(f"embedded bus {what} failed: {type(exc).__name__}: {exc}")


def _row_message(topic: str, row: tuple[Any, ...]) -> Message:
    """A Message from a stored row, even a corrupt one (wrong types, bad header JSON): its value
    then reaches the worker, which dead-letters what is no Post, instead of killing the poll."""
    offset, key, value, headers, ts_ms = row
    if not isinstance(value, bytes):
        value = str(value).encode("utf-8", "surrogatepass")
    if key is not None and not isinstance(key, str):
        key = key.decode("utf-8", "replace") if isinstance(key, bytes) else str(key)
    try:
        parsed = json.loads(headers) if headers else {}
        hdrs = {str(k): str(v) for k, v in parsed.items()}
    except (TypeError, ValueError, AttributeError, UnicodeDecodeError):
        hdrs = {"corrupt_headers": repr(headers)[:200]}
    try:
        ts = int(ts_ms)
    except (TypeError, ValueError):
        ts = 0
    return Message(
        topic=topic,
        value=value,
        key=key,
        offset=int(offset),
        timestamp_ms=ts,
        headers=hdrs,
    )


@dataclass(frozen=True)
class Retention:
    """How long consumed messages (and dead letters, consumed or not) stay; 0 or None: forever."""

    consumed_s: float | None = 24 * 3600.0
    dead_letter_s: float | None = 30 * 86400.0
    dead_letter_topic: str = "posts.dead"
    interval_s: float = 60.0  # a consumer's commits prune at most this often


_PRUNE_CHUNK = 5000  # rows per delete transaction: publishers never wait long behind a prune


def _delete_upto(conn: sqlite3.Connection, topic: str, upto: int | None, before_ms: int) -> int:
    """Delete `topic`'s messages older than `before_ms` (and at offsets <= `upto`, if given)."""
    deleted = 0
    while True:
        with _tx(conn):
            cur = conn.execute(
                "DELETE FROM messages WHERE offset IN (SELECT offset FROM messages"
                " WHERE topic=? AND offset<=? AND ts_ms<? ORDER BY offset LIMIT ?)",
                (topic, upto if upto is not None else 2**62, before_ms, _PRUNE_CHUNK),
            )
        deleted += cur.rowcount
        if cur.rowcount < _PRUNE_CHUNK:
            return deleted


def prune_topics(conn: sqlite3.Connection, retention: Retention) -> int:
    """Delete what retention allows in every topic; give freed pages back past a quarter of the
    file (steady load reuses them; a drained backlog shrinks the file). Returns rows deleted."""
    now = _now_ms()
    deleted = 0
    if retention.consumed_s:
        before = now - int(retention.consumed_s * 1000)
        for topic, upto in conn.execute(
            "SELECT topic, MIN(committed) FROM group_offsets WHERE topic != ? GROUP BY topic",
            (retention.dead_letter_topic,),
        ).fetchall():
            deleted += _delete_upto(conn, topic, int(upto), before)
    if retention.dead_letter_s:
        before = now - int(retention.dead_letter_s * 1000)
        deleted += _delete_upto(conn, retention.dead_letter_topic, None, before)
    if deleted:
        pages = int(conn.execute("PRAGMA page_count").fetchone()[0])
        free = int(conn.execute("PRAGMA freelist_count").fetchone()[0])
        if free > pages // 4:
            conn.execute(f"PRAGMA incremental_vacuum({free - pages // 4})").fetchall()
        log.info("bus.pruned", messages=deleted, pages=pages, free_pages=free)
    return deleted


class EmbeddedBus(Bus):
    """Topics in one SQLite file; safe to share between the processes of one machine."""

    def __init__(
        self,
        path: Path | str,
        *,
        dead_letter_topic: str = "posts.dead",
        flush_every: int = 500,
        flush_interval: float = 0.2,
        lease_ttl: float = 5.0,
        retention: Retention | None = None,
    ) -> None:
        self.path = Path(path)
        self.dead_letter_topic = dead_letter_topic
        self.retention = retention or Retention(dead_letter_topic=dead_letter_topic)
        self.flush_every = flush_every
        self.flush_interval = flush_interval
        self.lease_ttl = lease_ttl
        self._lock = threading.RLock()
        self._conn = _open(self.path)
        self._buffer: list[tuple[str, str | None, bytes, str | None, int]] = []
        self._last_flush = time.monotonic()
        self._closed = False

    @classmethod
    def from_settings(cls, settings: Settings) -> EmbeddedBus:
        retention = Retention(
            consumed_s=settings.bus_retention_hours * 3600,
            dead_letter_s=settings.bus_dead_letter_retention_hours * 3600,
            dead_letter_topic=settings.dead_letter_topic,
        )
        return cls(
            settings.resolved_bus_path,
            dead_letter_topic=settings.dead_letter_topic,
            retention=retention,
        )

    def publish(
        self,
        topic: str,
        value: bytes,
        key: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        if not isinstance(value, bytes | bytearray):
            raise TypeError("message value must be bytes")
        with self._lock:
            self._check_open()
            hdrs = json.dumps(headers, ensure_ascii=False) if headers else None
            self._buffer.append((topic, key, bytes(value), hdrs, _now_ms()))
            due = time.monotonic() - self._last_flush >= self.flush_interval
            if len(self._buffer) >= self.flush_every or due:
                self.flush()

    def publish_many(self, topic: str, items: Iterable[tuple[str | None, bytes]]) -> int:
        n = 0
        with self._lock:
            for key, value in items:
                self._buffer.append((topic, key, bytes(value), None, _now_ms()))
                n += 1
                if len(self._buffer) >= self.flush_every:
                    self.flush()
            self.flush()
        return n

    def flush(self) -> None:
        with self._lock:
            if not self._buffer:
                self._last_flush = time.monotonic()
                return
            rows, self._buffer = self._buffer, []
            try:
                with _tx(self._conn):
                    self._conn.executemany(
                        "INSERT INTO messages(topic, key, value, headers, ts_ms) VALUES (?,?,?,?,?)",
                        rows,
                    )
            except sqlite3.Error as exc:
                self._buffer = rows + self._buffer
                raise translate(exc, "write") from exc
            self._last_flush = time.monotonic()

    def consumer(self, topic: str, group: str) -> EmbeddedConsumer:
        self._check_open()
        return EmbeddedConsumer(
            self.path, topic, group, lease_ttl=self.lease_ttl, retention=self.retention
        )

    def end_offset(self, topic: str) -> int:
        row = self._conn.execute(
            "SELECT COALESCE(MAX(offset), 0) FROM messages WHERE topic=?", (topic,)
        ).fetchone()
        return int(row[0])

    def prune(self, topic: str | None = None, older_than_s: float | None = None) -> int:
        """Delete messages every group of their topic has committed, older than the retention
        (or `older_than_s`); one topic or, by default, all of them (dead letters by age)."""
        with self._lock:
            self._check_open()
            if topic is None:
                retention = self.retention
                if older_than_s is not None:
                    retention = replace(retention, consumed_s=older_than_s)
                return prune_topics(self._conn, retention)
            row = self._conn.execute(
                "SELECT MIN(committed) FROM group_offsets WHERE topic=?", (topic,)
            ).fetchone()
            if row[0] is None:
                return 0
            age = older_than_s if older_than_s is not None else self.retention.consumed_s or 0.0
            return _delete_upto(self._conn, topic, int(row[0]), _now_ms() - int(age * 1000))

    def _check_open(self) -> None:
        if self._closed:
            raise BusRejected("bus is closed")

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            try:
                self.flush()
            finally:
                self._closed = True
                self._conn.close()


class _tx:
    """BEGIN IMMEDIATE ... COMMIT, so writers queue instead of failing on a busy file."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self.conn.execute("ROLLBACK" if exc_type else "COMMIT")


class EmbeddedConsumer(Consumer):
    """Reads one topic for one group; holds the group's lease while it is alive."""

    def __init__(
        self,
        path: Path,
        topic: str,
        group: str,
        *,
        lease_ttl: float = 5.0,
        retention: Retention | None = None,
    ) -> None:
        self.topic = topic
        self.group = group
        self.owner = uuid.uuid4().hex
        self.lease_ttl_ms = int(lease_ttl * 1000)
        self.retention = retention or Retention()
        self._last_prune = time.monotonic()
        self._conn = _open(path)
        try:  # a group exists from its first consumer: retention waits for it from then on
            known = "SELECT 1 FROM group_offsets WHERE grp=? AND topic=?"
            if self._conn.execute(known, (group, topic)).fetchone() is None:
                with _tx(self._conn):  # (a write only the first time: lag probes stay reads)
                    self._conn.execute(
                        "INSERT OR IGNORE INTO group_offsets(grp, topic, committed) VALUES (?,?,0)",
                        (group, topic),
                    )
        except sqlite3.Error as exc:
            self._conn.close()
            raise translate(exc, "join") from exc
        self._position: int | None = None  # next offset to read is > _position
        self._polled_max = 0
        self._closed = False

    def _committed(self) -> int:
        row = self._conn.execute(
            "SELECT committed FROM group_offsets WHERE grp=? AND topic=?", (self.group, self.topic)
        ).fetchone()
        return int(row[0]) if row else 0

    def _hold_lease(self) -> bool:
        now = _now_ms()
        with _tx(self._conn):
            row = self._conn.execute(
                "SELECT owner, expires_ms FROM leases WHERE grp=? AND topic=?",
                (self.group, self.topic),
            ).fetchone()
            if row is None or row[0] == self.owner or row[1] < now:
                if row is not None and row[0] != self.owner:
                    log.info("bus.lease_taken_over", group=self.group, topic=self.topic)
                self._conn.execute(
                    "INSERT OR REPLACE INTO leases(grp, topic, owner, expires_ms) VALUES (?,?,?,?)",
                    (self.group, self.topic, self.owner, now + self.lease_ttl_ms),
                )
                if row is None or row[0] != self.owner:
                    self._position = None
                return True
            self._position = None
            return False

    def poll(self, max_messages: int = 256, timeout: float = 1.0) -> list[Message]:
        if self._closed:
            raise BusRejected("consumer is closed")
        deadline = time.monotonic() + max(timeout, 0.0)
        while True:
            try:
                if self._hold_lease():
                    if self._position is None:
                        self._position = self._committed()
                    rows = self._conn.execute(
                        "SELECT offset, key, value, headers, ts_ms FROM messages "
                        "WHERE topic=? AND offset>? ORDER BY offset LIMIT ?",
                        (self.topic, self._position, max_messages),
                    ).fetchall()
                    if rows:
                        self._position = int(rows[-1][0])
                        self._polled_max = max(self._polled_max, self._position)
                        return [_row_message(self.topic, r) for r in rows]
            except sqlite3.Error as exc:
                raise translate(exc, "read") from exc
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            time.sleep(min(0.05, remaining))

    def commit(self, messages: Sequence[Message] | None = None) -> None:
        if messages is not None and not messages:
            return
        upto = max(m.offset for m in messages) if messages else self._polled_max
        if upto <= 0:
            return
        try:
            with _tx(self._conn):
                self._conn.execute(
                    "INSERT INTO group_offsets(grp, topic, committed) VALUES (?,?,?) "
                    "ON CONFLICT(grp, topic) DO UPDATE SET committed=MAX(committed, excluded.committed)",
                    (self.group, self.topic, upto),
                )
        except sqlite3.Error as exc:
            raise translate(exc, "commit") from exc
        if time.monotonic() - self._last_prune >= self.retention.interval_s:
            self._last_prune = time.monotonic()
            try:
                prune_topics(self._conn, self.retention)
            except sqlite3.Error as exc:  # retention can wait for the next round
                log.warning("bus.prune_failed", error=str(exc))

    def lag(self) -> int:
        try:
            row = self._conn.execute(
                "SELECT COUNT(*) FROM messages WHERE topic=? AND offset>?",
                (self.topic, self._committed()),
            ).fetchone()
        except sqlite3.Error as exc:
            raise translate(exc, "lag") from exc
        return int(row[0])

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            with _tx(self._conn):
                self._conn.execute(
                    "DELETE FROM leases WHERE grp=? AND topic=? AND owner=?",
                    (self.group, self.topic, self.owner),
                )
        except sqlite3.Error:
            pass
        self._conn.close()
