"""Sorted rowid arrays of FTS5 expressions, held in memory and kept current from a change log.

FTS5 walks a term's whole doclist on every count: 0.1-0.3 s for a term in most of a million
posts, and again for each value of a split. Held as a sorted array, a count per bucket is a
binary search and a split is an intersection. Every write appends the rowids it touched to
`post_changes`, so an array older than the newest change re-matches only those rows.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from duluan.core.logging import get_logger

log = get_logger(__name__)

# Rows of `post_changes` a writer keeps; an array more changes behind than this is rebuilt.
CHANGE_LOG_KEEP = 50_000

CHANGES_SCHEMA = """
CREATE TABLE IF NOT EXISTS post_changes (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, post INTEGER NOT NULL
);
"""

MAX_ENTRIES = 5_000  # arrays of rare expressions are tiny; bound their number too
MAX_SEEN = 20_000  # expressions asked for once, remembered to build on the second request
MIN_MATCHES = 2_000  # fewer matches are cheap for FTS5 to count: no array for them

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
    """Integers back from one `SELECT group_concat(...)`: one step and one GIL round trip, not
    one per row, parsed in C (a JSON array parsed into Python ints costs 2x more)."""
    text = conn.execute(sql, params).fetchone()[0]
    return np.fromstring(text, dtype=np.int64, sep=",") if text else _EMPTY


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
        _ints(conn, "SELECT group_concat(post) FROM post_changes WHERE seq > ?", (seq,))
    )


# FTS5 costs ~0.25 ms a query plus ~0.25 us a match it walks: changed rows closer together
# than this many known matches are re-matched by one range query, not one query each
RANGE_GAP_MATCHES = 1_000
_RANGES_PER_STATEMENT = 400  # under SQLite's 500 terms in one compound SELECT


def rematch(
    conn: sqlite3.Connection, expr: str, changed: np.ndarray, known: np.ndarray
) -> np.ndarray:
    """Which of the `changed` rowids match `expr` now, ascending. FTS5 answers `rowid IN (...)`
    with one doclist seek per rowid (~0.3 ms each for a common term: 15 ms for a 50-post
    batch), so nearby rowids are grouped into ranges, split where the array of `known`
    matches shows many matches between them, and each range is one seek and a short walk."""
    if not len(changed):
        return _EMPTY
    between = np.diff(np.searchsorted(known, changed))  # known matches between neighbours
    cuts = np.flatnonzero(between > RANGE_GAP_MATCHES) + 1
    starts = changed[np.concatenate(([0], cuts))]
    ends = changed[np.concatenate((cuts - 1, [len(changed) - 1]))]
    found = []
    for i in range(0, len(starts), _RANGES_PER_STATEMENT):
        lo, hi = starts[i : i + _RANGES_PER_STATEMENT], ends[i : i + _RANGES_PER_STATEMENT]
        union = " UNION ALL ".join(
            ["SELECT rowid FROM posts_fts WHERE posts_fts MATCH ?1 AND rowid BETWEEN ? AND ?"]
            * len(lo)
        )
        bounds = [int(v) for pair in zip(lo, hi, strict=True) for v in pair]
        found.append(_ints(conn, f"SELECT group_concat(rowid) FROM ({union})", (expr, *bounds)))
    hits = np.unique(np.concatenate(found))
    return hits[np.isin(hits, changed, assume_unique=True)]


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
    """An LRU of expression -> sorted int64 rowids, bounded in bytes; thread-safe.

    `rows` answers None until an array is ready: the caller then counts with FTS5 as it would
    without the cache and reports the count (`note`). Arrays are built by one background
    thread for expressions with many matches, from their second request on, so a one-off
    query (most ad-hoc searches) never pays for one (~2x an FTS5 count to build). Arrays
    already built are brought up to date in the calling thread (a few changed rowids).
    """

    def __init__(
        self,
        budget_bytes: int,
        connect: Callable[[], sqlite3.Connection],
        min_matches: int = MIN_MATCHES,
    ) -> None:
        self.budget = budget_bytes
        self.min_matches = min_matches
        self._connect = connect  # a read connection for the calling (builder) thread
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()
        # normal priority: a lower one starved the builds under exactly the load they help
        self._builder = ThreadPoolExecutor(1, thread_name_prefix="duluan-postings")
        self.stats = {"hits": 0, "refreshes": 0, "builds": 0, "evictions": 0, "declined": 0}

    def rows(self, conn: sqlite3.Connection, expr: str) -> np.ndarray | None:
        """Every rowid matching the FTS5 expression now, ascending (do not modify); None
        while there is no array for it yet (count with FTS5 instead)."""
        with self._lock:
            entry = self._entries.get(expr)
            if entry is None:
                self.stats["declined"] += 1
                return None
            self._entries.move_to_end(expr)
        seq = entry.seq
        if seq < 0:  # being built
            return None
        state, head = catch_up(conn, seq)
        if state == "hit":  # the common case: no lock (rows and seq only ever move forward)
            self.stats["hits"] += 1
            return entry.rows if entry.seq == seq else self.rows(conn, expr)
        with entry.lock:
            state, head = catch_up(conn, entry.seq)
            if state == "build":  # too far behind the change log: build it again
                entry.seq = -1
                self._builder.submit(self._build, expr, entry)
                return None
            if state == "refresh":
                self._refresh(conn, expr, entry, head)
                self.stats["refreshes"] += 1
            else:
                self.stats["hits"] += 1
            return entry.rows

    def rows_and(self, conn: sqlite3.Connection, expr: str, other: str) -> np.ndarray | None:
        """Rowids matching both expressions, kept as an entry of its own so that a split
        asked for again costs no intersection; made from the two arrays once both exist."""
        key = f"({expr}) AND ({other})"
        with self._lock:
            entry = self._entries.get(key)
            parts = [self._entries.get(p) for p in (expr, other)]
        if entry is not None and entry.seq >= 0:
            return self.rows(conn, key)
        if any(p is None or p.seq < 0 for p in parts):  # not both arrays yet: FTS5 answers
            self.stats["declined"] += 1
            return None
        head, _ = _head(conn)  # before the parts are read: later changes are re-matched
        first, second = self.rows(conn, expr), self.rows(conn, other)
        if first is None or second is None:
            return None
        both = intersect(first, second)
        with self._lock:
            self._entries[key] = _Entry(rows=both, seq=head)
            self.stats["builds"] += 1
        self._evict(keep=key)
        return both

    def note(self, expr: str, matches: int) -> None:
        """FTS5 just counted at least `matches` for an expression the cache declined. Arrays
        are built for expressions with many matches (a few are cheap for FTS5 anyway) from
        their second request on (a one-off query never pays for one)."""
        if matches < self.min_matches:
            return
        with self._lock:
            if expr in self._entries:
                return
            if expr not in self._seen:
                self._seen[expr] = None
                if len(self._seen) > MAX_SEEN:
                    self._seen.popitem(last=False)
                return
            del self._seen[expr]
            self._entries[expr] = entry = _Entry()
        self._builder.submit(self._build, expr, entry)

    def _build(self, expr: str, entry: _Entry) -> None:
        try:
            conn = self._connect()
            with entry.lock:
                head, _ = _head(conn)  # before the data: later changes are re-matched
                entry.rows = _ints(
                    conn,
                    "SELECT group_concat(rowid) FROM"
                    " (SELECT rowid FROM posts_fts WHERE posts_fts MATCH ? ORDER BY rowid)",
                    (expr,),
                )
                entry.seq = head
            self.stats["builds"] += 1
            self._evict(keep=expr)
        except Exception as exc:  # the store closed, or a bad expression: just not cached
            log.warning("postings.build_failed", error=str(exc)[:200])
            with self._lock:
                if self._entries.get(expr) is entry:
                    del self._entries[expr]

    def settle(self) -> None:
        """Wait for the builds asked for so far (tests and benchmarks)."""
        self._builder.submit(lambda: None).result()

    def close(self) -> None:
        self._builder.shutdown(wait=True, cancel_futures=True)

    @staticmethod
    def _refresh(conn: sqlite3.Connection, expr: str, entry: _Entry, head: int) -> None:
        """Take the changed rowids out, put back those that match now (idempotent)."""
        changed = changed_since(conn, entry.seq)
        matched = rematch(conn, expr, changed, entry.rows)
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
