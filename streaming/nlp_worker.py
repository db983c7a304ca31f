"""The NLP stage: posts.raw → analyze → posts.enriched."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from duluan.core.admission import PostLimits
from duluan.core.logging import get_logger
from duluan.core.models import Analysis, AnalyzeFn
from duluan.core.retry import RetryPolicy
from duluan.core.settings import Settings
from duluan.meta.database import meta_url
from duluan.meta.sentiment_offsets import SentimentOffsetsRepository, effective_offsets
from nlp.sections import apply_context
from streaming.bus import Bus, Message
from streaming.decode import decode_posts
from streaming.worker import Worker

if TYPE_CHECKING:
    from nlp.analyzer import Analyzer

log = get_logger(__name__)

MAX_ANALYZED_CHARS = 20_000


class OffsetsWatch:
    """Keeps the Analyzer's sentiment offsets equal to the metadata database's (`duluan adapt`
    writes them there), rereading them at most every `nlp_offsets_refresh_s`: a new fit reaches
    every worker replica without a restart."""

    def __init__(self, settings: Settings, analyzer: Analyzer) -> None:
        self.settings = settings
        self.analyzer = analyzer
        self.repo: SentimentOffsetsRepository | None = None
        self.next_at = 0.0

    def poll(self) -> None:
        now = time.monotonic()
        if now < self.next_at:
            return
        self.next_at = now + self.settings.nlp_offsets_refresh_s
        try:
            if self.repo is None:
                self.repo = SentimentOffsetsRepository(meta_url(self.settings))
            found = effective_offsets(self.settings, self.repo)
        except Exception as exc:  # the database is away: keep the offsets already applied
            log.warning("nlp.offsets_unavailable", error=str(exc)[:300])
            return
        if found != self.analyzer.adaptation:
            self.analyzer.adaptation = found
            log.info(
                "nlp.offsets_loaded",
                default=found.default.tag if found and found.default else None,
                sources={k: v.tag for k, v in found.sources.items()} if found else {},
            )


class NlpWorker(Worker):
    stage = "nlp"

    def __init__(
        self, bus: Bus, settings: Settings, analyze: AnalyzeFn | None = None, **kwargs: object
    ) -> None:
        kwargs.setdefault("retry", RetryPolicy.for_workers(settings))
        super().__init__(
            bus,
            settings.raw_topic,
            settings.nlp_group,
            batch_size=settings.worker_batch_size,
            poll_timeout=settings.worker_poll_timeout,
            **kwargs,  # type: ignore[arg-type]
        )
        self.out_topic = settings.enriched_topic
        self.limits = PostLimits.from_settings(settings)
        self.offsets: OffsetsWatch | None = None
        if analyze is None:
            from nlp import Analyzer

            analyzer = Analyzer.load(settings)
            analyze = analyzer.analyze
            if settings.nlp_sentiment_adaptation is None:  # a file, when set, was read at load
                self.offsets = OffsetsWatch(settings, analyzer)
        self.analyze = analyze

    def process(self, messages: list[Message]) -> list[tuple[Message, str]]:
        if self.offsets is not None:
            self.offsets.poll()
        good, dead = decode_posts(messages, self.limits)
        if not good:
            return dead
        texts = [p.analysis_text()[:MAX_ANALYZED_CHARS] for _, p in good]
        sources = [p.source for _, p in good]
        try:
            analyses = self.analyze(texts, sources)
        except Exception as exc:  # analyze should never raise; isolate the culprit if it does
            log.error("nlp.batch_failed", error=str(exc))
            analyses = []
            for (message, post), text in zip(good, texts, strict=True):
                try:
                    analyses.append(self.analyze([text], [post.source])[0])
                except Exception as one:
                    dead.append((message, f"AnalysisError: {type(one).__name__}: {one}"))
                    analyses.append(Analysis(language="unknown"))
        dead_ids = {id(m) for m, _ in dead}
        now_ms = int(time.time() * 1000)
        for (message, post), analysis in zip(good, analyses, strict=True):
            if id(message) in dead_ids:
                continue
            enriched = post.model_copy(update={"analysis": apply_context(analysis, post)})
            origin = message.headers.get("origin_ts_ms") or str(message.timestamp_ms or now_ms)
            self.bus.publish(
                self.out_topic, enriched.to_json(), key=post.id, headers={"origin_ts_ms": origin}
            )
        self.bus.flush()
        return dead
