"""The indexing stage: posts.enriched → Store (idempotent upsert by post id)."""

from __future__ import annotations

import time

from duluan.core.admission import PostLimits
from duluan.core.logging import get_logger
from duluan.core.metrics import PUBLISH_TO_INDEX
from duluan.core.retry import RetryPolicy
from duluan.core.settings import Settings
from duluan.storage.base import RejectedPosts, Store
from streaming.bus import Bus, Message
from streaming.decode import decode_posts
from streaming.worker import Worker

log = get_logger(__name__)


class Indexer(Worker):
    stage = "index"

    def __init__(self, bus: Bus, store: Store, settings: Settings, **kwargs: object) -> None:
        kwargs.setdefault("retry", RetryPolicy.for_workers(settings))
        super().__init__(
            bus,
            settings.enriched_topic,
            settings.index_group,
            batch_size=max(settings.worker_batch_size, 500),
            poll_timeout=settings.worker_poll_timeout,
            **kwargs,  # type: ignore[arg-type]
        )
        self.store = store
        self.limits = PostLimits.from_settings(settings)

    def process(self, messages: list[Message]) -> list[tuple[Message, str]]:
        good, dead = decode_posts(messages, self.limits)
        if good:
            try:
                self.store.upsert([p for _, p in good])
            except RejectedPosts as exc:
                by_id = {p.id: m for m, p in good}
                dead.extend(
                    (by_id[i], f"Rejected by store: {why}")
                    for i, why in exc.rejected.items()
                    if i in by_id
                )
            now = time.time()
            for message, _ in good:
                origin = message.headers.get("origin_ts_ms")
                if origin and origin.isdigit():
                    PUBLISH_TO_INDEX.observe(max(0.0, now - int(origin) / 1000))
        return dead
