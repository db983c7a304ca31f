"""Timelines of closed periods kept between requests, for the Elasticsearch store.

Under steady ingest every refresh (1 s) empties the node's request cache for the month being
written, so each dashboard timeline is aggregated again over the whole month: 30-100 ms of node
CPU for a common term. Almost all of it is for days nobody is writing to. A timeline is split
at a cut (the start of the day two days back): buckets before it come from memory, buckets after
it from the node. A kept part is dropped when posts created before its cut change: writes stamp
`indexed_at` on each post, and deletes, retention and moved times leave a row in a small
changes index; both are read at most once a second, for all requests together.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from duluan.core.query import Interval, SearchQuery, Split
from duluan.storage.base import Bucket
from duluan.storage.buckets import ceil_bucket, floor_bucket

HOT = timedelta(days=2)  # buckets newer than this (rounded to a day) are always aggregated live
MARGIN_S = 30.0  # writes are searchable ~1 s after they happen; clocks may differ a little
TTL_S = 600.0  # a kept part is recomputed after this, whatever the change traces say
POLL_S = 1.0  # change traces are read at most this often
MAX_BUCKETS = 200_000  # kept in all parts together (~300 bytes each with a split)


def cut_for(interval: Interval, now: datetime) -> datetime:
    """Where the kept part ends: a day start two days back, on a bucket boundary."""
    return floor_bucket(now - HOT, interval if interval in ("week", "month") else "day")


class ChangeWatch:
    """When posts created before a given time last changed, read from the writes' traces."""

    def __init__(self, read: Callable[[float], list[tuple[float, float]]]) -> None:
        # read(since_epoch_s) -> [(changed_at_s, min_created_at_s), ...] for traces at or after
        # since (a second-long histogram bucket is read when its start is)
        self._read = read
        self._lock = threading.Lock()
        self._polled = -1e18
        self._marks: list[tuple[float, float]] = []

    def changed_before(self, cut: float, since: float) -> bool:
        """True if posts created before `cut` may have changed at or after `since` (epoch s)."""
        now = time.time()
        with self._lock:
            if now - self._polled >= POLL_S:
                # only the last MARGIN_S (+ a poll) is read again: traces older than that were
                # searchable at the previous read, so a busy node is not re-aggregating 10 minutes
                # of writes every second
                horizon = now - TTL_S - MARGIN_S
                start = max(horizon, self._polled - MARGIN_S - POLL_S)
                # (a second-long bucket marked at its end may be read again in part: keep both)
                kept = [m for m in self._marks if horizon <= m[0] < start + 1]
                self._marks = kept + self._read(start)
                self._polled = now
            marks = self._marks
        low = since - MARGIN_S
        return any(at >= low and created < cut for at, created in marks)

    def expire(self) -> None:
        """Read the traces again on the next question (this process just wrote)."""
        with self._lock:
            self._polled = -1e18


@dataclass
class _Part:
    computed_at: float
    buckets: list[Bucket]


class ColdTimelines:
    """`timeline` = kept whole buckets from the window's start to the cut + live buckets after
    it (and the partial bucket a window may start with); equal to one aggregation over it all."""

    def __init__(
        self,
        live: Callable[[SearchQuery, Interval, Split | None], list[Bucket]],
        watch: ChangeWatch,
        max_entries: int = 512,
    ) -> None:
        self._live = live
        self._watch = watch
        self._max = max_entries
        self._parts: OrderedDict[str, _Part] = OrderedDict()
        self._buckets = 0  # kept in all parts
        self._lock = threading.Lock()
        self.stats = {"hits": 0, "misses": 0, "kept": 0}

    def timeline(self, query: SearchQuery, interval: Interval, split: Split | None) -> list[Bucket]:
        now = datetime.now(UTC)
        cut = cut_for(interval, now)
        start = ceil_bucket(query.since, interval) if query.since is not None else None
        if (
            interval == "minute"  # minute charts cover short, recent windows
            or (query.until is not None and query.until <= cut)
            or (start is not None and start >= cut)
        ):  # nothing to split: the whole window is on one side of the cut
            return self._live(query, interval, split)
        out: list[Bucket] = []
        if query.since is not None and start is not None and query.since < start:
            out += self._live(query.model_copy(update={"until": start}), interval, split)
        out += self._cold(query.model_copy(update={"since": start, "until": cut}), interval, split)
        out += self._live(query.model_copy(update={"since": cut}), interval, split)
        return out

    def _cold(self, part: SearchQuery, interval: Interval, split: Split | None) -> list[Bucket]:
        """The buckets of whole-bucket window `part` (it ends at the cut), kept or computed."""
        key = f"{interval}|{split}|{part.model_dump_json(exclude={'limit', 'sort', 'cursor'})}"
        assert part.until is not None
        cut_s = part.until.timestamp()
        with self._lock:
            kept = self._parts.get(key)
            if kept is not None:
                self._parts.move_to_end(key)
        now = time.time()
        if (
            kept is not None
            and now - kept.computed_at < TTL_S
            and not self._watch.changed_before(cut_s, kept.computed_at)
        ):
            self.stats["hits"] += 1
            return kept.buckets
        self.stats["misses"] += 1
        settled = not self._watch.changed_before(cut_s, now)
        buckets = self._live(part, interval, split)
        if settled:  # no change before the cut is still becoming searchable: keep it
            with self._lock:
                old = self._parts.pop(key, None)
                self._buckets -= len(old.buckets) if old else 0
                self._parts[key] = _Part(now, buckets)
                self._buckets += len(buckets)
                while self._parts and (len(self._parts) > self._max or self._buckets > MAX_BUCKETS):
                    self._buckets -= len(self._parts.popitem(last=False)[1].buckets)
            self.stats["kept"] += 1
        return buckets


def marks_from(posts: dict[str, Any], changes: dict[str, Any]) -> list[tuple[float, float]]:
    """(changed_at, min created_at) pairs from the two trace searches' responses."""
    marks: list[tuple[float, float]] = []
    for b in posts.get("aggregations", {}).get("s", {}).get("buckets", []):
        low = b["m"]["value"]
        if low is not None:  # a second-long bucket: its end is the latest write in it
            marks.append((b["key"] / 1000 + 1, low / 1000))
    for hit in changes.get("hits", {}).get("hits", []):
        s = hit["_source"]
        at = datetime.fromisoformat(s["at"]).timestamp()
        low_s = s.get("min_created")
        marks.append((at, datetime.fromisoformat(low_s).timestamp() if low_s else 0.0))
    return marks
