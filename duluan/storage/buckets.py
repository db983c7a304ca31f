"""UTC calendar buckets (minute, hour, day, Monday weeks, months) in epoch seconds: where both
stores' timelines put a post, computed in numpy."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np

from duluan.core.query import Interval

BUCKET_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


def bucket_starts(seconds: np.ndarray, interval: Interval) -> np.ndarray:
    """Bucket start (epoch seconds) of each time."""
    if interval in BUCKET_SECONDS:
        size = BUCKET_SECONDS[interval]
        out: np.ndarray = seconds // size * size
        return out
    if interval == "week":  # Monday on or before the day; 1970-01-01 was a Thursday
        days = seconds // 86400
        out = (days - (days + 3) % 7) * 86400
        return out
    months = seconds.astype("datetime64[s]").astype("datetime64[M]")
    out = months.astype("datetime64[s]").astype(np.int64)
    return out


def bucket_edges(first: int, last: int, interval: Interval) -> np.ndarray:
    """Starts (epoch seconds) of every bucket from the one holding `first` to the one holding
    `last`, then the end of that last bucket."""
    if interval == "month":
        m0, m1 = np.array([first, last], dtype="datetime64[s]").astype("datetime64[M]")
        out: np.ndarray = np.arange(m0, m1 + 2).astype("datetime64[s]").astype(np.int64)
        return out
    b0, b1 = bucket_starts(np.array([first, last], dtype=np.int64), interval).tolist()
    size = 7 * 86400 if interval == "week" else BUCKET_SECONDS[interval]
    out = np.arange(b0, b1 + 2 * size, size, dtype=np.int64)
    return out


def floor_bucket(t: datetime, interval: Interval) -> datetime:
    """The start of the bucket holding `t`."""
    start = bucket_starts(np.array([math.floor(t.timestamp())], dtype=np.int64), interval)
    return datetime.fromtimestamp(int(start[0]), UTC)


def ceil_bucket(t: datetime, interval: Interval) -> datetime:
    """The first bucket boundary at or after `t`."""
    ts = t.timestamp()
    start, end = bucket_edges(math.floor(ts), math.floor(ts), interval).tolist()
    return t if ts == start else datetime.fromtimestamp(end, UTC)
