"""Issue 17: the query budget and the store's time limit (no query holds the API or the store)."""

from __future__ import annotations

import concurrent.futures
import random
import sqlite3
import string
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from duluan.core.models import Post
from duluan.core.query import (
    QueryBudget,
    QuerySyntaxError,
    QueryTimedOut,
    QueryTooCostly,
    SearchQuery,
    check_budget,
    parse_query,
)
from duluan.core.settings import Settings
from duluan.storage.sqlite.errors import translate
from duluan.storage.sqlite.store import SQLiteStore
from tests.conftest import ServerThread

HOSTILE = " OR ".join(f"{string.ascii_lowercase[i % 26]}*" for i in range(333))


def _posts(n: int) -> list[Post]:
    """Posts with a wide vocabulary, so short prefixes expand to thousands of words."""
    rng = random.Random(3)
    t0 = datetime(2026, 11, 1, tzinfo=UTC)
    out = []
    for i in range(n):
        words = [
            "".join(rng.choices(string.ascii_lowercase, k=rng.randint(3, 8))) for _ in range(12)
        ]
        if i % 10 == 0:
            words.append("xăng")
        out.append(
            Post(
                id=f"t:{i}",
                source="voz",
                text=" ".join(words),
                created_at=t0 + timedelta(seconds=i),
            )
        )
    return out


@pytest.mark.parametrize(
    "text",
    ["(" * 249 + "x" + ")" * 249, "-" * 1999 + "x", "NOT " * 499 + "x", HOSTILE, "a*", "x" * 2001],
)
def test_hostile_queries_are_refused_by_the_parser_or_the_budget(text: str) -> None:
    with pytest.raises(QueryTooCostly) as got:
        check_budget(parse_query(text))
    assert "query_" in str(got.value)  # names the setting that limits it


def test_budget_limits_each_kind() -> None:
    small = QueryBudget(max_chars=50, max_depth=2, max_terms=3, max_wildcards=1, min_prefix_chars=3)
    check_budget(parse_query("(xăn* OR dầu) -voz", small), small)
    for text, limit in [
        ("a b c d", "query_max_terms"),
        ("xăng* dầu*", "query_max_wildcards"),
        ("xă*", "query_min_prefix_chars"),
        ("((NOT x))", "query_max_depth"),
        ("x" * 51, "query_max_chars"),
    ]:
        with pytest.raises(QueryTooCostly, match=limit):
            check_budget(parse_query(text, small), small)
    assert issubclass(QueryTooCostly, QuerySyntaxError)


def test_api_answers_each_budget_breach_with_a_400_naming_it(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "s.db")
    store.upsert(_posts(50))
    app = create_app(Settings(data_dir=tmp_path, api_rate_limit_per_minute=0), store=store)
    with TestClient(app) as client:
        for path in ("/v1/search", "/v1/search/dry-run", "/v1/timeline", "/v1/top/topics"):
            for text in ("(" * 249 + "x" + ")" * 249, "-" * 1999 + "x", "NOT " * 499 + "x"):
                r = client.get(path, params={"q": text})
                assert r.status_code == 400, (path, r.text[:200])
                assert "query_max_depth" in r.json()["detail"]
        r = client.get("/v1/search", params={"q": HOSTILE, "sort": "relevance"})
        assert r.status_code == 400 and "query_max_terms" in r.json()["detail"]
        r = client.get("/v1/search", params={"q": "x* OR y*"})
        assert r.status_code == 400 and "query_min_prefix_chars" in r.json()["detail"]
        r = client.get("/v1/share-of-voice", params=[("q", "xăng"), ("q", "NOT " * 499 + "x")])
        assert r.status_code == 400
        assert client.get("/v1/search", params={"q": "xă*"}).status_code == 200
    store.close()


