"""Topics from context: section tables, and a comment inheriting its thread's topic."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from duluan.core.models import Analysis, Post, Scored
from nlp.lexicon import TOPIC_IDS
from nlp.sections import SECTION_SCORE, THREAD_SCORE, apply_context, section_topic, slug

WHEN = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("source", "section", "topic"),
    [
        ("vnexpress", "kinh-doanh", "business"),
        ("vnexpress", "Kinh doanh", "business"),
        ("vnexpress", "kinh-doanh/bat-dong-san", "business"),
        ("vnexpress", "the-gioi/quan-su", "world"),  # unknown sub-section: its parent decides
        ("vnexpress", "1001005", "society"),  # tt_category_id of Thời sự
        ("vnexpress", "Sức khỏe", "health"),
        ("vnexpress", "so-hoa", "science-tech"),
        ("tuoitre", "Nhịp sống số", "science-tech"),
        ("tuoitre", "xe", "vehicles"),
        ("dantri", "o-to-xe-may", "vehicles"),
        ("dantri", "suc-manh-so", "science-tech"),
        ("dantri", "Pháp luật", "law"),
        ("rss", "Giáo dục", "education"),
        ("rss", "Thể thao", "sports"),
        ("rss", "Giải trí", "entertainment"),
        ("voz", "chung-khoan", "business"),
        ("voz", "/f/chung-khoan.33/", "business"),
        ("voz", "xe-cac-loai", "vehicles"),
        ("voz", "chuyen-tro-linh-tinh", None),  # general chat says nothing
        ("vnexpress", "du-lich", None),
        ("vnexpress", "goc-nhin", None),
        ("vnexpress", "1001012", None),  # an id we do not know
        ("vnexpress", None, None),
        ("vnexpress", "", None),
        ("reddit", "VietNam", None),
    ],
)
def test_section_tables(source: str, section: str | None, topic: str | None) -> None:
    assert section_topic(source, section) == topic
    assert topic is None or topic in TOPIC_IDS


def test_slug() -> None:
    assert slug("Ô tô - Xe máy") == "o-to-xe-may"
    assert slug("Đời sống") == "doi-song"
    assert slug("chung-khoan.33") == "chung-khoan"


def make(
    kind: str,
    section: str | None,
    *,
    thread: str | None = "vnexpress:article:1",
    pid: str = "vnexpress:comment:9",
) -> Post:
    return Post(
        id=pid,
        source="vnexpress",
        kind=kind,
        thread_id=thread,
        section=section,
        text="x",
        created_at=WHEN,
    )


def text_topics(*scored: tuple[str, float]) -> Analysis:
    topics = [Scored(label=label, score=score) for label, score in scored]
    return Analysis(language="vi", topics=topics, topic_source="text" if topics else None)


def test_article_takes_its_section() -> None:
    article = make("article", "kinh-doanh", pid="vnexpress:article:1")
    out = apply_context(text_topics(("science-tech", 0.97)), article)
    assert out.topics == [Scored(label="business", score=SECTION_SCORE)]
    assert out.topic_source == "section"


def test_comment_inherits_its_thread_unless_its_text_is_confident() -> None:
    comment = make("comment", "kinh-doanh")
    for analysis in (
        text_topics(),
        text_topics(("science-tech", 0.6)),
        text_topics(("business", 0.95)),
    ):  # nothing, a weak guess, the same topic
        out = apply_context(analysis, comment)
        assert out.topics == [Scored(label="business", score=THREAD_SCORE)]
        assert out.topic_source == "thread"
    own = apply_context(text_topics(("sports", 0.96), ("business", 0.2)), comment)
    assert own.topic_source == "text" and own.topics[0].label == "sports"
    reply = make("reply", "the-thao")
    assert apply_context(text_topics(), reply).topics[0].label == "sports"


def test_no_known_section_keeps_the_text_answer() -> None:
    for section in (None, "du-lich"):
        post = make("comment", section)
        assert apply_context(text_topics(), post).topic_source is None
        out = apply_context(text_topics(("health", 0.8)), post)
        assert out.topic_source == "text" and out.topics[0].label == "health"
    # an older analyzer that did not set topic_source
    legacy = Analysis(language="vi", topics=[Scored(label="law", score=0.7)])
    assert apply_context(legacy, make("comment", None)).topic_source == "text"


def test_wire_format_stays_backward_compatible() -> None:
    old = (
        b'{"id": "a:b:1", "source": "a", "text": "t", "created_at": "2026-12-01T00:00:00Z",'
        b' "analysis": {"language": "vi", "topics": [{"label": "law", "score": 0.7}]}}'
    )
    post = Post.from_json(old)
    assert post.section is None and post.analysis is not None
    assert post.analysis.topic_source is None
    assert Post.from_json(make("comment", "the-thao").to_json()).section == "the-thao"
