"""The dashboard in a real headless Chromium: it loads, searches, draws the chart, lists
trends with their drivers, shows alerts, and a live post arrives over SSE."""

from __future__ import annotations

import random
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from api.app import create_app
from duluan.alerts.delivery import make_test_event
from duluan.alerts.models import Subscription
from duluan.alerts.repository import AlertRepository
from duluan.core.models import Analysis, Post, Scored, Sentiment
from duluan.core.settings import Settings
from duluan.storage.base import SourceRun
from duluan.storage.sqlite.store import SQLiteStore
from tests.api.conftest import background, key_headers, make_post
from tests.conftest import CHROMIUM_ARGS, REPO_ROOT, ServerThread

pytestmark = pytest.mark.browser


def corpus() -> list[Post]:
    now = datetime.now(UTC)
    texts = [
        ("Giá xăng tăng quá, dân khổ", "negative", "business"),
        ("Đội tuyển thắng đẹp, tự hào", "positive", "sports"),
        ("Trường mở cửa lại từ thứ hai", "neutral", "education"),
        ("Xăng lên giá nữa rồi, chán", "negative", "business"),
    ]
    return [
        Post(
            id=f"demo:comment:{i}",
            source="vnexpress" if i % 2 else "voz",
            text=f"{t} #{i}",
            author=f"user{i % 7}",
            created_at=now - timedelta(hours=i * 3 + 2),
            analysis=Analysis(
                language="vi",
                sentiment=Sentiment(label=s, score=0.8),  # type: ignore[arg-type]
                topics=[Scored(label=tp, score=0.9)],
                keywords=[t.split()[0].lower()],
            ),
        )
        for i, (t, s, tp) in enumerate(texts * 10)
    ]


def trending(now: datetime) -> list[Post]:
    """24 quiet hours of 30 posts, then a burst of `ngập` posts in the last hour."""
    rng = random.Random(5)
    posts: list[Post] = []
    for h in range(1, 25):
        posts += background(rng, 30, now - timedelta(hours=h, minutes=-10))
    at = now - timedelta(minutes=40)
    posts += background(rng, 30, at)
    posts += [
        make_post(["ngập", "mưa lớn"], at=at + timedelta(seconds=i), source="voz")
        for i in range(20)
    ]
    return posts


def test_dashboard_loads_searches_draws_trends_and_live(tmp_path: Path, chromium_path: str) -> None:
    from playwright.sync_api import sync_playwright

    store = SQLiteStore(tmp_path / "dash.db")
    store.upsert(corpus())
    now = datetime.now(UTC)
    store.upsert(trending(now))
    repo = AlertRepository(store.path)
    sub = repo.save_subscription(Subscription(name="Giá xăng"))
    repo.record_event(make_test_event(sub))
    settings = Settings(api_live_poll_s=0.3)
    with ServerThread(create_app(settings, store=store)) as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(server.url + "/")
        page.wait_for_selector("#chart svg rect.bar")
        assert page.locator("#total").inner_text() == str(40 + 25 * 30 + 20)
        assert page.locator("#chart svg rect.bar-negative").count() > 0
        page.wait_for_selector("#trends details.trend")
        assert "ngập" in page.locator("#trends").inner_text()
        assert page.locator(".alert-row").first.inner_text().startswith("Giá xăng")
        assert "test alert" in page.locator("#alert-events").inner_text()
        page.wait_for_function("document.getElementById('live-dot').classList.contains('on')")
        store.upsert([make_post(["tin", "nóng"], at=datetime.now(UTC))])
        page.wait_for_selector("#live .item", timeout=10_000)
        assert "tin nóng" in page.locator("#live .item").first.inner_text()
        page.locator("#trends summary").first.click()
        page.wait_for_selector("#trends details[open] .drivers p")
        shot = tmp_path / "dashboard.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
        keep = REPO_ROOT / "var" / "screenshots"
        keep.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, keep / "dashboard.png")
        page.fill("#q", "xang")
        page.click("button.go")
        page.wait_for_function("document.getElementById('total').textContent === '20'")
        assert page.locator(".hit mark").count() > 0
        page.select_option("#sentiment", "negative")
        page.click("button.go")
        page.wait_for_function("document.getElementById('total').textContent === '20'")
        page.click("#lang")
        assert page.locator("button.go").inner_text() == "Search"
        page.wait_for_function("document.querySelector('#trends').textContent.includes('Nothing')")
        assert "Neutral" in page.locator("#live .item").first.inner_text()
        page.screenshot(path=str(keep / "dashboard-en.png"), full_page=True)
        browser.close()
    repo.close()
    store.close()
    assert errors == []


