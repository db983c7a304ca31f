"""Embedded bus retention: consumed messages are pruned so bus.db plateaus; unconsumed ones stay."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from duluan.core.settings import Settings
from streaming.embedded_bus import EmbeddedBus, Retention

TOPIC = "retention.test"


def _size(path: Path) -> int:
    """Bytes on disk for the bus: the database and its WAL."""
    wal = path.with_name(path.name + "-wal")
    return path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)


def _rows(path: Path, topic: str) -> int:
    with sqlite3.connect(path) as conn:
        return int(
            conn.execute("SELECT COUNT(*) FROM messages WHERE topic=?", (topic,)).fetchone()[0]
        )


def _steady_load(path: Path, retention: Retention, rounds: int) -> list[int]:
    """Publish a batch, consume and commit it, `rounds` times; the file size after each."""
    bus = EmbeddedBus(path, retention=retention)
    sizes = []
    payload = b"x" * 1500
    with bus, bus.consumer(TOPIC, "steady") as consumer:
        for r in range(rounds):
            bus.publish_many(TOPIC, ((f"k{r}-{i}", payload) for i in range(200)))
            got = 0
            while got < 200:
                batch = consumer.poll(500, timeout=1.0)
                assert batch, "published messages must be readable"
                got += len(batch)
                consumer.commit(batch)
            time.sleep(0.03)  # older than the retention by the next round's commit
            sizes.append(_size(path))
    return sizes


def test_file_plateaus_under_steady_load(tmp_path: Path) -> None:
    rounds = 60
    kept = _steady_load(tmp_path / "pruned.db", Retention(consumed_s=0.02, interval_s=0.0), rounds)
    grown = _steady_load(tmp_path / "forever.db", Retention(consumed_s=0), rounds)
    # without retention the file grows with every round (60 x 200 x 1.5 kB ≈ 18 MB)
    assert grown[-1] > 3 * grown[rounds // 4]
    # with it the size stops growing after the first rounds: the last half adds nothing
    assert max(kept[rounds // 2 :]) <= kept[rounds // 4] * 1.1 + 64 * 1024
    assert kept[-1] * 3 < grown[-1]
    assert _rows(tmp_path / "pruned.db", TOPIC) <= 2 * 200


def test_lagging_group_keeps_its_messages(tmp_path: Path) -> None:
    bus = EmbeddedBus(tmp_path / "bus.db", retention=Retention(consumed_s=0.01, interval_s=0.0))
    with bus:
        slow = bus.consumer(TOPIC, "slow")  # joined: retention waits for it from now on
        bus.publish_many(TOPIC, ((str(i), f"m{i}".encode()) for i in range(1000)))
        with bus.consumer(TOPIC, "fast") as fast:
            while batch := fast.poll(400, timeout=0.2):
                fast.commit(batch)
        first = slow.poll(300, timeout=1.0)
        slow.commit(first)
        time.sleep(0.05)
        bus.prune()  # (the slow group's commit may have pruned already)
        assert _rows(tmp_path / "bus.db", TOPIC) == 700  # only what both groups committed
        with bus.consumer(TOPIC, "fast") as fast:  # a commit prunes too (interval 0)
            bus.publish(TOPIC, b"one more")
            bus.flush()
            fast.commit(fast.poll(10, timeout=1.0))
        rest: list[bytes] = []
        while batch := slow.poll(500, timeout=0.2):
            rest.extend(m.value for m in batch)
            slow.commit(batch)
        slow.close()
        assert rest == [f"m{i}".encode() for i in range(300, 1000)] + [b"one more"]


def test_joined_group_that_never_committed_blocks_pruning(tmp_path: Path) -> None:
    bus = EmbeddedBus(tmp_path / "bus.db", retention=Retention(consumed_s=0.01, interval_s=0.0))
    with bus:
        bus.consumer(TOPIC, "idle").close()
        bus.publish_many(TOPIC, ((None, b"m") for _ in range(50)))
        bus.publish_many("no.groups", ((None, b"m") for _ in range(50)))
        with bus.consumer(TOPIC, "busy") as busy:
            busy.commit(busy.poll(100, timeout=1.0))
        time.sleep(0.05)
        assert bus.prune() == 0
    assert _rows(tmp_path / "bus.db", TOPIC) == 50
    assert _rows(tmp_path / "bus.db", "no.groups") == 50  # nobody read them yet: kept


def test_dead_letters_pruned_by_age_only(tmp_path: Path) -> None:
    path = tmp_path / "bus.db"
    bus = EmbeddedBus(path, retention=Retention(consumed_s=0, dead_letter_s=3600))
    with bus:
        bus.publish_many("posts.dead", ((None, b"d") for _ in range(10)))
        assert bus.prune() == 0  # young: kept, though no group ever read them
    bus = EmbeddedBus(path, retention=Retention(consumed_s=0, dead_letter_s=0.01))
    with bus:
        time.sleep(0.05)
        assert bus.prune() == 10
    assert _rows(path, "posts.dead") == 0


def test_retention_from_settings(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, bus_retention_hours=2, bus_dead_letter_retention_hours=0)
    bus = EmbeddedBus.from_settings(settings)
    with bus:
        assert bus.retention.consumed_s == 7200
        assert not bus.retention.dead_letter_s
        assert bus.retention.dead_letter_topic == settings.dead_letter_topic
