"""Dân trí: articles from RSS / pages, comments from `{api}/listcomment` (offset / limit).

No real capture was available: the response shape is assumed (`{"total", "data": [...]}` or the
same under `data`), see docs/crawlers.md. Replies are nested in `replies`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any, ClassVar
from urllib.parse import urlencode

from scrapy import Request
from scrapy.http import Response, TextResponse

from crawlers.news import Info, NewsSpider, as_int, comment_tree
from crawlers.text import loads_json_or_jsonp

SOURCE = "dantri"


def payload(body: Any) -> tuple[list[Any] | None, int]:
    """(comments, total) from `{"total", "data": [...]}` / `{"data": {"total", "items"}}`."""
    node = body
    for _ in range(3):
        if not isinstance(node, dict):
            break
        for key in ("items", "comments", "data"):
            if isinstance(node.get(key), list):
                return node[key], as_int(node.get("total"), -1)
        node = node.get("data")
    return None, -1


class DanTriSpider(NewsSpider):
    """Articles and comments from dantri.com.vn (or a server with the same structure)."""

    name = SOURCE
    default_api_base = "https://comment.dantri.com.vn"
    default_start_urls: ClassVar[list[str]] = ["https://dantri.com.vn/rss/home.rss"]
    default_allowed_domains: ClassVar[list[str]] = ["dantri.com.vn"]
    article_url_id: ClassVar[re.Pattern[str]] = re.compile(r"-(\d{10,})\.html?(?:[?#].*)?$")

    def prepare(self) -> None:
        self.page_size = int(self.setting("DANTRI_PAGE_SIZE", 20))

    def article_ids(self, response: TextResponse) -> Info | None:
        found = response.css("[data-article-id]::attr(data-article-id)").get()
        if not found:
            match = self.article_url_id.search(response.url)
            found = match.group(1) if match else None
        return {"article_id": found.strip()} if found and found.strip().isdigit() else None

    def comments_request(self, info: Info, offset: int) -> Request:
        query = {
            "objectId": info["article_id"],
            "objectType": 1,
            "offset": offset,
            "limit": self.page_size,
        }
        return Request(
            f"{self.api_base}/listcomment?{urlencode(query)}",
            callback=self.parse_comments,
            cb_kwargs={"info": info, "offset": offset},
        )

    def parse_comments(self, response: Response, info: Info, offset: int) -> Iterator[Any]:
        try:
            body = loads_json_or_jsonp(response.body)
        except (ValueError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            self.fail("bad_json", response, exc)
            return
        items, total = payload(body)
        if items is None:
            self.fail("bad_payload", response, "no comment list")
            return
        key = f"comments:{info['article_id']}"
        if offset == 0 and total >= 0 and self.recall(key) == total:
            self.count("duluan/threads_unchanged")
            return
        yield from comment_tree(self, items, info)
        next_offset = offset + len(items)
        if items and (next_offset < total or (total < 0 and len(items) >= self.page_size)):
            yield self.comments_request(info, next_offset)
        else:
            self.remember(key, total)
