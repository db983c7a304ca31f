"""The Kafka Bus: kafka-python producer/consumers over a real broker, same contract as embedded.

Producer: acks=all + idempotence, key = post id (so one post's versions stay in order on one
partition), compression. Consumer: one group per stage, manual commits of offset+1 per partition
after the work is durable, a rebalance listener that hands over cleanly, retries with backoff.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from kafka import ConsumerRebalanceListener, KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import (
    CommitFailedError,
    IllegalGenerationError,
    KafkaConnectionError,
    KafkaError,
    KafkaTimeoutError,
    RebalanceInProgressError,
    TopicAlreadyExistsError,
    UnknownMemberIdError,
)
from kafka.structs import OffsetAndMetadata, TopicPartition

from duluan.core.logging import get_logger
from duluan.core.retry import RetryPolicy
from duluan.core.settings import Settings
from streaming.bus import Bus, BusError, BusRejected, BusUnavailable, Consumer, Message

log = get_logger(__name__)

T = TypeVar("T")

# Messages up to this size pass (a long article with its analysis is well under it).
MAX_MESSAGE_BYTES = 4 * 1024 * 1024
_REBALANCE_ERRORS = (
    CommitFailedError,
    RebalanceInProgressError,
    IllegalGenerationError,
    UnknownMemberIdError,
)


def best_compression() -> str:
    """lz4 when its binding is installed (fast, small), else gzip (always available)."""
    try:
        import lz4.frame  # noqa: F401

        return "lz4"
    except ImportError:
        return "gzip"


_UNAVAILABLE = (KafkaConnectionError, KafkaTimeoutError, OSError)


def translate(exc: Exception, what: str) -> BusError:
    """The bus error for a kafka-python error: retryable when the client says so or the broker is
    away, permanent otherwise (a message too large, an invalid topic, no authorization)."""
    retryable = isinstance(exc, _UNAVAILABLE) or bool(getattr(exc, "retriable", False))
    cls = BusUnavailable if retryable else BusRejected
    return cls(f"kafka {what}: {exc!r}")


def _retry(what: str, fn: Callable[[], T], policy: RetryPolicy) -> T:
    """Call fn under the retry policy; Kafka errors leave as BusUnavailable / BusRejected."""

    def once() -> T:
        try:
            return fn()
        except (KafkaError, OSError) as exc:
            raise translate(exc, what) from exc

    return policy.call(once, retry_on=BusUnavailable, what=f"kafka {what}")


class KafkaBus(Bus):
    """A Bus over Kafka; creates the topics it touches with the configured partitions."""

    def __init__(
        self,
        bootstrap: str,
        *,
        dead_letter_topic: str = "posts.dead",
        partitions: int = 4,
        replication: int = 1,
        client_id: str = "duluan",
        compression: str | None = None,
        linger_ms: int = 5,
        retries: int | None = None,
        backoff: float | None = None,
        retry: RetryPolicy | None = None,
        delivery_timeout_ms: int = 120_000,
        session_timeout_ms: int = 10_000,
        max_poll_interval_ms: int = 300_000,
        create_topics: Sequence[str] = (),
    ) -> None:
        self.bootstrap = bootstrap
        self.dead_letter_topic = dead_letter_topic
        self.partitions = partitions
        self.replication = replication
        self.client_id = client_id
        # None picks the best installed codec; "none" turns compression off
        self.compression: str | None = (
            None if compression == "none" else (compression or best_compression())
        )
        self.linger_ms = linger_ms
        policy = retry or RetryPolicy.defaults()
        if retries is not None:
            policy = policy.replace(attempts=retries)
        if backoff is not None:
            policy = policy.replace(initial_s=backoff)
        self.retry = policy
        self.delivery_timeout_ms = delivery_timeout_ms
        self.session_timeout_ms = session_timeout_ms
        self.max_poll_interval_ms = max_poll_interval_ms
        self._producer: KafkaProducer | None = None
        self._admin: KafkaAdminClient | None = None
        self._known_topics: set[str] = set()
        self._pending: list[Any] = []  # send futures not yet checked by flush()
        self._closed = False
        for topic in create_topics:
            self.ensure_topic(topic)

    @classmethod
    def from_settings(cls, settings: Settings) -> KafkaBus:
        return cls(
            settings.kafka_bootstrap,
            dead_letter_topic=settings.dead_letter_topic,
            partitions=settings.kafka_partitions,
            replication=settings.kafka_replication,
            retry=RetryPolicy.from_settings(settings),
        )

    # -- clients ---------------------------------------------------------------------------
    def _servers(self) -> list[str]:
        return [s.strip() for s in self.bootstrap.split(",") if s.strip()]

    def _admin_client(self) -> KafkaAdminClient:
        if self._admin is None:
            self._admin = _retry(
                "connect (admin)",
                lambda: KafkaAdminClient(
                    bootstrap_servers=self._servers(), client_id=f"{self.client_id}-admin"
                ),
                self.retry,
            )
        return self._admin

    def producer(self) -> KafkaProducer:
        """The shared producer (thread-safe), created on first use."""
        self._check_open()
        if self._producer is None:
            self._producer = _retry(
                "connect (producer)",
                lambda: KafkaProducer(
                    bootstrap_servers=self._servers(),
                    client_id=f"{self.client_id}-producer",
                    acks="all",
                    enable_idempotence=True,
                    compression_type=self.compression,
                    linger_ms=self.linger_ms,
                    batch_size=256 * 1024,
                    max_request_size=MAX_MESSAGE_BYTES,
                    delivery_timeout_ms=self.delivery_timeout_ms,
                    max_block_ms=self.delivery_timeout_ms,
                ),
                self.retry,
            )
        return self._producer

    def ensure_topic(self, topic: str) -> None:
        """Create the topic with our partition/replication settings unless it exists."""
        if topic in self._known_topics:
            return
        self._check_open()

        def create() -> None:
            admin = self._admin_client()
            if topic in set(admin.list_topics()):
                return
            try:
                admin.create_topics(
                    [
                        NewTopic(
                            name=topic,
                            num_partitions=self.partitions,
                            replication_factor=self.replication,
                            topic_configs={"max.message.bytes": str(MAX_MESSAGE_BYTES)},
                        )
                    ]
                )
                log.info("kafka.topic_created", topic=topic, partitions=self.partitions)
            except TopicAlreadyExistsError:
                pass

        _retry(f"create topic {topic}", create, self.retry)
        self._known_topics.add(topic)

    # -- publishing ------------------------------------------------------------------------
    def publish(
        self,
        topic: str,
        value: bytes,
        key: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        if not isinstance(value, bytes | bytearray):
            raise TypeError("message value must be bytes")
        self._check_open()
        self.ensure_topic(topic)
        producer = self.producer()
        hdrs = [(k, v.encode("utf-8")) for k, v in (headers or {}).items()] or None
        try:
            future = producer.send(
                topic, value=bytes(value), key=key.encode("utf-8") if key else None, headers=hdrs
            )
        except (KafkaError, OSError) as exc:
            raise translate(exc, f"publish to {topic}") from exc
        self._pending.append(future)
        if len(self._pending) >= 50_000:
            self._pending = [f for f in self._pending if not f.is_done or f.failed()]

    def publish_many(self, topic: str, items: Iterable[tuple[str | None, bytes]]) -> int:
        n = 0
        for key, value in items:
            self.publish(topic, value, key=key)
            n += 1
        self.flush()
        return n

    def flush(self) -> None:
        """Wait for every send; raise BusError naming how many the broker never acknowledged."""
        if self._producer is None:
            return
        try:
            self._producer.flush(timeout=self.delivery_timeout_ms / 1000 + 5)
        except (KafkaError, OSError) as exc:
            raise translate(exc, "flush") from exc
        pending, self._pending = self._pending, []
        failed = [f for f in pending if not f.is_done or f.failed()]
        if failed:
            first = next((f.exception for f in failed if f.is_done), None)
            error = translate(first, "send") if isinstance(first, Exception) else None
            cls = type(error) if error is not None else BusUnavailable
            raise cls(f"kafka did not acknowledge {len(failed)} message(s): {first!r}")

    # -- consuming -------------------------------------------------------------------------
    def consumer(self, topic: str, group: str) -> KafkaBusConsumer:
        self._check_open()
        self.ensure_topic(topic)
        return KafkaBusConsumer(self, topic, group)

    def _check_open(self) -> None:
        if self._closed:
            raise BusRejected("bus is closed")

    def close(self) -> None:
        if self._closed:
            return
        try:
            self.flush()
        finally:
            self._closed = True
            if self._producer is not None:
                self._producer.close(timeout=10)
            if self._admin is not None:
                self._admin.close()


_MEMBER_NUMBERS = itertools.count(1)


class _Handover(ConsumerRebalanceListener):
    """On revoke, commit what was processed but not yet committed, so the next owner skips it."""

    def __init__(self, owner: KafkaBusConsumer) -> None:
        self.owner = owner

    def on_partitions_revoked(self, revoked: Any) -> None:
        offsets = {tp: om for tp, om in self.owner._uncommitted.items() if tp in set(revoked)}
        if offsets:
            # runs inside the client's event loop: an async commit is queued before the rejoin
            self.owner._consumer.commit_async(offsets)
            log.info("kafka.revoke_commit", group=self.owner.group, partitions=len(offsets))
        for tp in revoked:
            self.owner._uncommitted.pop(tp, None)
        log.info(
            "kafka.partitions_revoked",
            group=self.owner.group,
            partitions=sorted(tp.partition for tp in revoked),
        )

    def on_partitions_assigned(self, assigned: Any) -> None:
        log.info(
            "kafka.partitions_assigned",
            group=self.owner.group,
            topic=self.owner.topic,
            partitions=sorted(tp.partition for tp in assigned),
        )


class KafkaBusConsumer(Consumer):
    """One member of a consumer group on one topic; commits only what it is told is done."""

    def __init__(self, bus: KafkaBus, topic: str, group: str) -> None:
        self.bus = bus
        self.topic = topic
        self.group = group
        self._polled: dict[TopicPartition, int] = {}  # highest offset polled per partition
        self._uncommitted: dict[TopicPartition, OffsetAndMetadata] = {}
        self._consumer: KafkaConsumer = _retry(
            "connect (consumer)",
            lambda: KafkaConsumer(
                bootstrap_servers=bus._servers(),
                # one id per member, as Kafka's Java client numbers them: two members of a group
                # in one process must not look like one client
                client_id=f"{bus.client_id}-{group}-{next(_MEMBER_NUMBERS)}",
                group_id=group,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                session_timeout_ms=bus.session_timeout_ms,
                heartbeat_interval_ms=max(1000, bus.session_timeout_ms // 4),
                max_poll_interval_ms=bus.max_poll_interval_ms,
                max_partition_fetch_bytes=MAX_MESSAGE_BYTES,
                fetch_max_bytes=max(MAX_MESSAGE_BYTES, 50 * 1024 * 1024),
            ),
            bus.retry,
        )
        self._consumer.subscribe([topic], listener=_Handover(self))
        self._closed = False

    def poll(self, max_messages: int = 256, timeout: float = 1.0) -> list[Message]:
        if self._closed:
            raise BusRejected("consumer is closed")
        records = _retry(
            f"poll {self.topic}",
            lambda: self._consumer.poll(
                timeout_ms=int(max(timeout, 0.0) * 1000), max_records=max_messages
            ),
            self.bus.retry,
        )
        out: list[Message] = []
        for tp, batch in records.items():
            for r in batch:
                out.append(
                    Message(
                        topic=r.topic,
                        value=r.value,
                        key=r.key.decode("utf-8", "replace") if r.key is not None else None,
                        partition=r.partition,
                        offset=r.offset,
                        timestamp_ms=r.timestamp or 0,
                        headers={
                            k: (v or b"").decode("utf-8", "replace") for k, v in (r.headers or [])
                        },
                    )
                )
            if batch:
                self._polled[tp] = max(self._polled.get(tp, -1), batch[-1].offset)
        return out

    def commit(self, messages: Sequence[Message] | None = None) -> None:
        if messages is not None and not messages:
            return
        if messages is None:
            upto = dict(self._polled)
        else:
            upto = {}
            for m in messages:
                tp = TopicPartition(m.topic, m.partition)
                upto[tp] = max(upto.get(tp, -1), m.offset)
        offsets = {tp: OffsetAndMetadata(o + 1, "", -1) for tp, o in upto.items()}
        if not offsets:
            return
        self._uncommitted.update(offsets)
        try:
            _retry(
                f"commit {self.topic}",
                lambda: self._commit(offsets),
                self.bus.retry,
            )
        except BusError as exc:
            if isinstance(exc.__cause__, _REBALANCE_ERRORS):
                # the partitions moved to another member, which starts from the last commit:
                # the work is redone there (at-least-once), never lost
                log.warning("kafka.commit_lost_to_rebalance", group=self.group, error=str(exc))
                return
            raise

    def _commit(self, offsets: dict[TopicPartition, OffsetAndMetadata]) -> None:
        try:
            self._consumer.commit(offsets, timeout_ms=self.bus.session_timeout_ms)
        except _REBALANCE_ERRORS as exc:
            # not retryable as is: keep only partitions we still own and let the caller decide
            owned = self._consumer.assignment()
            still = {tp: om for tp, om in offsets.items() if tp in owned}
            if still and len(still) < len(offsets):
                self._consumer.commit(still, timeout_ms=self.bus.session_timeout_ms)
                return
            raise BusRejected(f"commit lost to rebalance: {exc!r}") from exc
        for tp, om in offsets.items():
            if self._uncommitted.get(tp) == om:
                del self._uncommitted[tp]

    def lag(self) -> int:
        """Messages in the topic (all partitions) past this group's committed offsets."""

        def compute() -> int:
            parts = self._consumer.partitions_for_topic(self.topic) or set()
            tps = [TopicPartition(self.topic, p) for p in sorted(parts)]
            if not tps:
                return 0
            ends = self._consumer.end_offsets(tps)
            starts = self._consumer.beginning_offsets(tps)
            total = 0
            for tp in tps:
                committed = self._consumer.committed(tp)
                base = committed if committed is not None else starts.get(tp, 0)
                total += max(0, int(ends.get(tp, 0)) - int(base))
            return total

        return _retry(f"lag {self.topic}", compute, self.bus.retry)

    def assignment(self) -> set[int]:
        """Partitions of the topic this member owns now (for logs and tests)."""
        return {tp.partition for tp in self._consumer.assignment()}

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self._consumer.close(autocommit=False, timeout_ms=10_000)
        except KafkaError as exc:
            log.warning("kafka.consumer_close_failed", error=repr(exc))


__all__ = ["KafkaBus", "KafkaBusConsumer", "best_compression"]
