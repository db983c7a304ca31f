"""The feedback form end to end: a phone-sized headless Chromium submits it, the embedded
pipeline (real NLP) indexes it, the API shows it; a flood is throttled without losing posts."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from duluan.container import Container
from duluan.core.settings import Settings
from duluan.feedback.repository import CampaignRepository
from duluan.feedback.service import FeedbackConfig, FeedbackService
from duluan.pipeline import Pipeline
from duluan.watchlists.repository import WatchlistRepository
from streaming.factory import make_bus
from tests.api.conftest import key_headers
from tests.conftest import CHROMIUM_ARGS, ServerThread

LATENCY_TARGET_S = 5.0  # publish -> searchable, the embedded pipeline's target
STAMP = re.compile(r'name="t" value="([^"]+)"')


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from nlp import Analyzer

    settings = Settings(data_dir=tmp_path_factory.mktemp("fb") / "var")
    pipeline = Pipeline(settings, analyze=Analyzer.load(settings).analyze)
    pipeline.start()
    service = FeedbackService(
        CampaignRepository(settings.resolved_store_path),
        WatchlistRepository(settings.resolved_store_path),
        make_bus(settings),
        topic=settings.raw_topic,
        config=FeedbackConfig(min_fill_s=1.0, burst=10, rate_per_minute=6),
    )
    app = create_app(container=Container(settings, store=pipeline.store, feedback=service))
    try:
        yield {"settings": settings, "pipeline": pipeline, "app": app, "service": service}
    finally:
        service.close()
        pipeline.stop()


def _search(client: TestClient, slug: str) -> dict[str, Any]:
    r = client.get("/v1/search", params={"q": f'thread:"feedback:campaign:{slug}"', "limit": 100})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


@pytest.mark.browser
def test_phone_form_submission_reaches_the_api(
    stack: dict[str, Any], chromium_path: str, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    with (
        ServerThread(stack["app"]) as server,
        TestClient(stack["app"], headers=key_headers(stack["app"])) as client,
    ):
        r = client.post(
            "/v1/feedback/campaigns",
            json={
                "slug": "cong-vien",
                "title": "Công viên Thống Nhất: bạn thấy thế nào?",
                "categories": ["Cây xanh", "Vệ sinh", "An ninh"],
            },
        )
        assert r.status_code == 201, r.text
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
            context = browser.new_context(
                viewport={"width": 390, "height": 844},
                device_scale_factor=2,
                is_mobile=True,
                has_touch=True,
                java_script_enabled=False,
                locale="vi-VN",
            )
            page = context.new_page()
            page.goto(f"{server.url}/f/cong-vien")
            assert page.locator("h1").inner_text().startswith("Công viên Thống Nhất")
            page.screenshot(path=str(tmp_path / "form.png"), full_page=True)
            page.fill("#text", "Công viên sạch đẹp hơn, nhưng buổi tối còn thiếu đèn ở lối đi.")
            page.select_option("#category", "An ninh")
            page.wait_for_timeout(1100)  # a human takes longer than the minimum fill time
            page.click("button[type=submit]")
            page.wait_for_url("**/f/cong-vien/thanks**")
            assert "Cảm ơn bạn!" in page.locator("h1").inner_text()
            sent_at = time.monotonic()
            page.screenshot(path=str(tmp_path / "thanks.png"), full_page=True)
            browser.close()
        deadline = sent_at + 30
        found: dict[str, Any] = {}
        while time.monotonic() < deadline:
            found = _search(client, "cong-vien")
            if found["total"]:
                break
            time.sleep(0.1)
        latency = time.monotonic() - sent_at
        assert found.get("total") == 1, found
        post = found["hits"][0]["post"]
        assert post["source"] == "feedback" and post["raw"] == {"category": "An ninh"}
        assert post["analysis"]["language"] == "vi" and post["analysis"]["sentiment"]["label"]
        assert latency <= LATENCY_TARGET_S, f"visible after {latency:.2f}s"
        print(f"feedback submission visible in the API after {latency:.2f}s")
    assert (tmp_path / "form.png").stat().st_size > 10_000


def test_a_flood_from_one_client_is_throttled_without_losing_accepted_posts(
    stack: dict[str, Any],
) -> None:
    with TestClient(stack["app"], headers=key_headers(stack["app"])) as client:
        assert (
            client.post(
                "/v1/feedback/campaigns", json={"slug": "flood", "title": "Flood"}
            ).status_code
            == 201
        )
        stamp = STAMP.search(client.get("/f/flood").text).group(1)  # type: ignore[union-attr]
        time.sleep(1.05)  # past the minimum fill time
        codes: dict[int, int] = {}
        accepted: list[str] = []
        for i in range(1000):
            text = f"Ý kiến số {i}: đường ngập sau mưa"
            r = client.post(
                "/f/flood", data={"t": stamp, "text": text, "website": ""}, follow_redirects=False
            )
            codes[r.status_code] = codes.get(r.status_code, 0) + 1
            if r.status_code == 303:
                accepted.append(text)
        assert set(codes) == {303, 429}, codes
        assert 10 <= codes[303] <= 12 and codes[429] >= 988
        assert stack["pipeline"].wait_drained(timeout=60)
        found = _search(client, "flood")
        assert sorted(h["post"]["text"] for h in found["hits"]) == sorted(accepted)
        assert found["total"] == len(accepted)
