"""Fixtures for insights tests: analysed posts, a real SQLite store, a local webhook server."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from core.models import Analysis, Entity, Post, Scored, Sentiment
from storage.sqlite_store import SQLiteStore

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


class Hook:
    """A real HTTP server on 127.0.0.1 that records requests and answers a scripted status list."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.statuses: list[int] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                hook.requests.append(({k: v for k, v in self.headers.items()}, body))
                status = hook.statuses.pop(0) if hook.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook?token=abc"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook() -> Iterator[Hook]:
    h = Hook()
    yield h
    h.close()


def hours(n: float) -> timedelta:
    return timedelta(hours=n)
