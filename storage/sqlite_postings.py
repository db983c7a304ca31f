"""Sorted rowid arrays of FTS5 expressions, held in memory and kept current from a change log.

FTS5 walks a term's whole doclist on every count: 0.1-0.3 s for a term in most of a million
posts, and again for each value of a split. Held as a sorted array, a count per bucket is a
binary search and a split is an intersection. Every write appends the rowids it touched to
`post_changes`, so an array older than the newest change re-matches only those rows.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

# Rows of `post_changes` a writer keeps; an array more changes behind than this is rebuilt.
CHANGE_LOG_KEEP = 50_000

CHANGES_SCHEMA = """
CREATE TABLE IF NOT EXISTS post_changes (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, post INTEGER NOT NULL
);
"""

MAX_ENTRIES = 5_000  # arrays of rare expressions are tiny; bound their number too

_EMPTY = np.zeros(0, dtype=np.int64)


def log_changes(conn: sqlite3.Connection, rowids: list[int]) -> None:
    """Record the rowids a write transaction touched, and drop log rows no reader needs."""
    if not rowids:
        return
    conn.executemany("INSERT INTO post_changes(post) VALUES (?)", [(r,) for r in rowids])
    conn.execute(
        "DELETE FROM post_changes WHERE seq <= "
        "(SELECT seq FROM sqlite_sequence WHERE name = 'post_changes') - ?",
        (CHANGE_LOG_KEEP,),
    )


def _ints(conn: sqlite3.Connection, sql: str, params: tuple[object, ...]) -> np.ndarray:
    """One JSON array back from SQLite: one step and one GIL round trip, not one per row."""
    blob = conn.execute(sql, params).fetchone()[0]
    return np.asarray(json.loads(blob) if blob else [], dtype=np.int64)


def _head(conn: sqlite3.Connection) -> tuple[int, int | None]:
    """The newest change's seq (0: none yet) and the oldest one still in the log."""
    row = conn.execute(
        "SELECT (SELECT seq FROM sqlite_sequence WHERE name = 'post_changes'),"
        " (SELECT MIN(seq) FROM post_changes)"
    ).fetchone()
    return int(row[0] or 0), (int(row[1]) if row[1] is not None else None)


def catch_up(conn: sqlite3.Connection, seq: int) -> tuple[str, int]:
    """What something current to change `seq` (-1: never built) needs now: "hit", "refresh"
    (every later change is still in the log) or "build"; and the newest change's seq, read
    before any data, so that changes racing the caller are seen again next time."""
    head, oldest = _head(conn)
    if seq == head:
        return "hit", head
    if seq >= 0 and oldest is not None and oldest <= seq + 1:
        return "refresh", head
    return "build", head


def changed_since(conn: sqlite3.Connection, seq: int) -> np.ndarray:
    """The distinct rowids written or deleted after change `seq`, ascending."""
    return np.unique(
        _ints(conn, "SELECT json_group_array(post) FROM post_changes WHERE seq > ?", (seq,))
    )


def intersect(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Rowids in both sorted arrays of distinct rowids."""
    if not len(a) or not len(b):
        return _EMPTY
    if min(len(a), len(b)) * 64 < max(len(a), len(b)):  # one is small: binary-search it
        small, large = (a, b) if len(a) <= len(b) else (b, a)
        pos = np.searchsorted(large, small)
        pos[pos == len(large)] = 0
        found: np.ndarray = small[large[pos] == small]
        return found
    both = np.concatenate((a, b))
    both.sort(kind="stable")  # timsort: two sorted runs, one linear merge
    out: np.ndarray = both[:-1][both[1:] == both[:-1]]
    return out


def count_between(rows: np.ndarray, lo: int | None, hi: int | None) -> int:
    start = int(np.searchsorted(rows, lo)) if lo is not None else 0
    stop = int(np.searchsorted(rows, hi)) if hi is not None else len(rows)
    return max(0, stop - start)


@dataclass
class _Entry:
    rows: np.ndarray = field(default_factory=lambda: _EMPTY)
    seq: int = -1  # every change up to this one is reflected; -1: never built
    lock: threading.Lock = field(default_factory=threading.Lock)


class PostingsCache:
    """An LRU of expression -> sorted int64 rowids, bounded in bytes; thread-safe."""

    def __init__(self, budget_bytes: int) -> None:
        self.budget = budget_bytes
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self.stats = {"hits": 0, "refreshes": 0, "builds": 0, "evictions": 0}

    def rows_and(self, conn: sqlite3.Connection, expr: str, other: str) -> np.ndarray:
        """Rowids matching both expressions, kept as an entry of its own so that a split
        asked for again costs no intersection; built from the two arrays, not from FTS5."""
        return self.rows(conn, f"({expr}) AND ({other})", parts=(expr, other))

    def rows(
        self, conn: sqlite3.Connection, expr: str, parts: tuple[str, str] | None = None
    ) -> np.ndarray:
        """Every rowid matching the FTS5 expression now, ascending (do not modify).
        `parts`: two expressions whose AND `expr` is, to build it from their arrays."""
        with self._lock:
            entry = self._entries.get(expr)
            if entry is None:
                entry = self._entries[expr] = _Entry()
            self._entries.move_to_end(expr)
        with entry.lock:
            state, head = catch_up(conn, entry.seq)
            if state == "hit":
                self.stats["hits"] += 1
            elif state == "refresh":
                self._refresh(conn, expr, entry, head)
                self.stats["refreshes"] += 1
            elif parts is not None:  # both arrays are current to `head` or later
                entry.rows = intersect(self.rows(conn, parts[0]), self.rows(conn, parts[1]))
                entry.seq = head
                self.stats["builds"] += 1
            else:
                entry.rows = _ints(
                    conn,
                    "SELECT json_group_array(rowid) FROM"
                    " (SELECT rowid FROM posts_fts WHERE posts_fts MATCH ? ORDER BY rowid)",
                    (expr,),
                )
                entry.seq = head
                self.stats["builds"] += 1
            rows = entry.rows
        self._evict(keep=expr)
        return rows

    @staticmethod
    def _refresh(conn: sqlite3.Connection, expr: str, entry: _Entry, head: int) -> None:
        """Take the changed rowids out, put back those that match now (idempotent)."""
        changed = changed_since(conn, entry.seq)
        matched = _ints(
            conn,
            "SELECT json_group_array(rowid) FROM (SELECT rowid FROM posts_fts"
            " WHERE posts_fts MATCH ? AND rowid IN (SELECT value FROM json_each(?))"
            " ORDER BY rowid)",
            (expr, json.dumps(changed.tolist())),
        )
        rows = entry.rows
        pos = np.searchsorted(rows, changed)
        inside = pos < len(rows)
        at = pos[inside]
        rows = np.delete(rows, at[rows[at] == changed[inside]])
        entry.rows = np.insert(rows, np.searchsorted(rows, matched), matched)
        entry.seq = head

    def _evict(self, keep: str) -> None:
        with self._lock:
            total = sum(e.rows.nbytes for e in self._entries.values())
            for key in list(self._entries):
                if total <= self.budget and len(self._entries) <= MAX_ENTRIES:
                    break
                if key == keep:
                    continue
                total -= self._entries.pop(key).rows.nbytes
                self.stats["evictions"] += 1

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
