"""Any RSS / Atom feeds (start URLs or RSS_FEEDS): one Post per entry, seen entries skipped."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from scrapy import Request
from scrapy.http import Response, TextResponse

from crawlers.base import DuluanSpider, split_urls
from crawlers.news import url_section
from crawlers.text import html_to_text, parse_time, squash
from duluan.core.ids import content_hash, normalize_url, post_id
from duluan.core.models import Post

SOURCE = "rss"


class RssSpider(DuluanSpider):
    """Feed entries as Posts (kind 'entry'); the id is a hash of the entry's guid or link."""

    name = SOURCE

    async def start(self) -> AsyncIterator[Any]:
        feeds = self.start_urls or split_urls(self.setting("RSS_FEEDS") or [])
        if not feeds:
            self.logger.error("no feeds: pass -a start_urls=... or set RSS_FEEDS")
            self.count("duluan/errors/no_feeds")
        for url in feeds:
            yield Request(url, callback=self.parse, dont_filter=True)

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        if not isinstance(response, TextResponse):
            self.fail("not_text", response)
            return
        try:
            response.selector.remove_namespaces()
            entries = response.xpath("//item | //entry")
        except Exception as exc:  # not XML at all
            self.fail("bad_feed", response, exc)
            return
        if not entries:
            self.fail("empty_feed", response)
        feed_title = squash(
            response.xpath("//channel/title/text() | /feed/title/text()").get() or ""
        )
        for entry in entries:
            link = (
                entry.xpath("link/text()").get()
                or entry.xpath("link[@rel='alternate']/@href | link/@href").get()
                or ""
            ).strip()
            guid = (entry.xpath("guid/text() | id/text()").get() or "").strip()
            title = html_to_text(entry.xpath("title/text()").get())
            body = html_to_text(
                entry.xpath("encoded/text()").get()  # content:encoded
                or entry.xpath("description/text() | summary/text() | content/text()").get()
            )
            created = parse_time(
                entry.xpath(
                    "pubDate/text() | published/text() | updated/text() | date/text()"
                ).get()
            )
            key = guid or (normalize_url(response.urljoin(link)) if link else "")
            section = squash(entry.xpath("category/text() | category/@term").get() or "") or (
                url_section(response.url, article=False)
                or url_section(response.urljoin(link) if link else None)
            )
            if not key or created is None or not (title or body):
                self.fail("bad_entry", response, key or title)
                continue
            post = Post(
                id=post_id(SOURCE, "entry", content_hash(key)),
                source=SOURCE,
                kind="entry",
                url=response.urljoin(link) if link else None,
                title=title or None,
                section=section or None,
                text=body or title,
                created_at=created,
                author=squash(
                    entry.xpath("author/name/text() | author/text() | creator/text()").get() or ""
                )
                or None,
                raw={"feed": response.url, "feed_title": feed_title, "guid": guid or None},
            )
            post.thread_id = post.id
            fresh = self.emit(post)
            if fresh is not None:
                yield fresh
