"""Issue 17: alerts, schedules and delivery logs need a key; webhook URLs are sealed at rest and
shown as host only to non-admins; feedback contacts stay with admins; IPv4-in-IPv6 targets."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from duluan.alerts.delivery import TargetRefused, validate_webhook_url
from duluan.alerts.repository import AlertRepository
from duluan.core.models import Post
from duluan.core.secretbox import PREFIX
from duluan.core.settings import Settings
from duluan.storage.sqlite.store import SQLiteStore
from tests.api.conftest import key_headers

TOKEN = "tok-very-secret-0123456789"
HOOK = f"https://hooks.example.org/services/{TOKEN}?token={TOKEN}"
SMUGGLED = ["http://[::127.0.0.1]/", "http://[64:ff9b::7f00:1]/", "http://[2002:7f00:1::]/"]


@pytest.fixture
def app(tmp_path: Path) -> Iterator[object]:
    store = SQLiteStore(tmp_path / "s.db")
    now = datetime.now(UTC)
    store.upsert(
        [
            Post(
                id="feedback:submission:1",
                source="feedback",
                kind="feedback",
                text="giá xăng cao quá",
                created_at=now - timedelta(minutes=1),
                raw={"contact": "lan@example.vn", "category": "giá"},
            )
        ]
    )
    settings = Settings(
        data_dir=tmp_path,
        api_rate_limit_per_minute=0,
        secret_key="k" * 40,
        alerts_allow_private_targets=True,  # hooks.example.org does not resolve here
    )
    yield create_app(settings, store=store)
    store.close()


def test_alert_and_schedule_reads_need_a_key_and_hide_urls_from_non_admins(
    app: object, tmp_path: Path
) -> None:
    admin, read = key_headers(app), key_headers(app, "read", "reader")  # type: ignore[arg-type]
    with TestClient(app) as c:  # type: ignore[arg-type]
        targets = [{"type": "webhook", "url": HOOK}, {"type": "email", "to": ["an@example.vn"]}]
        r = c.post("/v1/alerts", json={"name": "xăng", "targets": targets}, headers=admin)
        assert r.status_code == 201, r.text
        alert_id = r.json()["id"]
        r = c.post("/v1/watchlists", json={"name": "w", "query": "xăng"}, headers=admin)
        assert r.status_code == 201, r.text
        body = {"watchlist": "w", "targets": targets}
        r = c.post("/v1/briefings/schedules", json=body, headers=admin)
        assert r.status_code == 201, r.text
        schedule_id = r.json()["id"]
        reads = [
            "/v1/alerts",
            f"/v1/alerts/{alert_id}",
            "/v1/alerts/events",
            f"/v1/alerts/{alert_id}/events",
            f"/v1/alerts/{alert_id}/deliveries",
            "/v1/briefings/schedules",
            f"/v1/briefings/schedules/{schedule_id}",
            f"/v1/briefings/schedules/{schedule_id}/deliveries",
        ]
        for path in reads:
            assert c.get(path).status_code == 401, path
            r = c.get(path, headers=read)
            assert r.status_code == 200, (path, r.text)
            assert TOKEN not in r.text and "an@example.vn" not in r.text, path
        shown = c.get(f"/v1/alerts/{alert_id}", headers=read).json()["targets"]
        assert shown[0]["url"] == "https://hooks.example.org/…"
        assert shown[1]["to"] == ["***@example.vn"]
        for path in (f"/v1/alerts/{alert_id}", f"/v1/briefings/schedules/{schedule_id}"):
            assert c.get(path, headers=admin).json()["targets"][0]["url"] == HOOK
    # sealed at rest, like the secrets: the token is nowhere in the database file
    assert TOKEN.encode() not in (tmp_path / "s.db").read_bytes()
    assert TOKEN.encode() not in b"".join(p.read_bytes() for p in tmp_path.glob("s.db-wal"))


def test_plain_webhook_urls_of_older_rows_are_sealed_on_open(tmp_path: Path) -> None:
    db = tmp_path / "meta.db"
    with AlertRepository(db, secret_key="k" * 40) as repo:
        from duluan.alerts.models import Subscription

        sub = repo.save_subscription(
            Subscription.model_validate(
                {"name": "x", "targets": [{"type": "webhook", "url": HOOK}]}
            )
        )
    conn = sqlite3.connect(db)  # as an older version wrote it: plain URL
    body = json.loads(conn.execute("SELECT body FROM alert_subscriptions").fetchone()[0])
    body["targets"][0]["url"] = HOOK
    conn.execute("UPDATE alert_subscriptions SET body = ?", (json.dumps(body),))
    conn.commit()
    conn.close()
    with AlertRepository(db, secret_key="k" * 40) as repo:
        got = repo.get_subscription(sub.id)
        assert got is not None and got.targets[0].url == HOOK  # type: ignore[union-attr]
    conn = sqlite3.connect(db)
    stored = json.loads(conn.execute("SELECT body FROM alert_subscriptions").fetchone()[0])
    conn.close()
    assert stored["targets"][0]["url"].startswith(PREFIX)


def test_feedback_contact_only_for_admins(app: object) -> None:
    admin, read = key_headers(app), key_headers(app, "read", "reader")  # type: ignore[arg-type]
    with TestClient(app) as c:  # type: ignore[arg-type]
        paths = [
            "/v1/search?q=xăng",
            "/v1/search/dry-run?q=xăng",
            "/v1/posts/feedback:submission:1",
            "/v1/export?q=xăng",
            "/v1/export?q=xăng&format=csv",
            "/v1/live?q=xăng&backfill=1&max_events=1",
        ]
        for path in paths:
            for headers in ({}, read):
                r = c.get(path, headers=headers)
                assert r.status_code == 200 and "giá xăng" in r.text, (path, r.text[:200])
                assert "lan@example.vn" not in r.text, path
            if "csv" not in path:  # CSV has no raw column at all
                assert "lan@example.vn" in c.get(path, headers=admin).text, path


@pytest.mark.parametrize("url", SMUGGLED)
def test_ipv4_inside_ipv6_targets_are_refused_everywhere(tmp_path: Path, url: str) -> None:
    with pytest.raises(TargetRefused, match="internal address"):
        validate_webhook_url(url)
    store = SQLiteStore(tmp_path / "s.db")
    app = create_app(Settings(data_dir=tmp_path, api_rate_limit_per_minute=0), store=store)
    admin = key_headers(app)
    with TestClient(app, headers=admin) as c:
        target = [{"type": "webhook", "url": url}]
        r = c.post("/v1/alerts", json={"name": "x", "targets": target})
        assert r.status_code == 400 and "internal address" in r.json()["detail"]
        assert c.post("/v1/watchlists", json={"name": "w", "query": "x"}).status_code == 201
        r = c.post("/v1/briefings/schedules", json={"watchlist": "w", "targets": target})
        assert r.status_code == 400 and "internal address" in r.json()["detail"], r.text
    store.close()


def test_public_addresses_still_pass() -> None:
    for url in ("http://8.8.8.8/", "http://[64:ff9b::808:808]/", "http://[2606:4700::1111]/"):
        validate_webhook_url(url)
