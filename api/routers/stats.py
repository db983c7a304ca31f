"""Aggregates for dashboards: timeline, sentiment breakdown, top topics/keywords/sources/authors."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import Field

from api.deps import check_query_text, filter_query, get_settings, get_store, search_query
from api.schemas import (
    CountItem,
    EntitiesResponse,
    EntityCount,
    SentimentResponse,
    TimelineResponse,
    TopResponse,
)
from api.security import READ
from api.services.json_body import JsonBody
from api.services.query_cache import QueryCache, get_query_cache
from api.services.share import ShareOfVoiceResponse, share_of_voice
from duluan.core.inputs import NOT_BLANK, NOT_BLANK_CHECK
from duluan.core.models import SENTIMENT_LABELS
from duluan.core.query import SearchQuery
from duluan.core.settings import Settings
from duluan.storage.base import Bucket, Store
from nlp import model_meta, shares

router = APIRouter(prefix="/v1", tags=["stats"], dependencies=READ)
StoreDep = Annotated[Store, Depends(get_store)]
QueryDep = Annotated[SearchQuery, Depends(search_query)]
CacheDep = Annotated[QueryCache, Depends(get_query_cache)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
_PATTERN = {"pattern": NOT_BLANK}


def _corrected_timeline(buckets: list[Bucket], settings: Settings) -> dict[str, Any] | None:
    """Confusion-corrected sentiment shares for the window (with intervals) and per bucket."""
    confusion = model_meta.confusion_for(settings)
    if confusion is None or not buckets:
        return None
    counts = [[b.split.get(label, 0) for label in SENTIMENT_LABELS] for b in buckets]
    total = {label: sum(c[i] for c in counts) for i, label in enumerate(SENTIMENT_LABELS)}
    overall = shares.corrected_share_dict(total, SENTIMENT_LABELS, confusion)
    if overall is None:
        return None
    points = shares.corrected_points(counts, confusion).round(4)
    return {
        "method": shares.METHOD,
        "shares": overall,
        "buckets": [dict(zip(SENTIMENT_LABELS, map(float, row), strict=True)) for row in points],
    }


def _sentiment_timeline(buckets: list[Bucket], settings: Settings) -> dict[str, Any]:
    """The `corrected` and `sampling` parts of a timeline split by sentiment. Per-bucket
    sampling intervals are left to the client (the dashboard computes them for the buckets it
    draws): for an hourly month they doubled the answer and cost ~3 ms a request."""
    total = {label: sum(b.split.get(label, 0) for b in buckets) for label in SENTIMENT_LABELS}
    return {
        "corrected": _corrected_timeline(buckets, settings),
        "sampling": shares.sampling_share_dict(total, SENTIMENT_LABELS),
    }


@router.get("/timeline", response_model=TimelineResponse, summary="Counts per time bucket")
def timeline(
    store: StoreDep,
    query: QueryDep,
    cache: CacheDep,
    settings: SettingsDep,
    interval: Annotated[Literal["minute", "hour", "day", "week", "month"], Query()] = "day",
    split: Annotated[Literal["sentiment", "source", "topic"] | None, Query()] = None,
) -> JsonBody:
    """Volume over time (UTC buckets), optionally split by sentiment, source or topic."""

    def answer() -> bytes:
        # the store's buckets are typed already, and an hourly month is 720 of them: orjson
        # writes TimelineResponse's JSON (byte for byte, a test holds it) ~10x faster than
        # building the models and dumping them
        buckets = store.timeline(query, interval, split)
        extra = (
            _sentiment_timeline(buckets, settings)
            if split == "sentiment"
            else {"corrected": None, "sampling": None}
        )
        return orjson.dumps(
            {"interval": interval, "split": split, "buckets": buckets, **extra},
            option=orjson.OPT_UTC_Z,
        )

    key = f"timeline|{interval}|{split}|{query.model_dump_json()}"
    return JsonBody(content=cache.get(store, key, answer))


@router.get("/sentiment", response_model=SentimentResponse, summary="Sentiment breakdown")
def sentiment(
    store: StoreDep, query: QueryDep, cache: CacheDep, settings: SettingsDep
) -> SentimentResponse:
    """Posts per sentiment label, raw shares, and shares corrected for the model's confusion."""

    def answer() -> tuple[dict[str, int], dict[str, dict[str, float]] | None]:
        found = dict(store.top_values("sentiment", query, limit=10))
        counts: dict[str, int] = {label: found.get(label, 0) for label in SENTIMENT_LABELS}
        confusion = model_meta.confusion_for(settings)
        return counts, shares.corrected_share_dict(counts, SENTIMENT_LABELS, confusion)

    counts, corrected = cache.get(store, "sentiment-c|" + query.model_dump_json(), answer)
    total = sum(counts.values())
    raw = {k: (v / total if total else 0.0) for k, v in counts.items()}
    return SentimentResponse(
        total=total,
        counts=counts,
        shares=raw,
        corrected=corrected,
        method=shares.METHOD if corrected is not None else None,
        sampling=shares.sampling_share_dict(counts, SENTIMENT_LABELS),
    )


