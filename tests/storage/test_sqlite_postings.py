"""SQLite's postings and hourly caches: after any mix of writes (new posts, re-analysis, moved times, deletes,
from this process or another) its counts, timelines and splits equal FTS5's own answers."""

from __future__ import annotations

import random
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import duluan.storage.sqlite.postings as postings
from duluan.core.models import Analysis, Post, Scored, Sentiment
from duluan.core.query import SearchQuery
from duluan.storage.sqlite.store import SQLiteStore
from tests.storage.test_sqlite_facets import SOURCES, T0, TOPICS, WORDS, corpus

QUERIES = [
    SearchQuery(q="xang"),
    SearchQuery(q="gia AND dau"),
    SearchQuery(q='"doi tuyen" OR bao'),
    SearchQuery(q="tang -mua"),
    SearchQuery(q="xang source:voz"),
    SearchQuery(q="dau sentiment:negative", since=T0 + timedelta(days=1)),
    SearchQuery(q="gia", topics=["law", "sports"], until=T0 + timedelta(days=3, hours=5)),
    SearchQuery(q="xa*", since=T0 + timedelta(hours=30), until=T0 + timedelta(hours=80)),
    # no text: hourly rollups (the hourly cache), partial hours at the edges from posts
    SearchQuery(),
    SearchQuery(q="source:voz"),
    SearchQuery(sentiments=["negative", "neutral"], since=T0 + timedelta(hours=20, minutes=7)),
    SearchQuery(q="topic:law", until=T0 + timedelta(days=2, minutes=30)),
]


def answers(store: SQLiteStore) -> list[Any]:
    out: list[Any] = []
    for q in QUERIES:
        out.append(store.count(q))
        page = store.search(q.model_copy(update={"limit": 3}))
        out.append((page.total, page.total_exact or page.total == SQLiteStore.TOTAL_CAP))
        for interval in ("hour", "day", "week", "month"):
            out.append([(b.start, b.count) for b in store.timeline(q, interval)])  # type: ignore[arg-type]
        for split in ("sentiment", "source", "topic"):
            buckets = store.timeline(q, "day", split)  # type: ignore[arg-type]
            out.append([(b.start, b.count, sorted(b.split.items())) for b in buckets])
        out.extend(store.top_values(f, q) for f in ("sentiment", "source", "language"))
        out.append(store.top_topics(q))
    return out


def reanalysed(post: Post, rng: random.Random) -> Post:
    analysis = Analysis(
        language="vi",
        sentiment=Sentiment(label=rng.choice(["negative", "neutral", "positive"])),
        topics=[Scored(label=rng.choice(TOPICS), score=0.9)],
    )
    text = " ".join(rng.choices(WORDS, k=rng.randint(1, 5)))
    return post.model_copy(update={"analysis": analysis, "text": text})


@pytest.fixture
def pair(tmp_path: Path) -> tuple[SQLiteStore, SQLiteStore]:
    """The same file opened twice: with the cache (the reader under test) and without."""
    path = tmp_path / "store.db"
    cached = SQLiteStore(path, postings_min_matches=0)
    plain = SQLiteStore(path, postings_cache_mb=0)
    return cached, plain


def test_cache_follows_every_kind_of_write(pair: tuple[SQLiteStore, SQLiteStore]) -> None:
    cached, plain = pair
    posts = corpus(300, seed=5)
    cached.upsert(posts[:200])
    assert cached._postings is not None
    rounds = []
    for _ in range(3):  # first requests: FTS5 counts; arrays from the second, then splits
        rounds.append(answers(cached))
        cached._postings.settle()
    assert cached._postings.stats["declined"] > 0
    assert rounds[0] == rounds[1] == rounds[2] == answers(plain)
    built = cached._postings.stats["builds"]
    assert built > 0

    rng = random.Random(11)
    for step in range(6):
        writer = cached if step % 2 else plain  # the other process's writes too
        if step == 0:
            writer.upsert(posts[200:])  # new posts
        elif step == 1:
            writer.upsert([reanalysed(p, rng) for p in rng.sample(posts, 40)])  # re-analysed
        elif step == 2:  # times moved: the posts change rowids
            writer.upsert(
                [
                    p.model_copy(update={"created_at": p.created_at + timedelta(hours=7)})
                    for p in rng.sample(posts, 25)
                ]
            )
        elif step == 3:
            for p in rng.sample(posts, 10):
                writer.delete(p.id)
        elif step == 4:
            writer.delete_by_author("nobody")  # nothing: the log has no new row
        else:
            writer.upsert(
                [
                    Post(
                        id=f"late:{i}",
                        source=rng.choice(SOURCES),
                        text="xăng giá dầu",
                        created_at=T0 - timedelta(days=40) + timedelta(minutes=i),
                    )
                    for i in range(15)
                ]  # late posts far in the past: low rowids
            )
        assert answers(cached) == answers(plain), f"step {step}"
    stats = cached._postings.stats
    assert stats["refreshes"] > 0 and stats["hits"] > 0
    assert stats["builds"] == built  # kept current without rebuilding


