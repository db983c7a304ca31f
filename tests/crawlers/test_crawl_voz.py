"""The voz spider (XenForo 2) against invented forum / thread pages served locally."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from crawl_localserver import FIXTURES, LocalServer

THREAD = "/t/gia-vang-hom-nay-len-hay-xuong.700001/"


def serve_forum(server: LocalServer) -> None:
    server.add_fixture("/f/chuyen-tro-linh-tinh.17/", "voz/forum.html")
    server.add_fixture(THREAD, "voz/thread_p1.html")
    server.add_fixture(THREAD + "page-2", "voz/thread_p2.html")
    server.add_fixture("/t/hoi-ve-xe-dien.700002/", "voz/thread_700002.html")


def test_voz_threads_posts_quotes_paging(spider, server: LocalServer, tmp_path: Path) -> None:
    serve_forum(server)
    result = spider("voz", tmp_path, start_urls=[f"{server.base}/f/chuyen-tro-linh-tinh.17/"])
    posts = result.by_id
    assert sorted(posts) == [
        "voz:post:9000002",
        "voz:post:9000003",
        "voz:post:9000004",
        "voz:post:9000005",
        "voz:thread:700001",
        "voz:thread:700002",
    ]
    opener = posts["voz:thread:700001"]
    assert opener.kind == "thread" and opener.title == "Hỏi Giá vàng hôm nay lên hay xuống?"
    assert (
        opener.text == "Các thím cho hỏi giá vàng tuần này thế nào?\nEm định mua một chỉ để dành."
    )
    assert opener.author == "meo_con" and opener.parent_id is None
    assert opener.created_at.isoformat() == "2026-11-26T08:00:00+07:00"
    quoting = posts["voz:post:9000002"]
    assert quoting.text == "Mua lúc này là đu đỉnh đó thím & cẩn thận."  # quote removed
    assert quoting.parent_id == "voz:thread:700001"  # it quoted the opening post
    assert posts["voz:post:9000004"].parent_id == "voz:post:9000003"
    assert posts["voz:post:9000004"].text == "Chuẩn, mua tích lũy là khỏe nhất 👍"
    assert posts["voz:post:9000003"].parent_id == "voz:thread:700001"
    assert posts["voz:post:9000005"].created_at.utcoffset() == timedelta(hours=7)
    assert all(p.thread_id == "voz:thread:700001" for k, p in posts.items() if "9000" in k)
    assert result.stat("duluan/errors/bad_post") == 1
    assert result.stat("duluan/errors/bad_listing_row") == 1

    # second run: listing unchanged -> no thread page is fetched
    server.hits.clear()
    second = spider(
        "voz", tmp_path, start_urls=[f"{server.base}/f/chuyen-tro-linh-tinh.17/"], run="second"
    )
    assert second.posts == [] and server.count("/t/") == 0

    # a new page 3 appears: the thread is re-read from page 2 (the last seen), not page 1
    forum = (
        (FIXTURES / "voz/forum.html")
        .read_text("utf-8")
        .replace("2026-11-27T21:10:00+0700", "2026-11-28T07:00:00+0700")
    )
    server.add("/f/chuyen-tro-linh-tinh.17/", forum)
    page2 = (
        (FIXTURES / "voz/thread_p2.html")
        .read_text("utf-8")
        .replace("</ul>", f'<li class="pageNav-page"><a href="{THREAD}page-3">3</a></li></ul>')
    )
    server.add(THREAD + "page-2", page2)
    server.add(
        THREAD + "page-3",
        '<html><body><ul class="pageNav-main"><li class="pageNav-page">'
        '<a href="#">3</a></li></ul><article class="message" data-author="moi_vao" '
        'data-content="post-9000006"><time datetime="2026-11-28T07:00:00+0700"></time>'
        '<div class="message-userContent"><div class="bbWrapper">Hôm nay giảm rồi.</div>'
        "</div></article></body></html>",
    )
    server.hits.clear()
    third = spider(
        "voz", tmp_path, start_urls=[f"{server.base}/f/chuyen-tro-linh-tinh.17/"], run="third"
    )
    assert sorted(third.by_id) == ["voz:post:9000006"]
    assert server.count(THREAD) == 2 and server.count("page-2") == 1  # page 2 and page 3 only
