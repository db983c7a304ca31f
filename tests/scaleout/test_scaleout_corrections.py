"""An analyst's sentiment correction on the scaled-out stack: PostgreSQL metadata, Kafka and
Elasticsearch. It is counted in Elasticsearch's aggregations and holds when the post comes
through the stream again."""

from __future__ import annotations

from pathlib import Path

import pytest
from scaleout_support import analyze, make_posts, publish_posts

from duluan.core.models import Post
from duluan.core.query import SearchQuery
from duluan.core.settings import Settings
from duluan.corrections import correct, delete_author, withdraw
from duluan.meta.database import MetaDB
from duluan.meta.sentiment_corrections import SentimentCorrectionRepository
from duluan.storage.elasticsearch.store import ElasticsearchStore
from streaming.indexer import Indexer
from streaming.kafka_bus import KafkaBus

pytestmark = [pytest.mark.kafka, pytest.mark.elasticsearch]
Stack = tuple[Settings, KafkaBus, ElasticsearchStore]


def _negatives(store: ElasticsearchStore) -> int:
    store.refresh()
    return store.count(SearchQuery(sentiments=["negative"]))


def test_a_correction_holds_through_kafka_on_elasticsearch(
    stack: Stack, pg_database: str, tmp_path: Path
) -> None:
    s, bus, store = stack
    s = s.model_copy(update={"meta_url": pg_database, "data_dir": tmp_path})
    posts = [p.model_copy(update={"analysis": analyze([p.text])[0]}) for p in make_posts(10)]
    assert {p.analysis.sentiment.label for p in posts if p.analysis} == {"neutral"}
    publish_posts(bus, s.enriched_topic, posts)
    with MetaDB(pg_database, upgrade=True, key_base=tmp_path / "keys") as db:
        api = SentimentCorrectionRepository(db)  # what an API replica writes through
        indexer = Indexer(KafkaBus.from_settings(s), store, s)  # its own connection
        indexer.run(max_idle=5)
        assert _negatives(store) == 0
        fixed = correct(store, api, posts[3].id, "negative", "api:lan")
        assert fixed.analysis is not None and fixed.analysis.sentiment.label == "negative"
        assert _negatives(store) == 1

        publish_posts(bus, s.enriched_topic, posts)  # a replay: the model reads neutral again
        indexer.run(max_idle=5)
        assert _negatives(store) == 1
        again = store.get(posts[3].id)
        assert isinstance(again, Post) and again.analysis is not None
        assert again.analysis.sentiment_correction is not None
        assert again.analysis.sentiment_correction.model_label == "neutral"

        withdraw(store, api, posts[3].id)
        assert _negatives(store) == 0

        # a deletion request for posts[3]'s author (user3, any case) takes its correction along
        correct(store, api, posts[3].id, "positive", "api:lan")
        correct(store, api, posts[4].id, "positive", "api:lan")
        assert delete_author(store, api, "USER3", "scaleout", "api:lan") == 1
        assert set(api.for_posts([posts[3].id, posts[4].id])) == {posts[4].id}
