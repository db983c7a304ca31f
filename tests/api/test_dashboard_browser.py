"""The dashboard in a real headless Chromium: it loads, searches, draws the chart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from api.app import create_app
from core.models import Analysis, Post, Scored, Sentiment
from core.settings import Settings
from storage.sqlite_store import SQLiteStore
from tests.conftest import CHROMIUM_ARGS, ServerThread

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
            created_at=now - timedelta(hours=i * 3),
            analysis=Analysis(
                language="vi",
                sentiment=Sentiment(label=s, score=0.8),  # type: ignore[arg-type]
                topics=[Scored(label=tp, score=0.9)],
                keywords=[t.split()[0].lower()],
            ),
        )
        for i, (t, s, tp) in enumerate(texts * 10)
    ]


def test_dashboard_loads_searches_and_draws(tmp_path: Path, chromium_path: str) -> None:
    from playwright.sync_api import sync_playwright

    store = SQLiteStore(tmp_path / "dash.db")
    store.upsert(corpus())
    with ServerThread(create_app(Settings(), store=store)) as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(server.url + "/")
        page.wait_for_selector("#chart svg rect.bar")
        assert page.locator("#total").inner_text() == "40"
        assert page.locator("#chart svg rect.bar-negative").count() > 0
        page.fill("#q", "xang")
        page.click("button.go")
        page.wait_for_function("document.getElementById('total').textContent === '20'")
        assert page.locator(".hit mark").count() > 0
        page.select_option("#sentiment", "negative")
        page.click("button.go")
        page.wait_for_function("document.getElementById('total').textContent === '20'")
        page.click("#lang")
        assert page.locator("button.go").inner_text() == "Search"
        shot = tmp_path / "dashboard.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
        browser.close()
    assert errors == []
