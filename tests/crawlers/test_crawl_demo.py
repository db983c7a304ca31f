"""The demo site + the real vnexpress spider, run through the runner (as `duluan demo` does)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from crawlers.demo_site import build_site, serve_demo_site
from crawlers.runner import crawl
from duluan.cli.crawl import load_sources, parse_every
from duluan.core.models import Post
from nlp.sections import section_topic


def test_demo_site_content_is_varied() -> None:
    articles = build_site()
    assert len(articles) == 8
    assert sum(a.total_items() for a in articles) == 300
    texts = [c.content for a in articles for c in a.comments]
    assert len(set(texts)) > len(texts) * 0.6
    assert any(r.replies and len(r.replies) > 2 for a in articles for r in a.comments)


def test_demo_crawl_through_runner(tmp_path: Path) -> None:
    server, base = serve_demo_site()
    try:
        out = tmp_path / "demo.jsonl"
        stats = crawl(
            "vnexpress",
            start_urls=[f"{base}/rss/tin-moi-nhat.rss"],
            output=out,
            timeout=90,
            overrides={
                "VNEXPRESS_API_BASE": base,
                "DULUAN_PUBLISH": False,
                "DULUAN_RECORD_HEALTH": False,
                "DULUAN_POLITE": False,
                "DULUAN_DATA_DIR": str(tmp_path / "var"),
            },
        )
    finally:
        server.shutdown()
    posts = [Post.from_json(line) for line in out.read_text("utf-8").splitlines()]
    kinds = Counter(p.kind for p in posts)
    assert stats["items"] == len(posts) == 308 and stats["errors"] == 0
    assert kinds["article"] == 8 and kinds["comment"] + kinds["reply"] == 300
    ids = {p.id for p in posts}
    assert all(p.parent_id in ids for p in posts if p.kind == "reply")
    assert all(p.created_at.utcoffset() is not None for p in posts)
    # every article files itself under a section (breadcrumb); comments carry their article's
    assert all(section_topic("vnexpress", p.section) for p in posts)
    assert {section_topic("vnexpress", p.section) for p in posts} >= {
        "business",
        "society",
        "sports",
        "science-tech",
    }


def test_sources_yaml_and_durations() -> None:
    example = Path(__file__).resolve().parents[2] / "crawlers" / "sources.example.yaml"
    sources = load_sources(example)
    names = [s.name for s in sources]
    assert "vnexpress" in names and "youtube" not in names  # disabled entries are dropped
    vnexpress = sources[names.index("vnexpress")]
    assert vnexpress.interval_s == 600 and vnexpress.start_urls
    assert parse_every("90s") == 90 and parse_every("1h") == 3600 and parse_every("2d") == 172800


def test_demo_site_has_history_a_planted_spike_and_keeps_publishing() -> None:
    import json
    import urllib.request
    from datetime import UTC, datetime, timedelta

    from crawlers.demo_site import SPIKE_TOPIC, start_demo_site

    now = datetime.now(UTC)
    demo = start_demo_site(comments=600, history_days=14, spike=80, now=now)
    try:
        site = demo.site
        times = [c.creation_time for a in site.articles for c in a.comments]
        assert min(times) < (now - timedelta(days=10)).timestamp(), "two weeks of history"
        last_hour = (now - timedelta(hours=1)).timestamp()
        flood = next(a for a in site.articles if a.topic.slug == SPIKE_TOPIC)
        recent_flood = sum(c.creation_time >= last_hour for c in flood.comments)
        recent_other = sum(
            c.creation_time >= last_hour
            for a in site.articles
            if a is not flood
            for c in a.comments
        )
        assert recent_flood >= 80 > recent_other, "the spike stands out in the last hour"

        def total(article_id: int) -> int:
            url = f"{demo.base_url}/index/get?objectid={article_id}&limit=1000"
            with urllib.request.urlopen(url) as r:
                return int(json.load(r)["data"]["totalitem"])

        before = sum(total(a.article_id) for a in site.articles)
        for _ in range(45):
            site.publish_one()
        assert len(site.articles) == 9, "a new article every 40 items"
        assert sum(total(a.article_id) for a in site.articles) == before + 44

        hook = urllib.request.Request(
            f"{demo.base_url}/hooks/alerts",
            data=json.dumps({"subscription_name": "Ngập", "summary": "tăng đột biến"}).encode(),
            method="POST",
        )
        urllib.request.urlopen(hook).read()
        with urllib.request.urlopen(f"{demo.base_url}/hooks") as r:
            page = r.read().decode("utf-8")
        assert "Ngập" in page and "tăng đột biến" in page
    finally:
        demo.stop()
