"""Topics from context: a source's section (URL path, breadcrumb, category, sub-forum) -> topic.

An editor filing an article under "Kinh doanh" says its topic far better than its words, and a
comment under it is about that too unless its own text confidently says otherwise. Tables were
written for this project from the sites' public navigation; unknown sections map to nothing.
"""

from __future__ import annotations

import re
from typing import Literal

from duluan.core.models import Analysis, Post, Scored
from duluan.core.text import fold
from nlp.lexicon import TOPIC_IDS

TopicSource = Literal["section", "thread", "text"]

SECTION_SCORE = 1.0
"""An article's (or forum thread's) own section: the editor's choice, taken as certain."""
THREAD_SCORE = 0.9
"""A comment or reply under it: on topic unless its text says otherwise (ViCTSD labels every
comment with its article's topic; real threads drift a little)."""
TEXT_OVERRIDE = 0.9
"""A comment's own text topic replaces its thread's only at this calibrated probability or
more (ViCTSD test: the text disagrees with the article at >= 0.9 in 2.6 % of comments)."""

ROOT_KINDS = frozenset({"article", "thread", "entry"})

_GENERIC: dict[str, tuple[str, ...]] = {
    "society": (
        "thoi-su",
        "xa-hoi",
        "chinh-tri",
        "chinh-tri-xa-hoi",
        "dan-sinh",
        "giao-thong",
        "moi-truong",
        "lao-dong-viec-lam",
        "do-thi",
        "ban-tin-thoi-su",
    ),
    "world": ("the-gioi", "quoc-te", "quan-su", "tin-the-gioi", "the-gioi-do-day"),
    "business": (
        "kinh-doanh",
        "kinh-te",
        "tai-chinh",
        "tai-chinh-dau-tu",
        "chung-khoan",
        "bat-dong-san",
        "doanh-nghiep",
        "vi-mo",
        "hang-hoa",
        "thi-truong",
        "ebank",
        "nha-dat",
        "dau-tu",
        "tieu-dung",
    ),
    "entertainment": (
        "giai-tri",
        "van-hoa",
        "van-hoa-giai-tri",
        "sao",
        "phim",
        "nhac",
        "am-nhac",
        "thoi-trang",
        "san-khau",
        "my-thuat",
        "truyen-hinh",
        "phim-nhac-sach",
        "hoa-hau",
    ),
    "sports": (
        "the-thao",
        "bong-da",
        "bong-da-viet-nam",
        "bong-da-quoc-te",
        "tennis",
        "the-duc-the-thao",
        "esports",
    ),
    "law": (
        "phap-luat",
        "an-ninh-trat-tu",
        "ho-so-pha-an",
        "vu-an",
        "phap-dinh",
        "an-ninh",
        "tu-van-phap-luat",
    ),
    "education": (
        "giao-duc",
        "tuyen-sinh",
        "du-hoc",
        "giao-duc-huong-nghiep",
        "khuyen-hoc",
        "hoc-duong",
        "giao-duc-40",
        "hoc-tap-su-nghiep",
    ),
    "health": (
        "suc-khoe",
        "y-te",
        "dinh-duong",
        "cac-benh",
        "khoe-dep",
        "tin-tuc-suc-khoe",
        "song-khoe",
    ),
    "science-tech": (
        "khoa-hoc",
        "cong-nghe",
        "khoa-hoc-cong-nghe",
        "so-hoa",
        "nhip-song-so",
        "suc-manh-so",
        "vi-tinh",
        "internet",
        "dien-thoai",
        "thiet-bi",
        "cong-nghe-so",
        "khoa-hoc-tri-thuc",
    ),
    "vehicles": (
        "xe",
        "oto-xe-may",
        "o-to-xe-may",
        "xe-co",
        "oto",
        "o-to",
        "xe-may",
        "xe-cac-loai",
        "xe-360",
    ),
}
"""Section slugs any Vietnamese news site uses (VnExpress, Tuổi Trẻ, Dân trí, RSS feeds)."""

