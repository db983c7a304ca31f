"""The NLP worker and indexer over the embedded bus: batching, dead letters, shutdown."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from duluan.core.models import Analysis, Post, Sentiment
from duluan.core.query import SearchQuery
from duluan.core.settings import Settings
from duluan.storage.base import RejectedPosts
from duluan.storage.sqlite.store import SQLiteStore
from streaming.embedded_bus import EmbeddedBus
from streaming.indexer import Indexer
from streaming.nlp_worker import NlpWorker


def length_analyzer(
    texts: Sequence[str], sources: Sequence[str | None] | None = None
) -> list[Analysis]:
    """Worker mechanics only: a deterministic analysis whose output depends on the text."""
    return [
        Analysis(
            language="vi" if any(ord(c) > 127 for c in t) else "unknown",
            sentiment=Sentiment(label="negative" if "tệ" in t else "neutral", score=0.6),
            keywords=t.lower().split()[:3],
        )
        for t in texts
    ]


def post(n: int, text: str = "bình luận thử") -> Post:
    return Post(
        id=f"test:comment:{n}",
        source="test",
        text=f"{text} {n}",
        created_at=datetime(2026, 11, 1, tzinfo=UTC),
    )


def run_stages(settings: Settings, store: SQLiteStore) -> tuple[NlpWorker, Indexer]:
    nlp = NlpWorker(EmbeddedBus(settings.resolved_bus_path), settings, analyze=length_analyzer)
    nlp.run(max_idle=0.5)
    indexer = Indexer(EmbeddedBus(settings.resolved_bus_path), store, settings)
    indexer.run(max_idle=0.5)
    return nlp, indexer


def test_posts_flow_raw_to_store(settings: Settings) -> None:
    bus = EmbeddedBus(settings.resolved_bus_path)
    bus.publish_many(settings.raw_topic, [(p.id, p.to_json()) for p in map(post, range(600))])
    store = SQLiteStore(settings.resolved_store_path)
    nlp, indexer = run_stages(settings, store)
    assert nlp.stats.processed == 600 and nlp.stats.batches >= 3  # batched, not one by one
    assert indexer.stats.processed == 600
    assert store.count(SearchQuery()) == 600
    got = store.get("test:comment:7")
    assert got is not None and got.analysis is not None and got.analysis.language == "vi"


def test_bad_input_is_dead_lettered_and_nothing_is_lost(settings: Settings) -> None:
    bus = EmbeddedBus(settings.resolved_bus_path)
    raw = settings.raw_topic
    good = [
        post(1),
        post(2, "tệ quá " * 1),
        post(3, "x" * 1_000_000),
        post(4, "điều khiển \x00\x07\x1b[31m ký tự"),
        post(5, "mixed 中文 русский العربية tiếng Việt 😀"),
    ]
    bus.publish(raw, good[0].to_json(), key=good[0].id)
    bus.publish(raw, b"{not json", key="broken")
    bus.publish(
        raw, json.dumps({"id": "test:comment:99", "source": "test"}).encode(), key="missing"
    )
    bus.publish(
        raw,
        json.dumps(
            {"id": "nocolon", "source": "x", "text": "a", "created_at": "2026-01-01T00:00:00Z"}
        ).encode(),
        key="badid",
    )
    bus.publish(raw, b"\xff\xfe\x00binary", key="binary")
    for p in good[1:]:
        bus.publish(raw, p.to_json(), key=p.id)
    bus.flush()
    store = SQLiteStore(settings.resolved_store_path)
    nlp, _indexer = run_stages(settings, store)
    assert nlp.stats.processed == 5 and nlp.stats.dead == 4
    assert store.count(SearchQuery()) == 5
    assert store.get("test:comment:3").text.startswith("xxx")  # type: ignore[union-attr]
    with bus.consumer(settings.dead_letter_topic, "check") as dead:
        records = [json.loads(m.value) for m in dead.poll(100, 1.0)]
    errors = {r["key"]: r["error"] for r in records}
    assert set(errors) == {"broken", "missing", "badid", "binary"}
    assert "text" in errors["missing"] and "Field required" in errors["missing"]
    assert "source-scoped" in errors["badid"]
    assert all(r["stage"] == "nlp" for r in records)


class FlakyStore(SQLiteStore):
    """Fails the first writes like a store that went away, then recovers."""

    def __init__(self, path: Path, failures: int) -> None:
        super().__init__(path)
        self.failures = failures

    def upsert(self, posts: Sequence[Post]) -> int:
        if self.failures > 0:
            self.failures -= 1
            from duluan.storage.base import StoreError

            raise StoreError("store unavailable (simulated outage)")
        return super().upsert(posts)


def test_indexer_backs_off_and_keeps_its_place(settings: Settings) -> None:
    bus = EmbeddedBus(settings.resolved_bus_path)
    posts = [post(i).model_copy(update={"analysis": Analysis(language="vi")}) for i in range(50)]
    bus.publish_many(settings.enriched_topic, [(p.id, p.to_json()) for p in posts])
    store = FlakyStore(settings.resolved_store_path, failures=3)
    indexer = Indexer(EmbeddedBus(settings.resolved_bus_path), store, settings, max_backoff=0.2)
    indexer.run(max_idle=0.5)
    assert indexer.stats.retries == 3
    assert store.count(SearchQuery()) == 50


class RejectingStore(SQLiteStore):
    def upsert(self, posts: Sequence[Post]) -> int:
        bad = {p.id: "mapping conflict" for p in posts if p.id.endswith(":13")}
        n = super().upsert([p for p in posts if p.id not in bad])
        if bad:
            raise RejectedPosts(bad, written=n)
        return n


def test_rejected_posts_are_dead_lettered_the_rest_indexed(settings: Settings) -> None:
    bus = EmbeddedBus(settings.resolved_bus_path)
    posts = [post(i).model_copy(update={"analysis": Analysis(language="vi")}) for i in range(20)]
    bus.publish_many(settings.enriched_topic, [(p.id, p.to_json()) for p in posts])
    store = RejectingStore(settings.resolved_store_path)
    indexer = Indexer(EmbeddedBus(settings.resolved_bus_path), store, settings)
    indexer.run(max_idle=0.5)
    assert store.count(SearchQuery()) == 19 and indexer.stats.dead == 1
    with bus.consumer(settings.dead_letter_topic, "check") as dead:
        [record] = [json.loads(m.value) for m in dead.poll(10, 1.0)]
    assert record["key"] == "test:comment:13" and "mapping conflict" in record["error"]


def test_stop_event_finishes_the_batch_and_commits(settings: Settings) -> None:
    bus = EmbeddedBus(settings.resolved_bus_path)
    bus.publish_many(settings.raw_topic, [(p.id, p.to_json()) for p in map(post, range(100))])
    worker = NlpWorker(EmbeddedBus(settings.resolved_bus_path), settings, analyze=length_analyzer)
    t = threading.Thread(target=worker.run)
    t.start()
    import time

    deadline = time.monotonic() + 10
    while worker.stats.processed < 100 and time.monotonic() < deadline:
        time.sleep(0.05)
    worker.stop_event.set()
    t.join(5)
    assert not t.is_alive()
    assert bus.group_lag(settings.raw_topic, worker.group) == 0


def test_comments_inherit_their_article_section_topic(settings: Settings) -> None:
    """The worker adds context: an article's section is its topic; its comments inherit it."""
    bus = EmbeddedBus(settings.resolved_bus_path)
    article = Post(
        id="vnexpress:article:1",
        source="vnexpress",
        kind="article",
        thread_id="vnexpress:article:1",
        section="kinh-doanh",
        text="Giá vàng tăng",
        created_at=datetime(2026, 11, 1, tzinfo=UTC),
    )
    comment = article.model_copy(
        update={
            "id": "vnexpress:comment:2",
            "kind": "comment",
            "parent_id": article.id,
            "text": "Haha, y chang mình.",
        }
    )
    loose = post(3)  # no section: whatever the text says (here nothing)
    bus.publish_many(settings.raw_topic, [(p.id, p.to_json()) for p in (article, comment, loose)])
    store = SQLiteStore(settings.resolved_store_path)
    run_stages(settings, store)
    analyses: dict[str, Analysis] = {}
    for pid in (article.id, comment.id, loose.id):
        got = store.get(pid)
        assert got is not None and got.analysis is not None
        analyses[pid] = got.analysis
    assert [t.label for t in analyses[article.id].topics] == ["business"]
    assert analyses[article.id].topic_source == "section"
    assert [t.label for t in analyses[comment.id].topics] == ["business"]
    assert analyses[comment.id].topic_source == "thread"
    assert analyses[loose.id].topics == [] and analyses[loose.id].topic_source is None
    assert store.count(SearchQuery(topics=["business"])) == 2
