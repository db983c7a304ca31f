"""The NLP stage: posts.raw → analyze → posts.enriched."""

from __future__ import annotations

import time

from duluan.core.admission import PostLimits
from duluan.core.logging import get_logger
from duluan.core.models import Analysis, AnalyzeFn
from duluan.core.retry import RetryPolicy
from duluan.core.settings import Settings
from nlp.sections import apply_context
from streaming.bus import Bus, Message
from streaming.decode import decode_posts
from streaming.worker import Worker

log = get_logger(__name__)

MAX_ANALYZED_CHARS = 20_000


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
        if analyze is None:
            from nlp import Analyzer

            analyze = Analyzer.load(settings).analyze
        self.analyze = analyze

    def process(self, messages: list[Message]) -> list[tuple[Message, str]]:
        good, dead = decode_posts(messages, self.limits)
        if not good:
            return dead
        texts = [" ".join(x for x in (p.title, p.text) if x)[:MAX_ANALYZED_CHARS] for _, p in good]
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
