"""The direct feedback channel: campaign admin, QR codes, the no-JavaScript form and its abuse
checks, and submissions flowing through the real embedded pipeline into the store."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from duluan.container import Container
from duluan.core.settings import Settings
from duluan.feedback.abuse import (
    DuplicateGuard,
    FormStamp,
    RateLimiter,
    StampError,
    normalized_text,
)
from duluan.feedback.i18n import pick_lang
from duluan.feedback.repository import CampaignRepository
from duluan.feedback.service import FeedbackConfig, FeedbackService
from duluan.storage.sqlite.store import SQLiteStore
from duluan.watchlists.repository import WatchlistRepository
from streaming.factory import make_bus
from tests.api.conftest import key_headers

STAMP = re.compile(r'name="t" value="([^"]+)"')


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_token_bucket_duplicates_and_stamps() -> None:
    clock = FakeClock()
    limiter = RateLimiter(per_minute=6, burst=2, clock=clock)
    assert [limiter.take("a") for _ in range(2)] == [0.0, 0.0]
    assert limiter.take("a") == pytest.approx(10.0)
    assert limiter.take("b") == 0.0  # per client
    clock.now += 10
    assert limiter.take("a") == 0.0
    guard = DuplicateGuard(window_s=60, clock=clock)
    assert guard.reserve("c", "Giá XĂNG tăng!!") is not None
    assert guard.reserve("c", "gia xang   tang") is None  # same normalized text
    assert guard.reserve("other", "gia xang tang") is not None
    clock.now += 61
    assert guard.reserve("c", "gia xang tang") is not None
    assert normalized_text("Đường  phố, ngập!") == "duong pho ngap"
    stamps = FormStamp(b"k" * 32, min_fill_s=2, max_age_s=100, clock=clock)
    stamp = stamps.issue("s")
    with pytest.raises(StampError, match="too_fast"):
        stamps.check("s", stamp)
    clock.now += 3
    stamps.check("s", stamp)
    with pytest.raises(StampError, match="invalid"):
        stamps.check("other-campaign", stamp)
    with pytest.raises(StampError, match="invalid"):
        stamps.check("s", stamp[:-1] + ("0" if stamp[-1] != "0" else "1"))
    clock.now += 200
    with pytest.raises(StampError, match="expired"):
        stamps.check("s", stamp)
    assert pick_lang(None, "en-US,en;q=0.9") == "en"
    assert pick_lang(None, "en;q=0.5,vi;q=0.9") == "vi"
    assert pick_lang(None, None) == "vi" and pick_lang("en", "vi") == "en"


def _app(
    settings: Settings, store: SQLiteStore, config: FeedbackConfig
) -> tuple[object, FeedbackService]:
    service = FeedbackService(
        CampaignRepository(store.path),
        WatchlistRepository(store.path),
        make_bus(settings),
        topic=settings.raw_topic,
        config=config,
    )
    app = create_app(container=Container(settings, store=store, feedback=service))
    return app, service


@pytest.fixture
def env(tmp_path: Path) -> Iterator[tuple[TestClient, FeedbackService, Settings]]:
    settings = Settings(data_dir=tmp_path / "var")
    store = SQLiteStore(settings.resolved_store_path)
    app, service = _app(settings, store, FeedbackConfig(min_fill_s=0, burst=50, max_chars=300))
    with TestClient(app, headers=key_headers(app)) as client:  # type: ignore[arg-type]
        yield client, service, settings
    service.close()
    store.close()


def _form(client: TestClient, slug: str, **fields: str) -> tuple[int, str, dict[str, str]]:
    page = client.get(f"/f/{slug}")
    data = {
        "t": STAMP.search(page.text).group(1),
        "text": "",
        "category": "",
        "contact": "",
        "website": "",
    }  # type: ignore[union-attr]
    data.update(fields)
    r = client.post(f"/f/{slug}", data=data, follow_redirects=False)
    return r.status_code, r.text, dict(r.headers)


def test_campaign_admin_watchlist_and_qr(env: tuple[TestClient, FeedbackService, Settings]) -> None:
    client, _, _ = env
    r = client.post(
        "/v1/feedback/campaigns",
        json={
            "slug": "xe-buyt",
            "title": "Góp ý xe buýt Hà Nội",
            "categories": ["Giá vé", "Lịch trình"],
        },
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert (
        body["url"].endswith("/f/xe-buyt")
        and body["watchlist_query"] == 'thread:"feedback:campaign:xe-buyt"'
    )
    wl = client.get(f"/v1/watchlists/{body['watchlist_id']}").json()
    assert wl["query"] == 'thread:"feedback:campaign:xe-buyt"' and wl["name"] == "feedback:xe-buyt"
    assert (
        client.post("/v1/feedback/campaigns", json={"slug": "xe-buyt", "title": "x"}).status_code
        == 409
    )
    assert (
        client.post("/v1/feedback/campaigns", json={"slug": "Bad Slug!", "title": "x"}).status_code
        == 422
    )
    png = client.get("/v1/feedback/campaigns/xe-buyt/qr.png")
    assert (
        png.status_code == 200
        and png.content.startswith(b"\x89PNG")
        and png.headers["content-type"] == "image/png"
    )
    svg = client.get("/v1/feedback/campaigns/xe-buyt/qr.svg")
    assert svg.status_code == 200 and b"<svg" in svg.content
    assert client.get("/v1/feedback/campaigns/xe-buyt/qr.gif").status_code == 404
    assert (
        client.patch("/v1/feedback/campaigns/xe-buyt", json={"active": False}).json()["active"]
        is False
    )
    assert client.get("/f/xe-buyt").status_code == 404
    assert client.delete("/v1/feedback/campaigns/xe-buyt").status_code == 204
    assert client.get("/v1/feedback/campaigns/xe-buyt").status_code == 404


def test_form_checks_answer_with_the_right_codes(
    env: tuple[TestClient, FeedbackService, Settings],
) -> None:
    client, _service, settings = env
    client.post(
        "/v1/feedback/campaigns",
        json={"slug": "pho", "title": "Phố đi bộ", "categories": ["Vệ sinh"]},
    )
    page = client.get("/f/pho")
    assert page.status_code == 200 and "<script" not in page.text and 'lang="vi"' in page.text
    assert "Gửi ý kiến" in page.text and 'name="website"' in page.text
    assert "Send" in client.get("/f/pho", headers={"Accept-Language": "en-GB,en"}).text
    status, _, headers = _form(
        client,
        "pho",
        text="Phố sạch, nhưng thiếu thùng rác",
        category="Vệ sinh",
        contact="lan@example.vn",
    )
    assert status == 303 and headers["location"].startswith("/f/pho/thanks")
    assert "Cảm ơn bạn!" in client.get(headers["location"]).text
    status, text, _ = _form(client, "pho", text="phố SẠCH nhưng thiếu thùng rác!!")
    assert status == 409 and "đã được gửi" in text
    status, text, _ = _form(client, "pho", text="x" * 301)
    assert status == 413 and "quá dài" in text and "x" * 301 in text  # the text is kept for editing
    status, text, _ = _form(client, "pho", text="bot", website="http://spam.example")
    assert status == 400 and "ô ẩn" in text
    status, text, _ = _form(client, "pho", text="   ")
    assert status == 400 and "Vui lòng nhập" in text
    status, _, _ = _form(client, "pho", text="ok", category="Không có")
    assert status == 400
    r = client.post("/f/pho", data={"text": "không có dấu thời gian"}, follow_redirects=False)
    assert r.status_code == 400 and "tải lại trang" in r.text
    r = client.post("/f/pho?lang=en", data={"text": "a" * 20_000}, follow_redirects=False)
    assert r.status_code == 413 and "too long" in r.text
    # exactly one Post published, anonymous, with category and contact only as given
    from duluan.core.models import Post

    with make_bus(settings) as bus, bus.consumer(settings.raw_topic, "test-reader") as c:
        messages = c.poll(100, timeout=1.0)
    posts = [Post.from_json(m.value) for m in messages]
    assert len(posts) == 1
    p = posts[0]
    assert (
        p.source == "feedback"
        and p.id.startswith("feedback:submission:")
        and p.thread_id == "feedback:campaign:pho"
    )
    assert p.author is None and p.raw == {"category": "Vệ sinh", "contact": "lan@example.vn"}
    assert "testclient" not in p.model_dump_json()  # no client address anywhere


def test_rate_limit_says_when_to_retry(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var")
    store = SQLiteStore(settings.resolved_store_path)
    app, service = _app(settings, store, FeedbackConfig(min_fill_s=0, burst=2, rate_per_minute=2))
    try:
        with TestClient(app, headers=key_headers(app)) as client:  # type: ignore[arg-type]
            client.post("/v1/feedback/campaigns", json={"slug": "c", "title": "C"})
            codes = [_form(client, "c", text=f"ý kiến {i}") for i in range(3)]
            assert [c[0] for c in codes] == [303, 303, 429]
            assert "thử lại sau" in codes[2][1] and int(codes[2][2]["retry-after"]) >= 1
    finally:
        service.close()
        store.close()
