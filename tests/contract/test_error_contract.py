"""Every Store and Bus raises its own errors (retryable vs permanent), never its backend's.

Each implementation is driven into a real failure: an unreachable node or broker, a mapping
conflict, a malformed full-text query, a corrupt file, a message too large, a closed handle.
"""

from __future__ import annotations

import socket
import sqlite3
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from duluan.core.models import Analysis, Post
from duluan.core.query import SearchQuery
from duluan.core.retry import RetryPolicy
from duluan.storage.base import (
    QueryRejected,
    RejectedPosts,
    StoreError,
    StoreRejected,
    StoreUnavailable,
)
from streaming.bus import BusError, BusRejected, BusUnavailable

FAST = RetryPolicy(attempts=2, initial_s=0.01, max_wait_s=0.05, max_delay_s=5.0)


def closed_port() -> int:
    """A local port nothing listens on (connection refused at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def post(n: int, created: datetime, author: str = "an") -> Post:
    return Post(
        id=f"err:post:{n}",
        source="err",
        author=author,
        text=f"giá xăng {n}",
        created_at=created,
        analysis=Analysis(language="vi"),
    )


# -- stores ------------------------------------------------------------------------------------


def test_sqlite_malformed_fts_query_is_query_rejected(tmp_path: Path) -> None:
    from duluan.storage.sqlite.store import SQLiteStore

    store = SQLiteStore(tmp_path / "s.db")
    try:
        store.upsert([post(1, datetime(2026, 11, 1, tzinfo=UTC))])
        query = SearchQuery(q="\x00NEAR")  # folds to an FTS5 literal SQLite refuses
        try:
            store.count(query)
        except QueryRejected as exc:
            assert not isinstance(exc.__cause__, QueryRejected)
            assert isinstance(exc.__cause__, sqlite3.OperationalError)
        else:
            pytest.skip("the compiler no longer produces an FTS5 expression SQLite refuses")
        with pytest.raises(QueryRejected):
            store.search(query)
    finally:
        store.close()


def test_sqlite_translation_of_real_sqlite_errors(tmp_path: Path) -> None:
    """Locked file: retryable; FTS5 syntax: the query's fault; corrupt file: permanent."""
    from duluan.storage.sqlite.errors import translate

    path = tmp_path / "locked.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t(x)")
    holder.execute("BEGIN EXCLUSIVE")
    other = sqlite3.connect(path, timeout=0)
    with pytest.raises(sqlite3.OperationalError) as locked:
        other.execute("SELECT * FROM t")
    assert isinstance(translate(locked.value), StoreUnavailable)
    holder.execute("ROLLBACK")

    mem = sqlite3.connect(":memory:")
    mem.execute("CREATE VIRTUAL TABLE f USING fts5(body)")
    with pytest.raises(sqlite3.OperationalError) as syntax:
        mem.execute("SELECT * FROM f WHERE f MATCH ?", ('"unclosed',)).fetchall()
    assert isinstance(translate(syntax.value), QueryRejected)


def test_sqlite_corrupt_or_closed_store_is_rejected(tmp_path: Path) -> None:
    from duluan.storage.sqlite.store import SQLiteStore

    bad = tmp_path / "corrupt.db"
    bad.write_bytes(b"not a database at all " * 512)
    with pytest.raises(StoreRejected) as exc:
        SQLiteStore(bad)
    assert not isinstance(exc.value, StoreUnavailable)

    store = SQLiteStore(tmp_path / "ok.db")
    store.close()
    with pytest.raises(StoreRejected):  # the write connection is gone
        store.upsert([post(1, datetime(2026, 11, 1, tzinfo=UTC))])


def test_elasticsearch_unreachable_is_unavailable() -> None:
    from duluan.storage.elasticsearch.store import ElasticsearchStore

    store = ElasticsearchStore(f"http://127.0.0.1:{closed_port()}", "err-none-posts", retry=FAST)
    try:
        with pytest.raises(StoreUnavailable) as exc:
            store.count(SearchQuery())
        assert "elasticsearch" in str(exc.value)
        with pytest.raises(StoreUnavailable):
            store.upsert([post(1, datetime(2026, 11, 1, tzinfo=UTC))])
    finally:
        store.close()


