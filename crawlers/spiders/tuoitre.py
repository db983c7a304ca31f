"""Tuổi Trẻ: articles from RSS / pages, comments from `{api}/api/getlist-comment.api`.

No real capture was available: the response shape is assumed from the public widget, see
docs/crawlers.md. `Data` is itself a JSON string holding the comment list; replies are nested in
`child_comments`. Paging is by `pageindex` until a short page.
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

SOURCE = "tuoitre"


class TuoiTreSpider(NewsSpider):
    """Articles and comments from tuoitre.vn (or a server with the same structure)."""

    name = SOURCE
    default_api_base = "https://id.tuoitre.vn"
    default_start_urls: ClassVar[list[str]] = ["https://tuoitre.vn/rss/tin-moi-nhat.rss"]
    default_allowed_domains: ClassVar[list[str]] = ["tuoitre.vn"]
    article_url_id: ClassVar[re.Pattern[str]] = re.compile(r"-(\d{10,})\.html?(?:[?#].*)?$")

    def prepare(self) -> None:
        self.page_size = int(self.setting("TUOITRE_PAGE_SIZE", 20))
        self.max_pages = int(self.setting("TUOITRE_MAX_PAGES", 50))

    def article_ids(self, response: TextResponse) -> Info | None:
        found = (
            response.css("[data-objectid]::attr(data-objectid)").get()
            or response.css('meta[name="tt_article_id"]::attr(content)').get()
        )
        if not found:
            match = self.article_url_id.search(response.url)
            found = match.group(1) if match else None
        return {"article_id": found.strip()} if found and found.strip().isdigit() else None

    def comments_request(self, info: Info, offset: int) -> Request:
        page = offset + 1  # offset counts pages here
        query = {
            "pageindex": page,
            "pagesize": self.page_size,
            "objId": info["article_id"],
            "objType": 1,
            "sort": 2,
        }
        return Request(
            f"{self.api_base}/api/getlist-comment.api?{urlencode(query)}",
            callback=self.parse_comments,
            cb_kwargs={"info": info, "page": page},
        )

    def parse_comments(self, response: Response, info: Info, page: int) -> Iterator[Any]:
        try:
            body = json.loads(response.body)
            data = body.get("Data") if isinstance(body, dict) else None
            items = json.loads(data) if isinstance(data, str) else data
        except ValueError as exc:
            self.fail("bad_json", response, exc)
            return
        if isinstance(items, dict):
            items = items.get("items") or items.get("Data") or items.get("data")
        if not isinstance(items, list):
            self.fail("bad_payload", response, "Data is not a comment list")
            return
        total = as_int(body.get("TotalRecord") or body.get("Total"), -1)
        known = self.recall(f"comments:{info['article_id']}")
        if page == 1 and items and total >= 0 and known == total:
            self.count("duluan/threads_unchanged")
            return
        yield from comment_tree(self, items, info)
        if len(items) >= self.page_size and page < self.max_pages:
            yield self.comments_request(info, page)
        elif total >= 0:
            self.remember(f"comments:{info['article_id']}", total)
