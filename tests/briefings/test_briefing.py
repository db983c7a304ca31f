"""Briefings over a replayed corpus in a real SQLite store: figures match the API's, the HTML is
self-contained, the PDF renders with Vietnamese text, schedules deliver signed webhooks."""

from __future__ import annotations

import base64
import json
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from duluan.alerts.delivery import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    DeliveryConfig,
    verify_signature,
)
from duluan.alerts.models import WebhookTarget
from duluan.briefings.builder import build_briefing
from duluan.briefings.period import make_period
from duluan.briefings.render_html import render_html
from duluan.briefings.render_pdf import render_pdf
from duluan.briefings.scheduler import BriefingScheduler
from duluan.briefings.schedules import Schedule, ScheduleRepository
from duluan.core.settings import Settings
from duluan.meta.source_runs import SourceRun, SourceRunRepository
from duluan.storage.sqlite.store import SQLiteStore
from duluan.watchlists.models import Watchlist, WatchlistCreate
from duluan.watchlists.repository import WatchlistRepository
from duluan.watchlists.service import create_watchlist
from tests.api.conftest import key_headers
from tests.briefings.corpus import NOV_START, corpus
from tests.conftest import Hook, require_tool

QUERIES = {"all": None, "xang": '"giá xăng" OR "cắt điện" OR học'}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SQLiteStore]:
    s = SQLiteStore(tmp_path_factory.mktemp("brief") / "duluan.db")
    s.upsert(corpus())
    yield s
    s.close()


@pytest.fixture(scope="module")
def watchlists(store: SQLiteStore) -> dict[str, Watchlist]:
    repo = WatchlistRepository(store.path)
    return {
        k: repo.get(k) or create_watchlist(repo, WatchlistCreate(name=k, query=q))
        for k, q in QUERIES.items()
    }


@pytest.fixture(scope="module")
def client(store: SQLiteStore, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("var")), store=store)
    with TestClient(app, headers=key_headers(app)) as c:
        yield c


@pytest.mark.parametrize("name", list(QUERIES))
def test_figures_match_the_api(
    name: str, store: SQLiteStore, watchlists: dict[str, Watchlist], client: TestClient
) -> None:
    period = make_period("2026-11-01", "2026-11-30", "Asia/Ho_Chi_Minh")
    b = build_briefing(store, watchlists[name], period, lang="vi")
    since, until = (d.isoformat() for d in period.utc())
    params: dict[str, Any] = {"since": since, "until": until}
    if QUERIES[name]:
        params["q"] = QUERIES[name]
    senti = client.get("/v1/sentiment", params=params).json()
    assert b.current.analysed == senti["total"]
    for label, n in senti["counts"].items():
        assert b.current.counts[label] == n
    assert abs(b.current.negative_share - senti["shares"]["negative"]) < 1e-9
    low, high = b.current.sampling("negative")
    assert (round(low, 4), round(high, 4)) == (
        senti["sampling"]["negative"]["low"],
        senti["sampling"]["negative"]["high"],
    )
    hourly = client.get(
        "/v1/timeline", params={**params, "interval": "hour", "split": "sentiment"}
    ).json()
    per_day: dict[str, int] = {}
    for bucket in hourly["buckets"]:
        local = datetime.fromisoformat(bucket["start"]).astimezone(period.tz)
        per_day[local.date().isoformat()] = (
            per_day.get(local.date().isoformat(), 0) + bucket["count"]
        )
    assert {tb.start.date().isoformat(): tb.total for tb in b.timeline if tb.total} == per_day
    assert len(b.timeline) == 30 and b.timeline[0].start == period.start
    assert b.current.total == sum(per_day.values())
    topics = client.get("/v1/top/topics", params={**params, "limit": 8}).json()["items"]
    assert [(t.key, t.count) for t in b.topics] == [(i["key"], i["count"]) for i in topics]
    sources = client.get("/v1/top/sources", params={**params, "limit": 8}).json()["items"]
    assert [(t.key, t.count) for t in b.sources] == [(i["key"], i["count"]) for i in sources]
    prev_params = {**params, "since": period.previous().utc()[0].isoformat(), "until": since}
    assert b.previous.analysed == client.get("/v1/sentiment", params=prev_params).json()["total"]


def test_changes_emerging_terms_spikes_and_coverage(
    store: SQLiteStore, watchlists: dict[str, Watchlist]
) -> None:
    b = build_briefing(store, watchlists["all"], make_period("2026-11-01", "2026-11-30"), lang="vi")
    assert b.current.total > b.previous.total and b.volume_change and b.volume_change > 0.1
    assert [e.term for e in b.emerging[:2]] == ["giá xăng", "cắt điện"]
    assert all("giá xăng" in s.text for s in b.emerging[0].samples) and b.emerging[0].samples
    spike_days = [s.start.date().isoformat() for s in b.spikes]
    assert "2026-11-25" in spike_days
    spike = next(s for s in b.spikes if s.start.date().isoformat() == "2026-11-25")
    assert spike.negative >= 60 and all(p.sentiment == "negative" for p in spike.samples)
    assert b.silent_sources == ["tuoitre"]
    assert {c.source: c.count for c in b.coverage}["tuoitre"] == 0
    assert b.current.counts.get("unknown") == 5  # not yet analysed: volume, not sentiment
    assert any("25/11/2026" in h and "Thứ Tư" in h for h in b.highlights)
    assert any(h.startswith(f"{b.current.total:,}".replace(",", ".")) for h in b.highlights)


