"""Answers of read endpoints reused while the store has not changed: dashboards ask the same
questions many times a second, and a text query's timeline over a million posts costs ~0.1 s."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar, cast

from fastapi import Request

from duluan.core.cache import StaleWhileRevalidate
from duluan.storage.base import Store

T = TypeVar("T")


class QueryCache:
    """`get(store, key, compute)`: one computation per key and store version (single flight),
    kept at most `ttl_s`. Stores that cannot tell their version (Elasticsearch) are not cached."""

    def __init__(self, ttl_s: float, max_entries: int = 512) -> None:
        self.ttl_s = ttl_s
        self._entries: StaleWhileRevalidate[object] = StaleWhileRevalidate(
            ttl_s=ttl_s, max_stale_s=ttl_s, max_entries=max_entries
        )

    def get(self, store: Store, key: str, compute: Callable[[], T]) -> T:
        version = store.data_version() if self.ttl_s > 0 else None
        if version is None:
            return compute()
        value, _ = self._entries.get(f"{version}|{key}", compute)
        return cast(T, value)


async def get_query_cache(request: Request) -> QueryCache:
    """The app's answer cache, made by create_app with `api_query_cache_ttl_s`."""
    cache: QueryCache = request.app.state.query_cache
    return cache
