"""The live feed: Server-Sent Events of new posts matching a query."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from api.deps import get_settings, get_store, search_query
from api.security import READ, ReadKey, is_admin
from api.services.live import poll, sse, start_cursor
from duluan.core.query import SearchQuery
from duluan.core.settings import Settings
from duluan.feedback.models import without_private
from duluan.storage.base import Store

router = APIRouter(prefix="/v1", tags=["live"], dependencies=READ)
StoreDep = Annotated[Store, Depends(get_store)]
QueryDep = Annotated[SearchQuery, Depends(search_query)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


@router.get(
    "/live",
    summary="Live feed of new matching posts (Server-Sent Events)",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "an event stream"}},
)
async def live(
    request: Request,
    store: StoreDep,
    query: QueryDep,
    settings: SettingsDep,
    key: ReadKey,
    backfill: Annotated[int, Query(ge=0, le=50, description="send the newest N first")] = 0,
    lookback: Annotated[
        int, Query(ge=10, le=86400, description="seconds: how late a post may be indexed")
    ] = 900,
    max_events: Annotated[
        int | None, Query(ge=1, le=10000, description="close after this many posts")
    ] = None,
    max_seconds: Annotated[
        float | None, Query(gt=0, le=86400, description="close after this long")
    ] = None,
) -> StreamingResponse:
    """`event: post` with the Post JSON for every new match (polled about every second),
    `: heartbeat` comments in between; it stops when the client goes away."""
    cursor, first = await run_in_threadpool(
        start_cursor, store, query=query, lookback=timedelta(seconds=lookback), backfill=backfill
    )

    admin = is_admin(key)

    async def events() -> AsyncIterator[str]:
        started = last_beat = time.monotonic()
        sent = 0
        yield "retry: 3000\n: connected\n\n"
        pending = first
        while True:
            for post in pending:
                shown = post if admin else without_private(post)  # contact: admins only
                yield sse("post", shown.model_dump_json(), post.id)
                sent += 1
                if max_events is not None and sent >= max_events:
                    return
            now = time.monotonic()
            if max_seconds is not None and now - started >= max_seconds:
                return
            if now - last_beat >= settings.api_live_heartbeat_s:
                last_beat = now
                yield ": heartbeat\n\n"
            await asyncio.sleep(settings.api_live_poll_s)
            if await request.is_disconnected():
                return
            pending = await run_in_threadpool(poll, store, cursor, query=query)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