@router.get(
    "/share-of-voice", response_model=ShareOfVoiceResponse, summary="Share of voice of queries"
)
def share(
    store: StoreDep,
    filters: Annotated[SearchQuery, Depends(filter_query)],
    q: Annotated[
        list[Annotated[str, Field(max_length=2000, json_schema_extra=_PATTERN), NOT_BLANK_CHECK]],
        Query(min_length=2, max_length=10, description="2 to 10 queries to compare (repeat q)"),
    ],
    interval: Annotated[
        Literal["hour", "day", "week", "month"] | None,
        Query(description="also count per time bucket"),
    ] = None,
) -> ShareOfVoiceResponse:
    """Posts matching each query under the same filters, their shares, optionally over time."""
    for text in q:
        if not text.strip() or len(text) > 2000:
            raise HTTPException(
                status_code=400, detail="each q must be a non-empty query of at most 2000 chars"
            )
        check_query_text(text)
    return share_of_voice(store, base=filters, queries=q, interval=interval)


@router.get("/top/entities", response_model=EntitiesResponse, summary="Most mentioned entities")
def top_entities(
    store: StoreDep,
    query: QueryDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    sample: Annotated[int, Query(ge=100, le=20000, description="read the newest N matches")] = 5000,
) -> EntitiesResponse:
    """People, places and organisations (from the NLP analysis) in the newest matches."""
    items = store.top_entities(query, limit, sample)
    return EntitiesResponse(
        sample=sample, items=[EntityCount(text=t, type=k, count=n) for t, k, n in items]
    )


_FIELD = {"sources": "source", "authors": "author", "languages": "language"}


@router.get(
    "/top/{field}",
    response_model=TopResponse,
    response_model_exclude_none=True,
    summary="Most frequent values",
)
def top(
    field: Literal["topics", "keywords", "sources", "authors", "languages"],
    store: StoreDep,
    query: QueryDep,
    cache: CacheDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    rank: Annotated[
        Literal["distinctive", "count"],
        Query(
            description="keywords only: `distinctive` (log-odds against the background) or"
            " `count` (raw post counts, filler included)"
        ),
    ] = "distinctive",
) -> TopResponse:
    """Top topics, keywords, sources, authors or languages for the query and window."""

    def answer() -> list[tuple[str, int, float | None]]:
        if field == "topics":
            return [(k, n, None) for k, n in store.top_topics(query, limit)]
        if field == "keywords" and rank == "distinctive":
            return [(s.term, s.count, s.score) for s in store.distinctive_keywords(query, limit)]
        if field == "keywords":
            return [(k, n, None) for k, n in store.top_keywords(query, limit)]
        return [(k, n, None) for k, n in store.top_values(_FIELD[field], query, limit)]

    key = f"top|{field}|{limit}|{rank if field == 'keywords' else ''}|{query.model_dump_json()}"
    items = cache.get(store, key, answer)
    return TopResponse(field=field, items=[CountItem(key=k, count=n, score=s) for k, n, s in items])
