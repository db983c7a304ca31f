"""Elasticsearch-only behaviour beyond the Store contract: monthly indices, retention, trends."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from scaleout_support import analyze

from duluan.core.models import Post
from duluan.core.query import SearchQuery
from duluan.storage.elasticsearch.store import ElasticsearchStore

pytestmark = pytest.mark.elasticsearch


@pytest.fixture
def es_store(elasticsearch_url: str) -> Iterator[ElasticsearchStore]:
    store = ElasticsearchStore(elasticsearch_url, f"extras-{uuid.uuid4().hex[:8]}")
    yield store
    store.drop_all()
    store.close()


def post(n: int, when: datetime, keywords: list[str] | None = None) -> Post:
    p = Post(id=f"x:comment:{n}", source="x", text=f"bài {n} giá xăng", created_at=when)
    a = analyze([p.text])[0].model_copy(update={"keywords": keywords or []})
    return p.model_copy(update={"analysis": a})


def test_an_empty_store_answers_every_read(es_store: ElasticsearchStore) -> None:
    q = SearchQuery(q="xang")
    assert es_store.get("x:comment:1") is None
    assert es_store.count(q) == 0
    assert es_store.search(q).hits == []
    assert list(es_store.iter_posts(q)) == []
    assert es_store.timeline(q) == []
    assert es_store.top_keywords(q) == []


def test_posts_go_to_monthly_indices_and_retention_drops_whole_months(
    es_store: ElasticsearchStore,
) -> None:
    months = [datetime(2026, m, 15, tzinfo=UTC) for m in (8, 9, 10, 11)]
    es_store.upsert([post(i, when) for i, when in enumerate(months)])
    es_store.refresh()
    prefix = es_store.prefix
    assert es_store.post_indices() == [f"{prefix}-2026.{m:02d}" for m in (8, 9, 10, 11)]
    dropped = es_store.drop_before(datetime(2026, 10, 3, tzinfo=UTC))
    assert dropped == [f"{prefix}-2026.08", f"{prefix}-2026.09"]
    es_store.refresh()
    assert {p.id for p in es_store.iter_posts(SearchQuery())} == {"x:comment:2", "x:comment:3"}


def test_a_post_whose_month_changes_is_moved_not_duplicated(es_store: ElasticsearchStore) -> None:
    first = post(1, datetime(2026, 10, 31, 23, 0, tzinfo=UTC))
    es_store.upsert([first])
    es_store.refresh()
    moved = first.model_copy(update={"created_at": datetime(2026, 11, 1, 1, 0, tzinfo=UTC)})
    es_store.upsert([moved])
    es_store.refresh()
    assert es_store.count(SearchQuery()) == 1
    assert es_store.get(first.id) == moved


def test_trending_terms_finds_what_is_new_in_the_window(es_store: ElasticsearchStore) -> None:
    now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    old = [post(i, now - timedelta(days=10, minutes=i), ["giá điện"]) for i in range(60)]
    new = [post(100 + i, now - timedelta(hours=1, minutes=i), ["bão số 9"]) for i in range(12)]
    steady = [post(200 + i, now - timedelta(hours=2, minutes=i), ["giá điện"]) for i in range(3)]
    es_store.upsert(old + new + steady)
    es_store.refresh()
    trending = es_store.trending_terms(SearchQuery(), window=timedelta(hours=24), now=now)
    assert trending and trending[0][0] == "bão số 9"
    assert trending[0][2] == 12


def test_a_time_limited_read_is_complete_or_refused_never_partial(
    es_store: ElasticsearchStore,
) -> None:
    """Under a request's time limit the store sends Elasticsearch a search `timeout`; shards that
    stop at it return partial hits and counts, which the store refuses (QueryTimedOut, a 503
    naming the setting) rather than pass on as the answer (issue 17)."""
    import random

    from duluan.core.deadline import store_time_limit
    from duluan.core.query import QueryTimedOut

    rng = random.Random(7)
    words = [f"{a}{b}{c}" for a in "bcdghklmnt" for b in "aeiou" for c in "nmtp"]
    t0 = datetime(2026, 11, 1, tzinfo=UTC)
    es_store.upsert(
        [
            Post(
                id=f"x:comment:{i}",
                source="x",
                text=" ".join(rng.choice(words) for _ in range(30)),
                created_at=t0 + timedelta(minutes=i),
            )
            for i in range(5000)
        ]
    )
    es_store.refresh()
    query = SearchQuery(q=" OR ".join(f"{a}a*" for a in "bcdghklm"), sort="relevance", limit=50)
    want_total = es_store.count(query)
    want_ids = [h.post.id for h in es_store.search(query).hits]
    want_timeline = es_store.timeline(query, "hour")
    assert want_total > 1000 and len(want_ids) == 50

    with store_time_limit(5000):  # a roomy limit: the same answers
        assert [h.post.id for h in es_store.search(query).hits] == want_ids
        assert es_store.timeline(query, "hour") == want_timeline
    for _ in range(15):  # a 1 ms limit: each answer is whole, or refused
        with store_time_limit(1):
            try:
                page = es_store.search(query)
            except QueryTimedOut as exc:
                assert "store_query_timeout_ms" in str(exc)
                continue
        assert [h.post.id for h in page.hits] == want_ids and page.total == want_total
    with store_time_limit(1), pytest.raises(QueryTimedOut):
        es_store._check_timed_out({"timed_out": True, "hits": {"hits": []}})
    es_store._check_timed_out({"timed_out": True})  # no limit in force: nothing to refuse
