"""Briefing schedules' webhook secrets at rest: encrypted like the alerts', legacy rows migrated
on open, a lost key refusing deliveries (logged once, by id), masked in the API and the CLI,
and every repository keyed by the caller's settings rather than the process-wide ones."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from structlog.testing import capture_logs
from typer.testing import CliRunner

from api.app import create_app
from duluan.alerts.delivery import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    DeliveryConfig,
    verify_signature,
)
from duluan.alerts.models import EmailTarget, Subscription, WebhookTarget
from duluan.alerts.repository import AlertRepository
from duluan.briefings.delivery import BriefingSender
from duluan.briefings.scheduler import BriefingScheduler
from duluan.briefings.schedules import Schedule, ScheduleRepository
from duluan.container import Container
from duluan.core.secretbox import PREFIX, UNREADABLE_SECRET, key_file_for
from duluan.core.settings import Settings, get_settings
from duluan.storage.sqlite.store import SQLiteStore
from duluan.watchlists.models import Watchlist, WatchlistCreate
from duluan.watchlists.repository import WatchlistRepository
from duluan.watchlists.service import create_watchlist
from tests.api.conftest import key_headers

SECRET = "plain-briefing-hook-secret-0123456789"
KEY = "a-long-random-server-key-for-briefing-tests"
AT = datetime(2026, 11, 30, 3, tzinfo=UTC)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Path]:
    """An empty SQLite store's file (the metadata tables live in it)."""
    store = SQLiteStore(tmp_path / "duluan.db")
    store.close()
    yield tmp_path / "duluan.db"


@pytest.fixture
def watchlist(db: Path) -> Watchlist:
    return create_watchlist(WatchlistRepository(db), WatchlistCreate(name="xăng", query="xăng"))


def schedule_for(watchlist: Watchlist, secret: str = SECRET) -> Schedule:
    return Schedule(
        watchlist_id=watchlist.id,
        cadence="weekly",
        format="html",
        targets=[
            WebhookTarget(url="http://127.0.0.1:9/brief?token=t", secret=secret),
            EmailTarget(to=["lan@example.vn"]),
        ],
    )


