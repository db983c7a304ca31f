"""The vnexpress spider against a local server serving invented pages in VnExpress's structure."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from crawl_localserver import LocalServer

API = "/index/get"
REPLY_API = "/index/getreplay"


def serve_vnexpress(server: LocalServer) -> None:
    server.add_fixture("/rss/tin-moi-nhat.rss", "vnexpress/feed.rss")
    server.add_fixture("/thoi-su/ket-xe-gio-cao-diem-4900001.html", "vnexpress/article_meta.html")
    server.add_fixture("/du-lich/cho-dem-moi-mo.html", "vnexpress/article_component.html")
    server.add_fixture(
        "/kinh-doanh/gia-ca-phe-xuat-khau-4900003.html", "vnexpress/article_urlid.html"
    )
    server.add_fixture("/private/bai-noi-bo-4900004.html", "vnexpress/article_urlid.html")
    server.add_fixture("/broken.html", "vnexpress/broken.html")
    server.add_fixture(
        API, "vnexpress/comments_4900001_p0.json", query={"objectid": "4900001", "offset": "0"}
    )
    server.add_fixture(
        API, "vnexpress/comments_4900001_p2.json", query={"objectid": "4900001", "offset": "2"}
    )
    server.add_fixture(
        REPLY_API, "vnexpress/replies_70000101_p0.json", query={"id": "70000101", "offset": "0"}
    )
    server.add_fixture(
        REPLY_API, "vnexpress/replies_70000101_p2.json", query={"id": "70000101", "offset": "2"}
    )
    # article 2: JSONP, and the first answer is a 500
    server.add_fixture(API, "vnexpress/comments_4900002.js", query={"objectid": "4900002"})
    server.add(API, "upstream error", status=500, query={"objectid": "4900002"}, times=1)
    server.add_fixture(API, "vnexpress/comments_malformed.json", query={"objectid": "4900003"})


def run(spider, server: LocalServer, tmp_path: Path, run: str = "out", **settings: object):  # type: ignore[no-untyped-def]
    return spider(
        "vnexpress",
        tmp_path,
        start_urls=[f"{server.base}/rss/tin-moi-nhat.rss"],
        settings={"VNEXPRESS_API_BASE": server.base, "VNEXPRESS_PAGE_SIZE": 2, **settings},
        run=run,
    )


def test_vnexpress_full_crawl(spider, server: LocalServer, tmp_path: Path) -> None:
    serve_vnexpress(server)
    result = run(spider, server, tmp_path)
    posts = result.by_id

    # articles: meta tags, data-component-input JSON, id from the URL; robots-disallowed one never
    assert {p for p in posts if ":article:" in p} == {
        "vnexpress:article:4900001",
        "vnexpress:article:4900002",
        "vnexpress:article:4900003",
    }
    assert server.count("/private/") == 0
    article = posts["vnexpress:article:4900001"]
    assert article.title == "Kẹt xe kéo dài giờ cao điểm ở cửa ngõ phía tây"
    assert "&amp;" not in article.text and "& chiều qua" in article.text
    assert "cảnh sát giao thông" in article.text and "tracking" not in article.text
    assert article.created_at.utcoffset() == timedelta(hours=7)
    assert article.created_at.isoformat() == "2026-11-23T08:15:00+07:00"
    assert posts["vnexpress:article:4900003"].created_at.utcoffset() == timedelta(hours=7)

    # paging: 3 top-level comments over two pages; comment 102 is on both pages -> one Post
    top = [p for p in result.posts if p.kind == "comment"]
    assert sorted(p.id for p in top if p.thread_id == "vnexpress:article:4900001") == [
        "vnexpress:comment:70000101",
        "vnexpress:comment:70000102",
        "vnexpress:comment:70000103",
    ]
    assert len(result.posts) == len(posts), "a duplicate Post was exported"

    # replies: two embedded + two more fetched from getreplay, all linked to their parent
    replies = sorted(p.id for p in result.posts if p.parent_id == "vnexpress:comment:70000101")
    assert replies == [f"vnexpress:comment:7000020{i}" for i in range(1, 5)]
    assert server.count("/index/getreplay") == 2
    reply = posts["vnexpress:comment:70000202"]
    assert reply.kind == "reply" and reply.text == "Đi sớm 15 phút là đỡ hẳn."
    assert reply.raw["reply_to"] == "Mai Anh"
    assert reply.thread_id == "vnexpress:article:4900001"
    comment = posts["vnexpress:comment:70000102"]
    assert comment.text == "Nên mở thêm làn xe buýt nhanh.\nĐi xe buýt vừa rẻ vừa an toàn."
    assert comment.parent_id == "vnexpress:article:4900001"
    assert comment.author == "Lê Thu" and comment.engagement["likes"] == 12
    assert comment.created_at.utcoffset() == timedelta(hours=7)
    assert posts["vnexpress:comment:70000101"].engagement == {"likes": 41, "replies": 4}
    assert posts["vnexpress:comment:70000103"].text == 'Quy hoạch kém thì phải chịu thôi "khổ" quá.'

    # JSONP answer after one 500 (retried with backoff)
    assert posts["vnexpress:comment:70000302"].text == "Hơi đông & thiếu chỗ gửi xe."
    assert "vnexpress:comment:70000301" in posts
    assert result.stat("retry/count") >= 1

    # malformed: a page without an article id, a truncated JSON, a comment without a time
    assert result.stat("duluan/errors/no_article_id") == 1
    assert result.stat("duluan/errors/bad_json") == 1
    assert result.stat("duluan/errors/bad_comment") == 1
    assert "vnexpress:comment:70000303" not in posts
    assert result.stats["items"] == 3 + 3 + 4 + 2  # articles, comments, replies, article 2's
    assert result.stats["errors"] == 3


def test_vnexpress_incremental(spider, server: LocalServer, tmp_path: Path) -> None:
    serve_vnexpress(server)
    first = run(spider, server, tmp_path, run="first")
    assert first.stats["items"] == 12

    server.hits.clear()
    second = run(spider, server, tmp_path, run="second")
    assert second.posts == []
    # known articles are not fetched again; unchanged threads are read once (offset 0) only
    assert server.count("ket-xe-gio-cao-diem") == 0
    assert server.count("objectid=4900001") == 1
    assert server.count("/index/getreplay") == 0

    # a new reply to comment 103, and a new comment on a third page
    page2 = Path(__file__).parents[1] / "fixtures/sources/vnexpress/comments_4900001_p2.json"
    grown = (
        page2.read_text("utf-8")
        .replace('"totalitem": 7', '"totalitem": 9')
        .replace('"total": 3', '"total": 5')
        .replace(
            '"replys": {"total": 0, "items": []}',
            '"replys": {"total": 1, "items": [{"comment_id": "70000205", "parent_id": 70000103,'
            ' "article_id": 4900001, "content": "Đồng ý!", "full_name": "Hà",'
            ' "creation_time": 1795713100, "userlike": 0}]}',
        )
    )
    p0 = (
        (page2.parent / "comments_4900001_p0.json")
        .read_text("utf-8")
        .replace('"totalitem": 7', '"totalitem": 9')
        .replace('"total": 3', '"total": 5')
    )
    server.add(
        "/index/get", p0, ctype="application/json", query={"objectid": "4900001", "offset": "0"}
    )
    server.add(
        "/index/get", grown, ctype="application/json", query={"objectid": "4900001", "offset": "2"}
    )
    server.add(
        "/index/get",
        '{"error":0,"data":{"total":5,"totalitem":9,"items":[{"comment_id":'
        '"70000104","parent_id":"70000104","article_id":4900001,"content":"Mới nè",'
        '"full_name":"Khách","creation_time":1795713200,"userlike":0}]}}',
        ctype="application/json",
        query={"objectid": "4900001", "offset": "4"},
    )
    third = run(spider, server, tmp_path, run="third")
    assert sorted(third.by_id) == ["vnexpress:comment:70000104", "vnexpress:comment:70000205"]
    assert third.by_id["vnexpress:comment:70000205"].parent_id == "vnexpress:comment:70000103"


@pytest.mark.parametrize("total", [0])
def test_vnexpress_sitemap_and_listing(
    spider, server: LocalServer, tmp_path: Path, total: int
) -> None:
    server.add(
        "/sitemap.xml",
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        "<url><loc>{base}/thoi-su/ket-xe-gio-cao-diem-4900001.html</loc></url></urlset>",
        ctype="application/xml",
    )
    server.add(
        "/the-thao",
        '<html><body><a href="/kinh-doanh/gia-ca-phe-xuat-khau-4900003.html">x</a></body></html>',
    )
    server.add_fixture("/thoi-su/ket-xe-gio-cao-diem-4900001.html", "vnexpress/article_meta.html")
    server.add_fixture(
        "/kinh-doanh/gia-ca-phe-xuat-khau-4900003.html", "vnexpress/article_urlid.html"
    )
    server.add(
        "/index/get",
        '{"error":0,"data":{"total":0,"totalitem":0,"items":[]}}',
        ctype="application/json",
    )
    result = spider(
        "vnexpress",
        tmp_path,
        start_urls=[f"{server.base}/sitemap.xml", f"{server.base}/the-thao"],
        settings={"VNEXPRESS_API_BASE": server.base},
    )
    assert sorted(result.by_id) == ["vnexpress:article:4900001", "vnexpress:article:4900003"]
    assert result.stats["errors"] == total
