"""The indexer and analysts' sentiment corrections: a correction saved or withdrawn while a
batch is being written is put right at once, and a metadata database that goes away neither
stalls the stream nor loses a post."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

import streaming.indexer as indexer_module
from duluan.core.models import Analysis, Post, Sentiment
from duluan.core.settings import Settings
from duluan.corrections import correct, withdraw
from duluan.meta.database import meta_url
from duluan.meta.sentiment_corrections import SentimentCorrectionRepository
from duluan.storage.sqlite.store import SQLiteStore
from streaming.embedded_bus import EmbeddedBus
from streaming.indexer import Indexer

PID = "test:comment:1"


def model_read(n: int = 1, label: str = "neutral") -> Post:
    return Post(
        id=f"test:comment:{n}",
        source="test",
        text=f"bình luận thử {n}",
        created_at=datetime(2026, 11, 1, tzinfo=UTC),
        analysis=Analysis(language="vi", sentiment=Sentiment(label=label, score=0.7)),  # type: ignore[arg-type]
    )


class RacingStore(SQLiteStore):
    """A store whose next indexer write lets `during` run first, as an API replica would
    between the indexer's lookup and its write."""

    during: Callable[[], None] | None = None

    def upsert(self, posts: Sequence[Post]) -> int:
        hook, self.during = self.during, None
        if hook is not None:
            hook()
        return super().upsert(posts)


def index(settings: Settings, store: SQLiteStore, posts: Sequence[Post]) -> Indexer:
    bus = EmbeddedBus(settings.resolved_bus_path)
    bus.publish_many(settings.enriched_topic, [(p.id, p.to_json()) for p in posts])
    bus.flush()
    indexer = Indexer(EmbeddedBus(settings.resolved_bus_path), store, settings)
    indexer.run(max_idle=0.5)
    return indexer


def label(store: SQLiteStore, pid: str = PID) -> str:
    post = store.get(pid)
    assert post is not None and post.analysis is not None
    return post.analysis.sentiment.label


def test_a_correction_saved_during_the_write_wins(settings: Settings) -> None:
    store = RacingStore(settings.resolved_store_path)
    index(settings, store, [model_read()])
    repo = SentimentCorrectionRepository(meta_url(settings, store))

    def analyst() -> None:  # correct() writes the post itself, through the plain store
        correct(SQLiteStore(settings.resolved_store_path), repo, PID, "negative", "api:lan")

    store.during = analyst  # the stream brings the post again, still read as neutral
    index(settings, store, [model_read()])
    assert label(store) == "negative"
    post = store.get(PID)
    assert post is not None and post.analysis is not None
    assert post.analysis.sentiment_correction is not None
    assert post.analysis.sentiment_correction.model_label == "neutral"


def test_a_correction_withdrawn_during_the_write_goes(settings: Settings) -> None:
    store = RacingStore(settings.resolved_store_path)
    index(settings, store, [model_read()])
    repo = SentimentCorrectionRepository(meta_url(settings, store))
    correct(store, repo, PID, "positive", "api:lan")
    assert label(store) == "positive"

    def analyst() -> None:
        withdraw(SQLiteStore(settings.resolved_store_path), repo, PID)

    store.during = analyst
    index(settings, store, [model_read(label="negative")])  # the model now reads negative
    assert label(store) == "negative"
    assert repo.count() == 0


def test_metadata_database_away_indexes_everything_then_corrects_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A metadata database that cannot be opened (its folder is a file): the batch is indexed
    as the model read it and logged, and corrections apply again once it is back."""
    blocker = tmp_path / "meta"
    blocker.write_text("not a folder")
    meta = blocker / "meta.db"
    settings = Settings(data_dir=tmp_path / "var", meta_url=f"sqlite:///{meta}")
    monkeypatch.setattr(indexer_module, "CORRECTIONS_RETRY_S", 0.0)
    store = SQLiteStore(settings.resolved_store_path)
    indexer = index(settings, store, [model_read(n) for n in range(20)])
    assert indexer.stats.processed == 20 and indexer.stats.dead == 0
    assert label(store) == "neutral"

    blocker.unlink()  # the database is back; an analyst corrects a post
    with SentimentCorrectionRepository(settings.meta_url or "") as repo:
        repo.save(PID, "negative", "api:lan")
    index(settings, store, [model_read(n) for n in range(20)])  # replayed
    assert label(store) == "negative"
