"""Downloader middlewares: retries that back off (429 / 5xx / network errors wait longer each
attempt, Retry-After wins) and a robots.txt check that holds under concurrency."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.http import Request, Response
from scrapy.robotstxt import RobotParser
from scrapy.settings import BaseSettings
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.response import response_status_message
from twisted.internet import task
from twisted.internet.defer import Deferred

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's RetryMiddleware plus an exponential pause before the retried request goes out."""

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.base = settings.getfloat("RETRY_BACKOFF_BASE", 1.0)
        self.cap = settings.getfloat("RETRY_BACKOFF_MAX", 60.0)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        o = cls(crawler.settings)
        o.crawler = crawler
        return o

    def delay_for(self, attempt: int, retry_after: bytes | None = None) -> float:
        """Seconds to wait before retry number `attempt` (1-based)."""
        if retry_after:
            try:
                return min(self.cap, max(0.0, float(retry_after.decode().strip())))
            except ValueError:
                pass
        return min(self.cap, self.base * 2 ** max(0, attempt - 1))

    async def _pause(self, seconds: float) -> None:
        if seconds <= 0:
            return
        from twisted.internet import reactor

        await maybe_deferred_to_future(task.deferLater(reactor, seconds, lambda: None))

    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response, spider: object = None
    ) -> Request | Response:
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return response
        attempt = int(retry.meta.get("retry_times", 1))
        await self._pause(self.delay_for(attempt, response.headers.get(b"Retry-After")))
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value("duluan/retry_backoff_count")
        return retry

    async def process_exception(  # type: ignore[override]
        self, request: Request, exception: Exception, spider: object = None
    ) -> Request | Response | None:
        retry = super().process_exception(request, exception)
        if isinstance(retry, Request):
            await self._pause(self.delay_for(int(retry.meta.get("retry_times", 1))))
        return retry


class SafeRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, fixed for 3+ requests to a host before its robots.txt
    arrives: the shared Deferred hands the parser to the first waiter only and None (= allow
    all) to the others, so they skipped robots.txt. Late waiters re-read the stored parser."""

    async def robot_parser(self, request: Request) -> RobotParser | None:
        netloc = urlparse_cached(request).netloc
        pending = self._parsers.get(netloc)
        if isinstance(pending, Deferred):
            waiter: Deferred[None] = Deferred()

            def wake(result: Any) -> Any:
                waiter.callback(None)
                return result  # leave the shared chain as it was

            pending.addBoth(wake)
            await maybe_deferred_to_future(waiter)
            parser = self._parsers.get(netloc)
            return None if isinstance(parser, Deferred) else parser
        return await super().robot_parser(request)
