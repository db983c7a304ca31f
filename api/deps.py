"""Request-scoped helpers: the Store, and query parameters parsed into a SearchQuery.

Dependencies that do no I/O are `async def`: FastAPI runs a plain `def` dependency on the
request thread pool, and six such hops per request queued behind other requests' store calls
(`api_threads` is small on purpose), which was most of a search's latency under load.
"""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError, WithJsonSchema
from starlette.concurrency import run_in_threadpool

from duluan.alerts.delivery import DeliveryConfig
from duluan.alerts.repository import AlertRepository
from duluan.container import Container
from duluan.core.inputs import IsoDateTime
from duluan.core.models import SENTIMENT_LABELS
from duluan.core.query import QuerySyntaxError, SearchQuery, check_budget, parse_query
from duluan.core.settings import Settings
from duluan.storage.base import Store
from duluan.watchlists.service import WatchlistNotFound, resolve_query


async def get_container(request: Request) -> Container:
    """The process's composition root (duluan.container), built once by create_app."""
    container: Container = request.app.state.container
    return container


async def get_store(request: Request) -> Store:
    return (await get_container(request)).store


# the schema lists the labels; another value is still a 400 that names them (not pydantic's 422)
SentimentParam = Annotated[str, WithJsonSchema({"type": "string", "enum": list(SENTIMENT_LABELS)})]
_NAIVE = "; without an offset it is read in the `timezone` setting's zone"


async def filter_query(
    source: Annotated[list[str] | None, Query(description="only these sources")] = None,
    author: Annotated[list[str] | None, Query(description="only these authors")] = None,
    topic: Annotated[list[str] | None, Query(description="only these topics")] = None,
    sentiment: Annotated[
        list[SentimentParam] | None, Query(description="positive, neutral, negative")
    ] = None,
    lang: Annotated[list[str] | None, Query(description="language codes, e.g. vi")] = None,
    since: Annotated[
        IsoDateTime | None, Query(description="created_at >= since (ISO 8601)" + _NAIVE)
    ] = None,
    until: Annotated[
        IsoDateTime | None, Query(description="created_at < until (ISO 8601)" + _NAIVE)
    ] = None,
) -> SearchQuery:
    """The structured filters every read endpoint shares; bad input is a 400 that says why."""
    bad = [s for s in sentiment or [] if s not in SENTIMENT_LABELS]
    if bad:
        raise HTTPException(
            status_code=400,
            detail=f"unknown sentiment {bad[0]!r}: use " + ", ".join(SENTIMENT_LABELS),
        )
    try:  # naive date-times are read in the `timezone` setting's zone, then made UTC
        query = SearchQuery(
            sources=source or [],
            authors=author or [],
            topics=topic or [],
            sentiments=sentiment or [],
            languages=lang or [],
            since=since,
            until=until,
        )
    except ValidationError as exc:
        raise HTTPException(
            status_code=400, detail=f"invalid parameters: {exc.errors()[0]['msg']}"
        ) from exc
    if query.since and query.until and query.since >= query.until:
        raise HTTPException(status_code=400, detail="`since` must be before `until`")
    return query


def check_query_text(q: str | None) -> str | None:
    """The query text if it parses within the query budget, else a 400 saying what is wrong
    (checked on the event loop: an over-budget query never takes a thread or the store)."""
    try:
        check_budget(parse_query(q))
    except QuerySyntaxError as exc:
        raise HTTPException(status_code=400, detail=f"invalid query: {exc}") from exc
    return q


async def search_query(
    request: Request,
    filters: Annotated[SearchQuery, Depends(filter_query)],
    q: Annotated[
        str | None,
        Query(
            description='query language, e.g. `xăng AND (tăng OR "lên giá") -source:voz`; '
            "bounded by the `query_*` settings (length, nesting, terms, wildcards)",
        ),
    ] = None,
    watchlist: Annotated[
        str | None,
        Query(description="watchlist id or name: its query ANDed with q, time spans intersected"),
    ] = None,
) -> SearchQuery:
    """Query text plus the shared filters: the SearchQuery every read endpoint takes."""
    q = check_query_text(q)
    if not watchlist:
        return filters.model_copy(update={"q": q})
    try:  # a watchlist is read from the database: on the thread pool
        return await run_in_threadpool(
            resolve_query,
            request.app.state.container.watchlists,
            q=q,
            watchlist=watchlist,
            since=filters.since,
            until=filters.until,
            sources=filters.sources,
            authors=filters.authors,
            topics=filters.topics,
            sentiments=filters.sentiments,
            languages=filters.languages,
        )
    except WatchlistNotFound as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc


def single_valued_query_params(app: Any) -> dict[tuple[str, str], frozenset[str]]:
    """Per (path, method): the query parameters the OpenAPI schema gives one value (no array)."""
    cached: dict[tuple[str, str], frozenset[str]] | None = getattr(
        app.state, "single_valued_query", None
    )
    if cached is None:
        cached = {
            (path, method.upper()): frozenset(
                p["name"]
                for p in op.get("parameters", [])
                if p.get("in") == "query" and not _is_array(p.get("schema", {}))
            )
            for path, ops in app.openapi().get("paths", {}).items()
            for method, op in ops.items()
        }
        app.state.single_valued_query = cached
    return cached


def _is_array(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "array" or any(_is_array(s) for s in schema.get("anyOf", []))


async def query_given_once(request: Request) -> None:
    """A 422 for a query parameter sent twice that takes one value (`?cursor=a&cursor=b` would
    quietly use the last): what the OpenAPI schema says a parameter takes, it takes."""
    route = request.scope.get("route")
    path = getattr(route, "path_format", None)
    if path is None or not request.query_params:
        return
    method = "GET" if request.method == "HEAD" else request.method
    single = single_valued_query_params(request.app).get((path, method), frozenset())
    counts = Counter(name for name, _ in request.query_params.multi_items() if name in single)
    repeated = [name for name, n in counts.items() if n > 1]
    if repeated:
        raise RequestValidationError(
            [
                {
                    "loc": ("query", repeated[0]),
                    "msg": "given more than once: it takes one value",
                    "type": "value_error",
                }
            ]
        )


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_settings(request: Request) -> Settings:
    return settings_of(request)


def get_alert_repo(request: Request) -> AlertRepository:
    """Alert tables in the metadata database (opened on first use: on the thread pool)."""
    return request.app.state.container.alerts


async def get_delivery_config(request: Request) -> DeliveryConfig:
    return (await get_container(request)).delivery_config


def public_url(settings: Settings) -> str:
    """Base URL for links in alerts: `api_public_url`, else the bound host and port."""
    return (settings.api_public_url or f"http://{settings.api_host}:{settings.api_port}").rstrip(
        "/"
    )
