"""Source health: every run records items, errors and outcome so a silent source is noticed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import signals

from crawlers.config import duluan_settings, flag
from crawlers.text import utc_now
from duluan.core.logging import get_logger

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Spider
    from scrapy.crawler import Crawler

log = get_logger(__name__)


def run_summary(stats: dict[str, Any]) -> dict[str, Any]:
    """items / errors / requests from Scrapy's final stats, the numbers health and runner use."""
    errors = int(stats.get("log_count/ERROR", 0)) + int(stats.get("duluan/errors", 0))
    return {
        "items": int(stats.get("item_scraped_count", 0)),
        "errors": errors,
        "dropped": int(stats.get("item_dropped_count", 0)),
        "requests": int(stats.get("downloader/request_count", 0)),
        "responses": int(stats.get("downloader/response_count", 0)),
        "finish_reason": stats.get("finish_reason", ""),
    }


class SourceHealthExtension:
    """On spider close: record a SourceRun in the metadata database, shared by every replica
    (DULUAN_RECORD_HEALTH=0 skips it; a database that can't be opened is logged, never fatal),
    and write stats to DULUAN_STATS_FILE if set."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.record = flag(crawler.settings, "DULUAN_RECORD_HEALTH", True)
        self.stats_file = crawler.settings.get("DULUAN_STATS_FILE") or ""
        self.started_at = utc_now()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        self.started_at = utc_now()

    def spider_closed(self, spider: Spider, reason: str) -> None:
        stats: dict[str, Any] = dict(self.crawler.stats.get_stats()) if self.crawler.stats else {}
        stats.setdefault("finish_reason", reason)
        summary = run_summary(stats)
        if self.stats_file:
            self._write_stats(stats, summary)
        if self.record and not stats.get("duluan/lease_skipped"):  # the holder records it
            self._record(spider.name, summary, reason)

    def _write_stats(self, stats: dict[str, Any], summary: dict[str, Any]) -> None:
        try:
            path = Path(self.stats_file)
            path.parent.mkdir(parents=True, exist_ok=True)
            payload = {**summary, "stats": stats}
            path.write_text(json.dumps(payload, default=str, ensure_ascii=False), "utf-8")
        except OSError as exc:
            log.error("could not write crawl stats", path=self.stats_file, error=str(exc))

    def _record(self, source: str, summary: dict[str, Any], reason: str) -> None:
        from duluan.meta.database import MetaDB, meta_url
        from duluan.meta.source_runs import SourceRun, SourceRunRepository

        ok = reason == "finished" and (summary["errors"] == 0 or summary["items"] > 0)
        run = SourceRun(
            source=source,
            started_at=self.started_at,
            finished_at=utc_now(),
            items=summary["items"],
            errors=summary["errors"],
            ok=ok,
            message=f"{reason}; requests={summary['requests']} dropped={summary['dropped']}",
        )
        try:
            settings = duluan_settings(self.crawler.settings)
            with (
                MetaDB(meta_url(settings)) as db,
                SourceRunRepository(db, retention_days=settings.source_runs_retention_days) as runs,
            ):
                runs.record(run)
        except Exception as exc:
            log.error("could not record source health", source=source, error=repr(exc))