def test_coverage_counts_failed_crawl_runs_from_the_metadata_database(
    store: SQLiteStore, watchlists: dict[str, Watchlist], tmp_path: Path
) -> None:
    """Failed runs in the period count per source; a source crawled in either period but
    without posts is known (and silent); runs outside both periods are not read."""
    period = make_period("2026-11-01", "2026-11-30")

    def run(source: str, day: int, ok: bool, errors: int = 0, month: int = 11) -> SourceRun:
        at = datetime(2026, month, day, 12, tzinfo=UTC)
        return SourceRun(source, at, at, items=0 if not ok else 5, errors=errors, ok=ok)

    with SourceRunRepository(tmp_path / "meta.db", retention_days=0) as runs:
        runs.record(run("vnexpress", 3, ok=False, errors=2))
        runs.record(run("vnexpress", 4, ok=True, errors=1))  # errors count as a failed run
        runs.record(run("vnexpress", 5, ok=True))
        runs.record(run("vnexpress", 20, ok=False, month=10))  # the previous period
        runs.record(run("otofun", 10, ok=False, errors=1))  # crawled, never a post
        runs.record(run("zingnews", 1, ok=False, month=9))  # before both periods
        b = build_briefing(store, watchlists["all"], period, lang="vi", runs=runs)
    failed = {c.source: c.failed_runs for c in b.coverage}
    assert failed["vnexpress"] == 2 and failed["otofun"] == 1 and "zingnews" not in failed
    assert b.silent_sources == ["otofun", "tuoitre"]
    assert {
        c.source: c.failed_runs for c in build_briefing(store, watchlists["all"], period).coverage
    }["vnexpress"] == 0


def test_html_is_self_contained_and_localised(
    store: SQLiteStore, watchlists: dict[str, Watchlist]
) -> None:
    period = make_period("2026-11-01", "2026-11-30")
    vi = render_html(build_briefing(store, watchlists["all"], period, lang="vi"))
    assert "<svg" in vi and "<style>" in vi
    for external in ("<script", "<link", 'src="http', "url(http", "@import"):
        assert external not in vi
    assert "Chủ Nhật, 01/11/2026" in vi and "Thứ Hai, 30/11/2026" in vi
    assert "Tỷ lệ tiêu cực" in vi and "điểm %" in vi
    en = render_html(build_briefing(store, watchlists["all"], period, lang="en"))
    assert "Sunday, 1 Nov 2026" in en and "Negative share" in en
    # the shipped model's confusion matrix is disabled: the raw share's sampling interval
    assert "Khoảng lấy mẫu 90 %" in vi and "90 % sampling interval" in en


def test_pdf_renders_with_vietnamese_text(
    store: SQLiteStore, watchlists: dict[str, Watchlist], tmp_path: Path
) -> None:
    pdf = render_pdf(
        build_briefing(store, watchlists["xang"], make_period("2026-11-01", "2026-11-30"))
    )
    assert pdf.startswith(b"%PDF")
    path = tmp_path / "brief.pdf"
    path.write_bytes(pdf)
    require_tool("pdftotext")
    require_tool("pdftoppm")
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    for phrase in (
        "Bản tin dư luận",
        "Tỷ lệ tiêu cực",
        "Từ khóa nổi lên",
        "giá xăng",
        "Phương pháp và lưu ý",
    ):
        assert phrase in text, phrase
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(path), str(tmp_path / "page")], check=True)
    assert sorted(p.name for p in tmp_path.glob("page-*.png"))


