"""Hourly counts kept beside the posts, so dashboards' timelines never scan a million rows.

A query can be answered from the rollup when it filters only by source, sentiment, language and
at most one topic; anything else (free text, authors, NOT, OR) goes to the posts table.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from duluan.core.query import And, FieldMatch, MatchAll, Node, SearchQuery
from duluan.storage.sqlite.compile import US
from duluan.storage.sqlite.postings import catch_up, changed_since

HOUR = 3600
_COLUMN = {"source": "source", "sentiment": "sentiment", "lang": "language", "topic": "topic"}


@dataclass
class RollupFilter:
    """Allowed values per column (None = any); `topic` None means the per-post row ('')."""

    source: set[str] | None = None
    sentiment: set[str] | None = None
    language: set[str] | None = None
    topic: str | None = None

    def value_clauses(self) -> tuple[list[str], list[str]]:
        """SQL conditions on post_counts for source / sentiment / language, with parameters."""
        clauses: list[str] = []
        params: list[str] = []
        for column, values in (
            ("source", self.source),
            ("sentiment", self.sentiment),
            ("language", self.language),
        ):
            if values is not None:
                clauses.append(f"{column} IN ({','.join('?' * len(values))})")
                params.extend(sorted(values))
        return clauses, params


def _restrict(current: set[str] | None, values: set[str]) -> set[str]:
    return set(values) if current is None else current & values


def rollup_filter(query: SearchQuery) -> RollupFilter | None:
    """The rollup equivalent of the query's filters, or None when it cannot say the same thing."""
    if query.authors:
        return None
    node: Node = query.ast()
    parts: tuple[Node, ...]
    if isinstance(node, MatchAll):
        parts = ()
    elif isinstance(node, FieldMatch):
        parts = (node,)
    elif isinstance(node, And) and all(isinstance(p, FieldMatch) for p in node.parts):
        parts = node.parts
    else:
        return None
    f = RollupFilter()
    topics: set[str] | None = set(query.topics) if query.topics else None
    if query.sources:
        f.source = set(query.sources)
    if query.sentiments:
        f.sentiment = set(query.sentiments)
    if query.languages:
        f.language = set(query.languages)
    for part in parts:
        assert isinstance(part, FieldMatch)
        if part.name not in _COLUMN:
            return None
        if part.name == "topic":
            topics = _restrict(topics, {part.value})
        elif part.name == "source":
            f.source = _restrict(f.source, {part.value})
        elif part.name == "sentiment":
            f.sentiment = _restrict(f.sentiment, {part.value})
        else:
            f.language = _restrict(f.language, {part.value})
    if topics is not None:
        if len(topics) != 1:
            return None if len(topics) > 1 else RollupFilter(source=set(), topic="")
        f.topic = next(iter(topics))
    return f


def floor_hour(ts: float) -> int:
    return int(ts // HOUR) * HOUR


def ceil_hour(ts: float) -> int:
    return -int(-ts // HOUR) * HOUR


Hours = dict[int, list[tuple[Any, int]]]
"""hour start -> [(split value, count)] for one filter."""


@dataclass(frozen=True)
class HoursTable:
    """The same rows as columns, for numpy: one row per (hour, split value)."""

    hours: np.ndarray  # int64 hour starts
    codes: np.ndarray  # index into `values`
    counts: np.ndarray  # int64
    values: list[Any]


def hours_table(hours: Hours) -> HoursTable:
    """`hours` as columns (split values sorted, None last)."""
    values = sorted({v for rows in hours.values() for v, _ in rows}, key=lambda v: (v is None, v))
    code = {v: i for i, v in enumerate(values)}
    size = sum(map(len, hours.values()))
    return HoursTable(
        hours=np.fromiter((h for h, rows in hours.items() for _ in rows), np.int64, size),
        codes=np.fromiter((code[v] for rows in hours.values() for v, _ in rows), np.int64, size),
        counts=np.fromiter((n for rows in hours.values() for _, n in rows), np.int64, size),
        values=values,
    )


@dataclass
class _HoursEntry:
    hours: Hours = field(default_factory=dict)
    seq: int = -1
    lock: threading.Lock = field(default_factory=threading.Lock)
    table: tuple[Hours, HoursTable] | None = None
    """`hours` as columns, with the dict they were built from (a new dict means rebuild)."""


class HourlyCache:
    """Rollup rows per hour for a filter and split column, patched from `post_changes`: a
    timeline of everything, polled by every dashboard, re-reads only the hours the writes since
    the last answer touched (a post's hour is its rowid's; a delete logs the rowid it had)."""

    MAX_ENTRIES = 256

    def __init__(self) -> None:
        self._entries: OrderedDict[tuple[Any, ...], _HoursEntry] = OrderedDict()
        self._lock = threading.Lock()

    def hours(self, conn: sqlite3.Connection, where: str, params: list[Any], column: str) -> Hours:
        """SUM(n) per (hour, column) of post_counts rows matching `where` (do not modify)."""
        return self._current(conn, where, params, column)[1]

    def table(
        self, conn: sqlite3.Connection, where: str, params: list[Any], column: str
    ) -> HoursTable:
        """The same rows as numpy columns, built once per version of the hours (a refresh
        hands out a new dict, never edits one it has handed out)."""
        entry, hours = self._current(conn, where, params, column)
        built = entry.table
        if built is None or built[0] is not hours:
            built = entry.table = (hours, hours_table(hours))
        return built[1]

    def _current(
        self, conn: sqlite3.Connection, where: str, params: list[Any], column: str
    ) -> tuple[_HoursEntry, Hours]:
        key = (where, tuple(params), column)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                entry = self._entries[key] = _HoursEntry()
            self._entries.move_to_end(key)
            while len(self._entries) > self.MAX_ENTRIES:
                self._entries.popitem(last=False)
        seq = entry.seq
        if catch_up(conn, seq)[0] == "hit":  # the common case: no lock (hours, then seq move)
            hours = entry.hours
            if entry.seq == seq:
                return entry, hours
        sql = f"SELECT hour, {column}, SUM(n) FROM post_counts WHERE {where}"
        with entry.lock:
            state, head = catch_up(conn, entry.seq)
            if state == "build":
                entry.hours = _group(conn.execute(f"{sql} GROUP BY hour, 2", params))
            elif state == "refresh":
                seconds = (changed_since(conn, entry.seq) // US).tolist()
                # rowids are created_at in µs, nudged up by a few µs on a collision
                touched = sorted(
                    {floor_hour(s) for s in seconds} | {floor_hour(s - 1) for s in seconds}
                )
                fresh = _group(
                    conn.execute(
                        f"{sql} AND hour IN (SELECT value FROM json_each(?)) GROUP BY hour, 2",
                        [*params, json.dumps(touched)],
                    )
                )
                hours = dict(entry.hours)  # a new dict: callers may still read the old one
                for hour in touched:
                    hours.pop(hour, None)
                hours.update(fresh)
                entry.hours = hours
            entry.seq = head
            return entry, entry.hours


def _group(rows: Any) -> Hours:
    out: Hours = {}
    for hour, value, n in rows:
        out.setdefault(int(hour), []).append((value, int(n)))
    return out
