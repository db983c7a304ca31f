"""Reddit: `/r/<sub>/new.json` listings and `/comments/<id>.json` trees (default r/VietNam).

Incremental: a post whose `num_comments` has not changed since the last run is not re-read.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC
from typing import Any, ClassVar
from urllib.parse import urlencode

from scrapy import Request
from scrapy.http import Response

from crawlers.base import DuluanSpider, split_urls
from crawlers.news import as_int
from crawlers.text import from_unix, squash
from duluan.core.ids import post_id
from duluan.core.models import Post

SOURCE = "reddit"
Data = dict[str, Any]


def fullname_to_id(fullname: str) -> str:
    """'t3_abc' -> reddit:post:abc, 't1_xyz' -> reddit:comment:xyz."""
    prefix, _, native = fullname.partition("_")
    return post_id(SOURCE, "post" if prefix == "t3" else "comment", native)


class RedditSpider(DuluanSpider):
    """Newest posts of some subreddits and their comment trees, via Reddit's public JSON."""

    name = SOURCE
    default_api_base = "https://www.reddit.com"
    default_allowed_domains: ClassVar[list[str]] = ["reddit.com"]

    def __init__(self, *args: Any, subreddits: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._subreddits = split_urls(subreddits)

    async def start(self) -> AsyncIterator[Any]:
        self.max_pages = int(self.setting("REDDIT_MAX_PAGES", 1))
        subs = self._subreddits or split_urls(self.setting("REDDIT_SUBREDDITS") or ["VietNam"])
        urls = self.start_urls or [self.listing_url(sub) for sub in subs]
        for url in urls:
            callback = self.parse_comments if "/comments/" in url else self.parse_listing
            yield Request(
                url,
                callback=callback,
                dont_filter=True,
                cb_kwargs={"page": 1} if callback == self.parse_listing else {},
            )

    def listing_url(self, sub: str, after: str | None = None) -> str:
        query = {"limit": 100, "raw_json": 1, **({"after": after} if after else {})}
        return f"{self.api_base}/r/{sub}/new.json?{urlencode(query)}"

    def load(self, response: Response) -> Any:
        try:
            return json.loads(response.body)
        except ValueError as exc:
            self.fail("bad_json", response, exc)
            return None

    def parse_listing(self, response: Response, page: int) -> Iterator[Any]:
        data = self.load(response)
        if not isinstance(data, dict) or not isinstance(data.get("data"), dict):
            if data is not None:
                self.fail("bad_listing", response)
            return
        for child in data["data"].get("children") or []:
            if not isinstance(child, dict) or child.get("kind") != "t3":
                continue
            info: Data = child.get("data") or {}
            post = self.submission(info)
            if post is None:
                continue
            fresh = self.emit(post)
            if fresh is not None:
                yield fresh
            comments = as_int(info.get("num_comments"))
            if comments and self.recall(f"comments:{info['id']}") != comments:
                yield Request(
                    f"{self.api_base}/comments/{info['id']}.json?raw_json=1&sort=new&limit=500",
                    callback=self.parse_comments,
                )
        after = data["data"].get("after")
        sub = re.search(r"/r/([^/?]+)", response.url)
        if after and sub and page < self.max_pages:
            yield Request(
                self.listing_url(sub.group(1), after),
                callback=self.parse_listing,
                cb_kwargs={"page": page + 1},
            )

    def submission(self, info: Data) -> Post | None:
        if not info.get("id") or info.get("created_utc") is None:
            self.fail("bad_post", None, str(info)[:80])
            return None
        permalink = info.get("permalink") or ""
        return Post(
            id=post_id(SOURCE, "post", info["id"]),
            source=SOURCE,
            kind="post",
            url=f"{self.api_base}{permalink}" if permalink else info.get("url"),
            thread_id=post_id(SOURCE, "post", info["id"]),
            author=self.author(info.get("author")),
            title=squash(info.get("title") or "") or None,
            text=squash(info.get("selftext") or "") or squash(info.get("title") or ""),
            created_at=from_unix(info["created_utc"], UTC),
            engagement={
                "score": as_int(info.get("score")),
                "comments": as_int(info.get("num_comments")),
            },
            raw={"subreddit": info.get("subreddit"), "link": info.get("url")},
        )

    @staticmethod
    def author(name: Any) -> str | None:
        return None if not name or name in ("[deleted]", "[removed]") else str(name)

    def parse_comments(self, response: Response) -> Iterator[Any]:
        data = self.load(response)
        if not isinstance(data, list) or len(data) < 2:
            if data is not None:
                self.fail("bad_comments", response, "expected [post listing, comment listing]")
            return
        post_children = (data[0].get("data") or {}).get("children") or []
        if post_children:
            info = post_children[0].get("data") or {}
            post = self.submission(info)
            if post is not None:
                fresh = self.emit(post)
                if fresh is not None:
                    yield fresh
                self.remember(f"comments:{info['id']}", as_int(info.get("num_comments")))
        yield from self.walk((data[1].get("data") or {}).get("children") or [], response.url)

    def walk(self, children: list[Any], url: str) -> Iterator[Post]:
        for child in children:
            if not isinstance(child, dict):
                continue
            if child.get("kind") == "more":
                self.count(
                    "duluan/reddit_more_skipped", len(child.get("data", {}).get("children") or [])
                )
                continue
            if child.get("kind") != "t1":
                continue
            info: Data = child.get("data") or {}
            if not info.get("id") or info.get("created_utc") is None:
                self.fail("bad_comment", None, str(info)[:80])
                continue
            parent = info.get("parent_id") or info.get("link_id") or ""
            thread = fullname_to_id(info.get("link_id") or parent)
            post = Post(
                id=post_id(SOURCE, "comment", info["id"]),
                source=SOURCE,
                kind="comment",
                url=f"{self.api_base}{info['permalink']}" if info.get("permalink") else url,
                thread_id=thread,
                parent_id=fullname_to_id(parent) if parent else thread,
                author=self.author(info.get("author")),
                text=squash(info.get("body") or ""),
                created_at=from_unix(info["created_utc"], UTC),
                engagement={"score": as_int(info.get("score"))},
                raw={"subreddit": info.get("subreddit")},
            )
            fresh = self.emit(post)
            if fresh is not None:
                yield fresh
            replies = info.get("replies")
            if isinstance(replies, dict):
                yield from self.walk((replies.get("data") or {}).get("children") or [], url)
