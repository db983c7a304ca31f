"""No stage dies silently: faults on the real backends, and what each stage does about them.

- a corrupt row in the embedded bus's table: dead-lettered with a reason, the worker goes on;
- an Elasticsearch mapping conflict: that post dead-lettered, the others indexed;
- Elasticsearch unreachable mid-stream (a TCP proxy in front of the real node is closed, then
  reopened): the batch is retried, nothing lost or duplicated;
- a stage crashing under `duluan run`'s supervisor: restarted, /readyz 503 naming it meanwhile;
- a standalone worker that cannot go on: one `worker.failed` line and exit code 1.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from duluan.core.health import HealthRegistry
from duluan.core.models import Analysis, Post, Sentiment
from duluan.core.query import SearchQuery
from duluan.core.retry import RetryPolicy
from duluan.core.settings import Settings
from duluan.storage.sqlite.store import SQLiteStore
from streaming.embedded_bus import EmbeddedBus
from streaming.indexer import Indexer
from streaming.nlp_worker import NlpWorker

REPO_ROOT = Path(__file__).resolve().parents[2]
FAST_STORE = RetryPolicy(attempts=2, initial_s=0.05, max_wait_s=0.1, max_delay_s=2.0)
PATIENT_WORKER = RetryPolicy(attempts=200, initial_s=0.1, max_wait_s=0.5, max_delay_s=120.0)


def analyze(texts: Sequence[str], sources: Sequence[str | None] | None = None) -> list[Analysis]:
    return [Analysis(language="vi", sentiment=Sentiment(label="neutral", score=0.5)) for _ in texts]


def make_post(n: int, created: datetime | None = None, author: str = "an") -> Post:
    return Post(
        id=f"fault:post:{n}",
        source="fault",
        author=author,
        text=f"giá xăng hôm nay {n}",
        created_at=created or datetime(2026, 11, 1, 8, tzinfo=UTC),
        analysis=Analysis(language="vi"),
    )


def wait_until(cond: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def dead_letters(bus: EmbeddedBus, topic: str) -> dict[str, dict[str, object]]:
    with bus.consumer(topic, f"check-{uuid.uuid4().hex[:6]}") as consumer:
        records = [json.loads(m.value) for m in consumer.poll(1000, 1.0)]
    return {str(r["key"]): r for r in records}


# -- a corrupt bus row ---------------------------------------------------------------------------


def test_corrupt_bus_rows_are_dead_lettered_and_the_worker_goes_on(settings: Settings) -> None:
    """Rows written behind the bus's back: garbage bytes, text in a blob column, broken header
    JSON, a non-numeric timestamp, a binary key. None may stop the NLP worker."""
    bus = EmbeddedBus(settings.resolved_bus_path)
    raw = settings.raw_topic
    good = [make_post(i).model_copy(update={"analysis": None}) for i in range(3)]
    bus.publish(raw, good[0].to_json(), key=good[0].id)
    bus.flush()
    db = sqlite3.connect(settings.resolved_bus_path, isolation_level=None)
    rows: list[tuple[object, ...]] = [
        (raw, "garbage", os.urandom(64) + b"\xff\xfe", None, 1),
        (raw, "text-value", "chuỗi, không phải bytes", None, 2),
        (raw, "bad-headers", good[1].to_json(), "{not json", 3),
        (raw, "bad-ts", b"{}", None, "not a number"),
        (raw, b"\xff binary key", b"\x00\x01", None, 4),
    ]
    db.executemany(
        "INSERT INTO messages(topic, key, value, headers, ts_ms) VALUES (?,?,?,?,?)", rows
    )
    db.close()
    bus.publish(raw, good[2].to_json(), key=good[2].id)
    bus.flush()

    worker = NlpWorker(EmbeddedBus(settings.resolved_bus_path), settings, analyze=analyze)
    stats = worker.run(max_idle=0.5)

    assert stats.processed == 3  # both good posts and the one whose headers were corrupt
    assert stats.dead == 4
    dead = dead_letters(bus, settings.dead_letter_topic)
    assert set(dead) == {"garbage", "text-value", "bad-ts", "\ufffd binary key"}
    for record in dead.values():
        assert record["stage"] == "nlp" and str(record["error"]).startswith("ValidationError")
        base64.b64decode(str(record["value_b64"]))  # the original bytes travel with it
    assert bus.group_lag(raw, worker.group) == 0
    with bus.consumer(settings.enriched_topic, "check") as enriched:
        keys = {m.key for m in enriched.poll(100, 1.0)}
    assert keys == {p.id for p in good}


# -- Elasticsearch: a mapping conflict, and an outage ----------------------------------------------


class TcpProxy:
    """A TCP forwarder on 127.0.0.1 in front of a real service; `down()` refuses and cuts every
    connection (like the node vanishing), `up()` listens again on the same port."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        self._lock = threading.Lock()
        self._conns: list[socket.socket] = []
        self._listener: socket.socket | None = None
        self.up()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def up(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            conns, self._conns = self._conns, []
        if listener is not None:
            listener.close()
        for c in conns:
            with contextlib.suppress(OSError):
                c.shutdown(socket.SHUT_RDWR)
            c.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self._lock:
                if self._listener is not listener:
                    client.close()
                    server.close()
                    return
                self._conns += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def es_prefix() -> str:
    return f"fault-{uuid.uuid4().hex[:8]}-posts"


@pytest.fixture
def proxy(elasticsearch_url: str) -> Iterator[TcpProxy]:
    from urllib.parse import urlsplit

    parts = urlsplit(elasticsearch_url)
    p = TcpProxy((parts.hostname or "127.0.0.1", parts.port or 9200))
    yield p
    p.down()


def publish(bus: EmbeddedBus, topic: str, posts: Sequence[Post]) -> None:
    bus.publish_many(topic, [(p.id, p.to_json()) for p in posts])


def es_ids(store: object) -> list[str]:
    store.refresh()  # type: ignore[attr-defined]
    return [p.id for p in store.iter_posts(SearchQuery(), batch_size=1000)]  # type: ignore[attr-defined]


@pytest.mark.elasticsearch
def test_es_mapping_conflict_dead_letters_that_post_and_indexes_the_rest(
    settings: Settings, elasticsearch_url: str, es_prefix: str
) -> None:
    from duluan.storage.elasticsearch.store import ElasticsearchStore

    store = ElasticsearchStore(elasticsearch_url, es_prefix, retry=FAST_STORE)
    try:
        store.ensure_ready()
        conflicted = datetime(2001, 1, 15, tzinfo=UTC)
        # a month index whose `author` is numeric: a text author there is a field-type conflict
        store.es.indices.create(
            index=store.month_index(conflicted),
            mappings={"properties": {"author": {"type": "long"}}},
        )
        posts = [make_post(i) for i in range(40)]
        posts[7] = make_post(7, created=conflicted, author="không-phải-số")
        bus = EmbeddedBus(settings.resolved_bus_path)
        publish(bus, settings.enriched_topic, posts)
        bounded = RetryPolicy(attempts=3, initial_s=0.05, max_wait_s=0.1, max_delay_s=5.0)
        indexer = Indexer(EmbeddedBus(settings.resolved_bus_path), store, settings, retry=bounded)
        stats = indexer.run(max_idle=1.0)

        assert stats.dead == 1 and stats.processed == 39
        assert sorted(es_ids(store)) == sorted(p.id for p in posts if p.id != "fault:post:7")
        dead = dead_letters(bus, settings.dead_letter_topic)
        assert set(dead) == {"fault:post:7"}
        assert "failed to parse field [author]" in str(dead["fault:post:7"]["error"])
        assert bus.group_lag(settings.enriched_topic, indexer.group) == 0
    finally:
        store.drop_all()
        store.close()


@pytest.mark.elasticsearch
def test_es_outage_mid_stream_is_retried_and_nothing_lost_or_duplicated(
    settings: Settings, elasticsearch_url: str, es_prefix: str, proxy: TcpProxy
) -> None:
    from duluan.storage.elasticsearch.store import ElasticsearchStore

    store = ElasticsearchStore(proxy.url, es_prefix, retry=FAST_STORE, request_timeout=5)
    direct = ElasticsearchStore(elasticsearch_url, es_prefix)  # to look, beside the proxy
    bus = EmbeddedBus(settings.resolved_bus_path)
    first = [make_post(i) for i in range(300)]
    second = [make_post(i) for i in range(300, 900)]
    indexer = Indexer(
        EmbeddedBus(settings.resolved_bus_path), store, settings, retry=PATIENT_WORKER
    )
    failure: list[BaseException] = []

    def run() -> None:
        try:
            indexer.run()
        except BaseException as exc:  # the test fails on it below
            failure.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        publish(bus, settings.enriched_topic, first)
        wait_until(lambda: indexer.stats.processed == 300, 60, "the first 300 posts indexed")

        proxy.down()  # the node is gone while the next batches arrive
        publish(bus, settings.enriched_topic, second)
        retries = indexer.stats.retries
        wait_until(lambda: indexer.stats.retries >= retries + 2, 60, "retries during the outage")
        assert thread.is_alive() and not failure, failure
        assert bus.group_lag(settings.enriched_topic, indexer.group) > 0  # nothing skipped

        proxy.up()
        wait_until(
            lambda: bus.group_lag(settings.enriched_topic, indexer.group) == 0,
            90,
            "the backlog indexed after the outage",
        )
        ids = es_ids(direct)
        assert len(ids) == 900 and set(ids) == {p.id for p in first + second}
        assert indexer.stats.dead == 0 and not failure
    finally:
        indexer.stop_event.set()
        thread.join(30)
        direct.drop_all()
        direct.close()
        store.close()


# -- the supervisor of `duluan run`, and a standalone worker ---------------------------------------


class CrashingStore(SQLiteStore):
    """A store whose writes die of an unexpected error (a bug) while `crashing` is set."""

    crashing = threading.Event()

    def upsert(self, posts: Sequence[Post]) -> int:
        if self.crashing.is_set():
            raise RuntimeError("boom: a bug in the indexing path")
        return super().upsert(posts)


def test_supervisor_restarts_a_crashed_stage_and_readyz_names_it(tmp_path: Path) -> None:
    from api.app import create_app
    from duluan.core import health
    from duluan.pipeline import Pipeline

    settings = Settings(
        data_dir=tmp_path / "var",
        pipeline_restart_initial_s=1.0,
        pipeline_restart_max_s=2.0,
        worker_poll_timeout=0.1,
    )
    store = CrashingStore(settings.resolved_store_path)
    store.crashing.set()
    registry = HealthRegistry()
    pipeline = Pipeline(settings, analyze=analyze, store=store, health=registry)
    # /readyz reads the process registry; this test's own registry stands in for it
    original, health.STAGES = health.STAGES, registry
    import api.routers.ops as ops

    ops_original, ops.STAGES = ops.STAGES, registry
    pipeline.start()
    try:
        with TestClient(create_app(settings, store=store)) as client:
            assert client.get("/readyz").status_code == 200  # both stages up, nothing to do yet
            publish(pipeline.bus, settings.raw_topic, [make_post(i) for i in range(20)])

            def readyz_names_index() -> bool:
                r = client.get("/readyz")
                return r.status_code == 503 and "index" in r.json()["detail"]

            wait_until(readyz_names_index, 30, "/readyz to report the dead indexer")
            body = client.get("/readyz").json()
            assert "RuntimeError: boom" in str(body["stages"]["index"]["last_error"])
            assert body["stages"]["nlp"]["up"] is True
            wait_until(lambda: registry.snapshot()["index"].restarts >= 1, 30, "a restart")

            store.crashing.clear()
            wait_until(lambda: client.get("/readyz").status_code == 200, 30, "readyz back to 200")
            assert pipeline.wait_drained(timeout=30)
            assert store.count(SearchQuery()) == 20
            metrics = client.get("/metrics").text
            assert 'duluan_stage_up{stage="index"} 1.0' in metrics
            assert 'duluan_stage_restarts_total{stage="index"}' in metrics
            assert (
                'duluan_stage_last_failure_timestamp_seconds{error="RuntimeError",stage="index"}'
                in metrics
            )
    finally:
        pipeline.stop()
        health.STAGES, ops.STAGES = original, ops_original
        store.close()
    assert registry.snapshot() == {}  # stopped on purpose: no longer expected to run


def test_standalone_worker_that_cannot_go_on_exits_non_zero(tmp_path: Path) -> None:
    """`duluan worker index` against an unreachable store: capped retries, one clear log line,
    exit code 1 (so docker or systemd restarts it), and the message stays uncommitted."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead_port = s.getsockname()[1]
    settings = Settings(data_dir=tmp_path / "var")
    bus = EmbeddedBus(settings.resolved_bus_path)
    publish(bus, settings.enriched_topic, [make_post(1)])
    bus.close()
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO_ROOT),
        "DULUAN_DATA_DIR": str(settings.data_dir),
        "DULUAN_STORE": "elasticsearch",
        "DULUAN_ELASTICSEARCH_URL": f"http://127.0.0.1:{dead_port}",
        "DULUAN_RETRY_ATTEMPTS": "2",
        "DULUAN_RETRY_INITIAL_S": "0.05",
        "DULUAN_WORKER_RETRY_ATTEMPTS": "3",
        "DULUAN_WORKER_RETRY_MAX_DELAY_S": "5",
        "DULUAN_LOG_FORMAT": "json",
    }
    proc = subprocess.run(
        [sys.executable, "-m", "duluan.cli", "worker", "index", "--max-idle", "30"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr[-2000:]
    output = proc.stdout + proc.stderr
    failed = [line for line in output.splitlines() if "worker.failed" in line]
    assert len(failed) == 1, output[-3000:]
    assert "StoreUnavailable" in failed[0] and '"stage": "index"' in failed[0]
    assert output.count('"retry"') >= 2  # it did retry before giving up
    bus = EmbeddedBus(settings.resolved_bus_path)
    assert bus.group_lag(settings.enriched_topic, settings.index_group) == 1
    bus.close()
