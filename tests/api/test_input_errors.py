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
