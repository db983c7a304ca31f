"""Helpers for the API tests: API keys for an app."""

from __future__ import annotations

from typing import Any

from duluan.apikeys.repository import ApiKeyRepository, Scope


def key_headers(app: Any, scope: Scope = "admin", name: str = "test") -> dict[str, str]:
    """Create a key in the app's key table; the Authorization header that sends it."""
    repo: ApiKeyRepository = app.state.container.keys
    _, plain = repo.create(name, scope)
    return {"Authorization": f"Bearer {plain}"}


import itertools  # noqa: E402
import random  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402

from duluan.core.models import Analysis, Entity, Post, Scored, Sentiment  # noqa: E402
from tests.conftest import Hook  # noqa: E402,F401  (re-exported for the api tests)

T0 = datetime(2026, 11, 1, tzinfo=UTC)
VOCAB = [f"từ{i}" for i in range(300)]
_ids = itertools.count()


def make_post(
    keywords: list[str],
    *,
    at: datetime = T0,
    source: str = "vnexpress",
    entities: list[str] | None = None,
    sentiment: str = "neutral",
) -> Post:
    n = next(_ids)
    return Post(
        id=f"{source}:comment:{n}",
        source=source,
        text=" ".join(keywords),
        created_at=at,
        analysis=Analysis(
            language="vi",
            keywords=keywords,
            entities=[Entity(text=e, type="PER") for e in entities or []],
            topics=[Scored(label="society", score=0.9)],
            sentiment=Sentiment.model_validate({"label": sentiment, "score": 0.9}),
        ),
    )


def background(rng: random.Random, n: int, at: datetime) -> list[Post]:
    """`n` posts of 4-8 Zipf-ish keywords: a stream with nothing trending."""
    weights = [1.0 / (i + 1) for i in range(len(VOCAB))]
    return [
        make_post(
            rng.choices(VOCAB, weights, k=rng.randint(4, 8)),
            at=at + timedelta(seconds=i),
            source=rng.choice(["vnexpress", "voz", "youtube"]),
        )
        for i in range(n)
    ]