def stored_secrets(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        bodies = [json.loads(b) for (b,) in conn.execute("SELECT body FROM briefing_schedules")]
    return [t["secret"] for body in bodies for t in body["targets"] if t["type"] == "webhook"]


class Recorder:
    """An httpx transport that records what would have been sent, and answers 200."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(200)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)


def scheduler(db: Path, schedules: ScheduleRepository, recorder: Recorder) -> BriefingScheduler:
    store = SQLiteStore(db)
    config = DeliveryConfig(allow_private_targets=True, max_attempts=1)
    sender = BriefingSender(config, transport=recorder.transport())
    return BriefingScheduler(store, schedules, WatchlistRepository(db), sender=sender)


def test_secrets_are_encrypted_in_the_file_and_signed_with_the_plain_one(
    db: Path, watchlist: Watchlist
) -> None:
    recorder = Recorder()
    with ScheduleRepository(db, secret_key=KEY) as repo:
        saved = repo.save(schedule_for(watchlist))
        assert saved.targets[0].secret == SECRET  # type: ignore[union-attr]
        assert repo.list()[0].targets[0].secret == SECRET  # type: ignore[union-attr]
        repo.mark_sent(saved.id, AT, AT, "sending")  # run state updates keep the ciphertext
        (stored,) = stored_secrets(db)
        assert stored.startswith(PREFIX) and SECRET not in stored
        results = scheduler(db, repo, recorder).send(saved, now=AT)
    assert [r.status for r in results if r.channel == "webhook"] == ["delivered"]
    (request,) = recorder.requests
    assert verify_signature(
        SECRET,
        request.headers[TIMESTAMP_HEADER],
        request.content,
        request.headers[SIGNATURE_HEADER],
    )
    assert SECRET.encode() not in db.read_bytes()
    assert not key_file_for(db).exists()  # a configured key needs no key file


def test_legacy_plain_text_rows_are_encrypted_on_open(db: Path, watchlist: Watchlist) -> None:
    with ScheduleRepository(db, secret_key=KEY) as repo:
        saved = repo.save(schedule_for(watchlist))
    # what an older version wrote: the secret in clear in the JSON body
    with sqlite3.connect(db) as conn:
        conn.execute(
            "UPDATE briefing_schedules SET body = ? WHERE id = ?",
            (saved.model_dump_json(exclude={"last_period_end", "last_run_at"}), saved.id),
        )
    assert stored_secrets(db) == [SECRET]
    with capture_logs() as logs, ScheduleRepository(db, secret_key=KEY) as repo:
        assert stored_secrets(db)[0].startswith(PREFIX)
        assert repo.get(saved.id).targets[0].secret == SECRET  # type: ignore[union-attr]
        assert repo.get(saved.id).targets[1].to == ["lan@example.vn"]  # type: ignore[union-attr]
    assert [e.get("schedules") for e in logs if "encrypted" in e["event"]] == [1]
    assert SECRET.encode() not in db.read_bytes()  # no plain copy left in the file


def test_without_a_key_setting_the_key_file_is_shared_with_the_alerts(
    db: Path, watchlist: Watchlist
) -> None:
    with AlertRepository(db, secret_key=None) as alerts:
        alerts.save_subscription(
            Subscription(name="a", targets=[WebhookTarget(url="http://a.vn/")])
        )
    key_file = key_file_for(db)
    before = key_file.read_bytes()
    with ScheduleRepository(db, secret_key=None) as repo:
        saved = repo.save(schedule_for(watchlist))
    assert key_file.read_bytes() == before  # the same generated key, not a second one
    with ScheduleRepository(db, secret_key=None) as again:  # a second process reads it back
        assert again.get(saved.id).targets[0].secret == SECRET  # type: ignore[union-attr]
    # moving to the setting re-encrypts under it; the key file is then no longer needed
    with ScheduleRepository(db, secret_key=KEY):
        pass
    key_file.unlink()
    with ScheduleRepository(db, secret_key=KEY) as repo:
        assert repo.get(saved.id).targets[0].secret == SECRET  # type: ignore[union-attr]


def test_a_lost_key_refuses_deliveries_logs_once_and_never_signs(
    db: Path, watchlist: Watchlist
) -> None:
    with ScheduleRepository(db, secret_key="the-original-key-xxxxxxxxxxxxxx") as repo:
        saved = repo.save(schedule_for(watchlist))
    recorder = Recorder()
    with (
        capture_logs() as logs,
        ScheduleRepository(db, secret_key="another-key-xxxxxxxxxx") as repo,
    ):
        loaded = repo.get(saved.id)
        assert loaded is not None and loaded.targets[0].secret == UNREADABLE_SECRET  # type: ignore[union-attr]
        repo.list()  # read again: still one error
        results = scheduler(db, repo, recorder).send(loaded, now=AT)
        webhook = next(r for r in results if r.channel == "webhook")
        assert webhook.status == "refused" and "cannot be decrypted" in (webhook.error or "")
        logged = [d for d in repo.deliveries(saved.id) if d["channel"] == "webhook"]
        assert [d["status"] for d in logged] == ["refused"]
    assert recorder.requests == []  # nothing was signed or sent
    errors = [e for e in logs if e["log_level"] == "error"]
    assert len(errors) == 1 and errors[0]["schedule_id"] == saved.id
    assert SECRET not in json.dumps(logs, default=str)
    assert stored_secrets(db)[0].startswith(PREFIX)  # the ciphertext is kept, not overwritten


@pytest.fixture
def client(db: Path, watchlist: Watchlist) -> Iterator[TestClient]:
    store = SQLiteStore(db)
    settings = Settings(data_dir=db.parent, secret_key=KEY, alerts_allow_private_targets=True)
    app = create_app(settings, store=store)
    with TestClient(app, headers=key_headers(app)) as c:
        yield c
    store.close()


def test_the_api_masks_secrets_and_returns_a_generated_one_once(
    client: TestClient, db: Path, watchlist: Watchlist
) -> None:
    body = {
        "watchlist": watchlist.name,
        "targets": [
            {"type": "webhook", "url": "https://hooks.example/a"},
            {"type": "webhook", "url": "https://hooks.example/b", "secret": SECRET},
            {"type": "email", "to": ["lan@example.vn"]},
        ],
    }
    r = client.post("/v1/briefings/schedules", json=body)
    assert r.status_code == 201, r.text
    created = r.json()
    generated = created["secrets"]["0"]
    assert set(created["secrets"]) == {"0"} and len(generated) >= 16
    assert [t.get("secret") for t in created["targets"]] == ["***", "***", None]
    listed = client.get("/v1/briefings/schedules").json()["items"]
    shown = client.get(f"/v1/briefings/schedules/{created['id']}").json()
    for view in (listed[0], shown):
        assert [t.get("secret") for t in view["targets"]] == ["***", "***", None]
        assert "secrets" not in view
    text = json.dumps([listed, shown])
    assert SECRET not in text and generated not in text
    # stored encrypted under the app's settings key (not the process-wide settings, no key file)
    assert all(s.startswith(PREFIX) for s in stored_secrets(db))
    assert not key_file_for(db).exists()
    with ScheduleRepository(db, secret_key=KEY) as repo:
        secrets = [t.secret for t in repo.get(created["id"]).targets[:2]]  # type: ignore[union-attr]
    assert secrets == [generated, SECRET]


def test_the_api_keys_alert_secrets_with_its_own_settings(client: TestClient, db: Path) -> None:
    hook = {"type": "webhook", "url": "http://127.0.0.1:9/a", "secret": SECRET}
    r = client.post("/v1/alerts", json={"name": "xăng", "targets": [hook]})
    assert r.status_code == 201, r.text
    assert not key_file_for(db).exists()  # not the process-wide settings (no key there)
    with AlertRepository(db, secret_key=KEY) as repo:
        assert repo.get_subscription(r.json()["id"]).targets[0].secret == SECRET  # type: ignore[union-attr]


def test_callers_key_their_repositories_with_their_own_settings(
    db: Path, watchlist: Watchlist, monkeypatch: pytest.MonkeyPatch
) -> None:
    from duluan.cli.alerts import make_alert_runner

    monkeypatch.setenv("DULUAN_SECRET_KEY", "the-process-wide-key-xxxxxxxxxx")
    get_settings.cache_clear()  # the process-wide settings now hold a different key
    settings = Settings(data_dir=db.parent, secret_key=KEY)
    store = SQLiteStore(db)
    try:
        schedules = Container(settings, store=store).schedules
        saved = schedules.save(schedule_for(watchlist))
        alerts = make_alert_runner(settings, store).repo
        sub = alerts.save_subscription(
            Subscription(name="a", targets=[WebhookTarget(url="http://a.vn/", secret=SECRET)])
        )
    finally:
        store.close()
        get_settings.cache_clear()
    assert not key_file_for(db).exists()
    with ScheduleRepository(db, secret_key=KEY) as repo:
        assert repo.get(saved.id).targets[0].secret == SECRET  # type: ignore[union-attr]
    with AlertRepository(db, secret_key=KEY) as repo:
        assert repo.get_subscription(sub.id).targets[0].secret == SECRET  # type: ignore[union-attr]


@pytest.mark.usefixtures("restore_logging")
def test_cli_lists_schedules_with_secrets_masked(
    db: Path, watchlist: Watchlist, monkeypatch: pytest.MonkeyPatch
) -> None:
    from duluan.cli.main import app

    with ScheduleRepository(db, secret_key=KEY) as repo:
        saved = repo.save(schedule_for(watchlist))
    monkeypatch.setenv("DULUAN_DATA_DIR", str(db.parent))
    monkeypatch.setenv("DULUAN_STORE", "sqlite")
    monkeypatch.setenv("DULUAN_SECRET_KEY", KEY)
    get_settings.cache_clear()  # the CLI reads the (cached) process-wide settings
    try:
        result = CliRunner().invoke(app, ["briefing", "list"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert SECRET not in result.output
    (line,) = [json.loads(s) for s in result.stdout.splitlines() if s.startswith("{")]
    assert line["id"] == saved.id and line["targets"][0]["secret"] == "***"
