"""voz.vn (XenForo 2): forum listings -> threads -> posts, quotes stripped but kept as parent.

Incremental: a thread whose latest-post time in the listing is unchanged is skipped; a changed
one is re-read from the last page seen before (only new pages and posts are fetched).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any, ClassVar

import lxml.html
from scrapy import Request
from scrapy.http import Response, TextResponse

from crawlers.base import DuluanSpider
from crawlers.text import element_text, parse_time
from duluan.core.ids import post_id
from duluan.core.models import Post

SOURCE = "voz"
THREAD_URL = re.compile(r"^(?P<root>.*?/t/(?:[^/]*\.)?(?P<id>\d+))/?(?:page-(?P<page>\d+))?")
QUOTE_SOURCE = re.compile(r"post:\s*(\d+)")
POST_NUMBER = re.compile(r"post-(\d+)")
FORUM_URL = re.compile(r"/f/(?P<slug>[^/?#]*?)(?:\.\d+)?/?(?:page-\d+)?/?(?:[?#].*)?$")


def forum_section(url: str | None) -> str | None:
    """The sub-forum slug of a forum URL ('/f/chung-khoan.33/page-2' -> 'chung-khoan')."""
    match = FORUM_URL.search(url or "")
    return match["slug"] or None if match else None


def thread_parts(url: str) -> tuple[str, str, int] | None:
    """(thread root URL with trailing slash, thread id, page number) of a thread URL."""
    match = THREAD_URL.match(url.split("?")[0].split("#")[0])
    if not match:
        return None
    return match["root"] + "/", match["id"], int(match["page"] or 1)


class VozSpider(DuluanSpider):
    """Threads and posts from a XenForo 2 forum (voz.vn by default)."""

    name = SOURCE
    default_start_urls: ClassVar[list[str]] = ["https://voz.vn/f/chuyen-tro-linh-tinh.17/"]
    default_allowed_domains: ClassVar[list[str]] = ["voz.vn"]

    async def start(self) -> AsyncIterator[Any]:
        self.max_threads = int(self.setting("VOZ_MAX_THREADS", 50))
        self.max_pages = int(self.setting("VOZ_MAX_PAGES", 20))
        self.listing_pages = int(self.setting("VOZ_LISTING_PAGES", 1))
        for url in self.start_urls:
            yield Request(url, callback=self.parse_start, dont_filter=True)

    def parse_start(self, response: Response) -> Iterator[Any]:
        if not isinstance(response, TextResponse):
            self.fail("not_text", response)
            return
        if response.css("article.message"):
            yield from self.parse_thread(response, latest=None, pages_read=0)
        elif response.css("div.structItem--thread"):
            yield from self.parse_listing(response, listing_page=1)
        else:
            self.fail("unknown_page", response, "neither a thread nor a forum listing")

    # --- listings --------------------------------------------------------------------------

    def parse_listing(self, response: Response, listing_page: int) -> Iterator[Any]:
        if not isinstance(response, TextResponse):
            self.fail("not_text", response)
            return
        rows = response.css("div.structItem--thread")
        taken = 0
        for row in rows:
            href = (
                row.css("a[data-tp-primary=on]::attr(href)").get()
                or row.css("div.structItem-title a::attr(href)").get()
            )
            parts = thread_parts(response.urljoin(href)) if href else None
            if parts is None:
                self.fail("bad_listing_row", response, "no thread link")
                continue
            root, thread, _ = parts
            times = row.css("time::attr(datetime)").getall()
            latest = row.css("time.structItem-latestDate::attr(datetime)").get() or (
                times[-1] if times else None
            )
            known = self.recall(f"thread:{thread}") or {}
            if latest and known.get("latest") == latest:
                self.count("duluan/threads_unchanged")
                continue
            if taken >= self.max_threads:
                break
            taken += 1
            page = int(known.get("page", 1))
            url = root if page <= 1 else f"{root}page-{page}"
            yield Request(
                url,
                callback=self.parse_thread,
                cb_kwargs={"latest": latest, "pages_read": 0, "forum": forum_section(response.url)},
            )
        next_href = response.css("a.pageNav-jump--next::attr(href)").get()
        if next_href and listing_page < self.listing_pages:
            yield Request(
                response.urljoin(next_href),
                callback=self.parse_listing,
                cb_kwargs={"listing_page": listing_page + 1},
            )

    # --- threads ---------------------------------------------------------------------------

    def parse_thread(
        self, response: Response, latest: str | None, pages_read: int, forum: str | None = None
    ) -> Iterator[Any]:
        if not isinstance(response, TextResponse):
            self.fail("not_text", response)
            return
        parts = thread_parts(response.url)
        if parts is None:
            self.fail("bad_thread_url", response)
            return
        root, thread, page = parts
        thread_post = post_id(SOURCE, "thread", thread)
        known = self.recall(f"thread:{thread}") or {}
        op_number = known.get("op")
        crumbs = response.css("ul.p-breadcrumbs a::attr(href), .p-breadcrumbs a::attr(href)")
        section = (
            next((f for f in (forum_section(h) for h in reversed(crumbs.getall())) if f), None)
            or forum
            or known.get("section")
        )
        title_parts = response.css("h1.p-title-value ::text").getall()
        title = " ".join(" ".join(title_parts).split()) or None
        messages = response.css("article.message")
        if not messages:
            self.fail("no_posts", response)
        for index, message in enumerate(messages):
            number_attr = message.attrib.get("data-content") or message.attrib.get("id") or ""
            number_match = POST_NUMBER.search(number_attr)
            created = parse_time(
                message.css(".message-attribution-main time::attr(datetime)").get()
                or message.css("time::attr(datetime)").get()
            )
            body_html = (
                message.css(".message-userContent .bbWrapper").get()
                or message.css(".bbWrapper").get()
            )
            if number_match is None or created is None or body_html is None:
                self.fail("bad_post", response, number_attr or f"message #{index}")
                continue
            number = number_match.group(1)
            text, quoted = self.body_text(body_html)
            is_op = page == 1 and index == 0
            if is_op:
                op_number = number
            if quoted is None:
                parent = None if is_op else thread_post
            elif quoted == op_number:
                parent = thread_post
            else:
                parent = post_id(SOURCE, "post", quoted)
            post = Post(
                id=thread_post if is_op else post_id(SOURCE, "post", number),
                source=SOURCE,
                kind="thread" if is_op else "post",
                url=f"{root}post-{number}",
                thread_id=thread_post,
                parent_id=parent,
                author=message.attrib.get("data-author") or None,
                title=title if is_op else None,
                section=section,
                text=text,
                created_at=created,
                lang="vi",
                raw={"post_number": number, "thread": thread, "page": page},
            )
            fresh = self.emit(post)
            if fresh is not None:
                yield fresh
        last_page = self.last_page(response)
        state = {**known, "page": page, "op": op_number}
        if section:
            state["section"] = section
        if page < last_page and pages_read + 1 < self.max_pages:
            self.remember(f"thread:{thread}", state)
            yield Request(
                f"{root}page-{page + 1}",
                callback=self.parse_thread,
                cb_kwargs={"latest": latest, "pages_read": pages_read + 1, "forum": section},
            )
        else:
            if latest and page >= last_page:
                state["latest"] = latest
            self.remember(f"thread:{thread}", state)

    @staticmethod
    def last_page(response: TextResponse) -> int:
        numbers = [
            int(n)
            for n in response.css("ul.pageNav-main li.pageNav-page a::text").getall()
            if n.strip().isdigit()
        ]
        return max(numbers, default=1)

    @staticmethod
    def body_text(body_html: str) -> tuple[str, str | None]:
        """Post text without quoted blocks, and the post number of the first quote (if any)."""
        root = lxml.html.fragment_fromstring(body_html, create_parent="div")
        quoted: str | None = None
        for quote in root.xpath(".//blockquote"):
            if quoted is None:
                match = QUOTE_SOURCE.search(quote.get("data-source") or "")
                if match is None:
                    jump = quote.xpath(".//a[contains(@class,'bbCodeBlock-sourceJump')]/@href")
                    match = re.search(r"(?:id=|post-)(\d+)", jump[0]) if jump else None
                quoted = match.group(1) if match else quoted
            quote.drop_tree()
        for node in root.xpath(".//script | .//style"):
            node.drop_tree()
        return element_text(root), quoted
