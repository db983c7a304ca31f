"""Trending and fading terms for a query, cached per (query, window, baseline)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field

from duluan.core.inputs import SPACE
from duluan.core.models import SamplePost
from duluan.core.query import SearchQuery
from duluan.storage.base import Store
from duluan.trends.detector import TermCount, Trend, TrendConfig, trends_from_store, window_floor

_WINDOW = re.compile(r"^([0-9]{1,4})(m|h|d)$")
# what parse_window takes, for the API schema (spaces around are stripped)
WINDOW_PATTERN = f"^[{SPACE}]*[0-9]{{1,4}}[mhd][{SPACE}]*$"
_UNIT = {"m": 60, "h": 3600, "d": 86400}


class WindowError(ValueError):
    """A window string that is not like 15m, 1h or 1d (5 minutes to 7 days)."""


def parse_window(text: str) -> timedelta:
    """`15m`, `1h`, `6h`, `1d` → timedelta (5 minutes .. 7 days)."""
    match = _WINDOW.match(text.strip())
    if not match:
        raise WindowError(f"window {text!r} is not like 15m, 1h or 1d")
    seconds = int(match.group(1)) * _UNIT[match.group(2)]
    if not 300 <= seconds <= 7 * 86400:
        raise WindowError(f"window {text!r} must be between 5m and 7d")
    return timedelta(seconds=seconds)


class TrendOut(BaseModel):
    """One moving term and what explains it."""

    term: str = Field(description="the term, entity, `entity + keyword` pair or topic label")
    kind: Literal["term", "pair", "topic"]
    direction: Literal["spike", "drop"]
    score: float = Field(description="z: standard deviations above (+) or below (-) expected")
    count: int = Field(description="posts in the window mentioning it")
    expected: float = Field(description="posts expected from the baseline at this volume")
    co_terms: list[TermCount] = Field(default_factory=list, description="top co-occurring terms")
    top_sources: list[TermCount] = Field(
        default_factory=list, description="where it was seen (for drops: last seen)"
    )
    sample_posts: list[SamplePost] = Field(default_factory=list, description="a few posts")


class TrendsResponse(BaseModel):
    window: str = Field(description="window length, as asked")
    baseline: int = Field(description="windows of history the detector learnt from")
    window_start: datetime
    window_end: datetime
    computed_at: datetime = Field(description="when this answer was computed")
    age_s: float = Field(description="seconds since it was computed (cached answers)")
    trends: list[TrendOut] = Field(description="best first: spikes by z, then drops")


def window_end(until: datetime | None, window: timedelta) -> datetime:
    """End of the last window: `until`, or now rounded down to a tenth of the window (≥1 min)."""
    if until is not None:
        return until if until.tzinfo else until.replace(tzinfo=UTC)
    step = max(timedelta(minutes=1), window / 10)
    return window_floor(datetime.now(UTC), step) + step


def cache_key(query: SearchQuery, window: timedelta, baseline: int, end: datetime) -> str:
    return "|".join(
        (
            query.model_dump_json(exclude={"since", "until"}),
            str(window),
            str(baseline),
            end.isoformat(),
        )
    )


def _out(store: Store, trend: Trend, samples: int) -> TrendOut:
    posts = [store.get(pid) for pid in trend.sample_post_ids[:samples]]
    return TrendOut(
        term=trend.term,
        kind=trend.kind,
        direction=trend.direction,
        score=round(trend.score, 2),
        count=trend.count,
        expected=round(trend.expected, 2),
        co_terms=trend.co_terms,
        top_sources=trend.top_sources,
        sample_posts=[SamplePost.of(p) for p in posts if p is not None],
    )


def compute_trends(
    store: Store,
    *,
    query: SearchQuery,
    window: timedelta,
    window_text: str,
    baseline: int,
    end: datetime,
    max_posts_per_window: int,
    samples: int = 3,
) -> TrendsResponse:
    """Replay `baseline + 1` windows ending at `end` and explain what moved in the last one."""
    trends = trends_from_store(
        store,
        query,
        window=window,
        baseline_windows=baseline,
        now=end,
        config=TrendConfig(max_trends=50),
        max_posts_per_window=max_posts_per_window,
    )
    return TrendsResponse(
        window=window_text,
        baseline=baseline,
        window_start=end - window,
        window_end=end,
        computed_at=datetime.now(UTC),
        age_s=0.0,
        trends=[_out(store, t, samples) for t in trends],
    )
