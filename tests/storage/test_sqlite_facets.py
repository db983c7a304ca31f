"""SQLite facet tokens: filters and splits through FTS5 give the answers row reads give, and a
store written by the previous schema (2) is migrated on open without losing anything."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from duluan.core.models import Analysis, Post, Scored, Sentiment
from duluan.core.query import SearchQuery
from duluan.core.text import fold
from duluan.storage.sqlite.facets import facets_of
from duluan.storage.sqlite.store import SQLiteStore

T0 = datetime(2026, 11, 1, tzinfo=UTC)
WORDS = ["xăng", "dầu", "giá", "tăng", "đội", "tuyển", "mưa", "bão"]
SOURCES = ["vnexpress", "voz", "reddit", "Tuổi-Trẻ"]
TOPICS = ["law", "business", "sports", "health"]


def corpus(n: int = 400, seed: int = 3) -> list[Post]:
    """Posts over 5 days; some not analysed (no sentiment, language or topics)."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        analysis = None
        if rng.random() > 0.15:
            analysis = Analysis(
                language=rng.choice(["vi", "vi", "en", "unknown"]),
                sentiment=Sentiment(label=rng.choice(["negative", "neutral", "positive"])),
                topics=[Scored(label=t, score=0.8) for t in rng.sample(TOPICS, rng.randint(0, 2))],
            )
        out.append(
            Post(
                id=f"t:{i}",
                source=rng.choice(SOURCES),
                text=" ".join(rng.choices(WORDS, k=rng.randint(1, 6))),
                created_at=T0 + timedelta(seconds=rng.randrange(5 * 86400)),
                analysis=analysis,
            )
        )
    return out


def _oracle(posts: list[Post], keep: Callable[[Post], bool]) -> set[str]:
    return {p.id for p in posts if keep(p)}


def _has(p: Post, word: str) -> bool:
    return fold(word) in fold(p.text).split()


def _sentiment(p: Post) -> str | None:
    return p.analysis.sentiment.label if p.analysis else None


def _topics(p: Post) -> list[str]:
    return p.analysis.topic_labels() if p.analysis else []


CASES: list[tuple[SearchQuery, Callable[[Post], bool]]] = [
    (SearchQuery(q="xang source:voz"), lambda p: _has(p, "xăng") and p.source == "voz"),
    (SearchQuery(q="xang -source:voz"), lambda p: _has(p, "xăng") and p.source != "voz"),
    (
        SearchQuery(q="dau sentiment:negative"),
        lambda p: _has(p, "dầu") and _sentiment(p) == "negative",
    ),
    (SearchQuery(q="gia topic:law"), lambda p: _has(p, "giá") and "law" in _topics(p)),
    (SearchQuery(q="gia -topic:law"), lambda p: _has(p, "giá") and "law" not in _topics(p)),
    (
        SearchQuery(q="tang lang:en"),
        lambda p: _has(p, "tăng") and p.analysis is not None and p.analysis.language == "en",
    ),
    (
        SearchQuery(q="doi", sources=["Tuổi-Trẻ", "reddit"], sentiments=["positive"]),
        lambda p: (
            _has(p, "đội") and p.source in ("Tuổi-Trẻ", "reddit") and _sentiment(p) == "positive"
        ),
    ),
    (
        SearchQuery(q="mua source:voz source:reddit"),  # contradictory: nothing
        lambda p: False,
    ),
    (
        SearchQuery(q="bao", topics=["sports", "health"]),
        lambda p: _has(p, "bão") and bool({"sports", "health"} & set(_topics(p))),
    ),
    (SearchQuery(q='"vnexpress"'), lambda p: False),  # facet tokens never match text
    (SearchQuery(q='"đo766f7a" OR "do766f7a" OR đs*'), lambda p: False),  # (voz's token)
    (SearchQuery(q="đo*"), lambda p: any(w.startswith("do") for w in fold(p.text).split())),
    (SearchQuery(q="oq*"), lambda p: False),  # one-letter prefixes are refused by the budget
]


@pytest.fixture
def store(tmp_path: Path) -> SQLiteStore:
    s = SQLiteStore(tmp_path / "store.db")
    s.upsert(corpus())
    return s


@pytest.mark.parametrize("case", range(len(CASES)))
def test_filters_pushed_into_fts_match_the_oracle(store: SQLiteStore, case: int) -> None:
    query, keep = CASES[case]
    want = _oracle(corpus(), keep)
    got = {p.id for p in store.iter_posts(query)}
    assert got == want
    assert store.count(query) == len(want)
    assert store.search(query.model_copy(update={"limit": 1000})).total == len(want)


QUERIES = [
    SearchQuery(q="xang"),
    SearchQuery(q="xang OR bao", since=T0 + timedelta(hours=30), until=T0 + timedelta(hours=90)),
    SearchQuery(q="gia -source:voz"),
    SearchQuery(q="dau sentiment:neutral"),
    SearchQuery(q="tang", sources=["voz", "reddit"]),
    SearchQuery(q="doi topic:law"),
    SearchQuery(q="zzz"),
]