def test_brief_endpoint_html_pdf_json(client: TestClient, watchlists: dict[str, Watchlist]) -> None:
    wid = watchlists["xang"].id
    r = client.get(f"/v1/watchlists/{wid}/brief", params={"from": "2026-11-01", "to": "2026-11-30"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "Bản tin dư luận" in r.text
    r = client.get(
        f"/v1/watchlists/{wid}/brief",
        params={"from": "2026-11-01", "to": "2026-11-30", "format": "pdf", "lang": "en"},
    )
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    assert r.headers["content-type"] == "application/pdf"
    data = client.get(
        "/v1/watchlists/xang/brief",
        params={"from": "2026-11-01", "to": "2026-11-30", "format": "json"},
    ).json()
    assert data["watchlist_name"] == "xang" and data["current"]["total"] > 0
    assert (
        client.get(
            f"/v1/watchlists/{wid}/brief", params={"from": "2026-11-30", "to": "2026-11-01"}
        ).status_code
        == 400
    )
    assert (
        client.get(
            "/v1/watchlists/nope/brief", params={"from": "2026-11-01", "to": "2026-11-30"}
        ).status_code
        == 404
    )


def test_schedule_delivers_a_signed_webhook_once_per_period(
    store: SQLiteStore, watchlists: dict[str, Watchlist]
) -> None:
    hook = Hook()
    try:
        repo = ScheduleRepository(store.path)
        target = WebhookTarget(url=hook.url)
        schedule = repo.save(
            Schedule(
                watchlist_id=watchlists["all"].id,
                cadence="monthly",
                format="pdf",
                targets=[target],
                created_at=datetime(2026, 11, 15, tzinfo=UTC),
            )
        )
        scheduler = BriefingScheduler(
            store,
            repo,
            WatchlistRepository(store.path),
            config=DeliveryConfig(allow_private_targets=True, max_attempts=1),
        )
        before = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)  # 1 Dec 06:30 local: not yet 07:00
        assert scheduler.run_due(before) == []
        at = datetime(2026, 12, 1, 0, 30, tzinfo=UTC)  # 07:30 local on 1 December
        results = scheduler.run_due(at)
        assert [r.status for r in results] == ["delivered"]
        assert scheduler.run_due(at + timedelta(hours=5)) == []  # once per period
        headers, body = hook.requests[0]
        assert verify_signature(
            target.secret, headers[TIMESTAMP_HEADER], body, headers[SIGNATURE_HEADER]
        )
        payload = json.loads(body)
        assert payload["type"] == "briefing" and payload["period"]["start"].startswith(
            "2026-11-01T00:00:00+07:00"
        )
        assert base64.b64decode(payload["content_base64"]).startswith(b"%PDF")
        assert (
            payload["figures"]["posts"]
            == build_briefing(
                store, watchlists["all"], make_period("2026-11-01", "2026-11-30")
            ).current.total
        )
        log = repo.deliveries(schedule.id)
        assert log[0]["status"] == "delivered" and log[0]["period_end"].startswith("2026-12-01")
        assert repo.get(schedule.id).last_period_end.date().isoformat() == "2026-12-01"  # type: ignore[union-attr]
    finally:
        hook.close()


def test_schedule_periods() -> None:
    s = Schedule(
        watchlist_id="w", cadence="weekly", targets=[], created_at=datetime(2026, 1, 1, tzinfo=UTC)
    )
    p = s.latest_period(datetime(2026, 11, 28, 5, tzinfo=UTC))  # Saturday
    assert (p.start.date().isoformat(), p.end.date().isoformat()) == ("2026-11-16", "2026-11-23")
    d = s.model_copy(update={"cadence": "daily"}).latest_period(
        datetime(2026, 11, 28, 18, tzinfo=UTC)
    )
    assert d.start.date().isoformat() == "2026-11-28"  # 01:00 on the 29th, local
    assert NOV_START.isoformat().startswith("2026-10-31T17")


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        self.messages.append(envelope.content)
        return "250 OK"


def test_email_delivery_attaches_the_pdf(
    store: SQLiteStore, watchlists: dict[str, Watchlist]
) -> None:
    import email
    import socket

    from aiosmtpd.controller import Controller

    from duluan.alerts.delivery import SmtpConfig

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        repo = ScheduleRepository(store.path)
        schedule = repo.save(
            Schedule(
                watchlist_id=watchlists["xang"].id,
                cadence="weekly",
                format="pdf",
                lang="vi",
                targets=[{"type": "email", "to": ["lan@example.vn"]}],  # type: ignore[list-item]
            )
        )
        config = DeliveryConfig(
            max_attempts=1,
            smtp=SmtpConfig(
                host="127.0.0.1", port=port, starttls=False, sender="duluan@example.vn"
            ),
        )
        scheduler = BriefingScheduler(store, repo, WatchlistRepository(store.path), config=config)
        results = scheduler.send(schedule, now=datetime(2026, 11, 30, 3, tzinfo=UTC))
        assert [r.status for r in results] == ["delivered"]
        msg = email.message_from_bytes(inbox.messages[0])
        subject = str(email.header.make_header(email.header.decode_header(msg["Subject"])))
        assert subject.startswith("[duluan] Bản tin dư luận: xang · 23/11/2026 – 29/11/2026")
        parts = {p.get_content_type(): p for p in msg.walk()}
        assert {"text/plain", "text/html", "application/pdf"} <= set(parts)
        assert parts["application/pdf"].get_payload(decode=True).startswith(b"%PDF")  # type: ignore[union-attr]
    finally:
        controller.stop()


def test_relative_period_words() -> None:
    from zoneinfo import ZoneInfo

    from duluan.briefings.period import PeriodError

    tz = "Asia/Ho_Chi_Minh"
    week = make_period("7d", "today", tz)
    today = datetime.now(ZoneInfo(tz)).date()
    assert week.start.date() == today - timedelta(days=7)
    assert week.end.date() == today + timedelta(days=1)  # today is inclusive
    assert make_period("yesterday", "yesterday", tz).start.date() == today - timedelta(days=1)
    with pytest.raises(PeriodError, match="7d"):
        make_period("last week", "today", tz)
