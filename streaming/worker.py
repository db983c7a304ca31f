"""A stage as a loop over the Bus: poll a batch, process, commit; bad messages are dead-lettered.

Subclasses say what a batch means. Exceptions say what to do: `Quarantine` a message that can
never succeed (dead letter), `Retry` (or the bus/store errors) when the world is briefly broken
(back off, keep our place, try the same batch again).
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from types import FrameType

from duluan.core.logging import get_logger
from duluan.core.metrics import BATCH_SECONDS, CONSUMER_LAG, MESSAGES, RETRIES
from duluan.storage.base import StoreError
from streaming.bus import Bus, BusError, Consumer, Message

log = get_logger(__name__)


class Quarantine(Exception):
    """This message can never be processed: route it to the dead-letter topic."""


class Retry(Exception):
    """A transient failure: back off and process the same batch again."""


@dataclass
class WorkerStats:
    processed: int = 0
    dead: int = 0
    batches: int = 0
    retries: int = 0
    errors: list[str] = field(default_factory=list)


class Worker(ABC):
    """Poll → process → commit, with batching, backoff and graceful shutdown."""

    stage = "worker"

    def __init__(
        self,
        bus: Bus,
        topic: str,
        group: str,
        *,
        batch_size: int = 256,
        poll_timeout: float = 0.5,
        max_backoff: float = 30.0,
    ) -> None:
        self.bus = bus
        self.topic = topic
        self.group = group
        self.batch_size = batch_size
        self.poll_timeout = poll_timeout
        self.max_backoff = max_backoff
        self.stop_event = threading.Event()
        self.stats = WorkerStats()

    @abstractmethod
    def process(self, messages: list[Message]) -> list[tuple[Message, str]]:
        """Do the work for a batch; return (message, error) pairs to dead-letter."""

    def install_signal_handlers(self) -> None:
        """SIGINT/SIGTERM finish the current batch, commit, and exit the loop."""

        def handler(signum: int, frame: FrameType | None) -> None:
            log.info("worker.stopping", stage=self.stage, signal=signum)
            self.stop_event.set()

        signal.signal(signal.SIGINT, handler)
        signal.signal(signal.SIGTERM, handler)

    def run(
        self,
        *,
        max_idle: float | None = None,
        max_messages: int | None = None,
        on_batch: Callable[[WorkerStats], None] | None = None,
    ) -> WorkerStats:
        """Loop until stopped, idle for `max_idle` seconds, or `max_messages` are handled."""
        consumer = self._open_consumer()
        idle_since = time.monotonic()
        log.info("worker.started", stage=self.stage, topic=self.topic, group=self.group)
        try:
            while not self.stop_event.is_set():
                if (
                    max_messages is not None
                    and self.stats.processed + self.stats.dead >= max_messages
                ):
                    break
                try:
                    batch = consumer.poll(self.batch_size, self.poll_timeout)
                except BusError as exc:
                    self._backoff("poll", exc)
                    consumer = self._reopen(consumer)
                    continue
                if not batch:
                    if max_idle is not None and time.monotonic() - idle_since >= max_idle:
                        if self._pending(consumer) == 0:
                            break
                        idle_since = time.monotonic()  # blocked (e.g. a lease), not idle
                    continue
                idle_since = time.monotonic()
                self._handle(consumer, batch)
                if on_batch:
                    on_batch(self.stats)
        finally:
            try:
                consumer.close()
            except Exception as exc:  # closing must never hide the real error
                log.warning("worker.close_failed", stage=self.stage, error=str(exc))
            log.info(
                "worker.stopped",
                stage=self.stage,
                processed=self.stats.processed,
                dead=self.stats.dead,
                retries=self.stats.retries,
            )
        return self.stats

    @staticmethod
    def _pending(consumer: Consumer) -> int:
        try:
            return consumer.lag()
        except Exception:  # an unknown lag is not a reason to stay
            return 0

    def _open_consumer(self) -> Consumer:
        attempt = 0
        while True:
            try:
                return self.bus.consumer(self.topic, self.group)
            except BusError as exc:
                attempt += 1
                self._backoff("connect", exc, attempt)
                if self.stop_event.is_set():
                    raise

    def _reopen(self, consumer: Consumer) -> Consumer:
        with contextlib.suppress(Exception):
            consumer.close()
        return self._open_consumer()

    def _backoff(self, what: str, exc: Exception, attempt: int = 1) -> None:
        delay = min(self.max_backoff, 0.2 * 2 ** min(attempt, 10))
        self.stats.retries += 1
        RETRIES.labels(self.stage, type(exc).__name__).inc()
        log.warning("worker.retry", stage=self.stage, what=what, error=str(exc)[:300], delay=delay)
        self.stop_event.wait(delay)

    def _handle(self, consumer: Consumer, batch: list[Message]) -> None:
        """Process until it succeeds or we are told to stop; commit only after success."""
        attempt = 0
        while True:
            started = time.monotonic()
            try:
                dead = self.process(batch)
            except (Retry, StoreError, BusError) as exc:
                attempt += 1
                self._backoff("process", exc, attempt)
                if self.stop_event.is_set():
                    return  # not committed: the batch is delivered again after restart
                continue
            for message, error in dead:
                self.bus.dead_letter(message, error, self.stage)
                MESSAGES.labels(self.stage, "dead").inc()
                log.warning(
                    "worker.dead_letter",
                    stage=self.stage,
                    key=message.key,
                    offset=message.offset,
                    error=error[:300],
                )
            ok = len(batch) - len(dead)
            while True:
                try:
                    consumer.commit(batch)
                    break
                except BusError as exc:
                    attempt += 1
                    self._backoff("commit", exc, attempt)
                    if self.stop_event.is_set():
                        return
            self.stats.processed += ok
            self.stats.dead += len(dead)
            self.stats.batches += 1
            MESSAGES.labels(self.stage, "ok").inc(ok)
            BATCH_SECONDS.labels(self.stage).observe(time.monotonic() - started)
            if self.stats.batches % 10 == 1:
                with contextlib.suppress(Exception):  # lag is informative only
                    CONSUMER_LAG.labels(self.stage).set(consumer.lag())
            return
