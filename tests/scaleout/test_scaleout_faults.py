"""Faults against the real broker and node: crashes, outages, 429s, poison, shared partitions.

Delivery is at-least-once and indexing idempotent, so after every fault each post must be in
Elasticsearch exactly once. These tests stop and start the shared services: they always leave
them running again.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from base64 import b64decode
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest
from kafka import KafkaAdminClient, KafkaConsumer
from kafka.structs import TopicPartition
from scaleout_support import (
    REPO_ROOT,
    analyze,
    make_posts,
    publish_posts,
    read_all,
    service,
    wait_until,
)

from duluan.core.models import Post
from duluan.core.query import SearchQuery
from duluan.core.settings import Settings
from duluan.storage.elasticsearch.store import ElasticsearchStore
from streaming.indexer import Indexer
from streaming.kafka_bus import KafkaBus
from streaming.nlp_worker import NlpWorker
from streaming.worker import Worker

pytestmark = [pytest.mark.kafka, pytest.mark.elasticsearch, pytest.mark.slow]

Stack = tuple[Settings, KafkaBus, ElasticsearchStore]
WORKER_PROC = REPO_ROOT / "tests" / "scaleout" / "nlp_worker_proc.py"


def topic_size(bootstrap: str, topic: str) -> int:
    """Messages ever written to a topic (sum of end offsets)."""
    c = KafkaConsumer(bootstrap_servers=bootstrap)
    try:
        parts = c.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in parts]
        return sum(c.end_offsets(tps).values()) if tps else 0
    finally:
        c.close()


def indexed_ids(store: ElasticsearchStore) -> list[str]:
    store.refresh()
    return [p.id for p in store.iter_posts(SearchQuery(), batch_size=1000)]


def store_count(store: ElasticsearchStore) -> int:
    try:
        store.refresh()
        return store.count(SearchQuery())
    except Exception:
        return -1


@contextmanager
def running(worker: Worker) -> Iterator[threading.Thread]:
    """Run a worker loop in a thread until the block ends."""
    thread = threading.Thread(target=worker.run, name=worker.stage, daemon=True)
    thread.start()
    try:
        yield thread
    finally:
        worker.stop_event.set()
        thread.join(timeout=60)


def worker_env(s: Settings, delay: float) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(REPO_ROOT),
        "DULUAN_BUS": "kafka",
        "DULUAN_KAFKA_BOOTSTRAP": s.kafka_bootstrap,
        "DULUAN_RAW_TOPIC": s.raw_topic,
        "DULUAN_ENRICHED_TOPIC": s.enriched_topic,
        "DULUAN_DEAD_LETTER_TOPIC": s.dead_letter_topic,
        "DULUAN_KAFKA_PARTITIONS": str(s.kafka_partitions),
        "DULUAN_CONSUMER_GROUP_PREFIX": s.consumer_group_prefix,
        "DULUAN_WORKER_BATCH_SIZE": str(s.worker_batch_size),
        "DULUAN_WORKER_POLL_TIMEOUT": "0.3",
        "SCALEOUT_ANALYZE_DELAY": str(delay),
    }


def test_killed_nlp_worker_is_replayed_and_every_post_indexed_once(stack: Stack, tmp_path) -> None:  # type: ignore[no-untyped-def]
    s, bus, store = stack
    posts = make_posts(600)
    publish_posts(bus, s.raw_topic, posts)
    log1 = (tmp_path / "worker1.log").open("w")
    first = subprocess.Popen(
        [sys.executable, str(WORKER_PROC)],
        env=worker_env(s, delay=0.25),
        stdout=log1,
        stderr=subprocess.STDOUT,
        cwd=REPO_ROOT,
    )
    try:
        wait_until(
            lambda: topic_size(s.kafka_bootstrap, s.enriched_topic) >= 120,
            90,
            what="the first worker to enrich some posts",
        )
    finally:
        first.send_signal(signal.SIGKILL)  # mid-batch: no commit, no goodbye to the group
        first.wait(timeout=30)
    before = topic_size(s.kafka_bootstrap, s.enriched_topic)
    assert before < len(posts), "the worker finished before it could be killed"

    log2 = (tmp_path / "worker2.log").open("w")
    second = subprocess.Popen(
        [sys.executable, str(WORKER_PROC), "25"],  # idle > the dead member's session timeout
        env=worker_env(s, delay=0.0),
        stdout=log2,
        stderr=subprocess.STDOUT,
        cwd=REPO_ROOT,
    )
    assert second.wait(timeout=180) == 0, (tmp_path / "worker2.log").read_text()[-3000:]
    enriched = topic_size(s.kafka_bootstrap, s.enriched_topic)
    assert enriched >= len(posts)  # at-least-once: replays are allowed on the bus ...

    indexer = Indexer(KafkaBus.from_settings(s), store, s)
    stats = indexer.run(max_idle=6)
    assert stats.processed == enriched
    got = indexed_ids(store)
    assert len(got) == len(posts) and set(got) == {p.id for p in posts}  # ... not in the store
    assert all(p.analysis is not None for p in store.iter_posts(SearchQuery()))


def test_broker_restart_loses_nothing(stack: Stack) -> None:
    s, bus, store = stack
    nlp = NlpWorker(KafkaBus.from_settings(s), s, analyze=analyze)
    indexer = Indexer(KafkaBus.from_settings(s), store, s)
    first, second = make_posts(300), make_posts(300, start=300)
    with running(nlp), running(indexer):
        publish_posts(bus, s.raw_topic, first)
        wait_until(lambda: store_count(store) == 300, 120, what="the first 300 posts indexed")
        service("kafka", "stop")
        publisher = threading.Thread(
            target=lambda: publish_posts(bus, s.raw_topic, second), daemon=True
        )
        publisher.start()  # buffers while the broker is away, delivered when it is back
        time.sleep(8)
        service("kafka", "start")
        publisher.join(timeout=150)
        assert not publisher.is_alive(), "publishing never completed after the broker came back"
        wait_until(lambda: store_count(store) == 600, 180, what="all 600 posts indexed")
    got = indexed_ids(store)
    assert len(got) == 600 and set(got) == {p.id for p in first + second}


def _enriched(posts: Sequence[Post]) -> list[Post]:
    return [p.model_copy(update={"analysis": analyze([p.text])[0]}) for p in posts]


def test_elasticsearch_rejecting_or_down_indexer_keeps_its_place(stack: Stack) -> None:
    s, bus, store = stack
    warm = _enriched(make_posts(1, start=1000))  # same month as the batches below
    store.upsert(warm)
    index = store.month_index(warm[0].created_at)
    # a real 429 from the node: the flood-stage block ES itself sets when a disk fills up
    store.es.indices.put_settings(
        index=index, settings={"index.blocks.read_only_allow_delete": True}
    )
    batch1, batch2 = _enriched(make_posts(100)), _enriched(make_posts(100, start=100))
    publish_posts(bus, s.enriched_topic, batch1)
    indexer = Indexer(KafkaBus.from_settings(s), store, s)
    try:
        with running(indexer):
            wait_until(lambda: indexer.stats.retries >= 1, 90, what="the indexer to back off")
            assert store_count(store) == 1
            with bus.consumer(s.enriched_topic, indexer.group) as probe:
                assert probe.lag() == 100  # nothing committed while the store says no
            store.es.indices.put_settings(
                index=index, settings={"index.blocks.read_only_allow_delete": None}
            )
            wait_until(lambda: store_count(store) == 101, 120, what="batch 1 after the 429s")

            service("elasticsearch", "stop")
            try:
                publish_posts(bus, s.enriched_topic, batch2)
                retries = indexer.stats.retries
                wait_until(
                    lambda: indexer.stats.retries > retries,
                    90,
                    what="the indexer to back off while Elasticsearch is down",
                )
            finally:
                service("elasticsearch", "start")
            wait_until(lambda: store_count(store) == 201, 180, what="batch 2 after the outage")
    finally:
        store.es.indices.put_settings(
            index=index, settings={"index.blocks.read_only_allow_delete": None}
        )
    got = indexed_ids(store)
    assert len(got) == 201 and set(got) == {p.id for p in warm + batch1 + batch2}


def test_poison_messages_are_dead_lettered_and_the_stream_flows(stack: Stack) -> None:
    s, bus, _ = stack
    good = make_posts(20)
    bus.publish_many(s.raw_topic, [(p.id, p.to_json()) for p in good[:10]])
    bus.publish(s.raw_topic, b"\xff\xfe not json at all", key="poison:1")
    bus.publish(s.raw_topic, b'{"id": "no-scope", "text": "x"}', key="poison:2")
    bus.publish_many(s.raw_topic, [(p.id, p.to_json()) for p in good[10:]])
    worker = NlpWorker(KafkaBus.from_settings(s), s, analyze=analyze)
    stats = worker.run(max_idle=5)
    assert (stats.processed, stats.dead) == (20, 2)
    enriched = read_all(bus, s.enriched_topic, 20)
    assert {Post.from_json(m.value).id for m in enriched} == {p.id for p in good}
    dead = read_all(bus, s.dead_letter_topic, 2)
    envelopes = {m.key: json.loads(m.value) for m in dead}
    assert set(envelopes) == {"poison:1", "poison:2"}
    assert envelopes["poison:1"]["stage"] == "nlp" and envelopes["poison:1"]["error"]
    assert b64decode(envelopes["poison:1"]["value_b64"]) == b"\xff\xfe not json at all"
    assert "ValidationError" in envelopes["poison:2"]["error"]
    assert all(m.headers.get("origin_topic") == s.raw_topic for m in dead)


def group_members(bootstrap: str, group: str) -> tuple[str, int]:
    """The broker's view of a consumer group: its state and how many members it has."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        found = admin.describe_groups([group]).get(group) or {}
    finally:
        admin.close()
    return str(found.get("group_state", "")), len(found.get("members") or [])


