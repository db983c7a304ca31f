"""Spiders record each article's or thread's section, and comments carry their article's."""

from __future__ import annotations

from pathlib import Path

from crawl_localserver import LocalServer

from nlp.sections import section_topic

API = "/index/get"
EMPTY = '{"error":0,"data":{"total":0,"totalitem":0,"items":[]}}'


def test_vnexpress_sections_from_url_breadcrumb_and_category(
    spider, server: LocalServer, tmp_path: Path
) -> None:
    server.add_fixture("/rss/tin-moi-nhat.rss", "vnexpress/feed_sections.rss")
    server.add_fixture("/thoi-su/ket-xe-gio-cao-diem-4900001.html", "vnexpress/article_meta.html")
    server.add_fixture("/gia-vang-mieng-lap-dinh-4900011.html", "vnexpress/article_breadcrumb.html")
    server.add_fixture(
        "/doi-bong-thang-tran-thu-ba-4900012.html", "vnexpress/article_category.html"
    )
    server.add_fixture(API, "vnexpress/comments_4900002.js", query={"objectid": "4900011"})
    for article in ("4900001", "4900012"):
        server.add(API, EMPTY, ctype="application/json", query={"objectid": article})
    result = spider(
        "vnexpress",
        tmp_path,
        start_urls=[f"{server.base}/rss/tin-moi-nhat.rss"],
        settings={"VNEXPRESS_API_BASE": server.base},
    )
    posts = result.by_id
    url_only = posts["vnexpress:article:4900001"]  # URL folder (also tt_category_id 1001005)
    crumbs = posts["vnexpress:article:4900011"]  # breadcrumb only
    category = posts["vnexpress:article:4900012"]  # tt_category_id only
    assert (
        url_only.section == "thoi-su" and section_topic("vnexpress", url_only.section) == "society"
    )
    assert crumbs.section == "kinh-doanh/hang-hoa"
    assert section_topic("vnexpress", crumbs.section) == "business"
    assert (
        category.section == "1002565" and section_topic("vnexpress", category.section) == "sports"
    )
    comments = [p for p in result.posts if p.thread_id == crumbs.id and p.kind != "article"]
    assert len(comments) == 2 and all(p.section == crumbs.section for p in comments)

    # a second run knows the article (no page fetch): its new comments still carry the section
    server.add_fixture(
        API, "vnexpress/comments_4900001_p0.json", query={"objectid": "4900011", "offset": "0"}
    )
    server.add(API, EMPTY, ctype="application/json", query={"objectid": "4900011", "offset": "2"})
    again = spider(
        "vnexpress",
        tmp_path,
        start_urls=[f"{server.base}/rss/tin-moi-nhat.rss"],
        settings={"VNEXPRESS_API_BASE": server.base, "VNEXPRESS_PAGE_SIZE": 2},
        run="again",
    )
    fresh = [p for p in again.posts if p.thread_id == crumbs.id]
    assert fresh and all(p.section == "kinh-doanh/hang-hoa" for p in fresh)


def test_voz_sub_forum_from_breadcrumb_or_listing(
    spider, server: LocalServer, tmp_path: Path
) -> None:
    server.add_fixture("/f/chuyen-tro-linh-tinh.17/", "voz/forum.html")
    server.add_fixture("/t/gia-vang-hom-nay-len-hay-xuong.700001/", "voz/thread_p1.html")
    server.add_fixture("/t/gia-vang-hom-nay-len-hay-xuong.700001/page-2", "voz/thread_p2.html")
    server.add_fixture("/t/hoi-ve-xe-dien.700002/", "voz/thread_700002.html")
    result = spider("voz", tmp_path, start_urls=[f"{server.base}/f/chuyen-tro-linh-tinh.17/"])
    posts = result.by_id
    # no breadcrumb: the listing's sub-forum, on every page of the thread
    gold = [p for p in result.posts if p.thread_id == "voz:thread:700001"]
    assert len(gold) == 5 and {p.section for p in gold} == {"chuyen-tro-linh-tinh"}
    assert section_topic("voz", "chuyen-tro-linh-tinh") is None  # general chat: no topic
    # the thread page's breadcrumb wins over the listing it was found on
    assert posts["voz:thread:700002"].section == "xe-cac-loai"
    assert section_topic("voz", "xe-cac-loai") == "vehicles"


def test_rss_entry_sections(spider, server: LocalServer, tmp_path: Path) -> None:
    server.add_fixture("/feed.xml", "rss/feed.xml")
    server.add_fixture("/rss/the-thao.rss", "rss/atom.xml", ctype="application/atom+xml")
    result = spider(
        "rss", tmp_path, start_urls=[f"{server.base}/feed.xml", f"{server.base}/rss/the-thao.rss"]
    )
    by_title = {p.title: p for p in result.posts}
    assert by_title["Giá gạo xuất khẩu tăng"].section == "kinh-doanh"  # the link's folder
    assert by_title["Ngân hàng giảm lãi suất cho vay"].section == "Tài chính"  # <category>
    assert by_title["Ghi chép từ Hội An"].section == "the-thao"  # the category feed's name
    assert section_topic("rss", "Tài chính") == "business"
