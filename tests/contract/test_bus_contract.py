"""One contract for every Bus: the embedded SQLite log and real Kafka pass the same tests."""

from __future__ import annotations

import base64
import contextlib
import json
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from duluan.core.settings import Settings
from streaming.bus import Bus, Consumer, Message

BusFactory = Callable[[], Bus]


@pytest.fixture(params=["embedded", "kafka"])
def make_bus(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BusFactory]:
    """A factory so a test can open the same bus twice (restart)."""
    opened: list[Bus] = []
    if request.param == "embedded":
        from streaming.embedded_bus import EmbeddedBus

        def factory() -> Bus:
            bus = EmbeddedBus(tmp_path / "bus.db", lease_ttl=1.0)
            opened.append(bus)
            return bus
    else:
        bootstrap = request.getfixturevalue("kafka_bootstrap")
        from streaming.kafka_bus import KafkaBus

        suffix = uuid.uuid4().hex[:8]
        settings = Settings(
            kafka_bootstrap=bootstrap,
            raw_topic=f"test.raw.{suffix}",
            enriched_topic=f"test.enriched.{suffix}",
            dead_letter_topic=f"test.dead.{suffix}",
            kafka_partitions=2,
        )

        def factory() -> Bus:
            bus = KafkaBus.from_settings(settings)
            opened.append(bus)
            return bus

    yield factory
    for bus in opened:
        with contextlib.suppress(Exception):
            bus.close()


def topic_name(bus: Bus) -> str:
    """A fresh topic per test (Kafka topics outlive a test)."""
    return getattr(bus, "test_topic", None) or f"contract.{uuid.uuid4().hex[:10]}"


def drain(consumer: Consumer, want: int, timeout: float = 30.0) -> list[Message]:
    got: list[Message] = []
    deadline = time.monotonic() + timeout
    while len(got) < want and time.monotonic() < deadline:
        got.extend(consumer.poll(max_messages=500, timeout=0.5))
    return got


def settle(consumer: Consumer, seconds: float = 2.0) -> list[Message]:
    """Poll for a while to prove nothing (more) arrives."""
    extra: list[Message] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        extra.extend(consumer.poll(max_messages=500, timeout=0.3))
    return extra


def test_publish_then_consume_everything(make_bus: BusFactory) -> None:
    bus = make_bus()
    topic = topic_name(bus)
    values = {f"k{i}": f"message {i} – tiếng Việt".encode() for i in range(50)}
    for key, value in values.items():
        bus.publish(topic, value, key=key)
    bus.flush()
    with bus.consumer(topic, "g1") as consumer:
        got = drain(consumer, 50)
        assert {m.key: m.value for m in got} == values
        consumer.commit(got)


def test_order_is_kept_per_key(make_bus: BusFactory) -> None:
    bus = make_bus()
    topic = topic_name(bus)
    for i in range(30):
        bus.publish(topic, str(i).encode(), key="same-key")
    bus.flush()
    with bus.consumer(topic, "g") as consumer:
        got = drain(consumer, 30)
        assert [int(m.value) for m in got] == list(range(30))


def test_committed_messages_are_not_redelivered_after_restart(make_bus: BusFactory) -> None:
    bus = make_bus()
    topic = topic_name(bus)
    bus.publish_many(topic, [(f"k{i}", b"first") for i in range(10)])
    with bus.consumer(topic, "workers") as consumer:
        got = drain(consumer, 10)
        assert len(got) == 10
        consumer.commit(got)
    bus.close()
    bus2 = make_bus()
    bus2.publish_many(topic, [(f"n{i}", b"second") for i in range(5)])
    with bus2.consumer(topic, "workers") as consumer:
        got = drain(consumer, 5)
        got += settle(consumer)
        assert sorted(m.value for m in got) == [b"second"] * 5


def test_uncommitted_messages_are_redelivered(make_bus: BusFactory) -> None:
    bus = make_bus()
    topic = topic_name(bus)
    bus.publish_many(topic, [(f"k{i}", f"v{i}".encode()) for i in range(8)])
    with bus.consumer(topic, "workers") as consumer:
        assert len(drain(consumer, 8)) == 8  # processed but never committed: "crash"
    with bus.consumer(topic, "workers") as consumer:
        again = drain(consumer, 8)
        assert sorted(m.value for m in again) == sorted(f"v{i}".encode() for i in range(8))


def test_groups_are_independent(make_bus: BusFactory) -> None:
    bus = make_bus()
    topic = topic_name(bus)
    bus.publish_many(topic, [(f"k{i}", b"x") for i in range(12)])
    with bus.consumer(topic, "nlp") as a:
        got_a = drain(a, 12)
        a.commit(got_a)
    with bus.consumer(topic, "audit") as b:
        assert len(drain(b, 12)) == 12


def test_lag_counts_uncommitted(make_bus: BusFactory) -> None:
    bus = make_bus()
    topic = topic_name(bus)
    bus.publish_many(topic, [(f"k{i}", b"x") for i in range(20)])
    with bus.consumer(topic, "g") as consumer:
        got = drain(consumer, 20)
        assert consumer.lag() == 20
        consumer.commit(got)
        deadline = time.monotonic() + 10
        while consumer.lag() != 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert consumer.lag() == 0


def test_dead_letter_keeps_error_and_original_bytes(make_bus: BusFactory) -> None:
    bus = make_bus()
    topic = topic_name(bus)
    poison = b"\xff\xfe not json"
    bus.publish(topic, poison, key="bad")
    bus.flush()
    with bus.consumer(topic, "g") as consumer:
        [msg] = drain(consumer, 1)
        bus.dead_letter(msg, "ValidationError: not a Post", stage="nlp")
        consumer.commit([msg])
    with bus.consumer(bus.dead_letter_topic, "inspect") as dead:
        [record] = drain(dead, 1)
        envelope = json.loads(record.value)
        assert envelope["error"].startswith("ValidationError")
        assert envelope["stage"] == "nlp"
        assert envelope["topic"] == topic
        assert base64.b64decode(envelope["value_b64"]) == poison


def test_large_message_round_trips(make_bus: BusFactory) -> None:
    bus = make_bus()
    topic = topic_name(bus)
    big = ("Việt Nam " * 100_000).encode()[:900_000]
    bus.publish(topic, big, key="big")
    bus.flush()
    with bus.consumer(topic, "g") as consumer:
        [msg] = drain(consumer, 1)
        assert msg.value == big
