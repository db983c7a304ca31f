"""The Bus interface: publish, consume in a named group, commit after work, dead-letter.

Delivery is at-least-once: a message is delivered again to its group until a consumer of that
group commits it, so work is committed only after it is durably done.
"""

from __future__ import annotations

import base64
import json
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime


@dataclass(frozen=True)
class Message:
    """One record read from a topic; `partition` and `offset` locate it for commits."""

    topic: str
    value: bytes
    key: str | None = None
    partition: int = 0
    offset: int = 0
    timestamp_ms: int = 0
    headers: dict[str, str] = field(default_factory=dict)


class BusError(RuntimeError):
    """Anything a Bus could not do; implementations raise only this family, never their client's.

    Raise a subclass: `BusUnavailable` (retry later) or `BusRejected` (never retry). A bare
    BusError is treated as retryable by the workers (the retries are capped).
    """


class BusUnavailable(BusError):
    """The broker or bus file is away, busy or timed out: the same call may succeed later."""


class BusRejected(BusError):
    """The bus refused this call for good (message too large, closed bus, corrupt file)."""


class Consumer(ABC):
    """A member of a consumer group reading one topic."""

    @abstractmethod
    def poll(self, max_messages: int = 256, timeout: float = 1.0) -> list[Message]:
        """Up to `max_messages` messages not yet committed by this group (waits up to timeout)."""

    @abstractmethod
    def commit(self, messages: Sequence[Message] | None = None) -> None:
        """Mark these messages (default: all polled so far) done for the group."""

    @abstractmethod
    def lag(self) -> int:
        """Messages in the topic not yet committed by this group."""

    @abstractmethod
    def close(self) -> None:
        """Leave the group; uncommitted messages will be delivered again."""

    def __enter__(self) -> Consumer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Bus(ABC):
    """Topics of byte messages shared by the pipeline's processes."""

    dead_letter_topic: str = "posts.dead"

    @abstractmethod
    def publish(
        self,
        topic: str,
        value: bytes,
        key: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Append one message (durable once `flush` returns)."""

    def publish_many(self, topic: str, items: Iterable[tuple[str | None, bytes]]) -> int:
        """Append many (key, value) messages; returns how many."""
        n = 0
        for key, value in items:
            self.publish(topic, value, key=key)
            n += 1
        self.flush()
        return n

    @abstractmethod
    def flush(self) -> None:
        """Block until everything published so far is durable."""

    @abstractmethod
    def consumer(self, topic: str, group: str) -> Consumer:
        """Join consumer group `group` on `topic`."""

    def group_lag(self, topic: str, group: str) -> int:
        """Messages of `topic` not yet committed by `group`, without joining the group."""
        consumer = self.consumer(topic, group)
        try:
            return consumer.lag()
        finally:
            consumer.close()

    def dead_letter(self, message: Message, error: str, stage: str) -> None:
        """Route a message that cannot be processed to the dead-letter topic, with its error."""
        self.publish(
            self.dead_letter_topic,
            dead_letter_record(message, error, stage),
            key=message.key,
            headers={"error": error[:200], "stage": stage, "origin_topic": message.topic},
        )
        self.flush()

    @abstractmethod
    def close(self) -> None:
        """Flush and release connections / files."""

    def __enter__(self) -> Bus:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def dead_letter_record(message: Message, error: str, stage: str) -> bytes:
    """JSON envelope keeping the error and the original bytes (base64) so nothing is lost."""
    return json.dumps(
        {
            "stage": stage,
            "error": error,
            "topic": message.topic,
            "partition": message.partition,
            "offset": message.offset,
            "key": message.key,
            "value_b64": base64.b64encode(message.value).decode("ascii"),
            "dead_at": datetime.now(UTC).isoformat(),
        },
        ensure_ascii=False,
    ).encode("utf-8")
