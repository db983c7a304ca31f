"""SIGKILL the NLP worker and the indexer three times each while posts flow: 0 lost, 0 duplicated.

Both stages run as their own processes (`duluan worker nlp|index`) on the embedded bus; posts are
published at a steady rate throughout, so every kill lands mid-stream, with no chance to commit.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from duluan.core.models import Post
from duluan.core.query import SearchQuery
from duluan.core.settings import Settings
from duluan.storage.sqlite.store import SQLiteStore
from streaming.embedded_bus import EmbeddedBus
from tests.e2e.test_restart import start_worker

N = 3000  # in bursts of 300 every 1.5 s: the stream lasts the three rounds of kills, and
CHUNK = 300  # each burst is a backlog, so a kill lands while the stage has work in hand
PAUSE = 1.5
KILLS = 3
TEXTS = [
    "Giá điện lại tăng, người dân rất lo lắng",
    "Trận đấu hôm qua quá hay",
    "Trường học cần thêm giáo viên",
    "Không biết bao giờ mới hết kẹt xe",
]


def wait_for(what: str, ok: Callable[[], bool], timeout: float = 45.0) -> None:
    deadline = time.monotonic() + timeout
    while not ok():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def grown(count: Callable[[], int], by: int) -> Callable[[], bool]:
    """True once `count` has grown by `by` from now."""
    start = count()
    return lambda: count() >= start + by


def kill(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGKILL)  # no chance to finish a batch, commit or clean up
    proc.wait(10)


@pytest.mark.slow
def test_kills_mid_stream_lose_and_duplicate_nothing(tmp_path: Path) -> None:
    data = tmp_path / "var"
    settings = Settings(data_dir=data)
    bus = EmbeddedBus(settings.resolved_bus_path)
    store = SQLiteStore(settings.resolved_store_path, postings_cache_mb=0)
    t0 = datetime(2026, 11, 1, tzinfo=UTC)
    posts = [
        Post(
            id=f"soak:comment:{i}",
            source="soak",
            text=f"{TEXTS[i % 4]} ({i})",
            created_at=t0 + timedelta(seconds=i),
        )
        for i in range(N)
    ]
    published = 0

    def publish() -> None:
        nonlocal published
        for i in range(0, N, CHUNK):
            bus.publish_many(
                settings.raw_topic, [(p.id, p.to_json()) for p in posts[i : i + CHUNK]]
            )
            published = i + CHUNK
            time.sleep(PAUSE)

    def indexed() -> int:
        return store.count(SearchQuery())

    log = sqlite3.connect(settings.resolved_bus_path, timeout=30)

    def enriched() -> int:
        """Analysed posts published so far (offsets are shared by all topics: count rows)."""
        sql = "SELECT COUNT(*) FROM messages WHERE topic=?"
        return int(log.execute(sql, (settings.enriched_topic,)).fetchone()[0])

    def index_behind() -> bool:
        return bus.group_lag(settings.enriched_topic, settings.index_group) > 0

    publisher = threading.Thread(target=publish, daemon=True)
    nlp, index = start_worker("nlp", data), start_worker("index", data)
    started = time.monotonic()
    publisher.start()
    kills: list[tuple[str, int, int, int]] = []  # stage, published, indexed, its lag then
    try:
        for _ in range(KILLS):
            wait_for("the NLP worker to make progress", grown(enriched, 100))
            kill(nlp)
            lag = bus.group_lag(settings.raw_topic, settings.nlp_group)
            kills.append(("nlp", published, indexed(), lag))
            nlp = start_worker("nlp", data)
            wait_for("the indexer to make progress", grown(indexed, 50))
            wait_for("analysed posts waiting for the indexer", index_behind)
            kill(index)
            lag = bus.group_lag(settings.enriched_topic, settings.index_group)
            kills.append(("index", published, indexed(), lag))
            index = start_worker("index", data)
        publisher.join(60)
        wait_for("every post to be indexed", lambda: indexed() >= N, timeout=60)
        wait_for(
            "both groups to commit everything",
            lambda: (
                bus.group_lag(settings.raw_topic, settings.nlp_group) == 0
                and bus.group_lag(settings.enriched_topic, settings.index_group) == 0
            ),
        )
    finally:
        for proc in (nlp, index):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
    for proc in (nlp, index):
        assert proc.wait(30) == 0, proc.stderr.read() if proc.stderr else ""
    took = time.monotonic() - started

    # every kill landed mid-stream: posts were still being published or waiting to be indexed
    assert len(kills) == 2 * KILLS
    assert all(done < N for _, _, done, _ in kills), kills
    assert all(lag > 0 for stage, _, _, lag in kills if stage == "nlp"), kills
    ids = [p.id for p in store.iter_posts(SearchQuery(sort="oldest"))]
    assert len(ids) == len(set(ids)) == N, "0 duplicated"
    assert set(ids) == {p.id for p in posts}, "0 lost"
    assert store.count(SearchQuery()) == N  # hourly rollups agree (no double counting)
    assert bus.end_offset(settings.dead_letter_topic) == 0, "nothing dead-lettered"
    redone = enriched() - N  # at-least-once: published by a killed NLP worker, not committed
    print(
        f"kill soak: {N} posts, {2 * KILLS} kills, {redone} enriched twice, {took:.1f} s: {kills}"
    )
    log.close()
    store.close()
    bus.close()
