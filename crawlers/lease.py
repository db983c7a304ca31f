"""One crawl per source at a time across replicas: a spider middleware that takes the source's
lease in the metadata database before the first request, or skips the run when another
crawler holds it (DULUAN_LEASE=0 turns it off)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from scrapy import signals

from crawlers.config import duluan_settings, flag
from duluan.core.logging import get_logger
from duluan.meta.database import MetaDB, meta_url
from duluan.meta.leases import Lease

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Spider
    from scrapy.crawler import Crawler

log = get_logger(__name__)
SKIPPED_STAT = "duluan/lease_skipped"


class SourceLeaseMiddleware:
    """Holds `crawl:<source>` while the spider runs, renewed every third of `crawl_lease_s`."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.enabled = flag(crawler.settings, "DULUAN_LEASE", True)
        self._db: MetaDB | None = None
        self._lease: Lease | None = None
        self._renewer: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        mw = cls(crawler)
        crawler.signals.connect(mw.spider_closed, signal=signals.spider_closed)
        return mw

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        spider = self.crawler.spider
        if self.enabled and spider is not None and not self._acquire(spider.name):
            return
        async for item_or_request in start:
            yield item_or_request

    def _acquire(self, source: str) -> bool:
        settings = duluan_settings(self.crawler.settings)
        self._db = MetaDB(meta_url(settings))
        lease = Lease(self._db, f"crawl:{source}", settings.crawl_lease_s)
        if not lease.acquire():
            holder = lease.current_holder() or "another crawler"
            log.info("crawl.skipped_lease_held", source=source, holder=holder)
            if self.crawler.stats is not None:
                self.crawler.stats.set_value(SKIPPED_STAT, holder)
            return False
        self._lease = lease
        from twisted.internet import task

        self._renewer = task.LoopingCall(self._renew)
        self._renewer.start(settings.crawl_lease_s / 3, now=False)
        return True

    def _renew(self) -> None:
        if self._lease is not None and not self._lease.renew():
            log.warning("crawl.lease_lost", lease=self._lease.name)

    def spider_closed(self, spider: Spider) -> None:
        if self._renewer is not None and self._renewer.running:
            self._renewer.stop()
        try:
            if self._lease is not None:
                self._lease.release()
        finally:
            if self._db is not None:
                self._db.close()
            self._lease = self._db = None
