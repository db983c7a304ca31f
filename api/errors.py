"""The error bodies every route can answer with, for the OpenAPI schema (one shared dict)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ErrorBody(BaseModel):
    """Every 4xx/5xx: `detail` says what is wrong in one line."""

    detail: str = Field(description="what is wrong, in one line")


class Problem(BaseModel):
    where: str = Field(description="the parameter or body field, dotted")
    problem: str = Field(description="what is wrong with it")


class ValidationErrorBody(ErrorBody):
    """A 422: the first problem in `detail`, every problem in `errors`."""

    errors: list[Problem] = Field(description="every problem found")


def _error(description: str, model: type[BaseModel] = ErrorBody) -> dict[str, Any]:
    return {"model": model, "description": description}


ERRORS: dict[int | str, dict[str, Any]] = {
    400: _error(
        "bad input the schema cannot state (detail says which): the query language's grammar "
        "or budget, `since` not before `until`, a cursor not from `next_cursor`, a trends "
        "window outside 5m..7d, a briefing period or time zone, a webhook host that does not "
        "resolve to public addresses"
    ),
    401: _error("no API key where one is needed, or a key that is wrong or revoked"),
    403: _error("the key's scope does not allow this"),
    404: _error("no such resource"),
    409: _error("a conflict with what exists (a name or link taken)"),
    413: _error("the body is too large"),
    422: _error(
        "the body or parameters do not match the schema (types are strict, unknown body keys "
        "refused, a parameter that takes one value given once); also a query in a body that "
        "does not parse, and a watchlist's `since` not before its `until`",
        ValidationErrorBody,
    ),
    429: _error("rate limit exceeded; see Retry-After"),
    431: _error("too many or too large request headers"),
    503: _error("the store is unavailable; retry"),
}


def allowed_methods(routes: list[Any], scope: dict[str, Any]) -> list[str]:
    """Every method some route serves at this path: a 405's `Allow` (Starlette lists only the
    first route that matched the path, and FastAPI makes one route per method)."""
    from starlette.routing import Match

    methods: set[str] = set()
    for route in routes:
        match, _ = route.matches({**scope, "method": "GET"})
        served = getattr(route, "methods", None)
        if match != Match.NONE and served:
            probe = {**scope, "method": next(iter(served))}
            if route.matches(probe)[0] == Match.FULL:
                methods |= set(served)
    return sorted(methods)
