"""Helpers for the API tests: API keys for an app."""

from __future__ import annotations

from typing import Any

from api.keys import ApiKeyRepository, Scope
from storage.meta import meta_db_path


def key_headers(app: Any, scope: Scope = "admin", name: str = "test") -> dict[str, str]:
    """Create a key in the app's key table; the Authorization header that sends it."""
    repo: ApiKeyRepository | None = getattr(app.state, "keys", None)
    if repo is None:
        repo = ApiKeyRepository(meta_db_path(app.state.settings, app.state.store))
        app.state.keys = repo
    _, plain = repo.create(name, scope)
    return {"Authorization": f"Bearer {plain}"}


import itertools  # noqa: E402
import random  # noqa: E402
import threading  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer  # noqa: E402

from core.models import Analysis, Entity, Post, Scored, Sentiment  # noqa: E402

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


class Hook:
    """A real HTTP server on 127.0.0.1 recording POSTs (headers, body); answers 200."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                hook.requests.append(({k: v for k, v in self.headers.items()}, body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook?token=abc"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
