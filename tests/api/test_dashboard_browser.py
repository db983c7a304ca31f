"""The dashboard in a real headless Chromium: it loads, searches, draws the chart, lists
trends with their drivers, shows alerts, and a live post arrives over SSE."""

from __future__ import annotations

import random
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from api.app import create_app
from duluan.alerts.delivery import make_test_event
from duluan.alerts.models import Subscription
from duluan.alerts.repository import AlertRepository
from duluan.core.models import Analysis, Post, Scored, Sentiment
from duluan.core.settings import Settings
from duluan.meta.sentiment_corrections import Correction, apply_corrections
from duluan.meta.source_runs import SourceRun, SourceRunRepository
from duluan.storage.sqlite.store import SQLiteStore
from nlp import model_meta
from nlp.adaptation import AdaptationSet, SentimentAdaptation
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
    base = corpus()
    store.upsert(base)
    now = datetime.now(UTC)
    burst = trending(now)
    store.upsert(burst)
    newest = max(base + burst, key=lambda x: x.created_at)  # the first hit; an analyst fixed it
    fix = Correction(newest.id, "positive", "api:lan", now)
    store.upsert(apply_corrections([newest], {newest.id: fix}))
    repo = AlertRepository(store.path)
    sub = repo.save_subscription(Subscription(name="Giá xăng"))
    repo.record_event(make_test_event(sub))
    offsets = tmp_path / "offsets.json"
    AdaptationSet(sources={"voz": voz_offsets()}).save(offsets)
    settings = Settings(api_live_poll_s=0.3, nlp_sentiment_adaptation=offsets)
    app = create_app(settings, store=store)
    with ServerThread(app) as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        # a read key: alert subscriptions and their history are shown to key holders only
        page = browser.new_page(
            viewport={"width": 1280, "height": 900}, extra_http_headers=key_headers(app, "read")
        )
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(server.url + "/")
        page.wait_for_selector("body[data-ready]")
        total = 40 + 25 * 30 + 20
        assert page.locator("#total").inner_text() == str(total)
        check_chart(page, total)
        check_tables_and_times(page, store)
        first = page.locator("#hits .hit .tag").first
        assert first.inner_text() == "Tích cực ✎"
        assert "Người phân tích đã sửa (api:lan)" in (first.get_attribute("title") or "")
        voz = page.locator("#sources .source-row[data-source='voz'] .offsets")
        assert voz.inner_text() == "cảm xúc hiệu chỉnh theo 300 nhãn"
        assert "nhãn 50% / 30% / 20%; mô hình 30% / 50% / 20%" in (voz.get_attribute("title") or "")
        assert page.locator("#sources .source-row[data-source='vnexpress'] .offsets").count() == 0
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
        keep = SCREENSHOTS
        keep.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, keep / "dashboard.png")
        page.fill("#q", "xang")
        page.click("button.go")
        page.wait_for_function("document.getElementById('total').textContent === '20'")
        assert page.locator(".hit mark").count() > 0
        page.select_option("#sentiment", "negative")
        page.click("button.go")
        page.wait_for_function("document.getElementById('total').textContent === '20'")
        # the live panel follows the query: the old view's post goes, a matching one comes in.
        # The total was 20 before this search too, so wait for the stream of the new query.
        page.wait_for_function(
            "liveQuery === 'q=xang&sentiment=negative'"
            " && document.getElementById('live-dot').classList.contains('on')"
        )
        assert page.locator("#live .item").count() == 0
        store.upsert(
            [make_post(["xăng", "lại", "tăng"], at=datetime.now(UTC), sentiment="negative")]
        )
        page.wait_for_selector("#live .item", timeout=10_000)
        assert "xăng lại tăng" in page.locator("#live .item").first.inner_text()
        page.click("#lang")
        assert page.locator("button.go").inner_text() == "Search"
        page.wait_for_function("document.querySelector('#trends').textContent.includes('Nothing')")
        assert "Negative" in page.locator("#live .item").first.inner_text()
        page.wait_for_function(
            "document.querySelector('#topics tbody').textContent.includes('Business')"
        )
        assert "Time zone: Asia/Ho_Chi_Minh (UTC+07:00)" in page.locator("#tz-label").inner_text()
        assert chart_js(page, "c.options.scales.y.title.text") == "Posts"
        page.screenshot(path=str(keep / "dashboard-en.png"), full_page=True)
        browser.close()
    repo.close()
    store.close()
    assert errors == []


SCREENSHOTS = REPO_ROOT / "var" / "screenshots"  # gitignored; written by every run


