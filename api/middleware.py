"""Rate limiting and request timing for every request, as one plain ASGI middleware.

Starlette's `@app.middleware("http")` wraps each response in memory streams and tasks; two of
them cost about as much as computing a search from the caches, so this layer speaks ASGI.
"""

from __future__ import annotations

import time

from fastapi import Request
from fastapi.responses import JSONResponse
from prometheus_client import Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.ratelimit import RateLimiter, client_address, retry_after
from api.security import get_keys, presented_key
from duluan.core.deadline import store_time_limit
from duluan.core.settings import Settings

REQUEST_SECONDS = Histogram(
    "duluan_http_request_seconds",
    "API request latency (until the response starts)",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2, 5),
)

UNLIMITED = frozenset({"/healthz", "/readyz", "/metrics"})


def _client(request: Request, settings: Settings) -> str:
    """Rate-limit identity: the verified API key, else the client address."""
    if presented_key(request):
        try:
            key = get_keys(request).verify(presented_key(request) or "")
        except Exception:  # the key table is unreadable: fall back to the address
            key = None
        if key is not None:
            return f"key:{key.id}"
    address = client_address(
        request.scope, trust_proxy=settings.api_trust_proxy, proxies=settings.api_trusted_proxies
    )
    return f"ip:{address}"


def _oversized_headers(scope: Scope, settings: Settings) -> str | None:
    """Why the request's headers are refused (too many, too large), or None."""
    headers = scope.get("headers", [])
    if len(headers) > settings.api_header_max_count:
        return f"more than {settings.api_header_max_count} request headers (api_header_max_count)"
    size = sum(len(k) + len(v) + 4 for k, v in headers)
    if size > settings.api_header_max_bytes:
        return (
            f"request headers are larger than {settings.api_header_max_bytes} bytes "
            "(api_header_max_bytes)"
        )
    return None


class LimitAndTime:
    """429 past the client's rate limit; every response's latency (to its first byte, so a
    live feed counts once) in `duluan_http_request_seconds` by route template."""

    def __init__(self, app: ASGIApp, limiter: RateLimiter, settings: Settings) -> None:
        self.app = app
        self.limiter = limiter
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        method = scope["method"]

        async def timed(message: Message) -> None:
            if message["type"] == "http.response.start":
                route = getattr(scope.get("route"), "path", "unmatched")
                REQUEST_SECONDS.labels(method, route, str(message["status"])).observe(
                    time.perf_counter() - started
                )
            await send(message)

        if (why := _oversized_headers(scope, self.settings)) is not None:
            await JSONResponse(status_code=431, content={"detail": why})(scope, receive, timed)
            return
        if self.limiter.enabled and scope["path"] not in UNLIMITED and method != "OPTIONS":
            wait = self.limiter.take(_client(Request(scope), self.settings))
            if wait > 0:
                per_min = self.settings.api_rate_limit_per_minute
                refusal = JSONResponse(
                    status_code=429,
                    content={
                        "detail": f"rate limit exceeded ({per_min:g} requests per minute, "
                        f"bursts of {self.settings.api_rate_limit_burst}); retry in "
                        f"{retry_after(wait)} s"
                    },
                    headers={"Retry-After": retry_after(wait)},
                )
                await refusal(scope, receive, timed)
                return
        with store_time_limit(self.settings.store_query_timeout_ms):  # this request's reads
            await self.app(scope, receive, timed)
