"""Alert subscriptions over HTTP: CRUD with admin keys, target checks, secrets masked, a test
send to a real webhook receiver (HMAC checked), history, deliveries, dry-run, the runner."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from duluan.alerts.delivery import verify_signature
from duluan.cli.alerts import make_alert_runner
from duluan.core.settings import Settings
from duluan.storage.sqlite.store import SQLiteStore
from tests.api.conftest import Hook, background, key_headers, make_post


@pytest.fixture
def hook() -> Iterator[Hook]:
    h = Hook()
    yield h
    h.close()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    s = SQLiteStore(tmp_path / "duluan.db")
    yield s
    s.close()


def app_state(c: TestClient) -> Any:
    return c.app.state  # type: ignore[attr-defined]


def app_for(store: SQLiteStore, **settings: Any) -> TestClient:
    return TestClient(create_app(Settings(data_dir=store.path.parent, **settings), store=store))


def test_alert_crud_needs_admin_and_masks_secrets(store: SQLiteStore, hook: Hook) -> None:
    with app_for(store, alerts_allow_private_targets=True) as c:
        admin, reader = key_headers(c.app), key_headers(c.app, "read")
        body = {
            "name": "xăng",
            "query": {"q": "xăng"},
            "rule": {"type": "volume", "sensitivity": "more"},
            "targets": [{"type": "webhook", "url": hook.url}],
        }
        r = c.post("/v1/alerts", json=body)
        assert r.status_code == 401 and "admin API key" in r.json()["detail"]
        r = c.post("/v1/alerts", json=body, headers=reader)
        assert r.status_code == 403 and "needs 'admin'" in r.json()["detail"]
        r = c.post("/v1/alerts", json=body, headers={"Authorization": "Bearer dlk_nope"})
        assert r.status_code == 401 and "invalid" in r.json()["detail"]
        r = c.post("/v1/alerts", json=body, headers=admin)
        assert r.status_code == 201, r.text
        created = r.json()
        secret = created["secrets"]["0"]
        assert len(secret) >= 32 and created["targets"][0]["secret"] == "***"
        alert_id = created["id"]
        assert c.get("/v1/alerts").status_code == 401  # reads of alerts need a key (issue 17)
        c.headers.update(reader)
        listed = c.get("/v1/alerts").json()["items"]
        assert [a["id"] for a in listed] == [alert_id]
        assert (
            secret not in json.dumps(listed) and secret not in c.get(f"/v1/alerts/{alert_id}").text
        )
        # patch: the masked secret is kept
        r = c.patch(
            f"/v1/alerts/{alert_id}",
            json={"name": "xăng 2", "targets": listed[0]["targets"]},
            headers=admin,
        )
        assert r.status_code == 200 and r.json()["name"] == "xăng 2"
        assert app_state(c).container.alerts.get_subscription(alert_id).targets[0].secret == secret
        # at rest the secret is encrypted: not in the database file nor its WAL
        files = sorted(store.path.parent.glob(store.path.name + "*"))
        assert files and not any(secret.encode() in f.read_bytes() for f in files)
        # a merged target that fails validation: the 422 names the problem, not the kept secret
        r = c.patch(f"/v1/alerts/{alert_id}", json={"targets": [{"url": hook.url}]}, headers=admin)
        assert r.status_code == 422 and "targets.0" in r.json()["detail"]
        assert secret[-10:] not in r.text
        # test send: a real HTTP receiver gets a signed body
        r = c.post(f"/v1/alerts/{alert_id}/test", headers=admin)
        assert r.status_code == 200 and r.json()["items"][0]["status"] == "delivered"
        headers, raw = hook.requests[-1]
        assert verify_signature(
            secret, headers["X-Duluan-Timestamp"], raw, headers["X-Duluan-Signature"]
        )
        assert json.loads(raw)["test"] is True
        deliveries = c.get(f"/v1/alerts/{alert_id}/deliveries").json()["items"]
        assert deliveries[0]["status"] == "delivered" and "token" not in deliveries[0]["target"]
        assert c.get(f"/v1/alerts/{alert_id}/events").json() == {"items": []}
        assert c.get(f"/v1/alerts/{alert_id}/explain").json()["status"] == "warming_up"
        assert c.delete(f"/v1/alerts/{alert_id}").status_code == 403  # the reader's key
        assert c.delete(f"/v1/alerts/{alert_id}", headers=admin).status_code == 204
        assert c.get(f"/v1/alerts/{alert_id}").status_code == 404


def test_internal_webhooks_are_refused_by_default(store: SQLiteStore) -> None:
    with app_for(store) as c:
        admin = key_headers(c.app)
        for url in ("http://127.0.0.1:9/x", "http://169.254.169.254/latest", "http://10.1.2.3/"):
            body = {"name": "x", "targets": [{"type": "webhook", "url": url}]}
            r = c.post("/v1/alerts", json=body, headers=admin)
            assert r.status_code == 400 and "internal address" in r.json()["detail"], url
        r = c.post(
            "/v1/alerts",
            json={"name": "x", "targets": [{"type": "webhook", "url": "ftp://example.com/"}]},
            headers=admin,
        )
        assert r.status_code == 422 and "http" in r.json()["detail"]
        r = c.post("/v1/alerts", json={"name": "x", "query": {"q": "(xăng"}}, headers=admin)
        assert r.status_code == 422


def test_dry_run_then_runner_fires_and_history_shows_it(store: SQLiteStore, hook: Hook) -> None:
    now = datetime.now(UTC)
    rng = random.Random(4)
    for h in range(1, 13):  # 12 quiet hours of 20 posts, then a burst of 90 in the last hour
        store.upsert(background(rng, 20, now - timedelta(hours=h, minutes=-5)))
    store.upsert(background(rng, 90, now - timedelta(minutes=50)))
    with app_for(store, alerts_allow_private_targets=True, alerts_backoff_s=0) as c:
        admin = key_headers(c.app)
        body = {
            "name": "volume",
            "rule": {"type": "volume"},
            "baseline_windows": 10,
            "warmup_windows": 3,
            "targets": [{"type": "webhook", "url": hook.url, "secret": "s" * 32}],
        }
        dry = c.post("/v1/alerts/dry-run", json=body).json()
        assert dry["status"] == "fired" and dry["event"]["drivers"]["sample_posts"]
        alert_id = c.post("/v1/alerts", json=body, headers=admin).json()["id"]
        c.headers.update(key_headers(c.app, "read", "reader"))
        runner = make_alert_runner(app_state(c).settings, store)
        assert len(runner.run_once()) == 1
        assert runner.run_once() == []  # cooldown
        events = c.get(f"/v1/alerts/{alert_id}/events").json()["items"]
        assert len(events) == 1 and events[0]["rule_type"] == "volume"
        assert c.get("/v1/alerts/events").json()["items"][0]["id"] == events[0]["id"]
        assert c.get(f"/v1/alerts/{alert_id}").json()["last_status"] == "cooldown"
        headers, raw = hook.requests[-1]
        assert verify_signature(
            "s" * 32, headers["X-Duluan-Timestamp"], raw, headers["X-Duluan-Signature"]
        )
        runner.repo.close()


def test_alert_on_a_watchlist_ands_its_query_and_unknown_is_404(store: SQLiteStore) -> None:
    now = datetime.now(UTC) - timedelta(minutes=30)
    store.upsert(background(random.Random(7), 30, now))
    store.upsert([make_post(["ngập", "mưa"], at=now) for _ in range(4)])
    store.upsert([make_post(["ngập", "gió"], at=now) for _ in range(3)])
    with app_for(store) as c:
        admin = key_headers(c.app)
        wl = c.post("/v1/watchlists", json={"name": "Ngập", "query": "ngập"}, headers=admin).json()
        body = {"name": "ngập + mưa", "query": {"watchlist": "Ngập", "q": "mưa"}}
        r = c.post("/v1/alerts", json=body, headers=admin)
        assert r.status_code == 201, r.text
        query = r.json()["query"]
        assert query["watchlist"] == wl["id"] and query["watchlist_query"] == "ngập"
        sub = app_state(c).container.alerts.get_subscription(r.json()["id"])
        assert store.count(sub.query.search(now - timedelta(hours=1), None)) == 4
        # the watchlist changes; any PATCH of the alert copies its query again
        c.patch(f"/v1/watchlists/{wl['id']}", json={"query": "gió"}, headers=admin)
        r = c.patch(f"/v1/alerts/{sub.id}", json={"query": {"watchlist": wl["id"]}}, headers=admin)
        assert r.status_code == 200 and r.json()["query"]["watchlist_query"] == "gió"
        sub = app_state(c).container.alerts.get_subscription(sub.id)
        assert store.count(sub.query.search()) == 3
        for path in ("/v1/alerts", "/v1/alerts/dry-run"):
            bad = {"name": "x", "query": {"watchlist": "không có"}}
            r = c.post(path, json=bad, headers=admin)
            assert r.status_code == 404 and "no watchlist" in r.json()["detail"], path