def chart_js(page: Any, expr: str) -> Any:
    """Evaluate `expr` with `c` bound to the timeline's Chart.js instance."""
    return page.evaluate(f"(() => {{ const c = Chart.getChart('timeline'); return {expr}; }})()")


def check_chart(page: Any, total: int) -> None:
    """The timeline is a Chart.js chart (the vendored library) with titled axes in the display
    zone, every post counted once, a tooltip on hover and a legend that hides a series."""
    assert page.evaluate("typeof Chart") == "function"
    assert chart_js(page, "c.config.type") == "bar"
    assert chart_js(page, "c.data.datasets.map(d => d.label)") == [
        "Tiêu cực",
        "Trung tính",
        "Tích cực",
    ]
    x_title = chart_js(page, "c.options.scales.x.title.text")
    assert x_title.startswith("Ngày") and "Asia/Ho_Chi_Minh (UTC+07:00)" in x_title
    assert chart_js(page, "c.options.scales.y.title.text") == "Số bài viết"
    counted = chart_js(page, "c.data.datasets.flatMap(d => d.data).reduce((a, b) => a + b, 0)")
    assert counted == total
    # hover the busiest day: the tooltip shows its day and total
    idx = chart_js(
        page,
        "(() => { const s = c.data.labels.map((_, i) => c.data.datasets"
        ".reduce((n, d) => n + d.data[i], 0)); return s.indexOf(Math.max(...s)); })()",
    )
    box = page.locator("#timeline").bounding_box()
    x, y = chart_js(page, f"[c.getDatasetMeta(2).data[{idx}].x, c.chartArea.bottom - 5]")
    page.mouse.move(box["x"] + x, box["y"] + y)
    page.wait_for_function("Chart.getChart('timeline').tooltip.opacity > 0")
    assert "Tổng" in " ".join(chart_js(page, "c.tooltip.footer"))
    # each series' line gives its share of the bucket with a 90 % sampling interval
    lines = chart_js(page, "c.tooltip.body.flatMap(b => b.lines)")
    assert len(lines) == 3 and all("; 90 %: " in line for line in lines), lines
    # the legend toggles a series
    hx, hy = chart_js(
        page, "[c.legend.legendHitBoxes[0].left + 5, c.legend.legendHitBoxes[0].top + 5]"
    )
    page.mouse.click(box["x"] + hx, box["y"] + hy)
    page.wait_for_function("!Chart.getChart('timeline').isDatasetVisible(0)")
    page.mouse.click(box["x"] + hx, box["y"] + hy)
    page.wait_for_function("Chart.getChart('timeline').isDatasetVisible(0)")
    # hourly: the last 72 hours, labelled in the display zone
    page.select_option("#interval", "hour")
    assert chart_js(page, "c.options.scales.x.title.text").startswith("Giờ")
    assert chart_js(page, "c.data.labels.length") == 72
    page.select_option("#interval", "day")


def voz_offsets() -> SentimentAdaptation:
    """Sentiment offsets fitted on 300 labelled voz posts, for the shipped model."""
    return SentimentAdaptation(
        offsets={"negative": 0.0, "neutral": -1.0, "positive": 0.0},
        labelled=300,
        cv_gain=0.03,
        fold_gains=[0.03] * 5,
        adopted=True,
        model=str(model_meta.read_meta()["version"]),
        shares_labelled={"negative": 0.5, "neutral": 0.3, "positive": 0.2},
        shares_before={"negative": 0.3, "neutral": 0.5, "positive": 0.2},
        shares_after={"negative": 0.46, "neutral": 0.33, "positive": 0.21},
    )


def check_tables_and_times(page: Any, store: SQLiteStore) -> None:
    """Every table has headers; topics are named in the page's language; times are shown in
    the display zone (UTC+7 here) and labelled."""
    for table, n in (("topics", 2), ("keywords", 2), ("sources", 3), ("alerts", 3)):
        assert page.locator(f"#{table} thead th").count() == n, table
    assert page.locator("#sources thead").inner_text().split("\t")[0].strip() == "Nguồn"
    topics = page.locator("#topics tbody").inner_text()
    assert "Kinh doanh" in topics and "business" not in topics
    assert "Múi giờ: Asia/Ho_Chi_Minh (UTC+07:00)" in page.locator("#tz-label").inner_text()
    first = page.locator("#hits .hit time").first
    iso = first.get_attribute("datetime") or ""
    local = datetime.fromisoformat(iso).astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
    shown = first.inner_text()
    assert local.strftime("%H:%M") in shown and local.strftime("%d/%m/%Y") in shown, (iso, shown)


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
    with SourceRunRepository(store.path) as runs:
        runs.record(SourceRun("tinhte", now, now, items=0, errors=3, ok=False))
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
        # the live stream (opened once the page has settled) follows the view too
        for _ in range(100):
            if any("/v1/live" in u and f"watchlist={made['Giá xăng']}" in u for u in requests):
                break
            page.wait_for_timeout(100)
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


