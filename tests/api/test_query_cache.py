"""The query cache: identical reads reuse one answer until the store changes, never after."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.services.query_cache import QueryCache
from duluan.core.models import Analysis, Post, Sentiment
from duluan.core.query import SearchQuery
from duluan.core.settings import Settings
from duluan.storage.base import Bucket
from duluan.storage.sqlite.store import SQLiteStore


def post(n: int, text: str) -> Post:
    return Post(
        id=f"voz:comment:{n}",
        source="voz",
        text=text,
        created_at=datetime(2026, 11, 20, 8, n, tzinfo=UTC),
        analysis=Analysis(language="vi", sentiment=Sentiment(label="negative")),
    )


class Counting(SQLiteStore):
    """Counts the store calls that reach SQLite."""

    calls = 0

    def timeline(self, *args: Any, **kwargs: Any) -> list[Bucket]:
        self.calls += 1
        return super().timeline(*args, **kwargs)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Counting]:
    s = Counting(tmp_path / "cache.db")
    s.upsert([post(1, "giá xăng tăng")])
    yield s
    s.close()


def test_identical_reads_are_computed_once_until_a_write(store: Counting) -> None:
    with TestClient(create_app(Settings(api_query_cache_ttl_s=60), store=store)) as c:
        params = {"q": "xang", "split": "sentiment"}
        first = c.get("/v1/timeline", params=params).json()
        assert c.get("/v1/timeline", params=params).json() == first
        assert store.calls == 1
        assert c.get("/v1/search", params={"q": "xang"}).json()["total"] == 1
        store.upsert([post(2, "xăng lại tăng")])  # any write: the next read is fresh
        assert c.get("/v1/search", params={"q": "xang"}).json()["total"] == 2
        again = c.get("/v1/timeline", params=params).json()
        assert sum(b["count"] for b in again["buckets"]) == 2
        assert store.calls == 2
        store.delete("voz:comment:1")  # privacy deletions too
        hits = c.get("/v1/search", params={"q": "xang"}).json()["hits"]
        assert [h["post"]["id"] for h in hits] == ["voz:comment:2"]


def test_a_write_from_another_connection_is_seen(store: Counting) -> None:
    with TestClient(create_app(Settings(api_query_cache_ttl_s=60), store=store)) as c:
        assert c.get("/v1/search", params={"q": "xang"}).json()["total"] == 1
        other = SQLiteStore(store.path)  # e.g. the indexer process
        other.upsert([post(3, "xăng")])
        other.close()
        assert c.get("/v1/search", params={"q": "xang"}).json()["total"] == 2


def test_ttl_zero_turns_it_off(store: Counting) -> None:
    with TestClient(create_app(Settings(api_query_cache_ttl_s=0), store=store)) as c:
        for _ in range(3):
            c.get("/v1/timeline", params={"q": "xang"})
        assert store.calls == 3


def test_stores_without_a_version_are_not_cached(tmp_path: Path) -> None:
    class Unversioned(SQLiteStore):
        """Like a backend that cannot tell when it changed (Elasticsearch)."""

        def data_version(self) -> None:
            return None

    cache = QueryCache(ttl_s=60)
    calls: list[int] = []
    with Unversioned(tmp_path / "u.db") as unversioned:
        for _ in range(2):
            cache.get(unversioned, "k", lambda: calls.append(1))
    assert len(calls) == 2


def test_concurrent_identical_misses_compute_once(store: Counting) -> None:
    cache = QueryCache(ttl_s=60)
    started = threading.Event()
    calls = []

    def slow() -> list[Bucket]:
        calls.append(1)
        started.wait(2)
        return store.timeline(SearchQuery(q="xang"))

    threads = [threading.Thread(target=cache.get, args=(store, "same", slow)) for _ in range(5)]
    for t in threads:
        t.start()
    started.set()
    for t in threads:
        t.join()
    assert len(calls) == 1