@pytest.mark.parametrize("interval", ["hour", "day", "week", "month"])
@pytest.mark.parametrize("split", ["sentiment", "source", "topic"])
def test_facet_splits_equal_row_reads(store: SQLiteStore, interval: str, split: str) -> None:
    for q in QUERIES:
        faceted = store.timeline(q, interval, split)  # type: ignore[arg-type]
        store.MAX_FACET_PASSES = 0  # every value over the limit: read each match's row
        try:
            rows = store.timeline(q, interval, split)  # type: ignore[arg-type]
        finally:
            del store.MAX_FACET_PASSES
        assert faceted == rows, (q.q, interval, split)


def test_unanalysed_matches_count_as_unknown(store: SQLiteStore) -> None:
    unknown = sum(
        b.split.get("unknown", 0) for b in store.timeline(SearchQuery(q="xang"), "day", "sentiment")
    )
    assert unknown == sum(1 for p in corpus() if _has(p, "xăng") and p.analysis is None)
    assert unknown > 0


@pytest.mark.parametrize("field", ["source", "sentiment", "language"])
def test_facet_breakdowns_equal_row_reads(store: SQLiteStore, field: str) -> None:
    for q in QUERIES:
        faceted = store.top_values(field, q, limit=3)
        topics = store.top_topics(q, limit=3)
        store.MAX_FACET_PASSES = 0
        try:
            assert faceted == store.top_values(field, q, limit=3), q.q
            assert topics == store.top_topics(q, limit=3), q.q
        finally:
            del store.MAX_FACET_PASSES


def _downgrade_to_schema_2(path: Path) -> None:
    """Rewrite the FTS5 table as schema 2 had it (text only), as an old duluan left it."""
    conn = sqlite3.connect(path, isolation_level=None)
    bodies = conn.execute("SELECT rowid, body FROM posts_fts").fetchall()
    conn.execute("DROP TABLE posts_fts")
    conn.execute(
        "CREATE VIRTUAL TABLE posts_fts USING fts5(body, tokenize = 'unicode61 remove_diacritics 2')"
    )
    conn.executemany("INSERT INTO posts_fts(rowid, body) VALUES (?, ?)", bodies)
    conn.execute("UPDATE meta SET value = '2' WHERE key = 'schema'")
    conn.close()


def test_a_schema_2_store_is_migrated_on_open(tmp_path: Path) -> None:
    posts = corpus(150, seed=9)
    path = tmp_path / "old.db"
    with SQLiteStore(path) as written:
        written.upsert(posts)
    _downgrade_to_schema_2(path)
    with sqlite3.connect(path) as conn:
        assert [r[1] for r in conn.execute("PRAGMA table_info(posts_fts)")] == ["body"]

    store = SQLiteStore(path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone() == ("4",)
        facets = dict(
            conn.execute("SELECT p.id, f.facets FROM posts_fts f JOIN posts p ON p.rowid = f.rowid")
        )
    assert {k: sorted(v.split()) for k, v in facets.items()} == {
        p.id: sorted(facets_of(p).split()) for p in posts
    }
    reference = SQLiteStore(tmp_path / "reference.db")
    reference.upsert(posts)
    for q in [*QUERIES, *(c[0] for c in CASES)]:
        assert store.count(q) == reference.count(q), q.q
        assert store.timeline(q, "day", "sentiment") == reference.timeline(q, "day", "sentiment")
        assert [h.post.id for h in store.search(q).hits] == [
            h.post.id for h in reference.search(q).hits
        ]
    store.upsert([posts[0].model_copy(update={"text": "mưa bão"})])  # writes keep working
    assert "t:0" in {h.post.id for h in store.search(SearchQuery(q="mua bao", limit=200)).hits}
    store.close()
    SQLiteStore(path).close()  # reopening a migrated store is a no-op


def test_rewritten_posts_move_to_their_new_facets(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "s.db") as store:
        first = corpus(1)[0].model_copy(update={"text": "xăng", "source": "voz"})
        first = first.model_copy(
            update={"analysis": Analysis(language="vi", sentiment=Sentiment(label="negative"))}
        )
        store.upsert([first])
        again = first.model_copy(
            update={
                "source": "reddit",
                "analysis": Analysis(
                    language="en",
                    sentiment=Sentiment(label="positive"),
                    topics=[Scored(label="law", score=0.9)],
                ),
            }
        )
        store.upsert([again])
        assert store.count(SearchQuery(q="xang source:voz")) == 0
        assert store.count(SearchQuery(q="xang sentiment:negative")) == 0
        assert store.count(SearchQuery(q="xang source:reddit lang:en topic:law")) == 1
        split = store.timeline(SearchQuery(q="xang"), "day", "sentiment")
        assert [b.split for b in split] == [{"positive": 1}]
        moved = again.model_copy(update={"created_at": again.created_at + timedelta(days=1)})
        store.upsert([moved])  # a new time is a new rowid: the old row and its tokens go
        assert store.count(SearchQuery(q="xang sentiment:positive")) == 1
        store.delete(moved.id)
        assert store.count(SearchQuery(q="xang source:reddit")) == 0