def test_dashboard_bad_query_phone_layout_and_settling(tmp_path: Path, chromium_path: str) -> None:
    """A bad query greys what it invalidates and says so in the page's language; on a phone
    the summary panels come before the results; the page settles (load, network idle) with
    live on, which connects only afterwards; `?live=0` never opens the stream."""
    import time

    from playwright.sync_api import sync_playwright

    store = SQLiteStore(tmp_path / "dash.db")
    store.upsert(corpus())
    with (
        ServerThread(create_app(Settings(api_live_poll_s=0.3), store=store)) as server,
        sync_playwright() as p,
    ):
        browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        lives: list[str] = []
        page.on("request", lambda r: lives.append(r.url) if "/v1/live" in r.url else None)
        started = time.monotonic()
        page.goto(server.url + "/", wait_until="load", timeout=10_000)
        assert time.monotonic() - started < 5
        page.wait_for_load_state("networkidle", timeout=10_000)  # reached: no stream open yet
        assert time.monotonic() - started < 10
        assert page.locator("body[data-ready]").count() == 1
        page.wait_for_function("document.getElementById('live-dot').classList.contains('on')")
        assert lives  # ... and the live stream connects after that
        assert page.locator("#live-toggle").inner_text() == "Tạm dừng"

        # a bad query: the message in Vietnamese, the panels it invalidates greyed or cleared
        page.fill("#q", "xăng AND (")
        page.click("button.go")
        page.wait_for_selector("#query-error:not([hidden])")
        message = page.locator("#query-error").inner_text()
        assert "Truy vấn không hợp lệ" in message and "invalid query" in message  # + details
        for panel in ("chart", "results", "topics", "keywords", "sources", "trends", "live"):
            assert "stale" in (page.locator(f"#{panel}-panel").get_attribute("class") or ""), panel
        assert page.locator("#hits .hit").count() == 0
        assert page.locator("#total").inner_text() == "–"
        assert "không còn đúng" in page.evaluate(
            "getComputedStyle(document.querySelector('#topics-panel h2'), '::after').content"
        )
        page.wait_for_function("!document.getElementById('live-dot').classList.contains('on')")
        page.screenshot(path=str(SCREENSHOTS / "dashboard-bad-query.png"), full_page=False)
        page.click("#lang")
        assert "Invalid query" in page.locator("#query-error").inner_text()
        page.click("#lang")
        # fixed: the panels come back
        page.fill("#q", "xăng")
        page.click("button.go")
        page.wait_for_function("document.getElementById('total').textContent === '20'")
        assert page.locator("#query-error").is_hidden()
        assert page.locator("section.stale").count() == 0
        page.close()

        # a phone: one column, chart and summary panels before the result list
        phone = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2)
        phone.on("pageerror", lambda e: errors.append(str(e)))
        phone_live: list[str] = []
        phone.on("request", lambda r: phone_live.append(r.url) if "/v1/live" in r.url else None)
        phone.goto(server.url + "/?live=0")
        phone.wait_for_selector("body[data-ready]")

        def top(sel: str) -> float:
            box = phone.locator(sel).bounding_box()
            assert box is not None, sel
            return float(box["y"])

        results = top("#results-panel")
        for panel in ("#chart-panel", "#trends-panel", "#topics-panel", "#keywords-panel"):
            assert top(panel) < results, panel
        assert top("#search-panel") < top("#chart-panel")
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page scrolls sideways ({width}px)"
        assert (
            phone.evaluate("Chart.getChart('timeline').options.scales.x.ticks.maxTicksLimit") == 4
        )
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        phone.screenshot(path=str(SCREENSHOTS / "dashboard-phone.png"), full_page=True)
        # ?live=0: the stream stays off, and says so
        phone.wait_for_timeout(1800)
        assert "Luồng trực tiếp tắt" in phone.locator("#live-note").inner_text()
        assert phone.locator("#live-toggle").is_hidden()
        assert phone_live == []
        browser.close()
    store.close()
    assert errors == []
