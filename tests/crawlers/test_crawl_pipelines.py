"""Pipelines, health extension, state, text helpers and runner: in-process unit tests, plus one
crawl that publishes to the real embedded bus."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from crawl_localserver import LocalServer
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from crawlers.health import SourceHealthExtension
from crawlers.pipelines import DedupPipeline, PublishPipeline
from crawlers.state import CrawlState
from crawlers.text import VN_TZ, html_to_text, loads_json_or_jsonp, parse_time, split_reply_name
from duluan.core.models import Post
from duluan.core.settings import Settings
from duluan.meta.database import meta_url
from duluan.meta.source_runs import SourceRunRepository
from streaming.bus import Bus, Consumer, Message


class MemoryBus(Bus):
    """A fake in-memory Bus, for this test only."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, str | None, bytes]] = []
        self.flushes = 0
        self.closed = False

    def publish(
        self,
        topic: str,
        value: bytes,
        key: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.messages.append((topic, key, value))

    def flush(self) -> None:
        self.flushes += 1

    def consumer(self, topic: str, group: str) -> Consumer:
        raise NotImplementedError

    def close(self) -> None:
        self.closed = True


def post(n: int) -> Post:
    return Post(
        id=f"vnexpress:comment:{n}",
        source="vnexpress",
        kind="comment",
        text=f"bình luận {n}",
        created_at=datetime(2026, 11, 27, 9, 0, tzinfo=VN_TZ),
    )


def test_dedup_pipeline_drops_second_copy() -> None:
    pipe = DedupPipeline()
    assert pipe.process_item(post(1)) is not None
    assert pipe.process_item(post(2)) is not None
    with pytest.raises(DropItem):
        pipe.process_item(post(1))


def test_publish_pipeline_publishes_json_keyed_by_id(tmp_path: Path) -> None:
    bus = MemoryBus()
    settings = Settings(data_dir=tmp_path, raw_topic="posts.raw")
    pipe = PublishPipeline(settings, flush_every=2, bus_factory=lambda s: bus)
    pipe.open_spider()
    for n in range(3):
        pipe.process_item(post(n))
    pipe.close_spider()
    assert [(t, k) for t, k, _ in bus.messages] == [
        ("posts.raw", f"vnexpress:comment:{n}") for n in range(3)
    ]
    first = Post.from_json(bus.messages[0][2])
    assert (first.id, first.text, first.created_at) == (
        post(0).id,
        "bình luận 0",
        post(0).created_at,
    )
    assert bus.flushes == 2 and bus.closed  # once after 2 items, once on close


def test_publish_pipeline_off_with_setting() -> None:
    made: list[Bus] = []
    crawler = get_crawler(settings_dict={"DULUAN_PUBLISH": "0"})
    pipe = PublishPipeline.from_crawler(crawler)
    pipe.bus_factory = lambda s: made.append(MemoryBus()) or made[-1]  # type: ignore[func-returns-value]
    pipe.open_spider()
    pipe.process_item(post(1))
    pipe.close_spider()
    assert made == [] and pipe.published == 0


def test_health_extension_survives_a_metadata_database_it_cannot_open(tmp_path: Path) -> None:
    unreachable = "postgresql+psycopg://duluan@127.0.0.1:1/duluan"  # nothing listens on port 1
    crawler = get_crawler(
        settings_dict={
            "DULUAN_STATS_FILE": str(tmp_path / "s.json"),
            "DULUAN_META_URL": unreachable,
        }
    )
    crawler.stats.set_value("item_scraped_count", 5)  # type: ignore[union-attr]
    ext = SourceHealthExtension(crawler)

    class Spider:
        name = "vnexpress"

    ext.spider_closed(Spider(), "finished")  # type: ignore[arg-type]  # logged, not raised
    assert '"items": 5' in (tmp_path / "s.json").read_text()


def test_health_extension_records_source_run_in_the_metadata_database(tmp_path: Path) -> None:
    crawler = get_crawler(settings_dict={"DULUAN_DATA_DIR": str(tmp_path)})
    crawler.stats.set_value("item_scraped_count", 7)  # type: ignore[union-attr]
    crawler.stats.set_value("duluan/errors", 2)  # type: ignore[union-attr]
    ext = SourceHealthExtension(crawler)

    class Spider:
        name = "voz"

    ext.spider_closed(Spider(), "finished")  # type: ignore[arg-type]
    skipped = SourceHealthExtension(crawler)  # another replica held the lease: it records nothing
    crawler.stats.set_value("duluan/lease_skipped", "other-host")  # type: ignore[union-attr]
    skipped.spider_closed(Spider(), "finished")  # type: ignore[arg-type]
    with SourceRunRepository(meta_url(Settings(data_dir=tmp_path))) as repo:
        runs = repo.recent("voz")
    assert len(runs) == 1 and runs[0].items == 7 and runs[0].errors == 2 and runs[0].ok
    assert runs[0].message == "finished; requests=0 dropped=0"


def test_state_remembers_between_opens(tmp_path: Path) -> None:
    state = CrawlState.for_source(tmp_path, "voz")
    assert state.mark_seen("voz:post:1") and not state.mark_seen("voz:post:1")
    state.set("thread:9", {"page": 3})
    state.close()
    again = CrawlState.for_source(tmp_path, "voz")
    assert again.seen("voz:post:1") and again.get("thread:9") == {"page": 3}
    again.close()


def test_text_helpers() -> None:
    assert html_to_text("<p>Xin&nbsp;chào</p><p>bạn <b>nhé</b></p>") == "Xin chào\nbạn nhé"
    assert split_reply_name('<span class="reply_name">@Lan Anh</span>:&nbsp;Đúng') == (
        "Lan Anh",
        "Đúng",
    )
    assert loads_json_or_jsonp('cb_1({"a": 1});') == {"a": 1}
    assert parse_time("2022-06-17T14:45:43+0700") == datetime(2022, 6, 17, 7, 45, 43, tzinfo=UTC)
    naive = parse_time("2026-11-27 08:00:00")
    assert naive is not None and naive.utcoffset() == timedelta(hours=7)
    rfc = parse_time("Mon, 23 Nov 2026 08:15:00 +0700")
    assert rfc is not None and rfc.utcoffset() == timedelta(hours=7)
    vn = parse_time("Thứ hai, 23/11/2026, 08:15 (GMT+7)")
    assert vn == datetime(2026, 11, 23, 8, 15, tzinfo=VN_TZ)


def test_crawl_publishes_to_embedded_bus(spider, server: LocalServer, tmp_path: Path) -> None:
    from streaming.embedded_bus import EmbeddedBus

    server.add_fixture("/a-4900001.html", "vnexpress/article_meta.html")
    server.add_fixture("/index/get", "vnexpress/comments_4900001_p2.json")
    result = spider(
        "vnexpress",
        tmp_path,
        start_urls=[f"{server.base}/a-4900001.html"],
        settings={
            "VNEXPRESS_API_BASE": server.base,
            "DULUAN_PUBLISH": True,
            "VNEXPRESS_PAGE_SIZE": 10,
        },
    )
    assert result.stats["items"] == 3
    bus = EmbeddedBus.from_settings(Settings(data_dir=tmp_path / "var"))
    with bus, bus.consumer("posts.raw", "test") as consumer:
        messages: Sequence[Message] = consumer.poll(100, timeout=2.0)
    assert sorted(m.key or "" for m in messages) == sorted(result.by_id)
    assert {Post.from_json(m.value).id for m in messages} == set(result.by_id)