def test_sqlite_statement_past_the_time_limit_raises_query_timed_out(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "s.db", postings_cache_mb=0, query_timeout_ms=50)
    store.upsert(_posts(100))
    slow = (
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000000)"
        " SELECT count(*) FROM c"
    )
    t0 = time.perf_counter()
    with pytest.raises(sqlite3.OperationalError, match="interrupted") as stopped:
        store._r.execute(slow).fetchone()
    assert time.perf_counter() - t0 < 1.0
    # what callers of the store's methods see (the class boundary translates SQLite's errors)
    assert isinstance(translate(stopped.value), QueryTimedOut)
    assert "store_query_timeout_ms" in str(translate(stopped.value))
    assert store.search(SearchQuery(q="xăng")).total == 10  # the connection still works
    store.query_timeout_ms = 0
    assert store._r.execute("SELECT 1").fetchone() == (1,)
    store.close()


def test_the_time_limit_is_the_requests_not_the_workers(tmp_path: Path) -> None:
    """Outside a request (workers, alerts, briefings, CLI exports) a settings-built store has no
    limit; inside `store_time_limit` (what the API sets per request) statements stop."""
    from duluan.core.deadline import store_time_limit

    store = SQLiteStore.from_settings(Settings(data_dir=tmp_path, store_query_timeout_ms=50))
    slow = (
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000)"
        " SELECT count(*) FROM c"
    )
    assert store._r.execute(slow).fetchone() == (2000000,)  # no request: runs to the end
    with store_time_limit(50), pytest.raises(sqlite3.OperationalError, match="interrupted"):
        store._r.execute(slow.replace("2000000", "100000000")).fetchone()
    store.close()


@pytest.mark.slow
def test_four_hostile_queries_one_per_api_thread_leave_a_plain_search_fast(tmp_path: Path) -> None:
    """Issue 17's stall: 4 hostile searches (one per API thread, `api_threads`) in parallel with
    a plain one. Over-budget ones are 400s on the event loop; within-budget costly ones stop at
    the store's time limit; either way the plain search answers in under a second."""
    store = SQLiteStore(tmp_path / "s.db")
    posts = _posts(4000)
    for i in range(0, len(posts), 1000):
        store.upsert(posts[i : i + 1000])
    settings = Settings(
        data_dir=tmp_path,
        api_rate_limit_per_minute=0,
        api_query_cache_ttl_s=0,
        store_query_timeout_ms=300,  # the API's limit, set around each request
    )
    assert settings.api_threads == 4
    costly = [  # within the budget: 8 two-letter prefixes each, by relevance
        " OR ".join(
            f"{a}{b}*" for a, b in zip(string.ascii_lowercase[k:], "aeiouaei", strict=False)
        )
        for k in range(4)
    ]
    with ServerThread(create_app(settings, store=store)) as server:
        for hostile in ([f"{HOSTILE} OR z{k}" for k in range(4)], costly):
            with concurrent.futures.ThreadPoolExecutor(4) as pool:
                futures = [
                    pool.submit(
                        httpx.get,
                        server.url + "/v1/search",
                        params={"q": q, "sort": "relevance", "limit": 200},
                        timeout=60,
                    )
                    for q in hostile
                ]
                time.sleep(0.1)
                t0 = time.perf_counter()
                plain = httpx.get(server.url + "/v1/search", params={"q": "xang"}, timeout=60)
                took = time.perf_counter() - t0
                statuses = [f.result().status_code for f in futures]
            assert plain.status_code == 200 and plain.json()["total"] == 400
            assert took < 1.0, f"plain search waited {took:.2f} s behind {statuses}"
            assert all(s in (200, 400) for s in statuses), statuses
    store.close()


def test_a_deadline_passed_while_idle_does_not_cut_the_next_statement(tmp_path: Path) -> None:
    """The watchdog interrupts a connection whose deadline passed even when it sits idle (it
    cannot tell); the next statement, armed afresh, must run to the end all the same."""
    store = SQLiteStore(tmp_path / "s.db", postings_cache_mb=0, query_timeout_ms=30)
    store.upsert(_posts(20))
    conn = store._r
    assert conn.execute("SELECT 1").fetchone() == (1,)
    time.sleep(0.2)  # the deadline passes with nothing running: the watchdog fires anyway
    medium = (
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000)"
        " SELECT count(*) FROM c"
    )
    for _ in range(20):
        assert store._r.execute(medium).fetchone() == (20000,)
    assert store.search(SearchQuery(q="xăng")).total == 2
    store.close()
