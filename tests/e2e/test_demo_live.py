"""`duluan demo` as a user meets it: the main job keeps running, a feedback submission reaches the
dashboard and its Live panel, the planted spike trends and alerts, and a briefing renders.

Screenshots (dashboard on desktop and phone, page 1 of a demo briefing) go to var/screenshots/
(gitignored) for a person to look at.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import CHROMIUM_ARGS

REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "var" / "screenshots"
STAMP = re.compile(r'name="t" value="([^"]+)"')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Demo:
    """The demo in a child process; its stderr is collected line by line."""

    def __init__(self, data: Path, port: int) -> None:
        env = {**os.environ, "DULUAN_DATA_DIR": str(data), "DULUAN_LOG_LEVEL": "WARNING"}
        self.port = port
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "duluan.cli",
                "demo",
                "--port",
                str(port),
                "--publish-every",
                "2",
                "--crawl-every",
                "4",
            ],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line.rstrip())

    def wait_for(self, pattern: str, timeout: float) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern)
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if m := rx.search(line):
                    return m
            if self.proc.poll() is not None:
                break
            time.sleep(0.5)
        raise AssertionError(
            f"no {pattern!r} in the demo's output:\n" + "\n".join(self.lines[-40:])
        )

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    port = _free_port()
    d = Demo(tmp_path_factory.mktemp("demo") / "var", port)
    try:
        sink = d.wait_for(r"Alerts it receives: (http://\S+)/hooks", timeout=600).group(1)
        key = d.wait_for(r"alert panels \(its key button\): (dlk_\S+)", timeout=30).group(1)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # the API comes up right after the [4/4] line
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        yield {"base": base, "sink": sink, "demo": d, "key": key}
    finally:
        d.stop()


def _poll(check: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(1.0)
    raise AssertionError(f"timed out waiting for {what}")


def _submit_feedback(base: str, text: str) -> None:
    """Fill the public form as a person would (it needs a few seconds between load and send)."""
    with httpx.Client(base_url=base, follow_redirects=False, timeout=10) as c:
        page = c.get("/f/gop-y")
        assert page.status_code == 200, page.text[:300]
        stamp = STAMP.search(page.text)
        assert stamp, "the form carries its time stamp"
        time.sleep(3.5)
        r = c.post("/f/gop-y", data={"text": text, "category": "Ngập lụt", "t": stamp.group(1)})
        assert r.status_code == 303, r.text[:500]


@pytest.mark.slow
@pytest.mark.browser
def test_the_demo_stays_alive(demo: dict[str, Any], chromium_path: str) -> None:
    from playwright.sync_api import sync_playwright

    base = demo["base"]
    # the site keeps publishing and the crawler keeps collecting
    total = lambda: httpx.get(f"{base}/v1/search", params={"limit": 1}).json()["total"]  # noqa: E731
    first = total()
    assert first > 1500, "two weeks of history were ingested"
    _poll(lambda: total() > first, 60, "new posts from the live demo site")

    # the planted spike: trending now, and the demo alert was delivered to the sink
    trends = httpx.get(f"{base}/v1/trends", params={"window": "1h", "baseline": 24}).json()
    spiking = {t["term"] for t in trends["trends"] if t["direction"] == "spike"}
    assert spiking & {"ngập lụt", "triều cường", "ngập"}, spiking

    def hooks() -> list[dict[str, Any]]:
        with urllib.request.urlopen(f"{demo['sink']}/hooks.json") as r:
            return list(json.load(r))

    got = _poll(hooks, 60, "the demo alert at the webhook sink")
    assert any(h["payload"].get("subscription_name") == "Ngập lụt tăng đột biến" for h in got)

    SHOTS.mkdir(parents=True, exist_ok=True)
    marker = f"nước ngập ở hẻm {uuid.uuid4().hex[:6]}"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1366, "height": 900})
        # the read key the demo printed, as the dashboard's key button would store it
        page.add_init_script(f"localStorage.setItem('duluan-key', {json.dumps(demo['key'])})")
        page.goto(f"{base}/", wait_until="load", timeout=30_000)
        page.wait_for_function(
            "() => document.querySelector('#alert-events').innerText.includes('Ngập lụt')",
            timeout=60_000,
        )
        assert "Ngập lụt tăng đột biến" in page.inner_text("#alerts")
        page.wait_for_selector("#trends .trend", timeout=30_000)
        assert re.search("ngập|triều cường", page.inner_text("#trends"))
        # a submission through the public form shows in Live, then in the results
        _submit_feedback(base, f"Góp ý: {marker}, xin xử lý sớm.")
        page.wait_for_function(
            "m => document.querySelector('#live').innerText.includes(m)",
            arg=marker,
            timeout=60_000,
        )
        page.fill("#q", f'"{marker}"')
        page.click("#search button[type=submit]")
        page.wait_for_function(
            "m => document.querySelector('#hits').innerText.includes(m)",
            arg=marker,
            timeout=30_000,
        )
        page.fill("#q", "")
        page.click("#search button[type=submit]")
        page.wait_for_timeout(1500)
        page.screenshot(path=str(SHOTS / "demo-desktop.png"), full_page=False)
        phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
        phone.goto(f"{base}/", wait_until="load", timeout=30_000)
        phone.wait_for_selector("#trends .trend", timeout=30_000)
        phone.screenshot(path=str(SHOTS / "demo-phone.png"), full_page=False)
        browser.close()

    # a briefing of the demo watchlist renders; page 1 as a picture
    pdf = httpx.get(
        f"{base}/v1/watchlists/demo/brief",
        params={"from": "7d", "to": "today", "format": "pdf"},
        timeout=120,
    )
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF"), pdf.text[:300]
    (SHOTS / "demo-briefing.pdf").write_bytes(pdf.content)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "70",
            "-f",
            "1",
            "-l",
            "1",
            str(SHOTS / "demo-briefing.pdf"),
            str(SHOTS / "demo-briefing"),
        ],
        check=True,
        timeout=60,
    )
    assert list(SHOTS.glob("demo-briefing*.png"))
