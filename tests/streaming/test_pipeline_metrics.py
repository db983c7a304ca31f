"""/metrics under `duluan run`: both stages report, and lag returns to 0 once drained."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from pathlib import Path

from prometheus_client import generate_latest

from duluan.core.models import Post
from duluan.core.settings import Settings
from duluan.pipeline import Pipeline
from streaming.factory import make_bus


def _sample(text: str, name: str, labels: str) -> float | None:
    m = re.search(rf"^{name}\{{{labels}\}} ([0-9.e+]+)$", text, re.MULTILINE)
    return float(m.group(1)) if m else None


def test_nlp_child_and_indexer_show_in_this_process_metrics(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var")
    pipeline = Pipeline(settings)  # NLP in its own process, as `duluan run` does
    pipeline.start()
    try:
        with make_bus(settings) as bus:
            for i in range(40):
                post = Post(
                    id=f"t:{i}",
                    source="t",
                    text=f"Giá xăng lại tăng lần {i}",
                    created_at=datetime(2026, 11, 1, tzinfo=UTC),
                )
                bus.publish(settings.raw_topic, post.to_json(), key=post.id)
            bus.flush()
        assert pipeline.wait_drained(timeout=120)
        deadline = time.monotonic() + 10
        while True:  # the indexer's own gauge is refreshed while idle, at most every 2 s
            text = generate_latest().decode()
            if _sample(text, "duluan_consumer_lag", 'stage="index"') == 0 or (
                time.monotonic() > deadline
            ):
                break
            time.sleep(0.5)
        assert _sample(text, "duluan_pipeline_lag", 'stage="nlp"') == 0
        assert _sample(text, "duluan_pipeline_lag", 'stage="index"') == 0
        assert _sample(text, "duluan_pipeline_messages_total", 'outcome="ok",stage="nlp"') == 40
        assert _sample(text, "duluan_pipeline_messages_total", 'outcome="ok",stage="index"') == 40
        assert _sample(text, "duluan_consumer_lag", 'stage="index"') == 0
    finally:
        pipeline.stop()
    assert "duluan_pipeline_lag" not in generate_latest().decode()  # unregistered on stop
