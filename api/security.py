"""Who is calling: API keys (`read` / `admin` scopes) as FastAPI dependencies.

Send a key as `Authorization: Bearer dlk_...` or `X-API-Key: dlk_...`. Writes and admin
endpoints need an `admin` key; reads are open unless `api_require_key_for_reads` is set. A key
that is sent but wrong is always a 401, even on open endpoints, so a typo never goes unnoticed.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from duluan.apikeys.repository import ApiKey, ApiKeyRepository
from duluan.core.settings import Settings

_bearer = HTTPBearer(auto_error=False, description="an API key: `Bearer dlk_...`")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="an API key `dlk_...`")
_UNSET = object()
CREATE_HINT = "create one with `duluan apikey create --scope admin`"


def get_keys(request: Request) -> ApiKeyRepository:
    """The container's key repository (opened on first use)."""
    keys: ApiKeyRepository = request.app.state.container.keys
    return keys


def presented_key(request: Request) -> str | None:
    """The key in the request's headers; None only when none is sent. A header sent empty
    (`X-API-Key:`, `Bearer `) is "" and fails verification (401), never "no key"."""
    auth = request.headers.get("authorization", "")
    if auth[:6].lower() == "bearer":
        return auth[6:].strip()
    return request.headers.get("x-api-key")


def identify(request: Request) -> ApiKey | None:
    """The verified key (cached on the request); 401 if a key is sent but is not valid."""
    cached = getattr(request.state, "api_key", _UNSET)
    if cached is not _UNSET:
        if cached is False:
            raise HTTPException(401, "invalid or revoked API key", {"WWW-Authenticate": "Bearer"})
        return cached if isinstance(cached, ApiKey) else None
    plain = presented_key(request)
    key = get_keys(request).verify(plain) if plain else None
    request.state.api_key = key if (key or plain is None) else False
    if plain is not None and key is None:
        raise HTTPException(401, "invalid or revoked API key", {"WWW-Authenticate": "Bearer"})
    return key


async def _identified(request: Request) -> ApiKey | None:
    """`identify` on the event loop when no key is sent (no I/O); a key is looked up in the
    database on the thread pool."""
    if presented_key(request) is None:
        return identify(request)
    return await run_in_threadpool(identify, request)


async def require_read(
    request: Request,
    _b: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)] = None,
    _h: Annotated[str | None, Depends(_header)] = None,
) -> ApiKey | None:
    """Open unless `api_require_key_for_reads`; then any live key (read or admin)."""
    key = await _identified(request)
    settings: Settings = request.app.state.settings
    if key is None and settings.api_require_key_for_reads:
        raise HTTPException(
            401,
            "this server requires an API key for reads: send `Authorization: Bearer <key>` "
            "(create one with `duluan apikey create --scope read`)",
            {"WWW-Authenticate": "Bearer"},
        )
    return key


async def require_key(
    request: Request,
    _b: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)] = None,
    _h: Annotated[str | None, Depends(_header)] = None,
) -> ApiKey:
    """Any live key (read or admin), whatever `api_require_key_for_reads` says: for reads that
    show where data goes (alerts, schedules, delivery logs)."""
    key = await _identified(request)
    if key is None:
        raise HTTPException(
            401,
            "this endpoint needs an API key (read scope at least): send "
            "`Authorization: Bearer <key>` (create one with `duluan apikey create --scope read`)",
            {"WWW-Authenticate": "Bearer"},
        )
    return key


def is_admin(key: ApiKey | None) -> bool:
    """Whether the caller may see webhook URLs, recipients and contact details in full."""
    return key is not None and key.allows("admin")


async def require_admin(
    request: Request,
    _b: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)] = None,
    _h: Annotated[str | None, Depends(_header)] = None,
) -> ApiKey:
    """An `admin` key, or 401 (no key) / 403 (a read-only key)."""
    key = await _identified(request)
    if key is None:
        raise HTTPException(
            401,
            "this endpoint changes data and needs an admin API key: send "
            f"`Authorization: Bearer <key>` ({CREATE_HINT})",
            {"WWW-Authenticate": "Bearer"},
        )
    if not key.allows("admin"):
        raise HTTPException(
            403, f"API key {key.id!r} has scope {key.scope!r}; this endpoint needs 'admin'"
        )
    return key


ReadKey = Annotated[ApiKey | None, Depends(require_read)]
AnyKey = Annotated[ApiKey, Depends(require_key)]
AdminKey = Annotated[ApiKey, Depends(require_admin)]
READ = [Depends(require_read)]
KEYED = [Depends(require_key)]
ADMIN = [Depends(require_admin)]


def mark_optional_auth(app: Any, schema: dict[str, Any]) -> dict[str, Any]:
    """OpenAPI that tells the truth about open reads: where only `require_read` guards a route
    and reads are open, a key is optional (`{}` among the security requirements)."""
    settings: Settings = app.state.settings
    if settings.api_require_key_for_reads:
        return schema
    from fastapi.routing import iter_route_contexts  # included routers are resolved lazily

    for context in iter_route_contexts(app.router.routes):
        route = context.route
        calls = _dependency_calls(getattr(route, "dependant", None))
        if require_read not in calls or calls & {require_admin, require_key}:
            continue
        for method in getattr(route, "methods", ()):
            op = schema.get("paths", {}).get(context.path_format, {}).get(method.lower())
            if op and op.get("security") and {} not in op["security"]:
                op["security"] = [{}, *op["security"]]
    return schema


def _dependency_calls(dependant: Any) -> set[Any]:
    out: set[Any] = set()
    stack = [dependant] if dependant is not None else []
    while stack:
        d = stack.pop()
        for sub in d.dependencies:
            out.add(sub.call)
            stack.append(sub)
    return out
