"""Kill the NLP worker mid-stream, start it again: every post is indexed exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from duluan.core.models import Post
from duluan.core.query import SearchQuery
from duluan.core.settings import Settings
from duluan.storage.sqlite.store import SQLiteStore
from streaming.embedded_bus import EmbeddedBus

REPO = Path(__file__).resolve().parents[2]
N = 4000


def start_worker(stage: str, data: Path, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "DULUAN_DATA_DIR": str(data), "DULUAN_WORKER_BATCH_SIZE": "100"}
    return subprocess.Popen(
        [sys.executable, "-m", "duluan.cli", "worker", stage, *extra],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
def test_worker_killed_mid_stream_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    data = tmp_path / "var"
    settings = Settings(data_dir=data)
    bus = EmbeddedBus(settings.resolved_bus_path)
    texts = [
        "Giá điện lại tăng, người dân rất lo lắng",
        "Trận đấu hôm qua quá hay",
        "Trường học cần thêm giáo viên",
        "Không biết bao giờ mới hết kẹt xe",
    ]
    posts = [
        Post(
            id=f"test:comment:{i}",
            source="test",
            text=f"{texts[i % 4]} ({i})",
            created_at=datetime(2026, 11, 1, tzinfo=UTC),
        )
        for i in range(N)
    ]
    bus.publish_many(settings.raw_topic, [(p.id, p.to_json()) for p in posts])

    first = start_worker("nlp", data)
    deadline = time.monotonic() + 120
    while bus.end_offset(settings.enriched_topic) < 300 and time.monotonic() < deadline:
        time.sleep(0.1)
    first.send_signal(signal.SIGKILL)  # no chance to commit or clean up
    first.wait(10)
    done_before = bus.end_offset(settings.enriched_topic)
    assert done_before > 0, "the worker was killed mid-stream"
    assert bus.group_lag(settings.raw_topic, settings.nlp_group) > 0, "killed before it finished"

    second = start_worker("nlp", data, "--max-idle", "3")
    assert second.wait(300) == 0, second.stderr.read() if second.stderr else ""
    indexer = start_worker("index", data, "--max-idle", "3")
    assert indexer.wait(300) == 0, indexer.stderr.read() if indexer.stderr else ""

    store = SQLiteStore(settings.resolved_store_path)
    assert store.count(SearchQuery()) == N
    ids = [p.id for p in store.iter_posts(SearchQuery())]
    assert sorted(ids) == sorted(p.id for p in posts)
    assert bus.group_lag(settings.raw_topic, settings.nlp_group) == 0
    assert bus.group_lag(settings.enriched_topic, settings.index_group) == 0


@pytest.mark.slow
def test_sigterm_stops_a_worker_cleanly(tmp_path: Path) -> None:
    data = tmp_path / "var"
    worker = start_worker("index", data)
    assert worker.stderr is not None
    seen: list[str] = []
    deadline = time.monotonic() + 120  # a loaded machine imports slowly; wait for the loop
    for line in worker.stderr:
        seen.append(line)
        if "worker.started" in line or time.monotonic() > deadline:
            break
    assert any("worker.started" in line for line in seen), "".join(seen)[-2000:]
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(30) == 0
    assert "processed 0" in "".join(seen) + worker.stderr.read()
