"""Shared by the news-site spiders (vnexpress, tuoitre, dantri): find articles from RSS / Atom
feeds, sitemaps, listing pages or article URLs, and read an article page into a Post."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.http import Response, TextResponse
from scrapy.utils.sitemap import Sitemap

from crawlers.base import DuluanSpider
from crawlers.text import html_to_text, parse_time
from duluan.core.ids import normalize_url, post_id
from duluan.core.models import Post

Info = dict[str, Any]

TITLE_CSS = ("h1.title-detail", "h1.detail-title", "h1.title-page", "h1")
BODY_CSS = (
    "article.fck_detail p.Normal",
    "article.fck_detail p",
    "div.detail-content p",
    "div.singular-content p",
    "div.dt-news__content p",
    "article p",
)
TIME_CSS = (
    'meta[itemprop="datePublished"]::attr(content)',
    'meta[property="article:published_time"]::attr(content)',
    'meta[name="pubdate"]::attr(content)',
    "[data-role=publishdate]::text",
    "time::attr(datetime)",
    "span.date::text",
)


BREADCRUMB_CSS = (
    "ul.breadcrumb li a",
    ".breadcrumb a",
    "nav[aria-label=breadcrumb] a",
    "[itemtype$=BreadcrumbList] a",
    ".detail-cate a",
    ".dt-breadcrumb a",
)
SECTION_META_CSS = (
    'meta[property="article:section"]::attr(content)',
    'meta[name="its_section"]::attr(content)',
    'meta[name="section"]::attr(content)',
)
FEED_STEMS = frozenset(
    {"tin-moi-nhat", "tin-noi-bat", "home", "trang-chu", "rss", "feed", "tin-xem-nhieu", "index"}
)
"""Feed names that list every section (their name says nothing of the topic)."""


def url_section(url: str | None, article: bool = True) -> str | None:
    """The folders of a URL path ('/kinh-doanh/vi-mo/slug-123.html' -> 'kinh-doanh/vi-mo');
    a feed URL's own name counts ('/rss/the-thao.rss' -> 'the-thao')."""
    if not url:
        return None
    parts = [p for p in urlsplit(url).path.split("/") if p]
    if not article:
        stem = parts[-1].rsplit(".", 1)[0] if parts else ""
        return stem if stem and stem not in FEED_STEMS else None
    folders = [p for p in parts[:-1] if p not in ("rss", "tin-tuc", "news")]
    return "/".join(folders) or None


def page_section(response: TextResponse) -> str | None:
    """The section a news page files itself under: breadcrumb, then section meta tags, then
    the URL's folders. Comments inherit it from their article."""
    for css in BREADCRUMB_CSS:
        links = response.css(css)
        if not links:
            continue
        hrefs = [urlsplit(h).path.strip("/") for h in links.css("::attr(href)").getall()]
        hrefs = [h for h in hrefs if h and not h.endswith((".html", ".htm"))]
        if hrefs:
            return hrefs[-1]
        names = [" ".join(a.css("::text").getall()).strip() for a in links]
        names = [n for n in names if n and n.lower() not in ("trang chủ", "home")]
        if names:
            return "/".join(names)
    for css in SECTION_META_CSS:
        value = response.css(css).get()
        if value and value.strip():
            return value.strip().split(",")[0].strip()
    return url_section(response.url)


def first(response: TextResponse, selectors: tuple[str, ...]) -> str | None:
    for css in selectors:
        value = response.css(css).get()
        if value and value.strip():
            return value
    return None


