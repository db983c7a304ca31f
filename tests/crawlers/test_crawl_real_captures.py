"""Spiders over the real captured responses in ../shared/data/sources, served locally.

The captures are read from the shared folder at test time and never copied into the repo; the
tests skip when that folder is absent (a fresh clone).
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from crawl_localserver import FIXTURES, LocalServer

from crawlers.text import squash

SOURCES = Path(__file__).resolve().parents[3] / "shared" / "data" / "sources"
pytestmark = [
    pytest.mark.shared_data,
    pytest.mark.skipif(not SOURCES.is_dir(), reason="../shared/data/sources not present"),
]


def test_vnexpress_real_comment_api(spider, server: LocalServer, tmp_path: Path) -> None:
    capture = json.loads(
        (SOURCES / "vnexpress_comments_api_khoapham/article_4219024_comments.json").read_text()
    )
    body = capture["result"]["data"]  # the API body: {"data": {total, totalitem, items}}
    items: list[dict[str, Any]] = body["data"]["items"]
    replies = capture["replies"]  # the getreplay body for one parent
    reply_parent = str(replies["data"]["parent_id"])

    def comments(query: dict[str, str]) -> str:
        offset, limit = int(query["offset"]), int(query["limit"])
        page = {**body["data"], "items": items[offset : offset + limit], "offset": offset}
        return json.dumps({**body, "data": page}, ensure_ascii=False)

    def getreplay(query: dict[str, str]) -> str:
        if query["id"] == reply_parent and query["offset"] == "0":
            return json.dumps(replies, ensure_ascii=False)
        return json.dumps({"error": 0, "errorDescription": "", "data": {"items": []}})

    page = (
        (FIXTURES / "vnexpress/article_meta.html").read_text("utf-8").replace("4900001", "4219024")
    )
    server.add("/thoi-su/bai-4219024.html", page)
    server.add("/index/get", comments, ctype="application/json")
    server.add("/index/getreplay", getreplay, ctype="application/json")
    result = spider(
        "vnexpress",
        tmp_path,
        start_urls=[f"{server.base}/thoi-su/bai-4219024.html"],
        settings={"VNEXPRESS_API_BASE": server.base},
    )

    posts = result.by_id
    expected = {f"vnexpress:comment:{i['comment_id']}" for i in items}
    assert expected <= set(posts)
    reply_items = replies["data"]["data"]["items"]
    for item in reply_items:
        reply = posts[f"vnexpress:comment:{item['comment_id']}"]
        assert reply.parent_id == f"vnexpress:comment:{reply_parent}"
        assert "<span" not in reply.text and "&nbsp;" not in reply.text
    assert len(posts) == 1 + len(items) + len(reply_items)
    for post in result.posts:
        assert post.created_at.utcoffset() is not None
        assert "<" not in post.text or ">" not in post.text
    assert result.stats["errors"] == 0
    # every parent announcing more replies than it embeds was asked for the rest
    wanting = [i for i in items if (i.get("replys") or {}).get("total", 0) > 0]
    assert server.count("/index/getreplay") == len(wanting)


def _voz_capture() -> list[dict[str, Any]]:
    """comments-vscode JSON is several JSON arrays concatenated: decode them one by one."""
    text = (SOURCES / "voz_stock_comments_ntabyte/comments-vscode_c873932.json").read_text("utf-8")
    decoder, pos, rows = json.JSONDecoder(), 0, []
    while pos < len(text):
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            break
        chunk, pos = decoder.raw_decode(text, pos)
        rows.extend(chunk if isinstance(chunk, list) else [chunk])
    return rows


def _xenforo_page(
    rows: list[dict[str, Any]], page: int, pages: int, by_text: dict[str, str], thread: str
) -> str:
    """Render captured posts as XenForo 2 markup (quotes as blockquotes with data-source)."""
    from html import escape

    nav = "".join(
        f'<li class="pageNav-page"><a href="{thread}page-{n}">{n}</a></li>'
        for n in range(1, pages + 1)
    )
    out = [
        f'<html><body><h1 class="p-title-value">Thảo luận</h1><ul class="pageNav-main">{nav}</ul>'
    ]
    for row in rows:
        quote = ""
        topic = (row.get("Topic") or "").strip()
        if topic:
            source = by_text.get(topic)
            attr = f' data-source="post: {source.split("-")[1]}"' if source else ""
            quote = (
                f'<blockquote class="bbCodeBlock bbCodeBlock--quote"{attr}>'
                f'<div class="bbCodeBlock-content">{escape(topic)}</div></blockquote>'
            )
        out.append(
            f'<article class="message message--post" data-author="{escape(row["Author"])}" '
            f'data-content="{row["Id"]}"><div class="message-attribution-main">'
            f'<time class="u-dt" datetime="{row["Time"]}"></time></div>'
            f'<div class="message-userContent"><div class="bbWrapper">{quote}'
            f"{escape(row['Content'] or '')}</div></div></article>"
        )
    return "".join(out) + "</body></html>"


def test_voz_real_posts(spider, server: LocalServer, tmp_path: Path) -> None:
    rows = {r["Id"]: r for r in _voz_capture()}  # same post captured twice -> once
    ordered = sorted(rows.values(), key=lambda r: (r["Time"], r["Id"]))[:120]
    by_text = {(r["Content"] or "").strip(): r["Id"] for r in ordered}
    thread = "/t/thao-luan-co-phieu.800001/"
    pages = [ordered[i : i + 40] for i in range(0, len(ordered), 40)]
    for n, chunk in enumerate(pages, start=1):
        html = _xenforo_page(chunk, n, len(pages), by_text, thread)
        server.add(thread if n == 1 else f"{thread}page-{n}", html)
    result = spider("voz", tmp_path, start_urls=[server.base + thread])
    posts = result.by_id
    opener_number = ordered[0]["Id"].split("-")[1]
    numbers = {p.raw["post_number"] for p in result.posts}
    assert numbers == {r["Id"].split("-")[1] for r in ordered}
    for row in ordered[1:]:
        post = posts[f"voz:post:{row['Id'].split('-')[1]}"]
        assert post.created_at.utcoffset() == timedelta(hours=7)
        assert post.author == row["Author"]
        topic = (row.get("Topic") or "").strip()
        if topic and topic in by_text and topic not in (row["Content"] or ""):
            assert topic not in post.text  # the quoted text is stripped ...
            quoted = by_text[topic].split("-")[1]
            expected = "voz:thread:800001" if quoted == opener_number else f"voz:post:{quoted}"
            assert post.parent_id == expected  # ... and kept as the parent
    assert result.stats["errors"] == 0


def test_youtube_real_comment_threads(spider, server: LocalServer, tmp_path: Path) -> None:
    path = SOURCES / "youtube_commentthreads_huuarena/commentThreads_bk-7487l1OQ.json"
    capture = json.loads(path.read_text("utf-8"))
    vid = capture["items"][0]["snippet"]["videoId"]
    server.add("/commentThreads", path.read_text("utf-8"), ctype="application/json")
    server.add(
        "/commentThreads",
        '{"items": []}',
        ctype="application/json",
        query={"pageToken": capture["nextPageToken"]},
    )
    result = spider(
        "youtube",
        tmp_path,
        args={"video_ids": vid},
        settings={"YOUTUBE_API_BASE": server.base, "YOUTUBE_API_KEY": "k"},
    )
    expected = {
        f"youtube:comment:{i['snippet']['topLevelComment']['id']}" for i in capture["items"]
    }
    assert set(result.by_id) == expected
    for item in capture["items"]:
        top = item["snippet"]["topLevelComment"]
        post = result.by_id[f"youtube:comment:{top['id']}"]
        assert post.author == top["snippet"]["authorDisplayName"]
        assert post.text == squash(top["snippet"]["textOriginal"])  # spaces collapsed only
        assert post.created_at.utcoffset() is not None
        assert "authorChannelId" not in str(post.raw)  # personal data kept minimal
    assert server.count("pageToken=") == 1 and result.stats["errors"] == 0
