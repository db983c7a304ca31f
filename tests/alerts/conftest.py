"""Fixtures for insights tests: analysed posts, a real SQLite store, a local webhook server."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from duluan.core.models import Analysis, Entity, Post, Scored, Sentiment
from duluan.storage.sqlite.store import SQLiteStore
from tests.conftest import Hook

T0 = datetime(2026, 11, 1, tzinfo=UTC)
VOCAB = [f"từ{i}" for i in range(400)]
_counter = iter(range(10**9))


def make_post(
    keywords: list[str],
    *,
    at: datetime = T0,
    source: str = "vnexpress",
    entities: list[str] | None = None,
    topic: str | None = None,
    sentiment: str = "neutral",
    text: str | None = None,
) -> Post:
    n = next(_counter)
    analysis = Analysis(
        language="vi",
        keywords=keywords,
        entities=[Entity(text=e, type="PER") for e in entities or []],
        topics=[Scored(label=topic, score=0.9)] if topic else [],
        sentiment=Sentiment.model_validate({"label": sentiment, "score": 0.9}),
    )
    return Post(
        id=f"{source}:comment:{n}",
        source=source,
        text=text or " ".join(keywords),
        created_at=at,
        analysis=analysis,
    )


def background(rng: random.Random, n: int, at: datetime = T0) -> list[Post]:
    """`n` posts of 4-8 Zipf-ish keywords from a fixed vocabulary: a stream with no trend."""
    weights = [1.0 / (i + 1) for i in range(len(VOCAB))]
    return [
        make_post(
            rng.choices(VOCAB, weights, k=rng.randint(4, 8)),
            at=at,
            source=rng.choice(["vnexpress", "voz", "youtube"]),
        )
        for _ in range(n)
    ]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    s = SQLiteStore(tmp_path / "duluan.db")
    yield s
    s.close()


@pytest.fixture
def hook() -> Iterator[Hook]:
    h = Hook()
    yield h
    h.close()


def hours(n: float) -> timedelta:
    return timedelta(hours=n)