def shown_sources(page: Any) -> set[str]:
    """The source names in the dashboard's sources panel."""
    names = page.locator("#sources .source-row").evaluate_all("rs => rs.map(r => r.dataset.source)")
    return set(names)


def wait_sources(page: Any, expected: set[str]) -> None:
    """Wait until the sources panel lists exactly `expected` (it redraws after each fetch)."""
    page.wait_for_function(
        "want => { const got = [...document.querySelectorAll('#sources .source-row')]"
        ".map(r => r.dataset.source).sort(); return JSON.stringify(got) === JSON.stringify(want); }",
        arg=sorted(expected),
    )
    assert shown_sources(page) == expected


def test_dashboard_watchlists_open_a_view_and_compare_share_of_voice(
    tmp_path: Path, chromium_path: str
) -> None:
    import httpx
    from playwright.sync_api import sync_playwright

    store = SQLiteStore(tmp_path / "dash.db")
    store.upsert(corpus())
    now = datetime.now(UTC)  # a third source whose crawler fails and has no posts
    store.record_source_run(SourceRun("tinhte", now, now, items=0, errors=3, ok=False))
    app = create_app(Settings(api_live_poll_s=0.3), store=store)
    with ServerThread(app) as server, sync_playwright() as p:
        admin = key_headers(app)
        made = {}
        for name, query in (
            ("Giá xăng", "xang"),
            ("Bóng đá", "thắng"),
            ("Góp ý trường học", 'thread:"feedback:campaign:truong-hoc"'),
        ):
            r = httpx.post(
                server.url + "/v1/watchlists", json={"name": name, "query": query}, headers=admin
            )
            assert r.status_code == 201, r.text
            made[name] = r.json()["id"]
        browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto(server.url + "/")
        page.wait_for_selector("#watchlists .wl >> nth=2")
        page.wait_for_function("document.getElementById('total').textContent === '40'")
        assert shown_sources(page) == {"tinhte", "voz", "vnexpress"}
        assert page.locator("#sources-scope").is_hidden()
        listed = page.locator("#watchlists").inner_text()
        assert "Giá xăng" in listed and "Bóng đá" in listed and "chiến dịch" in listed
        assert page.locator("#active-wl").is_hidden()
        # open a watchlist: every read request carries it and the total is its count
        page.locator("#watchlists .wl", has_text="Giá xăng").locator("button.open").click()
        page.wait_for_function("document.getElementById('total').textContent === '20'")
        assert page.locator("#active-wl").is_visible()
        assert page.locator("#active-wl-name").inner_text() == "Giá xăng"
        assert "active" in (page.locator(".wl.active").get_attribute("class") or "")
        with_wl = [u for u in requests if f"watchlist={made['Giá xăng']}" in u]
        for path in (
            "/v1/timeline",
            "/v1/search",
            "/v1/top/topics",
            "/v1/trends",
            "/v1/live",
            "/v1/sources",
        ):
            assert any(path in u for u in with_wl), path
        # the sources panel shows the view's sources (with "xăng" posts), not the failing one
        wait_sources(page, {"voz", "vnexpress"})
        assert page.locator("#sources-scope").is_visible()
        # share of voice: tick two watchlists
        page.locator(f".sov-tick[data-id='{made['Giá xăng']}']").check()
        assert page.locator(".sov-row").count() == 0
        page.locator(f".sov-tick[data-id='{made['Bóng đá']}']").check()
        page.wait_for_selector("#sov .sov-row >> nth=1")
        rows = page.locator("#sov .sov-row").all_inner_texts()
        assert "Giá xăng" in rows[0] and "66.7%" in rows[0]
        assert "Bóng đá" in rows[1] and "33.3%" in rows[1]
        shot = tmp_path / "dash_watchlists.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
        shutil.copy(shot, "/tmp/dash_watchlists.png")
        page.click("#lang")
        assert page.locator("#watchlists-panel h2").first.inner_text().lower() == "watchlists"
        assert "campaign" in page.locator("#watchlists").inner_text()
        # another view: "thắng" is only posted on vnexpress
        page.locator("#watchlists .wl", has_text="Bóng đá").locator("button.open").click()
        page.wait_for_function("document.getElementById('total').textContent === '10'")
        wait_sources(page, {"vnexpress"})
        assert "(with matching posts)" in page.locator("#sources-scope").inner_text()
        # × closes the view
        page.click("#clear-wl")
        page.wait_for_function("document.getElementById('total').textContent === '40'")
        assert page.locator("#active-wl").is_hidden()
        wait_sources(page, {"tinhte", "voz", "vnexpress"})
        assert "failing" in page.locator("#sources .source-row[data-source='tinhte']").inner_text()
        browser.close()
    store.close()
    assert errors == []
