"""SQLiteStore timelines: the rollup (post_counts), cached hours, facet intersections, FTS5
counts (SQL or the postings cache) and, when nothing else applies, a scan of the matches."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any

import numpy as np

from duluan.core.query import Interval, SearchQuery, Split
from duluan.storage.base import Bucket
from duluan.storage.buckets import BUCKET_SECONDS, bucket_edges, bucket_starts
from duluan.storage.sqlite.compile import US, Plan
from duluan.storage.sqlite.connection import SQLiteBase, dt
from duluan.storage.sqlite.facets import KIND_OF, fts_any
from duluan.storage.sqlite.postings import count_between
from duluan.storage.sqlite.rollup import (
    RollupFilter,
    ceil_hour,
    floor_hour,
    rollup_filter,
)

# kind -> (table, value column, rowid column), each with an index on (value, rowid)
FACET_INDEX: dict[str, tuple[str, str, str]] = {
    "source": ("posts", "source", "rowid"),
    "sentiment": ("posts", "sentiment", "rowid"),
    "lang": ("posts", "language", "rowid"),
    "topic": ("post_topics", "topic", "post"),
}


_STARTS: dict[int, datetime] = {}
STARTS_LIMIT = 100_000


def bucket_start(b: int) -> datetime:
    """A bucket's start (epoch seconds) as a datetime, shared: the same starts come back in every
    timeline, and building them cost more than the counting around them."""
    found = _STARTS.get(b)
    if found is None:
        if len(_STARTS) >= STARTS_LIMIT:
            _STARTS.clear()
        found = _STARTS[b] = dt(b)
    return found


def accumulate(
    buckets: dict[int, Bucket], rows: Iterable[tuple[Any, Any, Any]], split: Split | None
) -> None:
    """Add (bucket start, split value, count) rows into `buckets`; a value of None (a post not
    analysed) counts as "unknown". One loop, no call per row: every row of every timeline
    passes here."""
    get = buckets.get
    for b, key, n in rows:
        start = int(b)
        bk = get(start)
        if bk is None:
            bk = buckets[start] = Bucket(start=bucket_start(start), count=0)
        if split is None:
            bk.count += int(n)
        else:
            k = "unknown" if key is None else key
            counts = bk.split
            counts[k] = counts.get(k, 0) + int(n)


class TimelinesMixin(SQLiteBase):
    """Counts per time bucket, by the cheapest strategy that can answer the query."""

    @staticmethod
    def _bucket_sql(interval: Interval, seconds: str) -> str:
        if interval in BUCKET_SECONDS:
            size = BUCKET_SECONDS[interval]
            return f"(({seconds}) / {size}) * {size}"
        if interval == "week":
            return (
                f"CAST(strftime('%s', date({seconds}, 'unixepoch', '-6 days', 'weekday 1'))"
                " AS INTEGER)"
            )
        return f"CAST(strftime('%s', date({seconds}, 'unixepoch', 'start of month')) AS INTEGER)"

    def timeline(
        self, query: SearchQuery, interval: Interval = "day", split: Split | None = None
    ) -> list[Bucket]:
        rollup = rollup_filter(query)
        if rollup is not None and interval != "minute" and not (split == "topic" and rollup.topic):
            return self._rollup_timeline(rollup, query, interval, split)
        return self._scan_timeline(query, interval, split)

    def _rollup_timeline(
        self, f: RollupFilter, query: SearchQuery, interval: Interval, split: Split | None
    ) -> list[Bucket]:
        """Whole hours from post_counts; partial hours at the window's edges from posts."""
        lo = ceil_hour(query.since.timestamp()) if query.since else None
        hi = floor_hour(query.until.timestamp()) if query.until else None
        if lo is not None and hi is not None and lo >= hi:
            return self._scan_timeline(query, interval, split)
        clauses, values = f.value_clauses()
        params: list[Any] = list(values)
        if split == "topic":
            clauses.append("topic != ''")
        else:
            clauses.append("topic = ?")
            params.append(f.topic or "")
        col = {"sentiment": "sentiment", "source": "source", "topic": "topic"}.get(
            split or "", "NULL"
        )
        rows: Iterable[tuple[int, Any, int]]
        if self._hourly is not None:
            rows = self._cached_hours(" AND ".join(clauses), params, col, lo, hi, interval)
        else:
            if lo is not None:
                clauses.append("hour >= ?")
                params.append(lo)
            if hi is not None:
                clauses.append("hour < ?")
                params.append(hi)
            bucket = self._bucket_sql(interval, "hour")
            rows = self._r.execute(
                f"SELECT {bucket} AS b, {col}, SUM(n) FROM post_counts"
                f" WHERE {' AND '.join(clauses)} GROUP BY b, 2 HAVING SUM(n) > 0",
                params,
            )
        buckets: dict[int, Bucket] = {}
        accumulate(buckets, rows, split)
        if split == "topic":  # the per-post totals (a post has one or more topics)
            totals_q = query.model_copy(update={"topics": []})
            totals = RollupFilter(f.source, f.sentiment, f.language, None)
            for bk in self._rollup_timeline(totals, totals_q, interval, None):
                key = int(bk.start.timestamp())
                buckets.setdefault(key, Bucket(start=bk.start, count=0)).count = bk.count
        edges = []
        if query.since and lo is not None and query.since.timestamp() < lo:
            edges.append(query.model_copy(update={"until": dt(min(lo, hi) if hi else lo)}))
        if query.until and hi is not None and query.until.timestamp() > hi:
            edges.append(query.model_copy(update={"since": dt(max(hi, lo) if lo else hi)}))
        for edge in edges:
            for bk in self._scan_timeline(edge, interval, split):
                key = int(bk.start.timestamp())
                into = buckets.setdefault(key, Bucket(start=bk.start, count=0))
                into.count += bk.count
                for k, v in bk.split.items():
                    into.split[k] = into.split.get(k, 0) + v
        if split not in (None, "topic"):
            for bk in buckets.values():
                bk.count = sum(bk.split.values())
        return [buckets[k] for k in sorted(buckets) if buckets[k].count or buckets[k].split]

    def _cached_hours(
        self,
        where: str,
        params: list[Any],
        column: str,
        lo: int | None,
        hi: int | None,
        interval: Interval,
    ) -> list[tuple[int, Any, int]]:
        """The rollup query's (bucket, value, count) rows from the hourly cache, summed with
        numpy over its columns (a year of hours is ~26k rows per timeline)."""
        assert self._hourly is not None
        table = self._hourly.table(self._r, where, params, column)
        keep = np.ones(len(table.hours), dtype=bool)
        if lo is not None:
            keep &= table.hours >= lo
        if hi is not None:
            keep &= table.hours < hi
        hours = table.hours[keep]
        if not len(hours):
            return []
        starts, bucket = np.unique(bucket_starts(hours, interval), return_inverse=True)
        width = len(table.values)
        sums = np.bincount(
            bucket * width + table.codes[keep],
            weights=table.counts[keep],
            minlength=len(starts) * width,
        )
        found = np.flatnonzero(sums > 0)
        values = table.values
        return [
            (b, values[c], n)
            for b, c, n in zip(
                starts[found // width].tolist(),
                (found % width).tolist(),
                sums[found].astype(np.int64).tolist(),
                strict=True,
            )
        ]

    # A split or breakdown of a text query runs one FTS5 pass per value (see sqlite_facets);
    # past this many values one pass reading each match's row from `posts` is cheaper.
    MAX_FACET_PASSES = 12
    # Up to this many fixed-size buckets a pass counts each bucket's rowid range on its own;
    # past it one GROUP BY, which sorts every match (slower per match, no per-bucket start-up).
    MAX_RANGE_BUCKETS = 100

    def _facet_values(self, plan: Plan, kind: str) -> tuple[list[str], bool] | None:
        """Values of a facet among posts in the plan's time range, and whether some there have
        none (NULL): index seeks only. None when there are too many values for one pass each."""
        table, col, key = FACET_INDEX[kind]
        where, rng = "", []
        if plan.lo is not None:
            where += f" AND {key} >= ?"
            rng.append(plan.lo)
        if plan.hi is not None:
            where += f" AND {key} < ?"
            rng.append(plan.hi)
        conn = self._r
        if kind != "topic" and kind in plan.facets:  # the query allows only these
            candidates = sorted(plan.facets[kind])
        else:
            candidates = []
            nxt = f"SELECT {col} FROM {table} WHERE {col} > ? ORDER BY {col} LIMIT 1"
            row = conn.execute(nxt, [""]).fetchone()
            if conn.execute(f"SELECT 1 FROM {table} WHERE {col} = '' LIMIT 1").fetchone():
                candidates.append("")
            while row is not None:
                candidates.append(str(row[0]))
                if len(candidates) > 4 * self.MAX_FACET_PASSES:
                    return None
                row = conn.execute(nxt, [row[0]]).fetchone()
        present = f"SELECT 1 FROM {table} WHERE {col} = ?{where} LIMIT 1"
        values = [v for v in candidates if conn.execute(present, [v, *rng]).fetchone()]
        if len(values) > self.MAX_FACET_PASSES:
            return None
        nulls = False
        if kind in ("sentiment", "lang") and kind not in plan.facets:
            nulls = bool(
                conn.execute(
                    f"SELECT 1 FROM {table} WHERE {col} IS NULL{where} LIMIT 1", rng
                ).fetchone()
            )
        return values, nulls

    def _buckets(self, plan: Plan, interval: Interval) -> range | None:
        """Fixed-size bucket starts (µs) covering the plan's rowid range, when few enough to
        count one by one; None otherwise (week, month, or many buckets)."""
        if interval not in BUCKET_SECONDS:
            return None
        lo, hi = plan.lo, plan.hi
        if lo is None or hi is None:
            # two queries: each is one b-tree descent, MIN and MAX together scan the table
            first = self._r.execute("SELECT MIN(rowid) FROM posts").fetchone()[0]
            last = self._r.execute("SELECT MAX(rowid) FROM posts").fetchone()[0]
            if first is None or last is None:
                return None
            lo = int(first) if lo is None else lo
            hi = int(last) + 1 if hi is None else hi
        step = BUCKET_SECONDS[interval] * US
        start = lo // step * step
        if hi <= start or (hi - start) // step > self.MAX_RANGE_BUCKETS:
            return None
        return range(start, hi, step)

    def _fts_counts(
        self,
        plan: Plan,
        expr: str,
        interval: Interval | None,
        starts: range | None,
        facet: str | None = None,
    ) -> list[tuple[int, int]]:
        """Matches of an FTS5 expression (and `facet`, if given) in the plan's rowid range per
        bucket start (seconds), or all of them under bucket 0 when `interval` is None."""
        if self._postings is not None:
            got = self._cached_counts(plan, expr, interval, facet)
            if got is not None:
                return got
            counts = self._fts_counts_sql(plan, expr, interval, starts, facet)
            total = sum(n for _, n in counts)  # a lower bound for each part's matches
            for part in (expr, facet):
                if part is not None:
                    self._postings.note(part, total)
            return counts
        return self._fts_counts_sql(plan, expr, interval, starts, facet)

    def _fts_counts_sql(
        self,
        plan: Plan,
        expr: str,
        interval: Interval | None,
        starts: range | None,
        facet: str | None,
    ) -> list[tuple[int, int]]:
        if facet is not None:
            expr = f"({expr}) AND ({facet})"
        src, params = replace(plan, fts=expr, where="1", params=[]).source_sql()
        if interval is None:
            return [(0, int(self._r.execute(f"SELECT COUNT(*) {src}", params).fetchone()[0]))]
        # One row back per statement (a JSON array): a thread steps SQLite once and takes the
        # GIL back once, not once per bucket, which matters with many API threads.
        if starts is not None:
            lo = plan.lo if plan.lo is not None else starts.start
            hi = plan.hi if plan.hi is not None else starts.stop
            step = starts.step
            sql = (
                "WITH RECURSIVE b(x) AS (SELECT ? UNION ALL SELECT x + ? FROM b WHERE x + ? < ?)"
                f" SELECT json_group_array(json_array(x / {US},"
                " (SELECT COUNT(*) FROM posts_fts WHERE posts_fts MATCH ?"
                " AND rowid >= max(x, ?) AND rowid < min(x + ?, ?)))) FROM b"
            )
            args = [starts.start, step, step, starts.stop, expr, lo, step, hi]
        else:
            bucket = self._bucket_sql(interval, f"(f.rowid / {US})")
            sql = (
                "SELECT json_group_array(json_array(b, n)) FROM"
                f" (SELECT {bucket} AS b, COUNT(*) AS n {src} GROUP BY b)"
            )
            args = params
        rows = json.loads(self._r.execute(sql, args).fetchone()[0])
        return [(int(b), int(n)) for b, n in rows if n]

    def _cached_counts(
        self, plan: Plan, expr: str, interval: Interval | None, facet: str | None
    ) -> list[tuple[int, int]] | None:
        """`_fts_counts` from the postings cache: binary searches on sorted rowid arrays.
        None when the cache declines (an expression's first request)."""
        assert self._postings is not None
        if facet is None:
            rows = self._postings.rows(self._r, expr)
        else:
            rows = self._postings.rows_and(self._r, expr, facet)
        if rows is None:
            return None
        if interval is None:
            return [(0, count_between(rows, plan.lo, plan.hi))]
        lo = int(np.searchsorted(rows, plan.lo)) if plan.lo is not None else 0
        hi = int(np.searchsorted(rows, plan.hi)) if plan.hi is not None else len(rows)
        if hi <= lo:
            return []
        rows = rows[lo:hi]
        edges = bucket_edges(int(rows[0]) // US, int(rows[-1]) // US, interval)
        sizes = np.diff(np.searchsorted(rows, edges * US))  # rows are sorted: one search a bucket
        full = sizes > 0
        return list(zip(edges[:-1][full].tolist(), sizes[full].tolist(), strict=True))

    def _facet_split(
        self, plan: Plan, kind: str, interval: Interval | None, totals: bool
    ) -> tuple[dict[tuple[int, str], int], dict[int, int] | None] | None:
        """Matches per (bucket, value) by facet intersections; with `totals`, also matches per
        bucket where some may lack the facet (topics; no sentiment). None: not this way."""
        if plan.fts is None or plan.needs_posts:
            return None
        found = self._facet_values(plan, kind)
        if found is None:
            return None
        values, nulls = found
        starts = self._buckets(plan, interval) if interval is not None else None
        counts: dict[tuple[int, str], int] = {}
        for v in values:
            for b, n in self._fts_counts(plan, plan.fts, interval, starts, fts_any(kind, {v})):
                if n:
                    counts[(b, v)] = n
        per_bucket = None
        if totals and (kind == "topic" or nulls):
            per_bucket = dict(self._fts_counts(plan, plan.fts, interval, starts))
        return counts, per_bucket

    def _facet_timeline(self, plan: Plan, interval: Interval, split: Split) -> list[Bucket] | None:
        """A text query's timeline split by sentiment, source or topic, from FTS5 alone."""
        got = self._facet_split(plan, KIND_OF[split], interval, totals=True)
        if got is None:
            return None
        counts, totals = got
        buckets: dict[int, Bucket] = {}
        accumulate(buckets, ((b, v, n) for (b, v), n in counts.items()), split)
        if split == "topic":
            for b, bk in buckets.items():
                bk.count = (totals or {}).get(b, 0)
        else:
            for b, n in (totals or {}).items():
                known = sum(got_b.split.values()) if (got_b := buckets.get(b)) else 0
                if n > known:  # matches with no sentiment (not analysed): "unknown"
                    accumulate(buckets, [(b, None, n - known)], split)
            for bk in buckets.values():
                bk.count = sum(bk.split.values())
        return [buckets[k] for k in sorted(buckets)]

    def _scan_timeline(
        self, query: SearchQuery, interval: Interval, split: Split | None
    ) -> list[Bucket]:
        plan = self._plan(query)
        if split is not None:
            faceted = self._facet_timeline(plan, interval, split)
            if faceted is not None:
                return faceted
        elif expr := self._cacheable(plan):
            return [
                Bucket(start=bucket_start(b), count=n)
                for b, n in self._fts_counts(plan, expr, interval, None)
            ]
        seconds = f"({plan.key}.rowid / {US})"
        bucket = self._bucket_sql(interval, seconds)
        src, params = plan.source_sql(with_posts=split in ("sentiment", "source"))
        if split is None or split == "topic":
            totals_sql = f"SELECT {bucket} AS b, NULL, COUNT(*) {src} GROUP BY b"
        if split is None:
            sql = totals_sql
        elif split == "topic":
            sql = (
                f"SELECT {bucket} AS b, t.topic, COUNT(*) {src.replace(' WHERE ', ' JOIN post_topics t ON t.post = ' + plan.key + '.rowid WHERE ', 1)}"
                " GROUP BY b, t.topic"
            )
        else:
            col = "p.sentiment" if split == "sentiment" else "p.source"
            sql = f"SELECT {bucket} AS b, {col}, COUNT(*) {src} GROUP BY b, {col}"
        buckets: dict[int, Bucket] = {}
        accumulate(buckets, self._r.execute(sql, params), split)
        if split == "topic":
            totals = {int(b): int(n) for b, _, n in self._r.execute(totals_sql, params)}
            for b, bk in buckets.items():
                bk.count = totals.get(b, 0)
        elif split is not None:
            for bk in buckets.values():
                bk.count = sum(bk.split.values())
        return [buckets[k] for k in sorted(buckets)]
