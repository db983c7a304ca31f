"""/docs and /redoc work without the internet: their scripts come from the package, and a real
Chromium with every non-loopback request aborted still renders the operations."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from duluan.core.settings import Settings
from duluan.storage.sqlite.store import SQLiteStore
from tests.conftest import CHROMIUM_ARGS, REPO_ROOT, ServerThread

LINKS = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|url\s*:\s*["']([^"']+)["']""")


def referenced(html: str) -> list[str]:
    """Every URL an HTML page loads or points at (attributes and Swagger's `url:` option)."""
    return [a or b for a, b in LINKS.findall(html)]


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_docs_pages_reference_only_local_urls(tmp_path: Path, path: str) -> None:
    store = SQLiteStore(tmp_path / "d.db")
    with TestClient(create_app(Settings(), store=store)) as client:
        r = client.get(path)
        assert r.status_code == 200
        urls = referenced(r.text)
        assert urls, r.text
        for url in urls:
            assert not urlsplit(url).netloc, f"{path} loads {url} from another host"
            assert url.startswith("/"), url
        assert "fonts.googleapis" not in r.text and "cdn" not in r.text.lower()
        for url in urls:  # each asset it names is served
            if url.startswith("/static/"):
                asset = client.get(url)
                assert asset.status_code == 200, url
                assert len(asset.content) > 500, url
    store.close()


def test_vendored_assets_carry_their_licences() -> None:
    vendor = REPO_ROOT / "api" / "static" / "vendor"
    for folder in ("swagger-ui", "redoc", "chartjs"):
        assert list((vendor / folder).glob("LICENSE*")), folder
    versions = (vendor / "VERSIONS.txt").read_text()
    assert "swagger-ui-dist 5." in versions and "chart.js 4." in versions


@pytest.mark.browser
def test_docs_render_operations_with_the_network_cut_off(
    tmp_path: Path, chromium_path: str
) -> None:
    from playwright.sync_api import Route, sync_playwright

    store = SQLiteStore(tmp_path / "d.db")
    blocked: list[str] = []

    def only_loopback(route: Route) -> None:
        host = urlsplit(route.request.url).hostname
        if host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort("internetdisconnected")

    with ServerThread(create_app(Settings(), store=store)) as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.route("**/*", only_loopback)
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(server.url + "/docs")
        page.wait_for_selector(".opblock-summary-path", timeout=15_000)
        paths = page.locator(".opblock-summary-path").all_inner_texts()
        assert any("/v1/search" in x for x in paths)
        assert len(paths) > 20
        keep = REPO_ROOT / "var" / "screenshots"
        keep.mkdir(parents=True, exist_ok=True)
        shot = tmp_path / "docs.png"
        page.screenshot(path=str(shot))
        shutil.copy(shot, keep / "docs-offline.png")
        page.goto(server.url + "/redoc")
        page.wait_for_selector("[data-section-id^='operation/']", state="attached", timeout=20_000)
        assert page.locator("[data-section-id^='operation/']").count() > 20
        browser.close()
    store.close()
    assert blocked == []
    assert errors == []