_PER_SOURCE: dict[str, dict[str, str]] = {
    # VnExpress `tt_category_id` of the top-level sections (sub-sections have their own ids and
    # are read from the breadcrumb instead)
    "vnexpress": {
        "1001005": "society",
        "1001002": "world",
        "1003159": "business",
        "1002691": "entertainment",
        "1002565": "sports",
        "1001007": "law",
        "1003497": "education",
        "1003750": "health",
        "1001009": "science-tech",
        "1002592": "science-tech",
        "1001006": "vehicles",
    },
    # voz.vn sub-forums (slug of /f/<slug>.<id>/); general chat and "Điểm báo" map to nothing
    "voz": {
        "chung-khoan": "business",
        "tien-dien-tu": "business",
        "kinh-te-tai-chinh": "business",
        "tu-van-cau-hinh": "science-tech",
        "phan-cung-chung": "science-tech",
        "phan-mem": "science-tech",
        "may-tinh-xach-tay": "science-tech",
        "dien-thoai-di-dong": "science-tech",
        "android": "science-tech",
        "apple": "science-tech",
        "lap-trinh-cntt": "science-tech",
        "gpu-man-hinh": "science-tech",
        "internet-mang": "science-tech",
        "xe-cac-loai": "vehicles",
        "the-duc-the-thao": "sports",
        "phim-nhac-sach": "entertainment",
        "hoc-tap-su-nghiep": "education",
    },
}

_TABLE: dict[str, str] = {slug: topic for topic, slugs in _GENERIC.items() for slug in slugs}
assert set(_TABLE.values()) <= set(TOPIC_IDS)
assert all(set(t.values()) <= set(TOPIC_IDS) for t in _PER_SOURCE.values())

_NON_SLUG = re.compile(r"[^a-z0-9]+")
_FORUM_ID = re.compile(r"\.\d+$")


def slug(text: str) -> str:
    """'Sức khỏe' -> 'suc-khoe', 'Ô tô - Xe máy' -> 'o-to-xe-may'; '/f/chung-khoan.33' parts
    lose their XenForo id."""
    return _NON_SLUG.sub("-", fold(_FORUM_ID.sub("", text.strip())).lower()).strip("-")


def section_topic(source: str, section: str | None) -> str | None:
    """The topic a source's section stands for, or None (unknown or general sections).

    `section` is a path ('kinh-doanh/vi-mo'), a name ('Kinh doanh') or a category id; the most
    specific part that maps wins."""
    if not section:
        return None
    table = _PER_SOURCE.get(source, {})
    parts = [p for p in (slug(s) for s in re.split(r"[/>|»›]", section)) if p]
    for part in reversed(parts):
        topic = table.get(part) or _TABLE.get(part)
        if topic:
            return topic
    return None


def apply_context(analysis: Analysis, post: Post, override: float = TEXT_OVERRIDE) -> Analysis:
    """The post's topics from its section (articles, threads, feed entries), else from its
    thread's section (comments, replies) unless its text is confident of another topic, else
    from its text (whatever the analyzer found, possibly nothing)."""
    topic = section_topic(post.source, post.section)
    if topic is None:
        source: TopicSource | None = "text" if analysis.topics else None
        return (
            analysis
            if analysis.topic_source == source
            else analysis.model_copy(update={"topic_source": source})
        )
    if post.kind in ROOT_KINDS or post.thread_id in (None, post.id):
        return analysis.model_copy(
            update={"topics": [Scored(label=topic, score=SECTION_SCORE)], "topic_source": "section"}
        )
    best = analysis.topics[0] if analysis.topics else None
    if best is not None and best.label != topic and best.score >= override:
        return analysis.model_copy(update={"topic_source": "text"})
    return analysis.model_copy(
        update={"topics": [Scored(label=topic, score=THREAD_SCORE)], "topic_source": "thread"}
    )
