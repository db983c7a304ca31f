"""Issue 17: every input error is a 4xx with a message: date-times, cursors, nulls in PATCH."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from duluan.core.settings import Settings
from duluan.storage.sqlite.store import SQLiteStore
from tests.api.conftest import key_headers, make_post

T = datetime(2026, 11, 1, 12, tzinfo=UTC)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    store = SQLiteStore(tmp_path / "s.db")
    store.upsert([make_post(["xăng", f"từ{i}"], at=T - timedelta(hours=i)) for i in range(30)])
    app = create_app(Settings(data_dir=tmp_path, api_rate_limit_per_minute=0), store=store)
    with TestClient(app) as c:
        yield c
    store.close()


READS = [
    "/v1/search",
    "/v1/search/dry-run",
    "/v1/timeline?interval=month",
    "/v1/timeline?interval=week",
    "/v1/sentiment",
    "/v1/top/topics",
    "/v1/top/sources",
    "/v1/export",
]


def _cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def test_naive_and_aware_bounds_mix_and_naive_is_the_configured_zone(client: TestClient) -> None:
    for path in READS:
        sep = "&" if "?" in path else "?"
        r = client.get(f"{path}{sep}since=2026-11-01T00:00:00&until=2026-11-02T00:00:00Z")
        assert r.status_code == 200, (path, r.text[:200])
    # naive = Asia/Ho_Chi_Minh (UTC+7): 19:00 local is 12:00 UTC, the newest post
    at_noon = client.get("/v1/search?since=2026-11-01T19:00:00").json()["total"]
    assert at_noon == 1
    r = client.get("/v1/search?since=2026-11-02T00:00:00&until=2026-11-01T00:00:00Z")
    assert r.status_code == 400 and "before" in r.json()["detail"]


@pytest.mark.parametrize(
    "bound",
    [
        "since=0001-01-01T00:00:00%2B23:59",
        "until=9999-12-31T23:59:00-23:59",
        "since=0001-01-01T00:00:00Z",
    ],
)
def test_out_of_range_datetimes_are_4xx(client: TestClient, bound: str) -> None:
    for path in READS:
        sep = "&" if "?" in path else "?"
        r = client.get(f"{path}{sep}{bound}")
        assert r.status_code < 500, (path, bound, r.text[:200])
        if r.status_code >= 400:
            assert r.json()["detail"]


@pytest.mark.parametrize(
    "raw",
    [
        '{"r":' + str(2**70) + "}",
        '{"o":null}',
        "[1]",
        "1e400",
        '{"o":1e400}',
        '{"r":-1}',
        '{"r":true}',
        "x",
    ],
)
def test_hand_made_cursors_are_400(client: TestClient, raw: str) -> None:
    for sort in ("newest", "oldest", "relevance"):
        r = client.get("/v1/search", params={"q": "xăng", "sort": sort, "cursor": _cursor(raw)})
        assert r.status_code == 400 and "cursor" in r.json()["detail"], (sort, raw, r.text)


def test_real_cursors_still_page(client: TestClient) -> None:
    for sort in ("newest", "relevance"):
        seen: list[str] = []
        cursor = None
        while True:
            params = {
                "q": "xăng",
                "sort": sort,
                "limit": 7,
                **({"cursor": cursor} if cursor else {}),
            }
            page = client.get("/v1/search", params=params).json()
            seen += [h["post"]["id"] for h in page["hits"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert len(seen) == len(set(seen)) == 30, sort


def test_patch_campaign_with_nulls_is_422(client: TestClient) -> None:
    admin = key_headers(client.app)
    r = client.post("/v1/feedback/campaigns", json={"slug": "c", "title": "C"}, headers=admin)
    assert r.status_code == 201, r.text
    for field in ("active", "title", "categories"):
        r = client.patch("/v1/feedback/campaigns/c", json={field: None}, headers=admin)
        assert r.status_code == 422 and "null" in r.json()["detail"], (field, r.text)
    r = client.patch("/v1/feedback/campaigns/c", json={"active": False}, headers=admin)
    assert r.status_code == 200 and r.json()["active"] is False


def test_bodies_are_strict_and_closed(client: TestClient) -> None:
    """What the schema calls invalid is a 422: lax coercions and unknown keys included."""
    admin = key_headers(client.app)
    bad = [
        ("/v1/alerts/dry-run", {"name": "x", "enabled": 0}, "enabled"),
        ("/v1/alerts/dry-run", {"name": "x", "enabled": "true"}, "enabled"),
        ("/v1/alerts/dry-run", {"name": "x", "window_s": "3600"}, "window_s"),
        ("/v1/alerts/dry-run", {"name": "x", "colour": "red"}, "colour"),
        ("/v1/alerts/dry-run", {"name": "x", "query": {"q": "x", "nope": 1}}, "nope"),
        ("/v1/alerts/dry-run", {"name": "x", "rule": {"sensitivity": "more"}}, "rule"),
        ("/v1/watchlists", {"name": "w", "since": 0}, "since"),
        ("/v1/watchlists", {"name": "   "}, "blank"),
        ("/v1/feedback/campaigns", {"slug": "c", "title": "C", "active": 1}, "active"),
        ("/v1/briefings/schedules", {"watchlist": "w", "targets": [{"to": ["a@b.vn"]}]}, "0"),
    ]
    for path, body, fragment in bad:
        r = client.post(path, json=body, headers=admin)
        assert r.status_code == 422 and fragment in r.json()["detail"], (path, body, r.text)
    # JSON Schema counts 3600.0 as an integer: accepted
    r = client.post("/v1/alerts/dry-run", json={"name": "x", "window_s": 3600.0}, headers=admin)
    assert r.status_code == 200, r.text
    assert client.post("/v1/watchlists", json={"name": "w"}, headers=admin).status_code == 201
    r = client.patch("/v1/watchlists/w", json={"name": None}, headers=admin)
    assert r.status_code == 422 and "null" in r.json()["detail"], r.text


def test_numbers_are_not_date_times(client: TestClient) -> None:
    """`since=0` is not an ISO 8601 date-time (pydantic would read a Unix time)."""
    for bound in ("since=0", "until=1.5", "since=1700000000"):
        r = client.get(f"/v1/search?{bound}")
        assert r.status_code == 422 and "ISO 8601" in r.json()["detail"], (bound, r.text)


def test_a_single_valued_parameter_sent_twice_is_422(client: TestClient) -> None:
    r = client.get("/v1/search?cursor=a&cursor=b")
    assert r.status_code == 422 and "cursor" in r.json()["detail"]
    assert client.get("/v1/search?source=a&source=b").status_code == 200  # an array: fine


def test_share_of_voice_queries_must_not_be_blank(client: TestClient) -> None:
    r = client.get("/v1/share-of-voice", params=[("q", "xăng"), ("q", "  ")])
    assert r.status_code == 422 and "blank" in r.json()["detail"]


def test_silent_source_rule_bounds_are_422_not_500(client: TestClient) -> None:
    """Found by schemathesis: `failed_runs` past SQLite's integers was a 500 in a dry run."""
    rule = {"type": "source_silent", "source": "voz", "failed_runs": 10**22}
    r = client.post("/v1/alerts/dry-run", json={"name": "x", "rule": rule})
    assert r.status_code == 422 and "failed_runs" in r.json()["detail"]
    rule = {"type": "source_silent", "source": "voz", "silent_after_s": 10**15}
    r = client.post("/v1/alerts/dry-run", json={"name": "x", "rule": rule})
    assert r.status_code == 422 and "silent_after_s" in r.json()["detail"]


def test_watchlist_patch_that_crosses_the_stored_span_says_why(client: TestClient) -> None:
    """Found by schemathesis: the 400's detail was pydantic's documentation link."""
    admin = key_headers(client.app)
    body = {"name": "w", "until": "2026-01-01T00:00:00Z"}
    assert client.post("/v1/watchlists", json=body, headers=admin).status_code == 201
    r = client.patch("/v1/watchlists/w", json={"since": "2026-02-01T00:00:00Z"}, headers=admin)
    assert r.status_code == 400 and "`since` must be before `until`" in r.json()["detail"]


def test_the_openapi_schema_is_built_at_startup_and_frozen(client: TestClient) -> None:
    """`query_given_once` reads the OpenAPI schema; built on the first request instead of at
    startup, its ~20k objects stayed outside `gc.freeze()` and every full collection walked them."""
    import gc

    app = client.app
    assert getattr(app.state, "single_valued_query", None) is not None  # before any request
    gc.collect()
    loose = len(gc.get_objects())
    assert client.get("/v1/search", params={"q": "xăng"}).status_code == 200
    assert client.get("/v1/timeline", params={"q": "xăng", "split": "sentiment"}).status_code == 200
    gc.collect()
    assert len(gc.get_objects()) - loose < 5_000
