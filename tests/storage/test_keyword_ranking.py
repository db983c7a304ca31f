"""Distinctive keywords: the log-odds score on synthetic counts, and the demo site's flood spike."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from duluan.core.query import SearchQuery
from duluan.storage.keywords import background_of, keyword_score, log_odds

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def test_log_odds_matches_monroe_by_hand() -> None:
    # selection 100 posts, 30 with the term; background 1,000 posts, 60 with it; prior 100
    delta, sigma = log_odds(30, 100, 60, 1000, prior=100)
    alpha = 100 * 60.5 / 1001
    want = math.log((30 + alpha) / (100 + 100 - 30 - alpha)) - math.log(
        (30 + alpha) / (900 + 100 - 30 - alpha)
    )
    assert delta == pytest.approx(want)
    assert sigma == pytest.approx(math.sqrt(2 / (30 + alpha)))


def test_concentrated_beats_frequent_everywhere() -> None:
    everywhere = keyword_score(90, 100, 900, 1000)  # in 90 % of posts, selection or not
    concentrated = keyword_score(30, 100, 32, 1000)
    assert concentrated > 0 > everywhere


def test_rare_accidents_do_not_outrank_a_real_burst() -> None:
    burst = keyword_score(45, 200, 45, 2000)  # 45 posts, all in the selection
    accident = keyword_score(2, 200, 2, 2000)  # 2 posts, all in the selection
    assert burst > accident
    assert log_odds(2, 200, 2, 2000)[0] > 0  # the accident is raised, just not surely


def test_score_grows_with_evidence_at_the_same_ratio() -> None:
    assert keyword_score(40, 400, 80, 4000) > keyword_score(4, 40, 8, 400)


def test_no_rest_means_no_score() -> None:
    assert keyword_score(10, 100, 10, 100) == 0.0


def test_backgrounds() -> None:
    since = NOW - timedelta(hours=1)
    assert background_of(SearchQuery()) is None
    assert background_of(SearchQuery(since=since)) == SearchQuery()
    assert background_of(SearchQuery(q="xăng", since=since)) == SearchQuery(since=since)
    assert background_of(SearchQuery(sources=["voz"])) == SearchQuery()


def test_demo_flood_spike_tops_the_keywords(tmp_path: Path) -> None:
    """The demo site's planted flood spike: its top terms are the flood's, never filler."""
    from crawlers.demo_site import Comment, build_site
    from duluan.core.models import Post
    from duluan.storage.sqlite.store import SQLiteStore
    from nlp import Analyzer
    from nlp.keyword_lexicon import FILLER
    from nlp.keywords import is_keyword

    articles = build_site(NOW, comments=300, history_days=2, spike=60)
    comments: list[Comment] = []

    def walk(items: list[Comment]) -> None:
        for c in items:
            comments.append(c)
            walk(c.replies)

    for a in articles:
        walk(a.comments)
    analyses = Analyzer.load().analyze([c.content for c in comments])
    posts = [
        Post(
            id=f"vnexpress:comment:{c.comment_id}",
            source="vnexpress",
            text=c.content,
            created_at=datetime.fromtimestamp(c.creation_time, UTC),
            analysis=an,
        )
        for c, an in zip(comments, analyses, strict=True)
    ]
    store = SQLiteStore(tmp_path / "store.db")
    try:
        store.upsert(posts)
        top = store.distinctive_keywords(SearchQuery(since=NOW - timedelta(hours=1)), 10)
    finally:
        store.close()
    terms = [s.term for s in top]
    assert {"ngập lụt", "triều cường"} <= set(terms[:5]), terms
    assert not set(terms) & (FILLER | {"thế này", "tận", "nặng", "khắp nơi"}), terms
    assert all(is_keyword(t) for t in terms)
