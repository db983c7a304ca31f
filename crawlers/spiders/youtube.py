"""YouTube Data API v3: `commentThreads` (top-level comments + some replies) per video, the rest
of the replies from `comments?parentId=`. The key goes in a header, never in logged URLs."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlencode, urlsplit

from scrapy import Request
from scrapy.http import Response

from crawlers.base import DuluanSpider, split_urls
from crawlers.config import duluan_settings
from crawlers.news import as_int
from crawlers.text import html_to_text, parse_time, squash
from duluan.core.ids import post_id
from duluan.core.models import Post

SOURCE = "youtube"
Data = dict[str, Any]


def video_id(value: str) -> str:
    """A bare id, or the `v=` of a watch URL, or the last path part of youtu.be links."""
    parts = urlsplit(value)
    if parts.scheme:
        return (parse_qs(parts.query).get("v") or [parts.path.rstrip("/").rsplit("/", 1)[-1]])[0]
    return value


class YouTubeSpider(DuluanSpider):
    """Comments and replies of some videos (`-a video_ids=ID1,ID2` or YOUTUBE_VIDEO_IDS)."""

    name = SOURCE
    default_api_base = "https://www.googleapis.com/youtube/v3"
    default_allowed_domains: ClassVar[list[str]] = ["googleapis.com"]

    def __init__(self, *args: Any, video_ids: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._video_ids = split_urls(video_ids)

    async def start(self) -> AsyncIterator[Any]:
        self.max_pages = int(self.setting("YOUTUBE_MAX_PAGES", 20))
        key = self.setting("YOUTUBE_API_KEY") or ""
        if not key:
            secret = duluan_settings(self.crawler.settings).youtube_api_key
            key = secret.get_secret_value() if secret is not None else ""
        if not key:
            self.logger.error("no YouTube API key: set DULUAN_YOUTUBE_API_KEY or YOUTUBE_API_KEY")
            self.count("duluan/errors/no_api_key")
            return
        self.headers = {"X-Goog-Api-Key": str(key), "Accept": "application/json"}
        ids = self._video_ids or split_urls(self.setting("YOUTUBE_VIDEO_IDS") or [])
        ids += [video_id(u) for u in self.start_urls]
        for vid in dict.fromkeys(ids):
            yield self.threads_request(vid, None, 1)

    def threads_request(self, vid: str, token: str | None, page: int) -> Request:
        query = {
            "part": "snippet,replies",
            "videoId": vid,
            "maxResults": 100,
            "order": "time",
            "textFormat": "plainText",
            **({"pageToken": token} if token else {}),
        }
        return Request(
            f"{self.api_base}/commentThreads?{urlencode(query)}",
            headers=self.headers,
            callback=self.parse_threads,
            cb_kwargs={"vid": vid, "page": page},
        )

    def replies_request(self, vid: str, parent: str, token: str | None, total: int) -> Request:
        query = {
            "part": "snippet",
            "parentId": parent,
            "maxResults": 100,
            "textFormat": "plainText",
            **({"pageToken": token} if token else {}),
        }
        return Request(
            f"{self.api_base}/comments?{urlencode(query)}",
            headers=self.headers,
            callback=self.parse_replies,
            cb_kwargs={"vid": vid, "parent": parent, "total": total},
        )

    def load(self, response: Response) -> Data | None:
        try:
            data = json.loads(response.body)
        except ValueError as exc:
            self.fail("bad_json", response, exc)
            return None
        if not isinstance(data, dict) or not isinstance(data.get("items"), list):
            self.fail("bad_payload", response, "no items")
            return None
        return data

    def parse_threads(self, response: Response, vid: str, page: int) -> Iterator[Any]:
        data = self.load(response)
        if data is None:
            return
        new = 0
        for item in data["items"]:
            snippet = (item or {}).get("snippet") or {}
            top = snippet.get("topLevelComment") or {}
            post = self.comment(
                top, vid, parent=None, replies=as_int(snippet.get("totalReplyCount"))
            )
            if post is None:
                continue
            fresh = self.emit(post)
            new += fresh is not None
            if fresh is not None:
                yield fresh
            embedded = ((item.get("replies") or {}).get("comments")) or []
            for reply in embedded:
                reply_post = self.comment(reply, vid, parent=top.get("id"))
                if reply_post is not None and (fresh_reply := self.emit(reply_post)):
                    yield fresh_reply
            total = as_int(snippet.get("totalReplyCount"))
            if total > len(embedded) and self.recall(f"replies:{top['id']}") != total:
                yield self.replies_request(vid, top["id"], None, total)
            elif total:
                self.remember(f"replies:{top['id']}", total)
        token = data.get("nextPageToken")
        # newest first: a page with nothing new means the rest was read by an earlier run
        if token and page < self.max_pages and (new or self.state is None):
            yield self.threads_request(vid, token, page + 1)

    def parse_replies(self, response: Response, vid: str, parent: str, total: int) -> Iterator[Any]:
        data = self.load(response)
        if data is None:
            return
        for item in data["items"]:
            post = self.comment(item, vid, parent=parent)
            if post is not None and (fresh := self.emit(post)):
                yield fresh
        token = data.get("nextPageToken")
        if token:
            yield self.replies_request(vid, parent, token, total)
        else:
            self.remember(f"replies:{parent}", total)

    def comment(
        self, item: Data, vid: str, parent: str | None, replies: int | None = None
    ) -> Post | None:
        snippet = (item or {}).get("snippet") or {}
        created = parse_time(snippet.get("publishedAt"))
        if not item.get("id") or created is None:
            self.fail("bad_comment", None, str(item)[:80])
            return None
        text = squash(snippet.get("textOriginal") or "") or html_to_text(snippet.get("textDisplay"))
        thread = post_id(SOURCE, "video", vid)
        engagement = {"likes": as_int(snippet.get("likeCount"))}
        if replies is not None:
            engagement["replies"] = replies
        return Post(
            id=post_id(SOURCE, "comment", item["id"]),
            source=SOURCE,
            kind="reply" if parent else "comment",
            url=f"https://www.youtube.com/watch?v={vid}&lc={item['id']}",
            thread_id=thread,
            parent_id=post_id(SOURCE, "comment", parent) if parent else thread,
            author=snippet.get("authorDisplayName") or None,
            text=text,
            created_at=created,
            engagement=engagement,
            raw={"video_id": vid, "updated_at": snippet.get("updatedAt")},
        )
