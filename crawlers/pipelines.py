"""Item pipelines: drop a Post seen twice in one run, then publish Posts to the bus."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import DropItem
from scrapy.utils.misc import load_object

from crawlers.config import duluan_settings, flag
from duluan.core.logging import get_logger
from duluan.core.models import Post
from duluan.core.settings import Settings

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Spider
    from scrapy.crawler import Crawler

    from streaming.bus import Bus

log = get_logger(__name__)


class DedupPipeline:
    """The same Post id seen twice in one run (a comment on two pages, a reply embedded and
    fetched) is exported and published once."""

    def __init__(self) -> None:
        self.ids: set[str] = set()

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        if isinstance(item, Post):
            if item.id in self.ids:
                raise DropItem(f"duplicate post {item.id}")
            self.ids.add(item.id)
        return item


class PublishPipeline:
    """Publishes each Post's JSON to `settings.raw_topic` (key = post id); off with
    `DULUAN_PUBLISH=0`. The bus comes from `DULUAN_BUS_FACTORY` (default `make_bus`)."""

    def __init__(
        self,
        settings: Settings,
        *,
        enabled: bool = True,
        flush_every: int = 500,
        bus_factory: Callable[[Settings], Bus] | None = None,
    ) -> None:
        self.settings = settings
        self.enabled = enabled
        self.flush_every = max(1, flush_every)
        self.bus_factory = bus_factory
        self.bus: Bus | None = None
        self.published = 0
        self._since_flush = 0
        self.crawler: Crawler | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        factory_path = crawler.settings.get("DULUAN_BUS_FACTORY") or "streaming.factory.make_bus"
        pipe = cls(
            duluan_settings(crawler.settings),
            enabled=flag(crawler.settings, "DULUAN_PUBLISH", True),
            flush_every=crawler.settings.getint("DULUAN_PUBLISH_FLUSH_EVERY", 500),
            bus_factory=load_object(factory_path),
        )
        pipe.crawler = crawler
        return pipe

    def open_spider(self, spider: Spider | None = None) -> None:
        if not self.enabled:
            return
        factory = self.bus_factory
        if factory is None:
            from streaming.factory import make_bus

            factory = make_bus
        self.bus = factory(self.settings)
        log.info("publishing posts", topic=self.settings.raw_topic, bus=type(self.bus).__name__)

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        if self.bus is None or not isinstance(item, Post):
            return item
        self.bus.publish(self.settings.raw_topic, item.to_json(), key=item.id)
        self.published += 1
        self._since_flush += 1
        if self._since_flush >= self.flush_every:
            self.bus.flush()
            self._since_flush = 0
        if self.crawler is not None and self.crawler.stats is not None:
            self.crawler.stats.inc_value("duluan/published")
        return item

    def close_spider(self, spider: Spider | None = None) -> None:
        if self.bus is None:
            return
        try:
            self.bus.flush()
        finally:
            self.bus.close()
            self.bus = None
        log.info("published posts", count=self.published, topic=self.settings.raw_topic)
