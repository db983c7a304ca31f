"""VnExpress: articles (from RSS, sitemap, listing or article URLs) and their comment threads.

Comments come from the comment API (`{api}/index/get`, JSON or JSONP); `replys` embeds only some
replies, the rest are paged from `{api}/index/getreplay`. Incremental: an article page is read once
(its ids are remembered), and a thread whose `totalitem` has not changed is not paged again.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, ClassVar
from urllib.parse import urlencode

from scrapy import Request
from scrapy.http import Response, TextResponse

from crawlers.news import Info, NewsSpider, as_int, page_section
from crawlers.text import from_unix, html_to_text, loads_json_or_jsonp, split_reply_name
from duluan.core.ids import post_id
from duluan.core.models import Post

SOURCE = "vnexpress"
Item = Info


def comment_payload(data: Any) -> Item | None:
    """The dict holding `items` (API body `data`, or the same nested one level deeper)."""
    node = data
    for _ in range(4):
        if not isinstance(node, dict):
            return None
        if isinstance(node.get("items"), list):
            return node
        node = node.get("data")
    return None


class VnExpressSpider(NewsSpider):
    """Articles and comments from vnexpress.net (or any server with the same structure)."""

    name = SOURCE
    default_api_base = "https://usi-saas.vnexpress.net"
    default_start_urls: ClassVar[list[str]] = ["https://vnexpress.net/rss/tin-moi-nhat.rss"]
    default_allowed_domains: ClassVar[list[str]] = ["vnexpress.net"]

    def prepare(self) -> None:
        self.page_size = int(self.setting("VNEXPRESS_PAGE_SIZE", 25))
        self.site_id = str(self.setting("VNEXPRESS_SITE_ID", 1000000))

    def article_ids(self, response: TextResponse) -> Info | None:
        """Article and site id: meta tags, else the comment box's JSON, else the URL."""
        article = response.css('meta[name="tt_article_id"]::attr(content)').get()
        site = response.css('meta[name="tt_site_id"]::attr(content)').get()
        if not article:
            for raw in response.css("[data-component-input]::attr(data-component-input)").getall():
                try:
                    data = json.loads(raw)
                except ValueError:
                    continue
                if isinstance(data, dict):
                    article = str(data.get("article_id") or data.get("objectid") or "") or None
                    site = site or str(data.get("site_id") or data.get("siteid") or "") or None
                    if article:
                        break
        if not article:
            match = self.article_url_id.search(response.url)
            article = match.group(1) if match else None
        if not article or not article.strip().isdigit():
            return None
        return {
            "article_id": article.strip(),
            "site_id": (site or self.site_id).strip(),
            "category": response.css('meta[name="tt_category_id"]::attr(content)').get(),
        }

    def article_section(self, response: TextResponse, info: Info) -> str | None:
        """Breadcrumb, section meta or URL folders; else the `tt_category_id` (a number that
        nlp.sections maps for the top-level sections)."""
        return page_section(response) or (str(info.get("category") or "").strip() or None)

    # --- comments --------------------------------------------------------------------------

    def comments_request(self, info: Item, offset: int) -> Request:
        query = {
            "offset": offset,
            "limit": self.page_size,
            "objectid": info["article_id"],
            "objecttype": 1,
            "siteid": info.get("site_id") or self.site_id,
        }
        return Request(
            f"{self.api_base}/index/get?{urlencode(query)}",
            callback=self.parse_comments,
            cb_kwargs={"info": info, "offset": offset},
        )

    def replies_request(self, info: Item, parent: str, offset: int, total: int) -> Request:
        query = {
            "objectid": info["article_id"],
            "objecttype": 1,
            "id": parent,
            "offset": offset,
            "limit": self.page_size,
            "siteid": info.get("site_id") or self.site_id,
        }
        return Request(
            f"{self.api_base}/index/getreplay?{urlencode(query)}",
            callback=self.parse_replies,
            cb_kwargs={"info": info, "parent": parent, "offset": offset, "total": total},
        )

    def load_payload(self, response: Response) -> Item | None:
        try:
            data = loads_json_or_jsonp(response.body)
        except (ValueError, UnicodeDecodeError) as exc:
            self.fail("bad_json", response, exc)
            return None
        if isinstance(data, dict) and as_int(data.get("error"), 0) != 0:
            self.fail("api_error", response, data.get("errorDescription") or data.get("error"))
            return None
        payload = comment_payload(data)
        if payload is None:
            self.fail("bad_payload", response, "no data.items")
        return payload

    def parse_comments(self, response: Response, info: Item, offset: int) -> Iterator[Any]:
        payload = self.load_payload(response)
        if payload is None:
            return
        article = info["article_id"]
        total = as_int(payload.get("total"))
        total_items = as_int(payload.get("totalitem"), total)
        if offset == 0 and total_items and self.recall(f"comments:{article}") == total_items:
            self.count("duluan/threads_unchanged")
            return
        items = [i for i in payload["items"] if isinstance(i, dict)]
        for item in items:
            yield from self.comment_and_replies(item, info)
        next_offset = offset + len(items)
        if items and next_offset < total:
            yield self.comments_request(info, next_offset)
        else:
            self.remember(f"comments:{article}", total_items)

    def comment_and_replies(self, item: Item, info: Item) -> Iterator[Any]:
        post = self.comment_post(item, info, parent=None)
        if post is None:
            return
        cid = str(item["comment_id"])
        yield from self._emit(post)  # already seen: its replies may still be new
        replys = item.get("replys") if isinstance(item.get("replys"), dict) else {}
        embedded = [r for r in (replys or {}).get("items") or [] if isinstance(r, dict)]
        for reply in embedded:
            reply_post = self.comment_post(reply, info, parent=cid)
            if reply_post is not None:
                yield from self._emit(reply_post)
        reply_total = as_int((replys or {}).get("total"))
        if reply_total > len(embedded) and self.recall(f"replies:{cid}") != reply_total:
            yield self.replies_request(info, cid, 0, reply_total)
        elif reply_total:
            self.remember(f"replies:{cid}", reply_total)

    def parse_replies(
        self, response: Response, info: Item, parent: str, offset: int, total: int
    ) -> Iterator[Any]:
        payload = self.load_payload(response)
        if payload is None:
            return
        items = [i for i in payload["items"] if isinstance(i, dict)]
        for item in items:
            post = self.comment_post(item, info, parent=parent)
            if post is not None:
                yield from self._emit(post)
        total = max(total, as_int(payload.get("total")))
        next_offset = offset + len(items)
        if items and next_offset < total:
            yield self.replies_request(info, parent, next_offset, total)
        else:
            self.remember(f"replies:{parent}", total)

    def _emit(self, post: Post) -> Iterator[Post]:
        fresh = self.emit(post)
        if fresh is not None:
            yield fresh

    def comment_post(self, item: Item, info: Item, parent: str | None) -> Post | None:
        """A comment (or reply, when it has a parent comment) as a Post; None if malformed."""
        cid = item.get("comment_id")
        created = item.get("creation_time")
        if cid in (None, "") or created in (None, ""):
            self.fail("bad_comment", None, f"comment without id or time: {str(item)[:80]}")
            return None
        cid = str(cid)
        raw_parent = str(item.get("parent_id") or "")
        if parent is None and raw_parent not in ("", "0", cid):
            parent = raw_parent
        reply_to, content = split_reply_name(str(item.get("content") or ""))
        article = info["article_id"]
        thread = post_id(SOURCE, "article", article)
        replys = item.get("replys") if isinstance(item.get("replys"), dict) else None
        engagement = {"likes": as_int(item.get("userlike"))}
        if replys is not None:
            engagement["replies"] = as_int(replys.get("total"))
        raw: Item = {"comment_id": cid, "article_id": str(item.get("article_id") or article)}
        if reply_to:
            raw["reply_to"] = reply_to
        try:
            when = from_unix(created)
        except (TypeError, ValueError, OverflowError, OSError):
            self.fail("bad_comment", None, f"bad creation_time {created!r}")
            return None
        return Post(
            id=post_id(SOURCE, "comment", cid),
            source=SOURCE,
            kind="reply" if parent else "comment",
            url=info.get("url"),
            thread_id=thread,
            parent_id=post_id(SOURCE, "comment", parent) if parent else thread,
            author=html_to_text(str(item.get("full_name") or "")) or None,
            section=info.get("section"),
            text=html_to_text(content),
            created_at=when,
            lang="vi",
            engagement=engagement,
            raw=raw,
        )
