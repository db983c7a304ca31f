"""Elasticsearch timelines with kept closed periods equal live aggregations after any write:
new posts old or new, moved times, deletes, writes from another process, retention."""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import duluan.storage.elasticsearch.cold as es_cold
from duluan.core.models import Analysis, Post, Sentiment
from duluan.core.query import SearchQuery
from duluan.storage.elasticsearch.store import ElasticsearchStore

pytestmark = pytest.mark.elasticsearch

NOW = datetime.now(UTC)
WORDS = ["xăng", "giá", "dầu", "tăng", "bóng", "đá"]


def make_post(i: int, when: datetime, rng: random.Random, author: str = "a") -> Post:
    label = rng.choice(["negative", "neutral", "positive"])
    return Post(
        id=f"c:comment:{i}",
        source=rng.choice(["voz", "reddit"]),
        author=author,
        text=" ".join(rng.choices(WORDS, k=3)),
        created_at=when,
        analysis=Analysis(language="vi", sentiment=Sentiment(label=label)),  # type: ignore[arg-type]
    )


@pytest.fixture
def stores(
    elasticsearch_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[ElasticsearchStore, ElasticsearchStore]]:
    """The reader under test (keeps closed periods) and a plain one on the same indices, which
    is also "another process" writing."""
    monkeypatch.setattr(es_cold, "MARGIN_S", 0.0)  # a change counts from the second it is made
    monkeypatch.setattr(es_cold, "POLL_S", 0.0)
    prefix = f"cold-{uuid.uuid4().hex[:8]}-posts"
    cached = ElasticsearchStore(elasticsearch_url, prefix, refresh="wait_for")
    plain = ElasticsearchStore(elasticsearch_url, prefix, refresh="wait_for", cold_timelines=0)
    rng = random.Random(5)
    # 12 days back to 1 hour ahead: either side of the cut (a day start two days back)
    cached.upsert(
        [
            make_post(i, NOW - timedelta(minutes=rng.randint(-60, 12 * 1440)), rng)
            for i in range(300)
        ]
    )
    yield cached, plain
    cached.drop_all()
    cached.close()
    plain.close()


QUERIES = [
    SearchQuery(),
    SearchQuery(q="xang"),
    SearchQuery(q="gia", sources=["voz"]),
    SearchQuery(since=NOW - timedelta(days=5, minutes=17)),  # a partial first bucket
    SearchQuery(q="dau", since=NOW - timedelta(days=9), until=NOW - timedelta(hours=5)),
    SearchQuery(until=NOW - timedelta(days=4)),  # all before the cut: not split
]


def answers(store: ElasticsearchStore) -> list[Any]:
    out = []
    for q in QUERIES:
        for interval in ("hour", "day", "week", "month"):
            for split in (None, "sentiment"):
                buckets = store.timeline(q, interval, split)  # type: ignore[arg-type]
                out.append([(b.start, b.count, sorted(b.split.items())) for b in buckets])
    return out


def settle() -> None:
    """Past the second of the last write (MARGIN_S is 0 here)."""
    time.sleep(1.1)


def test_kept_parts_are_used_and_dropped_when_their_period_changes(
    stores: tuple[ElasticsearchStore, ElasticsearchStore],
) -> None:
    cached, plain = stores
    cold = cached._cold
    assert cold is not None
    settle()
    assert answers(cached) == answers(plain)
    kept = cold.stats["kept"]
    assert kept > 0
    hits = cold.stats["hits"]
    assert answers(cached) == answers(plain)
    assert cold.stats["hits"] > hits  # the second round used them
    minute = SearchQuery(q="xang", since=NOW - timedelta(days=3, minutes=7))  # not split
    assert cached.timeline(minute, "minute") == plain.timeline(minute, "minute")

    rng = random.Random(9)
    # a new post after the cut: kept parts stay valid
    cached.upsert([make_post(1000, NOW - timedelta(minutes=5), rng)])
    settle()
    hits, misses = cold.stats["hits"], cold.stats["misses"]
    assert answers(cached) == answers(plain)
    assert cold.stats["hits"] > hits and cold.stats["misses"] == misses

    steps = [
        # a late post five days back, written by another process
        lambda: plain.upsert([make_post(1001, NOW - timedelta(days=5), rng)]),
        # a post's time moves from eight days back to now (same id)
        lambda: cached.upsert([make_post(1002, NOW - timedelta(days=8), rng)]),
        lambda: plain.upsert([make_post(1002, NOW - timedelta(minutes=1), rng)]),
        # deletes
        lambda: plain.delete("c:comment:7"),
        lambda: cached.upsert(
            [make_post(2000 + i, NOW - timedelta(days=6), rng, "b") for i in range(5)]
        ),
        lambda: plain.delete_by_author("b"),
    ]
    for step in steps:
        before = answers(plain)
        step()
        settle()
        after = answers(plain)
        assert after != before  # the write changed something the timelines show
        assert answers(cached) == after


def test_a_small_budget_evicts_and_stays_right(
    stores: tuple[ElasticsearchStore, ElasticsearchStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    cached, plain = stores
    monkeypatch.setattr(es_cold, "MAX_BUCKETS", 40)
    settle()
    assert answers(cached) == answers(plain)
    assert answers(cached) == answers(plain)
    cold = cached._cold
    assert cold is not None and cold._buckets <= 40


def test_the_change_watch_reads_only_recent_traces_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each poll asks for the last margin of traces, and answers as one full read would."""
    clock = [1_000_000.0]
    monkeypatch.setattr(es_cold.time, "time", lambda: clock[0])
    monkeypatch.setattr(es_cold, "POLL_S", 0.0)  # read on every question: compare with a full read
    traces: list[tuple[float, float]] = []  # (at, min created), searchable from `at`
    asked: list[float] = []  # how far back each read reached

    def read(since: float) -> list[tuple[float, float]]:
        asked.append(clock[0] - since)
        return [t for t in traces if t[0] >= since and t[0] <= clock[0]]

    watch = es_cold.ChangeWatch(read)
    rng = random.Random(3)
    for step in range(2000):
        clock[0] += rng.choice([0.3, 1.0, 2.5])
        if rng.random() < 0.03:  # sparse: answers often hinge on one older trace
            traces.append((clock[0] - rng.random(), clock[0] - rng.choice([10, 1e5, 1e6])))
        cut, since = clock[0] - 5e4, clock[0] - rng.choice([5, 60, 500])
        full = any(
            at >= since - es_cold.MARGIN_S and c < cut
            for at, c in traces
            if at >= clock[0] - es_cold.TTL_S - es_cold.MARGIN_S
        )
        assert watch.changed_before(cut, since) == full, step
    assert asked[0] > es_cold.TTL_S  # the first read covers every kept part's lifetime
    assert max(asked[1:]) < es_cold.MARGIN_S + 10  # later ones only the last margin or so
