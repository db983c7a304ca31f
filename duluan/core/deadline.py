"""A time limit for store reads made on behalf of one request: the API sets it around each
request; work with no request behind it (workers, alerts, briefings, exports run from the CLI)
is not cut short by a limit meant to keep one client from holding the store."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_LIMIT_MS: ContextVar[int] = ContextVar("duluan_store_time_limit_ms", default=0)


def store_time_limit_ms(default: int = 0) -> int:
    """The limit in force here: the request's when one is set, else `default` (0: none)."""
    return _LIMIT_MS.get() or default


@contextmanager
def store_time_limit(ms: int) -> Iterator[None]:
    """Store reads inside this block (and threads started from its context) stop after `ms`."""
    token = _LIMIT_MS.set(max(0, ms))
    try:
        yield
    finally:
        _LIMIT_MS.reset(token)