def test_arrays_behind_a_pruned_log_are_rebuilt(
    pair: tuple[SQLiteStore, SQLiteStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    cached, plain = pair
    posts = corpus(300, seed=8)
    cached.upsert(posts[:100])
    assert cached._postings is not None
    for _ in range(3):
        assert answers(cached) == answers(plain)
        cached._postings.settle()
    built = cached._postings.stats["builds"]
    monkeypatch.setattr(postings, "CHANGE_LOG_KEEP", 20)
    for i in range(100, 300, 50):  # 200 changes, 20 kept: the cache cannot catch up
        plain.upsert(posts[i : i + 50])
    with sqlite3.connect(cached.path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM post_changes").fetchone()[0] <= 20
    assert answers(cached) == answers(plain)  # behind the log: FTS5 answers, rebuilds start
    cached._postings.settle()
    assert answers(cached) == answers(plain)
    assert cached._postings.stats["builds"] > built


def test_a_small_budget_evicts_and_stays_right(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    cached = SQLiteStore(path, postings_cache_mb=1, postings_min_matches=0)
    assert cached._postings is not None
    cached._postings.budget = 4_000  # bytes: a few hundred rowids
    plain = SQLiteStore(path, postings_cache_mb=0)
    cached.upsert(corpus(400, seed=9))
    for _ in range(3):
        assert answers(cached) == answers(plain)
        cached._postings.settle()
    assert cached._postings.stats["evictions"] > 0


def test_a_schema_3_store_gains_the_change_log(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    SQLiteStore(path, postings_cache_mb=0).upsert(corpus(50, seed=2))
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TABLE post_changes")
        conn.execute("UPDATE meta SET value = '3' WHERE key = 'schema'")
    store = SQLiteStore(path, postings_min_matches=0)
    plain = SQLiteStore(path, postings_cache_mb=0)
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone() == ("4",)
    assert store._postings is not None
    for _ in range(2):
        assert answers(store) == answers(plain)
        store._postings.settle()
    plain.upsert(corpus(80, seed=4)[50:])
    assert answers(store) == answers(plain)
    assert store._postings.stats["refreshes"] > 0


def test_an_older_duluan_refuses_a_newer_store(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    SQLiteStore(path)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE meta SET value = '5' WHERE key = 'schema'")
    from duluan.storage.base import StoreError

    with pytest.raises(StoreError, match="schema 5"):
        SQLiteStore(path)


@pytest.mark.parametrize("sizes", [(0, 5), (3, 5000), (4000, 5000), (5000, 7), (1, 1)])
def test_intersect_equals_numpy(sizes: tuple[int, int]) -> None:
    import numpy as np

    rng = np.random.default_rng(sum(sizes))
    pool = rng.choice(10**9, 20_000, replace=False)
    a, b = (np.sort(rng.choice(pool, n, replace=False)).astype(np.int64) for n in sizes)
    assert postings.intersect(a, b).tolist() == np.intersect1d(a, b).tolist()


@pytest.mark.parametrize("gap", [0, 3, 10**9])
def test_rematch_by_ranges_equals_fts5(
    tmp_path: Path, gap: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Changed rowids grouped into ranges (few or many, over several statements) re-match
    exactly as FTS5 does, also where the array that guides the grouping is out of date."""
    import numpy as np

    path = tmp_path / "store.db"
    store = SQLiteStore(path, postings_cache_mb=0)
    posts = corpus(1500, seed=9)
    store.upsert(posts)
    conn = sqlite3.connect(path)
    expr = '"xang"'
    sql = "SELECT group_concat(rowid) FROM posts_fts WHERE posts_fts MATCH ?"
    stale = np.sort(postings._ints(conn, sql, (expr,)))
    rng = random.Random(gap)
    store.upsert([reanalysed(p, rng) for p in rng.sample(posts, 300)])  # texts change
    now = np.sort(postings._ints(conn, sql, (expr,)))
    every = np.sort(postings._ints(conn, "SELECT group_concat(rowid) FROM posts", ()))
    monkeypatch.setattr(postings, "RANGE_GAP_MATCHES", gap)
    monkeypatch.setattr(postings, "_RANGES_PER_STATEMENT", 7)
    for k in (0, 1, 40, 900):
        # with a rowid that is gone (1) and the newest match (the last range's end)
        picked = [*rng.sample(every.tolist(), k), 1, int(now[-1])]
        changed = np.unique(np.array(picked, dtype=np.int64))
        got = postings.rematch(conn, expr, changed, stale)
        assert got.tolist() == np.intersect1d(changed, now).tolist(), (gap, k)
    assert len(np.setxor1d(stale, now)) > 0  # the guiding array really was out of date
    store.close()
