"""The FastAPI application: versioned JSON API under /v1 plus the dashboard page."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from prometheus_client import Histogram

from api.routers import ops, posts, search, stats
from core.logging import get_logger
from core.settings import Settings, get_settings
from storage.base import Store, StoreError

log = get_logger(__name__)
STATIC = Path(__file__).parent / "static"
REQUEST_SECONDS = Histogram(
    "duluan_http_request_seconds",
    "API request latency",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2, 5),
)


def create_app(settings: Settings | None = None, store: Store | None = None) -> FastAPI:
    """Build the app over a Store (opened from settings unless given)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = store is None
        if owned:
            from storage.factory import make_store

            app.state.store = make_store(settings)
        yield
        if owned:
            app.state.store.close()

    app = FastAPI(
        title="duluan",
        version="0.1.0",
        description="Vietnamese public-opinion monitoring: search, trends and stats over "
        "collected posts and comments.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    if store is not None:
        app.state.store = store

    @app.middleware("http")
    async def timing(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        REQUEST_SECONDS.labels(request.method, path, str(response.status_code)).observe(
            time.perf_counter() - started
        )
        return response

    @app.exception_handler(StoreError)
    async def store_down(request: Request, exc: StoreError) -> JSONResponse:
        log.error("api.store_error", path=request.url.path, error=str(exc)[:300])
        return JSONResponse(status_code=503, content={"detail": "the store is unavailable; retry"})

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

    for router in (ops.router, search.router, posts.router, stats.router):
        app.include_router(router)

    @app.get("/", include_in_schema=False)
    def dashboard() -> FileResponse:
        return FileResponse(STATIC / "dashboard.html")

    return app