_ASSIGNMENT = re.compile(r"kafka\.partitions_(assigned|revoked)\s.*?partitions=\[([\d, ]*)\]")


def held_partitions(log_text: str) -> set[int]:
    """The partitions a worker process holds, by its own log (its last assign/revoke line)."""
    found = _ASSIGNMENT.findall(log_text)
    if not found or found[-1][0] != "assigned":
        return set()
    return {int(x) for x in found[-1][1].replace(" ", "").split(",") if x}


def start_pair(s: Settings, logs: list[Path]) -> list[subprocess.Popen[bytes]]:
    return [
        subprocess.Popen(
            [sys.executable, str(WORKER_PROC)],
            env=worker_env(s, delay=0.05),  # both members stay busy, so both get work
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            cwd=REPO_ROOT,
        )
        for log in logs
    ]


def stop_pair(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        proc.send_signal(signal.SIGTERM)  # a graceful stop: commit, leave, print the counts
    for proc in procs:
        proc.wait(timeout=60)


def test_two_nlp_workers_share_partitions_and_process_each_post_once(
    stack: Stack, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """Two worker processes (as deployed: one per container or host) in one group split the
    partitions, and every post is enriched exactly once between them."""
    s, bus, _ = stack
    posts = make_posts(800)
    # Both members must hold partitions, by their own logs, before work arrives. kafka-python
    # 3.0.12 has been seen to leave the member that led a rebalance hanging (no assignment, no
    # heartbeat, expelled, never back), in one process and, once in CI, across two. That client
    # bug is not what this test judges: a pair that never splits is replaced, at most 3 times,
    # and the failure shows every try's logs.
    tries: list[str] = []
    for attempt in range(3):
        logs = [tmp_path / f"worker-a{attempt}.log", tmp_path / f"worker-b{attempt}.log"]
        procs = start_pair(s, logs)

        def split(logs: list[Path] = logs) -> bool:
            a, b = (held_partitions(log.read_text()) for log in logs)
            return bool(a) and bool(b) and a | b == {0, 1, 2, 3} and not a & b

        try:
            wait_until(split, 45, what="both workers holding partitions")
            wait_until(
                lambda: group_members(s.kafka_bootstrap, s.nlp_group) == ("Stable", 2),
                30,
                what="a stable group of two workers",
            )
        except AssertionError:
            stop_pair(procs)
            tries.append(" | ".join(log.read_text()[-1500:] for log in logs))
            continue
        try:
            time.sleep(1)
            publish_posts(bus, s.raw_topic, posts)
            wait_until(
                lambda: topic_size(s.kafka_bootstrap, s.enriched_topic) >= len(posts),
                120,
                what="800 posts enriched by the pair",
            )
            time.sleep(2)
        finally:
            stop_pair(procs)
        break
    else:
        raise AssertionError(f"the two workers never split the partitions: {tries}")
    outputs = [log.read_text() for log in logs]
    counts = []
    for out in outputs:
        found = re.search(r"processed=(\d+) dead=(\d+)", out)
        assert found, out[-3000:]
        counts.append(int(found.group(1)))
    assert all(n > 0 for n in counts), counts
    assert sum(counts) == len(posts), counts
    enriched = read_all(bus, s.enriched_topic, len(posts))
    assert len(enriched) == len(posts)
    assert {m.key for m in enriched} == {p.id for p in posts}
