"""Share of voice: how many posts each of several queries matches, over the same filters."""

from __future__ import annotations

from pydantic import BaseModel, Field

from duluan.core.query import Interval, SearchQuery
from duluan.storage.base import Store


class VoiceBucket(BaseModel):
    start: str = Field(description="bucket start (UTC, ISO 8601)")
    counts: list[int] = Field(description="posts per query, in the order of `q`")


class Voice(BaseModel):
    q: str = Field(description="the query")
    total: int = Field(description="posts it matches (with the shared filters)")
    share: float = Field(description="total / sum of all totals (0 when nothing matches)")


class ShareOfVoiceResponse(BaseModel):
    items: list[Voice] = Field(description="one per `q`, in the order given")
    total: int = Field(description="sum of the totals (a post matching two queries counts twice)")
    interval: Interval | None = Field(None, description="bucket size of `timeline`, if asked")
    timeline: list[VoiceBucket] = Field(
        default_factory=list, description="counts per bucket and query (with `interval`)"
    )


def share_of_voice(
    store: Store, *, base: SearchQuery, queries: list[str], interval: Interval | None
) -> ShareOfVoiceResponse:
    """Count each query within `base`'s filters; optionally a timeline per query."""
    per_query = [base.model_copy(update={"q": q}) for q in queries]
    totals = [store.count(q) for q in per_query]
    grand = sum(totals)
    items = [
        Voice(q=q, total=n, share=round(n / grand, 4) if grand else 0.0)
        for q, n in zip(queries, totals, strict=True)
    ]
    timeline: list[VoiceBucket] = []
    if interval is not None:
        rows: dict[str, list[int]] = {}
        for i, q in enumerate(per_query):
            for bucket in store.timeline(q, interval):
                key = bucket.start.isoformat()
                rows.setdefault(key, [0] * len(queries))[i] = bucket.count
        timeline = [VoiceBucket(start=k, counts=v) for k, v in sorted(rows.items())]
    return ShareOfVoiceResponse(items=items, total=grand, interval=interval, timeline=timeline)