def as_int(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


class NewsSpider(DuluanSpider):
    """Discovery and article reading; subclasses read ids and comments (`article_ids`,
    `comments_request`)."""

    article_url_id: ClassVar[re.Pattern[str]] = re.compile(r"-(\d{6,})\.html?(?:[?#].*)?$")
    max_articles_setting: ClassVar[str] = "MAX_ARTICLES"

    async def start(self) -> AsyncIterator[Any]:
        self.max_articles = int(
            self.setting(f"{self.name.upper()}_MAX_ARTICLES", self.setting("MAX_ARTICLES", 500))
        )
        self._articles: set[str] = set()
        self.prepare()
        for url in self.start_urls:
            yield Request(url, callback=self.parse_start, dont_filter=True)

    def prepare(self) -> None:
        """Read per-source settings once the crawler is attached."""

    # --- discovery -------------------------------------------------------------------------

    def parse_start(self, response: Response) -> Iterator[Any]:
        """RSS / Atom feed, sitemap, article page or listing page: decided by content."""
        head = response.body[:2048].lstrip().lower()
        if b"<rss" in head or b"<feed" in head:
            yield from self.parse_feed(response)
        elif b"<urlset" in head or b"<sitemapindex" in head:
            yield from self.parse_sitemap(response)
        else:
            yield from self.parse_article(response)

    def parse_feed(self, response: Response) -> Iterator[Any]:
        if not isinstance(response, TextResponse):
            self.fail("feed_not_text", response)
            return
        response.selector.remove_namespaces()
        entries = response.xpath("//item | //entry")
        if not entries:
            self.fail("empty_feed", response)
        for entry in entries:
            link = entry.xpath("link/text()").get() or entry.xpath("link/@href").get() or ""
            if link.strip():
                published = entry.xpath("pubDate/text() | published/text()").get()
                section = (entry.xpath("category/text() | category/@term").get() or "").strip()
                yield from self.article_request(
                    response.urljoin(link.strip()),
                    published,
                    section or url_section(response.url, False),
                )

    def parse_sitemap(self, response: Response) -> Iterator[Any]:
        try:
            sitemap = Sitemap(response.body)
        except Exception as exc:  # lxml raises several kinds
            self.fail("bad_sitemap", response, exc)
            return
        for entry in sitemap:
            loc = entry.get("loc")
            if not loc:
                continue
            if sitemap.type == "sitemapindex":
                yield Request(loc, callback=self.parse_start)
            else:
                yield from self.article_request(loc, entry.get("lastmod"))

    def article_request(
        self, url: str, published: str | None = None, section: str | None = None
    ) -> Iterator[Any]:
        """Fetch an article page, or go straight to its comments when its ids are remembered."""
        key = normalize_url(url)
        if key in self._articles or len(self._articles) >= self.max_articles:
            return
        self._articles.add(key)
        known = self.recall(f"article:{key}")
        if known:
            self.count("duluan/articles_known")
            yield self.comments_request(known, 0)
        else:
            yield Request(
                url,
                callback=self.parse_article,
                cb_kwargs={"published": published, "feed_section": section},
            )

    # --- articles --------------------------------------------------------------------------

    def article_ids(self, response: TextResponse) -> Info | None:
        """{'article_id': ..., plus whatever the comment API needs}, or None if not an article."""
        match = self.article_url_id.search(response.url)
        return {"article_id": match.group(1)} if match else None

    def comments_request(self, info: Info, offset: int) -> Request:
        raise NotImplementedError

    def article_section(self, response: TextResponse, info: Info) -> str | None:
        """The article's section as the site states it (subclasses add their own cues)."""
        return page_section(response)

    def parse_article(
        self, response: Response, published: str | None = None, feed_section: str | None = None
    ) -> Iterator[Any]:
        if not isinstance(response, TextResponse):
            self.fail("article_not_text", response)
            return
        ids = self.article_ids(response)
        if ids is None or not str(ids.get("article_id", "")).strip():
            links = [
                response.urljoin(h)
                for h in response.css("a::attr(href)").getall()
                if self.article_url_id.search(h)
            ]
            if not links:
                self.fail("no_article_id", response)
            for link in links:
                yield from self.article_request(link)
            return
        info = {**ids, "url": response.url}
        section = self.article_section(response, info) or feed_section
        if section:
            info["section"] = section
        post = self.article_post(response, info, parse_time(first(response, TIME_CSS) or published))
        if post is not None:
            fresh = self.emit(post)
            if fresh is not None:
                yield fresh
        self.remember(f"article:{normalize_url(response.url)}", info)
        yield self.comments_request(info, 0)

    def article_post(
        self, response: TextResponse, info: Info, created: datetime | None
    ) -> Post | None:
        og_title = response.css('meta[property="og:title"]::attr(content)').get()
        title = html_to_text(first(response, TITLE_CSS) or og_title)
        description = html_to_text(
            first(response, ("p.description", "h2.detail-sapo", "h2.singular-sapo"))
            or response.css('meta[name="description"]::attr(content)').get()
        )
        paragraphs: list[str] = []
        for css in BODY_CSS:
            paragraphs = response.css(css).getall()
            if paragraphs:
                break
        body = "\n".join(t for t in (html_to_text(p) for p in paragraphs) if t)
        if not (title or body) or created is None:
            self.fail("malformed_article", response, "no title/body or no publish time")
            return None
        article = info["article_id"]
        return Post(
            id=post_id(self.name, "article", article),
            source=self.name,
            kind="article",
            url=response.url,
            thread_id=post_id(self.name, "article", article),
            title=title or None,
            section=info.get("section"),
            text="\n".join(t for t in (description, body) if t) or title,
            created_at=created,
            lang="vi",
            raw={k: v for k, v in info.items() if k not in ("url", "section")},
        )


def pick(item: Info, *names: str) -> Any:
    """The first present, non-empty field among `names` (APIs rename fields between versions)."""
    for name in names:
        value = item.get(name)
        if value not in (None, ""):
            return value
    return None


def parse_api_time(value: Any) -> datetime | None:
    """Unix seconds/ms, `/Date(ms)/` (ASP.NET JSON) or a date string; naive = Vietnam time."""
    from crawlers.text import from_unix

    if value is None:
        return None
    if isinstance(value, int | float) or (isinstance(value, str) and value.isdigit()):
        return from_unix(value)
    text = str(value)
    match = re.match(r"/Date\((\d+)(?:[+-]\d+)?\)/", text)
    if match:
        return from_unix(int(match.group(1)))
    return parse_time(text)


class CommentFields:
    """Where a comment API keeps each field (first present name wins)."""

    id: tuple[str, ...] = ("id", "comment_id", "commentId")
    parent: tuple[str, ...] = ("parent_id", "parentId", "ParentId")
    text: tuple[str, ...] = ("content", "Content", "body")
    author: tuple[str, ...] = ("sender_fullname", "full_name", "fullName", "userName", "author")
    created: tuple[str, ...] = ("created_date", "createdDate", "creation_time", "publish_date")
    likes: tuple[str, ...] = ("likes", "like_count", "likeCount", "userlike", "reactions")
    replies: tuple[str, ...] = ("child_comments", "replies", "children", "childs")


def comment_post(
    spider: DuluanSpider,
    item: Info,
    info: Info,
    parent: str | None,
    fields: type[CommentFields] = CommentFields,
) -> Post | None:
    """A comment of a news article as a Post (reply when it has a parent comment)."""
    native = pick(item, *fields.id)
    created = parse_api_time(pick(item, *fields.created))
    if native is None or created is None:
        spider.fail("bad_comment", None, f"comment without id or time: {str(item)[:80]}")
        return None
    raw_parent = str(pick(item, *fields.parent) or "")
    if parent is None and raw_parent not in ("", "0", str(native)):
        parent = raw_parent
    thread = post_id(spider.name, "article", info["article_id"])
    likes = pick(item, *fields.likes)
    return Post(
        id=post_id(spider.name, "comment", native),
        source=spider.name,
        kind="reply" if parent else "comment",
        url=info.get("url"),
        thread_id=thread,
        parent_id=post_id(spider.name, "comment", parent) if parent else thread,
        author=html_to_text(str(pick(item, *fields.author) or "")) or None,
        section=info.get("section"),
        text=html_to_text(str(pick(item, *fields.text) or "")),
        created_at=created,
        lang="vi",
        engagement={"likes": as_int(likes)} if likes is not None else {},
        raw={"comment_id": str(native), "article_id": str(info["article_id"])},
    )


def comment_tree(
    spider: DuluanSpider,
    items: list[Any],
    info: Info,
    parent: str | None = None,
    fields: type[CommentFields] = CommentFields,
) -> Iterator[Post]:
    """Posts for comments and their nested replies, each fresh id once."""
    for item in items:
        if not isinstance(item, dict):
            continue
        post = comment_post(spider, item, info, parent, fields)
        if post is None:
            continue
        fresh = spider.emit(post)
        if fresh is not None:
            yield fresh
        children = pick(item, *fields.replies)
        if isinstance(children, list):
            native = str(pick(item, *fields.id))
            yield from comment_tree(spider, children, info, native, fields)
