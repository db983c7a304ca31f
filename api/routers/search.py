"""Search, dry-run and export: every route takes the same query parameters."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import StreamingResponse

from api.deps import get_store, search_query
from api.schemas import DryRunResponse, Hit, SearchResponse
from api.security import READ, ReadKey, is_admin
from api.services.json_body import JsonBody
from api.services.query_cache import QueryCache, get_query_cache
from duluan.core.export import stream_export
from duluan.core.query import SearchQuery
from duluan.feedback.models import without_private
from duluan.storage.base import Store

router = APIRouter(prefix="/v1", tags=["search"], dependencies=READ)

StoreDep = Annotated[Store, Depends(get_store)]
QueryDep = Annotated[SearchQuery, Depends(search_query)]
CacheDep = Annotated[QueryCache, Depends(get_query_cache)]


@router.get("/search", response_model=SearchResponse, summary="Search posts")
def search(
    store: StoreDep,
    query: QueryDep,
    cache: CacheDep,
    key: ReadKey,
    sort: Annotated[Literal["newest", "oldest", "relevance"], Query()] = "newest",
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    cursor: Annotated[str | None, Query(max_length=500, description="from next_cursor")] = None,
) -> JsonBody:
    """One page of matches with highlighted snippets; follow `next_cursor` for more."""
    q = query.model_copy(update={"sort": sort, "limit": limit, "cursor": cursor})
    admin = is_admin(key)  # contact details of feedback posts: admins only

    def answer() -> bytes:
        page = store.search(q)
        return JsonBody.of(
            SearchResponse(
                total=page.total,
                total_exact=page.total_exact,
                hits=[
                    Hit(
                        post=h.post if admin else without_private(h.post),
                        score=h.score,
                        snippet=h.snippet,
                    )
                    for h in page.hits
                ],
                next_cursor=page.next_cursor,
            )
        )

    try:
        cache_key = f"search|{int(admin)}|" + q.model_dump_json()
        return JsonBody(content=cache.get(store, cache_key, answer))
    except ValueError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from exc


@router.get("/search/dry-run", response_model=DryRunResponse, summary="Count matches and sample")
def dry_run(
    store: StoreDep,
    query: QueryDep,
    key: ReadKey,
    sample: Annotated[int, Query(ge=0, le=20)] = 5,
) -> DryRunResponse:
    """What a query would match, before saving it as an alert or export."""
    total = store.count(query)
    hits = store.search(query.model_copy(update={"limit": max(sample, 1)})).hits[:sample]
    show = (lambda p: p) if is_admin(key) else without_private
    return DryRunResponse(
        total=total, sample=[Hit(post=show(h.post), snippet=h.snippet) for h in hits]
    )


@router.get(
    "/export",
    summary="Stream every match as CSV or JSONL (no row cap)",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "a download",
            "content": {"application/x-ndjson": {}, "text/csv": {}},
        }
    },
)
def export(
    store: StoreDep,
    query: QueryDep,
    key: ReadKey,
    format: Annotated[Literal["csv", "jsonl"], Query()] = "jsonl",
    sort: Annotated[Literal["newest", "oldest"], Query()] = "newest",
    bom: Annotated[
        bool, Query(description="CSV: start with a UTF-8 BOM so Excel shows Vietnamese")
    ] = False,
) -> StreamingResponse:
    """A streamed download; large results never sit in memory."""
    posts = store.iter_posts(query.model_copy(update={"sort": sort}))
    if not is_admin(key):
        posts = map(without_private, posts)
    media = "text/csv; charset=utf-8" if format == "csv" else "application/x-ndjson"
    return StreamingResponse(
        stream_export(posts, format, bom=bom),
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="duluan-export.{format}"'},
    )
