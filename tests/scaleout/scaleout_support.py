"""Helpers for the scale-out fault tests: service control, a tiny analyzer, topic readers.

The analyzer here is deliberately trivial and deterministic: these tests are about delivery
(Kafka, Elasticsearch, the workers' commit discipline), not about NLP quality.
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from duluan.core.models import Analysis, Post, Sentiment
from duluan.core.settings import Settings
from streaming.bus import Message
from streaming.kafka_bus import KafkaBus

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = REPO_ROOT / "scripts" / "services"
T0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


def service(name: str, action: str, timeout: float = 240) -> None:
    """Run scripts/services/<name>.sh <action>; raise with its output if it fails."""
    proc = subprocess.run(
        ["bash", str(SCRIPTS / f"{name}.sh"), action],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{name}.sh {action} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")


def analyze(texts: Sequence[str], sources: Sequence[str | None] | None = None) -> list[Analysis]:
    """A deterministic stand-in for the NLP models: one keyword, neutral sentiment."""
    delay = float(os.environ.get("SCALEOUT_ANALYZE_DELAY", "0"))
    if delay:
        time.sleep(delay)
    return [
        Analysis(
            language="vi",
            sentiment=Sentiment(label="neutral", score=0.5),
            keywords=[t.split()[0].lower()] if t.split() else [],
            model_versions={"test": "scaleout"},
        )
        for t in texts
    ]


def scaleout_settings(bootstrap: str, es_url: str, **extra: object) -> Settings:
    """Settings with topics and an index prefix of their own, so tests never see each other."""
    suffix = uuid.uuid4().hex[:8]
    return Settings(
        bus="kafka",
        store="elasticsearch",
        kafka_bootstrap=bootstrap,
        raw_topic=f"scaleout.raw.{suffix}",
        enriched_topic=f"scaleout.enriched.{suffix}",
        dead_letter_topic=f"scaleout.dead.{suffix}",
        kafka_partitions=4,
        elasticsearch_url=es_url,
        elasticsearch_index=f"scaleout-{suffix}",
        consumer_group_prefix=f"scaleout-{suffix}",
        worker_batch_size=50,
        worker_poll_timeout=0.3,
        **extra,  # type: ignore[arg-type]
    )


def make_posts(n: int, start: int = 0) -> list[Post]:
    return [
        Post(
            id=f"scaleout:comment:{i}",
            source="scaleout",
            kind="comment",
            author=f"user{i % 7}",
            text=f"bình luận số {i} về giá xăng",
            created_at=T0 + timedelta(minutes=i),
        )
        for i in range(start, start + n)
    ]


def publish_posts(bus: KafkaBus, topic: str, posts: Sequence[Post]) -> None:
    bus.publish_many(topic, [(p.id, p.to_json()) for p in posts])


def read_all(bus: KafkaBus, topic: str, want: int, timeout: float = 60.0) -> list[Message]:
    """Every message of a topic (at least `want`, or what arrived before the timeout)."""
    got: list[Message] = []
    with bus.consumer(topic, f"reader-{uuid.uuid4().hex[:8]}") as consumer:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got.extend(consumer.poll(max_messages=1000, timeout=0.5))
            if len(got) >= want:
                # a little longer, to catch duplicates still arriving
                settle = time.monotonic() + 1.5
                while time.monotonic() < settle:
                    got.extend(consumer.poll(max_messages=1000, timeout=0.3))
                break
    return got


def wait_until(
    pred: object, timeout: float, interval: float = 0.5, what: str = "condition"
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():  # type: ignore[operator]
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
