"""The indexing stage: posts.enriched → Store (idempotent upsert by post id)."""

from __future__ import annotations

import time

from duluan.core.admission import PostLimits
from duluan.core.logging import get_logger
from duluan.core.metrics import PUBLISH_TO_INDEX
from duluan.core.models import Post
from duluan.core.retry import RetryPolicy
from duluan.core.settings import Settings
from duluan.meta.database import meta_url
from duluan.meta.sentiment_corrections import (
    Correction,
    SentimentCorrectionRepository,
    apply_corrections,
    undo_correction,
)
from duluan.storage.base import RejectedPosts, Store
from streaming.bus import Bus, Message
from streaming.decode import decode_posts
from streaming.worker import Worker

log = get_logger(__name__)
CORRECTIONS_RETRY_S = 30.0
"""After the metadata database failed, index without corrections this long before asking again."""


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
        self.settings = settings
        self._corrections: SentimentCorrectionRepository | None = None
        self._retry_at = 0.0

    def _lookup(self, posts: list[Post]) -> dict[str, Correction] | None:
        """Analysts' corrections of a batch (one query); None while the metadata database is
        away, logged and asked again after CORRECTIONS_RETRY_S."""
        if time.monotonic() < self._retry_at:
            return None
        try:
            if self._corrections is None:
                self._corrections = SentimentCorrectionRepository(
                    meta_url(self.settings, self.store)
                )
            return self._corrections.for_posts(p.id for p in posts)
        except Exception as exc:
            log.warning("index.corrections_unavailable", error=str(exc)[:300], posts=len(posts))
            self._retry_at = time.monotonic() + CORRECTIONS_RETRY_S
            return None

    def _write(self, posts: list[Post]) -> None:
        """Upsert the corrected batch, then ask again: a correction saved or withdrawn while the
        batch was being written (the API writes the post itself, and this write may land after
        it) is put right at once instead of waiting for the post's next indexing."""
        before = self._lookup(posts)
        written = apply_corrections(posts, before) if before else posts
        self.store.upsert(written)
        if before is None:
            return
        after = self._lookup(posts)
        if after is None or after == before:
            return
        changed = {i for i in before.keys() | after.keys() if before.get(i) != after.get(i)}
        redo = [p for p in written if p.id in changed]
        fixed = apply_corrections([undo_correction(p) for p in redo], after)
        log.info("index.corrections_raced", posts=len(fixed))
        self.store.upsert(fixed)

    def process(self, messages: list[Message]) -> list[tuple[Message, str]]:
        good, dead = decode_posts(messages, self.limits)
        if good:
            try:
                self._write([p for _, p in good])
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