@pytest.mark.elasticsearch
def test_elasticsearch_mapping_conflict_is_rejected_per_post(elasticsearch_url: str) -> None:
    """A month index whose `author` is a number: that month's post is rejected, others written."""
    from duluan.storage.elasticsearch.store import ElasticsearchStore

    prefix = f"err-{uuid.uuid4().hex[:8]}-posts"
    store = ElasticsearchStore(elasticsearch_url, prefix, retry=FAST)
    try:
        store.ensure_ready()
        conflicted = datetime(2001, 1, 15, tzinfo=UTC)
        store.es.indices.create(
            index=store.month_index(conflicted),
            mappings={"properties": {"author": {"type": "long"}}},
        )
        posts = [
            post(1, conflicted, author="not-a-number"),
            post(2, datetime(2026, 11, 1, tzinfo=UTC)),
        ]
        with pytest.raises(RejectedPosts) as exc:
            store.upsert(posts)
        assert set(exc.value.rejected) == {"err:post:1"}
        assert "failed to parse field [author]" in exc.value.rejected["err:post:1"]
        assert exc.value.written == 1 and isinstance(exc.value, StoreRejected)
        store.refresh()
        assert store.get("err:post:2") is not None and store.get("err:post:1") is None
    finally:
        store.drop_all()
        store.close()


@pytest.mark.elasticsearch
def test_elasticsearch_bad_request_never_leaks_the_client_error(elasticsearch_url: str) -> None:
    from elasticsearch import ApiError

    from duluan.storage.elasticsearch.store import ElasticsearchStore

    store = ElasticsearchStore(elasticsearch_url, f"err-{uuid.uuid4().hex[:8]}-posts", retry=FAST)
    try:
        store.ensure_ready()
        with pytest.raises(StoreRejected) as exc:  # an index name ES refuses: a 400
            store._call("create index", store.es.indices.create, index="UPPER_case_is_invalid")
        assert not isinstance(exc.value, ApiError)
        assert isinstance(exc.value.__cause__, ApiError)
    finally:
        store.drop_all()
        store.close()


# -- buses -------------------------------------------------------------------------------------


def test_embedded_bus_corrupt_file_is_rejected(tmp_path: Path) -> None:
    from streaming.embedded_bus import EmbeddedBus

    path = tmp_path / "bus.db"
    path.write_bytes(b"garbage, not sqlite " * 512)
    with pytest.raises(BusRejected):
        EmbeddedBus(path)


def test_embedded_bus_locked_file_is_unavailable(tmp_path: Path) -> None:
    from streaming.embedded_bus import translate

    path = tmp_path / "bus.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t(x)")
    holder.execute("BEGIN EXCLUSIVE")
    with pytest.raises(sqlite3.OperationalError) as locked:
        sqlite3.connect(path, timeout=0).execute("SELECT * FROM t")
    assert isinstance(translate(locked.value, "read"), BusUnavailable)
    holder.execute("ROLLBACK")


@pytest.mark.parametrize("kind", ["embedded", "kafka"])
def test_closed_bus_is_rejected(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    if kind == "embedded":
        from streaming.embedded_bus import EmbeddedBus

        bus: object = EmbeddedBus(tmp_path / "bus.db")
    else:
        from streaming.kafka_bus import KafkaBus

        bus = KafkaBus(request.getfixturevalue("kafka_bootstrap"), retry=FAST)
    topic = f"err.closed.{uuid.uuid4().hex[:8]}"
    bus.publish(topic, b"x")  # type: ignore[attr-defined]
    bus.close()  # type: ignore[attr-defined]
    with pytest.raises(BusRejected):
        bus.publish(topic, b"y")  # type: ignore[attr-defined]
    with pytest.raises(BusRejected):
        bus.consumer(topic, "g")  # type: ignore[attr-defined]


@pytest.mark.kafka
def test_kafka_message_too_large_is_rejected(kafka_bootstrap: str) -> None:
    from streaming.kafka_bus import KafkaBus

    bus = KafkaBus(kafka_bootstrap, retry=FAST)
    try:
        with pytest.raises(BusRejected) as exc:
            bus.publish(f"err.big.{uuid.uuid4().hex[:8]}", b"x" * (5 * 1024 * 1024))
            bus.flush()
        assert "MessageSizeTooLarge" in str(exc.value)
    finally:
        bus.close()


@pytest.mark.slow
def test_kafka_unreachable_is_unavailable() -> None:
    from streaming.kafka_bus import KafkaBus

    bus = KafkaBus(f"127.0.0.1:{closed_port()}", retry=FAST.replace(attempts=1))
    with pytest.raises(BusUnavailable) as exc:
        bus.publish("err.unreachable", b"x")
    assert isinstance(exc.value, BusError) and "kafka" in str(exc.value)


def test_store_and_bus_hierarchies() -> None:
    """Workers decide by class: rejected kinds are permanent, the rest retryable."""
    from streaming.worker import is_permanent, is_transient

    for exc in (StoreUnavailable("x"), StoreError("x"), BusUnavailable("x"), BusError("x")):
        assert is_transient(exc) and not is_permanent(exc)
    for exc in (StoreRejected("x"), QueryRejected("x"), RejectedPosts({}), BusRejected("x")):
        assert is_permanent(exc) and not is_transient(exc)
    assert not is_transient(RuntimeError("x")) and not is_permanent(RuntimeError("x"))
