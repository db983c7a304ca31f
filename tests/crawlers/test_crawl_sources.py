"""reddit, youtube, rss, tuoitre and dantri spiders against invented responses served locally."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from crawl_localserver import LocalServer


def test_reddit_listing_and_comment_tree(spider, server: LocalServer, tmp_path: Path) -> None:
    server.add_fixture("/r/VietNam/new.json", "reddit/new.json")
    server.add_fixture("/comments/zz1001.json", "reddit/comments_zz1001.json")
    result = spider("reddit", tmp_path, settings={"REDDIT_API_BASE": server.base})
    posts = result.by_id
    assert sorted(posts) == [
        "reddit:comment:c001",
        "reddit:comment:c002",
        "reddit:comment:c003",
        "reddit:post:zz1001",
        "reddit:post:zz1002",
    ]
    assert server.count("/comments/zz1002") == 0  # no comments -> not fetched
    assert posts["reddit:post:zz1001"].title == "Ăn gì ở Đà Lạt mùa này?"
    assert posts["reddit:post:zz1002"].author is None  # [deleted]
    reply = posts["reddit:comment:c002"]
    assert reply.parent_id == "reddit:comment:c001" and reply.thread_id == "reddit:post:zz1001"
    assert posts["reddit:comment:c001"].parent_id == "reddit:post:zz1001"
    assert reply.created_at == datetime.fromtimestamp(1795702000, UTC)
    assert result.stat("duluan/reddit_more_skipped") == 2

    server.hits.clear()
    again = spider("reddit", tmp_path, settings={"REDDIT_API_BASE": server.base}, run="again")
    assert again.posts == [] and server.count("/comments/") == 0


def test_youtube_threads_replies_and_pages(spider, server: LocalServer, tmp_path: Path) -> None:
    server.add_fixture(
        "/commentThreads", "youtube/threads_p1.json", query={"videoId": "vid00000001"}
    )
    server.add_fixture(
        "/commentThreads",
        "youtube/threads_p2.json",
        query={"videoId": "vid00000001", "pageToken": "PAGE2"},
    )
    server.add_fixture("/comments", "youtube/replies_UgxAAA1.json", query={"parentId": "UgxAAA1"})
    result = spider(
        "youtube",
        tmp_path,
        args={"video_ids": "vid00000001"},
        settings={"YOUTUBE_API_BASE": server.base, "YOUTUBE_API_KEY": "test-key"},
    )
    posts = result.by_id
    assert sorted(posts) == [
        "youtube:comment:UgxAAA1",
        "youtube:comment:UgxAAA1.r1",
        "youtube:comment:UgxAAA1.r2",
        "youtube:comment:UgxAAA1.r3",
        "youtube:comment:UgxBBB2",
        "youtube:comment:UgxCCC3",
    ]
    top = posts["youtube:comment:UgxAAA1"]
    assert top.thread_id == top.parent_id == "youtube:video:vid00000001"
    assert top.engagement == {"likes": 12, "replies": 3}
    assert top.created_at == datetime(2026, 11, 26, 10, tzinfo=UTC)
    assert posts["youtube:comment:UgxAAA1.r1"].text == "Đồng ý <3"
    assert posts["youtube:comment:UgxAAA1.r2"].parent_id == "youtube:comment:UgxAAA1"
    assert posts["youtube:comment:UgxBBB2"].text == "Âm thanh hơi nhỏ"  # from textDisplay HTML
    assert all("key=" not in hit for hit in server.hits)  # the key travels in a header


def test_youtube_without_key_does_nothing(spider, server: LocalServer, tmp_path: Path) -> None:
    result = spider(
        "youtube",
        tmp_path,
        args={"video_ids": "vid00000001"},
        settings={"YOUTUBE_API_BASE": server.base},
    )
    assert result.posts == [] and result.stat("duluan/errors/no_api_key") == 1


def test_rss_and_atom_entries(spider, server: LocalServer, tmp_path: Path) -> None:
    server.add_fixture("/feed.xml", "rss/feed.xml")
    server.add_fixture("/atom.xml", "rss/atom.xml", ctype="application/atom+xml")
    server.add("/private/feed.xml", "<rss/>", ctype="application/rss+xml")
    urls = [f"{server.base}/feed.xml", f"{server.base}/atom.xml", f"{server.base}/private/feed.xml"]
    result = spider("rss", tmp_path, start_urls=urls)
    by_title = {p.title: p for p in result.posts}
    assert sorted(by_title) == [
        "Ghi chép từ Hội An",
        "Giá gạo xuất khẩu tăng",
        "Ngân hàng giảm lãi suất cho vay",
    ]
    rice = by_title["Giá gạo xuất khẩu tăng"]
    assert rice.text == "Gạo Việt được giá tại nhiều thị trường." and rice.author == "Phóng viên A"
    assert rice.created_at.utcoffset() == timedelta(hours=7)
    assert by_title["Ngân hàng giảm lãi suất cho vay"].text == "Nhiều ngân hàng giảm lãi suất."
    assert by_title["Ghi chép từ Hội An"].url == f"{server.base}/hoi-an"
    assert result.stat("duluan/errors/bad_entry") == 1
    assert server.count("/private/") == 0, server.hits  # robots.txt
    again = spider("rss", tmp_path, start_urls=urls, run="again")
    assert again.posts == []


def test_tuoitre_comments_data_string(spider, server: LocalServer, tmp_path: Path) -> None:
    server.add_fixture("/rss/tin-moi-nhat.rss", "tuoitre/feed.rss")
    server.add_fixture(
        "/thanh-pho-mo-them-tuyen-buyt-dien-20261127080000123.htm", "tuoitre/article.html"
    )
    api = "/api/getlist-comment.api"
    server.add_fixture(api, "tuoitre/comments_p1.json", query={"pageindex": "1"})
    server.add_fixture(api, "tuoitre/comments_p2.json", query={"pageindex": "2"})
    result = spider(
        "tuoitre",
        tmp_path,
        start_urls=[f"{server.base}/rss/tin-moi-nhat.rss"],
        settings={"TUOITRE_API_BASE": server.base, "TUOITRE_PAGE_SIZE": 2},
    )
    posts = result.by_id
    assert sorted(posts) == [
        "tuoitre:article:20261127080000123",
        "tuoitre:comment:8800001",
        "tuoitre:comment:8800002",
        "tuoitre:comment:8800003",
        "tuoitre:comment:8800011",
    ]
    article = posts["tuoitre:article:20261127080000123"]
    assert article.text.startswith("Tuyến mới nối trung tâm") and "7.000 đồng" in article.text
    reply = posts["tuoitre:comment:8800011"]
    assert reply.kind == "reply" and reply.parent_id == "tuoitre:comment:8800001"
    assert reply.created_at.isoformat() == "2026-11-27T09:40:00+07:00"
    assert posts["tuoitre:comment:8800002"].text == "Trạm dừng chưa có mái che & ghế ngồi."
    assert posts["tuoitre:comment:8800002"].created_at.utcoffset() == timedelta(hours=7)
    assert server.count("objId=20261127080000123") == 2


def test_dantri_comments(spider, server: LocalServer, tmp_path: Path) -> None:
    server.add_fixture(
        "/giao-duc/hoc-sinh-lop-12-on-thi-20261127193000111.htm", "dantri/article.html"
    )
    server.add_fixture("/listcomment", "dantri/comments.json")
    result = spider(
        "dantri",
        tmp_path,
        start_urls=[f"{server.base}/giao-duc/hoc-sinh-lop-12-on-thi-20261127193000111.htm"],
        settings={"DANTRI_API_BASE": server.base},
    )
    posts = result.by_id
    assert sorted(posts) == [
        "dantri:article:20261127193000111",
        "dantri:comment:9900001",
        "dantri:comment:9900002",
        "dantri:comment:9900003",
    ]
    assert posts["dantri:article:20261127193000111"].created_at.isoformat() == (
        "2026-11-27T19:30:00+07:00"
    )
    assert posts["dantri:comment:9900002"].parent_id == "dantri:comment:9900001"
    assert posts["dantri:comment:9900003"].engagement == {"likes": 9}
