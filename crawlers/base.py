"""The base every duluan spider shares: start URLs and API host from settings, allowed hosts,
politeness switch, crawl memory, and counted (never fatal) errors."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

import scrapy
from scrapy import signals

from crawlers.config import api_base, duluan_settings, flag
from crawlers.state import CrawlState
from duluan.core.models import Post

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.settings import BaseSettings

IMPOLITE = {
    "ROBOTSTXT_OBEY": False,
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "CONCURRENT_REQUESTS": 64,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 64,
    "RETRY_BACKOFF_BASE": 0.05,
}


def split_urls(value: str | Iterable[str] | None) -> list[str]:
    """`-a start_urls=URL1,URL2` (or a list) as a clean list."""
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else list(value)
    return [u.strip() for u in items if u and u.strip()]


def host_of(url: str) -> str | None:
    return urlsplit(url).hostname


class DuluanSpider(scrapy.Spider):
    """Base spider: subclasses set `name`, `default_api_base`, `default_start_urls`."""

    name: str = "duluan"
    default_api_base: ClassVar[str] = ""
    default_start_urls: ClassVar[list[str]] = []
    default_allowed_domains: ClassVar[list[str]] = []

    api_base: str = ""
    state: CrawlState | None = None

    def __init__(self, *args: Any, start_urls: str | list[str] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.start_urls = split_urls(start_urls) or list(self.default_start_urls)
        self._emitted: set[str] = set()

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        if not flag(settings, "DULUAN_POLITE", True):
            for key, value in IMPOLITE.items():
                settings.set(key, value, priority="spider")

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider._configure(crawler)
        crawler.signals.connect(spider._close_state, signal=signals.spider_closed)
        return spider

    def _configure(self, crawler: Crawler) -> None:
        settings = crawler.settings
        if self.default_api_base:
            self.api_base = api_base(settings, self.name, self.default_api_base)
        hosts = {h for h in map(host_of, [*self.start_urls, self.api_base]) if h}
        self.allowed_domains = sorted(set(self.default_allowed_domains) | hosts)
        if flag(settings, "DULUAN_INCREMENTAL", True):
            self.state = CrawlState.for_settings(duluan_settings(settings), self.name)

    def _close_state(self, spider: scrapy.Spider) -> None:
        if self.state is not None:
            self.state.close()
            self.state = None

    # --- helpers for subclasses ------------------------------------------------------------

    def setting(self, key: str, default: Any = None) -> Any:
        return self.crawler.settings.get(key, default)

    def count(self, key: str, n: int = 1) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(key, n)

    def fail(self, reason: str, response: Response | None = None, detail: object = "") -> None:
        """A malformed page or payload: log it, count it, carry on with the rest."""
        url = response.url if response is not None else ""
        self.logger.warning("skipped %s (%s): %s", url, reason, detail)
        self.count("duluan/errors")
        self.count(f"duluan/errors/{reason}")

    def fresh(self, post_id: str) -> bool:
        """True the first time an id is met: not yet emitted in this run nor in an earlier run."""
        if post_id in self._emitted:
            self.count("duluan/duplicates_in_run")
            return False
        self._emitted.add(post_id)
        if self.state is not None and not self.state.mark_seen(post_id):
            self.count("duluan/skipped_seen")
            return False
        return True

    def emit(self, post: Post) -> Post | None:
        """`post` if it is fresh (see `fresh`), else None."""
        if self.fresh(post.id):
            self.count(f"duluan/items/{post.kind}")
            return post
        return None

    def remember(self, key: str, value: Any) -> None:
        if self.state is not None:
            self.state.set(key, value)

    def recall(self, key: str, default: Any = None) -> Any:
        return self.state.get(key, default) if self.state is not None else default
