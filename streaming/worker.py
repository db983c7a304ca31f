"""A stage as a loop over the Bus: poll a batch, process, commit; bad messages are dead-lettered.

Subclasses say what a batch means. Exceptions say what to do:
- permanent (`Quarantine`, `StoreRejected`, `BusRejected`): the message can never succeed. A
  batch that fails so is re-run one message at a time; the culprit is dead-lettered, the rest go on.
- transient (`Retry`, `StoreUnavailable`, `BusUnavailable`, a bare StoreError/BusError): the
  world is briefly broken; keep our place and retry the same batch under the capped policy.
- anything else, or retries exhausted: the loop logs one `worker.failed` line and raises, so a
  standalone worker exits non-zero and `duluan run` restarts the stage.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from types import FrameType
from typing import TypeVar

from duluan.core.logging import get_logger
from duluan.core.metrics import BATCH_SECONDS, CONSUMER_LAG, MESSAGES, RETRIES
from duluan.core.retry import RetryPolicy
from duluan.core.settings import Settings
from duluan.storage.base import StoreError, StoreRejected
from streaming.bus import Bus, BusError, BusRejected, Consumer, Message

log = get_logger(__name__)
T = TypeVar("T")


class Quarantine(Exception):
    """This message can never be processed: route it to the dead-letter topic."""


class Retry(Exception):
    """A transient failure: back off and process the same batch again."""


def is_permanent(exc: BaseException) -> bool:
    """True for errors that retrying the same message cannot fix."""
    return isinstance(exc, Quarantine | StoreRejected | BusRejected)


def is_transient(exc: BaseException) -> bool:
    """True for errors worth retrying: the bus or store is away, busy or slow."""
    return isinstance(exc, Retry | StoreError | BusError) and not is_permanent(exc)


class _Stopped(Exception):
    """Told to stop while retrying: leave the batch uncommitted (delivered again later)."""


@dataclass
class WorkerStats:
    processed: int = 0
    dead: int = 0
    batches: int = 0
    retries: int = 0
    errors: list[str] = field(default_factory=list)


class Worker(ABC):
    """Poll → process → commit, with batching, capped retries and graceful shutdown."""

    stage = "worker"

    def __init__(
        self,
        bus: Bus,
        topic: str,
        group: str,
        *,
        batch_size: int = 256,
        poll_timeout: float = 0.5,
        max_backoff: float | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.bus = bus
        self.topic = topic
        self.group = group
        self.batch_size = batch_size
        self.poll_timeout = poll_timeout
        policy = retry or RetryPolicy.for_workers(Settings.model_construct())
        self.retry = policy if max_backoff is None else policy.replace(max_wait_s=max_backoff)
        self.stop_event = threading.Event()
        self.stats = WorkerStats()
        self._lag_reported_at = 0.0
        self._consumer: Consumer | None = None

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
        """Loop until stopped, idle for `max_idle` seconds, or `max_messages` are handled.

        Raises (after one `worker.failed` log line) when it cannot go on.
        """
        log.info("worker.started", stage=self.stage, topic=self.topic, group=self.group)
        idle_since = time.monotonic()
        try:
            self._retrying("connect", self._connect)
            while not self.stop_event.is_set():
                if (
                    max_messages is not None
                    and self.stats.processed + self.stats.dead >= max_messages
                ):
                    break
                batch = self._retrying("poll", self._poll)
                if not batch:
                    self._report_lag(every_s=2.0)
                    if max_idle is not None and time.monotonic() - idle_since >= max_idle:
                        if self._pending() == 0:
                            break
                        idle_since = time.monotonic()  # blocked (e.g. a lease), not idle
                    continue
                idle_since = time.monotonic()
                self._handle(batch)
                if on_batch:
                    on_batch(self.stats)
        except _Stopped:
            pass  # what was not committed is delivered again after a restart
        except Exception as exc:
            log.error(
                "worker.failed",
                stage=self.stage,
                error_type=type(exc).__name__,
                error=str(exc)[:500],
                transient=is_transient(exc),
                processed=self.stats.processed,
                dead=self.stats.dead,
                retries=self.stats.retries,
            )
            raise
        finally:
            self._close_consumer()
            log.info(
                "worker.stopped",
                stage=self.stage,
                processed=self.stats.processed,
                dead=self.stats.dead,
                retries=self.stats.retries,
            )
        return self.stats

    # -- the bus, with the consumer reopened after a failure ---------------------------------
    def _connect(self) -> Consumer:
        if self._consumer is None:
            self._consumer = self.bus.consumer(self.topic, self.group)
        return self._consumer

    def _poll(self) -> list[Message]:
        consumer = self._connect()
        try:
            return consumer.poll(self.batch_size, self.poll_timeout)
        except BusError:
            self._close_consumer()  # the next try joins again
            raise

    def _commit(self, batch: list[Message]) -> None:
        self._connect().commit(batch)

    def _close_consumer(self) -> None:
        consumer, self._consumer = self._consumer, None
        if consumer is not None:
            try:
                consumer.close()
            except Exception as exc:  # closing must never hide the real error
                log.warning("worker.close_failed", stage=self.stage, error=str(exc))

    def _pending(self) -> int:
        try:
            return self._connect().lag()
        except Exception:  # an unknown lag is not a reason to stay
            return 0

    def _retrying(self, what: str, fn: Callable[[], T]) -> T:
        """fn() under the worker's retry policy; `_Stopped` when told to stop meanwhile."""

        def counted(exc: BaseException, attempt: int, wait: float) -> None:
            self.stats.retries += 1
            RETRIES.labels(self.stage, type(exc).__name__).inc()

        try:
            return self.retry.call(
                fn,
                retry_on=is_transient,
                what=f"{self.stage} {what}",
                stop_event=self.stop_event,
                on_retry=counted,
            )
        except Exception as exc:
            if self.stop_event.is_set() and is_transient(exc):
                raise _Stopped() from exc
            raise

    # -- one batch ---------------------------------------------------------------------------
    def _process(self, batch: list[Message]) -> list[tuple[Message, str]]:
        """Dead letters of a batch; a permanent error re-runs it message by message."""
        try:
            return self._retrying("process", lambda: self.process(batch))
        except Exception as exc:
            if not is_permanent(exc):
                raise
            if len(batch) == 1:
                return [(batch[0], f"{type(exc).__name__}: {exc}"[:1000])]
            log.warning(
                "worker.isolating",
                stage=self.stage,
                batch=len(batch),
                error_type=type(exc).__name__,
                error=str(exc)[:300],
            )
            return [d for message in batch for d in self._process([message])]

    def _handle(self, batch: list[Message]) -> None:
        """Process (retrying), dead-letter, then commit: nothing is committed before it is done."""
        started = time.monotonic()
        dead = self._process(batch)
        for message, error in dead:
            self._retrying("dead-letter", partial(self.bus.dead_letter, message, error, self.stage))
            MESSAGES.labels(self.stage, "dead").inc()
            log.warning(
                "worker.dead_letter",
                stage=self.stage,
                key=message.key,
                offset=message.offset,
                error=error[:300],
            )
        self._retrying("commit", lambda: self._commit(batch))
        ok = len(batch) - len(dead)
        self.stats.processed += ok
        self.stats.dead += len(dead)
        self.stats.batches += 1
        MESSAGES.labels(self.stage, "ok").inc(ok)
        BATCH_SECONDS.labels(self.stage).observe(time.monotonic() - started)
        self._report_lag()

    def _report_lag(self, every_s: float = 1.0) -> None:
        """Keep the lag gauge current (after batches and while idle, so it returns to 0 when
        drained), at most once per `every_s`."""
        now = time.monotonic()
        if now - self._lag_reported_at < every_s:
            return
        self._lag_reported_at = now
        with contextlib.suppress(Exception):  # lag is informative only
            CONSUMER_LAG.labels(self.stage).set(self._connect().lag())
