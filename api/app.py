"""The FastAPI application: versioned JSON API under /v1 plus the dashboard page."""

from __future__ import annotations

import gc
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from anyio import to_thread
from fastapi import Depends, FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.deps import query_given_once, single_valued_query_params
from api.docs import add_offline_docs
from api.errors import ERRORS, allowed_methods
from api.middleware import LimitAndTime
from api.ratelimit import RateLimiter
from api.routers import (
    alerts,
    briefings,
    config,
    feedback,
    live,
    ops,
    posts,
    search,
    stats,
    trends,
    watchlists,
)
from api.security import mark_optional_auth
from api.services.query_cache import QueryCache
from duluan.container import Container
from duluan.core.cache import StaleWhileRevalidate
from duluan.core.logging import get_logger
from duluan.core.query import QuerySyntaxError
from duluan.core.settings import Settings, get_settings
from duluan.storage.base import QueryRejected, Store, StoreError, StoreRejected
from duluan.trends.service import TrendsResponse

log = get_logger(__name__)
STATIC = Path(__file__).parent / "static"


def create_app(
    settings: Settings | None = None,
    store: Store | None = None,
    *,
    container: Container | None = None,
) -> FastAPI:
    """Build the app over a container (made from settings, with `store` if given, unless given).

    A container made here is closed at shutdown; a given one belongs to the caller.
    """
    if container is None:
        settings = settings or get_settings()
        container = Container(settings, store=store)
        owned = True
    else:
        settings = container.settings
        owned = False

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Sync routes run in a thread pool. Many threads fighting over the GIL (each SQLite
        # call gives it up and waits to get it back) made p95 worse than a short queue does.
        to_thread.current_default_thread_limiter().total_tokens = settings.api_threads
        if settings.api_gil_switch_ms > 0:
            sys.setswitchinterval(settings.api_gil_switch_ms / 1000)
        container.store  # noqa: B018 - open the store now, not on the first request
        container.meta  # noqa: B018 - refuse to start on a metadata schema behind the code
        # Some 170k objects exist once the app is up, and a full garbage-collection pass over
        # them holds the GIL for ~75 ms, stalling every request in flight. They live as long as
        # the app does: frozen, the collector skips them (thawed again on shutdown). No collect
        # first: startup leaves little garbage, and a collect per app made the tests 40 % slower.
        # The OpenAPI schema (~20k objects, read by `query_given_once`) is built before the
        # freeze: built on the first request instead, every full collection walked it.
        single_valued_query_params(app)
        gc.freeze()
        yield
        gc.unfreeze()
        if owned:
            container.close()

    app = FastAPI(
        title="duluan",
        version="0.1.0",
        description="Vietnamese public-opinion monitoring: search, trends and stats over "
        "collected posts and comments.",
        lifespan=lifespan,
        docs_url=None,  # api/docs.py serves /docs and /redoc from vendored files, no CDN
        redoc_url=None,
    )
    app.state.container = container
    app.state.settings = settings
    limiter = RateLimiter(settings.api_rate_limit_per_minute, settings.api_rate_limit_burst)
    app.state.rate_limiter = limiter
    # caches of the API process itself (answers, not data), made once like the container's parts
    app.state.query_cache = QueryCache(settings.api_query_cache_ttl_s)
    app.state.trends_cache = StaleWhileRevalidate[TrendsResponse](
        ttl_s=settings.trends_cache_ttl_s, max_stale_s=settings.trends_cache_ttl_s * 10
    )

    app.add_middleware(LimitAndTime, limiter=limiter, settings=settings)

    @app.exception_handler(StoreError)
    async def store_down(request: Request, exc: StoreError) -> JSONResponse:
        log.error("api.store_error", path=request.url.path, error=str(exc)[:300])
        return JSONResponse(
            status_code=503,
            content={"detail": "the store is unavailable; retry"},
            headers={"Retry-After": "5"},
        )

    @app.exception_handler(StoreRejected)
    async def store_refused(request: Request, exc: StoreRejected) -> JSONResponse:
        log.error("api.store_rejected", path=request.url.path, error=str(exc)[:300])
        return JSONResponse(status_code=502, content={"detail": "the store refused the request"})

    @app.exception_handler(QueryRejected)
    async def query_refused(request: Request, exc: QueryRejected) -> JSONResponse:
        # the backend's own query engine refused what our compiler made of it: the query's fault
        return JSONResponse(
            status_code=400,
            content={"detail": f"invalid query: the full-text engine refused it ({exc})"},
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 405:  # Allow: every method of the path, not one route's
            allow = ", ".join(allowed_methods(app.router.routes, dict(request.scope)))
            headers = {**(exc.headers or {}), "Allow": allow}
            return JSONResponse({"detail": exc.detail}, status_code=405, headers=headers)
        return await http_exception_handler(request, exc)

    default_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = mark_optional_auth(app, default_openapi())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    @app.exception_handler(QuerySyntaxError)
    async def bad_query(request: Request, exc: QuerySyntaxError) -> JSONResponse:
        # raised past the door: a store's budget check or its time limit (QueryTooCostly)
        return JSONResponse(status_code=400, content={"detail": f"invalid query: {exc}"})

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"where": ".".join(str(p) for p in e.get("loc", ())), "problem": e.get("msg", "")}
            for e in exc.errors()
        ]
        first = errors[0] if errors else {"where": "", "problem": "invalid request"}
        return JSONResponse(
            status_code=422,
            content={"detail": f"{first['where']}: {first['problem']}", "errors": errors},
        )

    for router in (
        ops.router,
        config.router,
        search.router,
        posts.router,
        stats.router,
        trends.router,
        live.router,
        alerts.router,
        watchlists.router,
        briefings.router,
        feedback.router,
    ):
        # error bodies documented on every route; one value for a parameter that takes one
        app.include_router(router, responses=ERRORS, dependencies=[Depends(query_given_once)])
    add_offline_docs(app)
    if settings.api_cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.api_cors_origins,
            allow_methods=["GET", "POST", "PATCH", "DELETE", "OPTIONS"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type"],
            expose_headers=["Retry-After"],
            max_age=600,
        )

    @app.get("/", include_in_schema=False)
    def dashboard() -> FileResponse:
        return FileResponse(STATIC / "dashboard.html")

    return app
