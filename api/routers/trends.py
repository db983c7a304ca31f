"""What is rising or falling now, with the drivers that explain it."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request

from api.deps import get_settings, get_store, search_query
from api.security import READ
from duluan.core.cache import StaleWhileRevalidate
from duluan.core.query import SearchQuery
from duluan.core.settings import Settings
from duluan.storage.base import Store
from duluan.trends.service import (
    WINDOW_PATTERN,
    TrendsResponse,
    WindowError,
    cache_key,
    compute_trends,
    parse_window,
    window_end,
)

router = APIRouter(prefix="/v1", tags=["trends"], dependencies=READ)
StoreDep = Annotated[Store, Depends(get_store)]
QueryDep = Annotated[SearchQuery, Depends(search_query)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


async def get_trends_cache(request: Request) -> StaleWhileRevalidate[TrendsResponse]:
    cache: StaleWhileRevalidate[TrendsResponse] = request.app.state.trends_cache
    return cache


CacheDep = Annotated[StaleWhileRevalidate[TrendsResponse], Depends(get_trends_cache)]


@router.get("/trends", response_model=TrendsResponse, summary="Trending and fading terms")
def trends(
    store: StoreDep,
    query: QueryDep,
    settings: SettingsDep,
    cache: CacheDep,
    window: Annotated[
        str,
        Query(
            max_length=8,
            description="window length: 15m, 1h, 6h, 1d (5m to 7d)",
            json_schema_extra={"pattern": WINDOW_PATTERN},  # checked by parse_window: a 400
        ),
    ] = "1h",
    baseline: Annotated[int, Query(ge=1, le=168, description="windows of history")] = 24,
    direction: Annotated[Literal["spike", "drop"] | None, Query(description="only these")] = None,
    kind: Annotated[
        Literal["term", "pair", "topic"] | None, Query(description="only this kind")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
) -> TrendsResponse:
    """Terms, entity+keyword pairs and topics whose share of the matching posts in the last
    window moved against the baseline windows (z-score), with their drivers. `until` sets the
    end of the last window (default now); `since` is ignored. Answers are cached for
    `trends_cache_ttl_s` per query and window."""
    try:
        span = parse_window(window)
    except WindowError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from exc
    end = window_end(query.until, span)
    key = cache_key(query, span, baseline, end)
    answer, age = cache.get(
        key,
        lambda: compute_trends(
            store,
            query=query,
            window=span,
            window_text=window,
            baseline=baseline,
            end=end,
            max_posts_per_window=settings.trends_max_posts_per_window,
        ),
    )
    chosen = [
        t
        for t in answer.trends
        if (direction is None or t.direction == direction) and (kind is None or t.kind == kind)
    ]
    return answer.model_copy(update={"trends": chosen[:limit], "age_s": round(age, 2)})
