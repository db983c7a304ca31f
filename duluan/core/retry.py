"""One retry policy for the bus, the stores and the workers: capped tries, capped time, jitter.

Every retried call in duluan goes through `RetryPolicy.call` (tenacity underneath), so a flaky
broker and a flaky node are retried the same way and always give up in bounded time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    retry_if_exception_type,
    stop_after_attempt,
    stop_after_delay,
    stop_when_event_set,
    wait_exponential,
    wait_random_exponential,
)
from tenacity.stop import stop_base

from duluan.core.logging import get_logger
from duluan.core.settings import Settings

log = get_logger(__name__)

T = TypeVar("T")
ExcTypes = type[BaseException] | tuple[type[BaseException], ...]
RetryOn = ExcTypes | Callable[[BaseException], bool]  # exception types, or a predicate


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry: exponential waits with jitter, capped per wait and total."""

    attempts: int
    initial_s: float
    max_wait_s: float
    max_delay_s: float

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        """The policy for one bus or store call."""
        return cls(
            attempts=settings.retry_attempts,
            initial_s=settings.retry_initial_s,
            max_wait_s=settings.retry_max_wait_s,
            max_delay_s=settings.retry_max_delay_s,
        )

    @classmethod
    def for_workers(cls, settings: Settings) -> RetryPolicy:
        """The policy for a stage retrying one batch (outlasts a short outage, then gives up)."""
        return cls(
            attempts=settings.worker_retry_attempts,
            initial_s=settings.retry_initial_s,
            max_wait_s=settings.retry_max_wait_s,
            max_delay_s=settings.worker_retry_max_delay_s,
        )

    @classmethod
    def defaults(cls) -> RetryPolicy:
        """The call policy from the settings' defaults (for objects built without settings)."""
        return cls.from_settings(Settings.model_construct())

    def replace(self, **changes: Any) -> RetryPolicy:
        return RetryPolicy(**{**self.__dict__, **changes})

    def retrying(
        self,
        retry_on: RetryOn,
        *,
        what: str,
        stop_event: threading.Event | None = None,
        on_retry: Callable[[BaseException, int, float], None] | None = None,
        **log_fields: Any,
    ) -> Retrying:
        """A tenacity `Retrying` for this policy; the last error is re-raised when it gives up."""
        stop: stop_base = stop_after_attempt(self.attempts) | stop_after_delay(self.max_delay_s)
        half_i, half_m = self.initial_s / 2, self.max_wait_s / 2
        # "equal jitter": half of the capped exponential wait is fixed, half random, so many
        # consumers failing together do not retry in step yet none retries at once
        wait = wait_exponential(multiplier=half_i, max=half_m) + wait_random_exponential(
            multiplier=half_i, max=half_m
        )
        sleep: Callable[[float], Any] = time.sleep
        if stop_event is not None:
            stop = stop | stop_when_event_set(stop_event)
            sleep = stop_event.wait

        def before_sleep(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            delay = state.next_action.sleep if state.next_action else 0.0
            log.warning(
                "retry",
                what=what,
                attempt=state.attempt_number,
                error_type=type(exc).__name__,
                error=str(exc)[:300],
                wait_s=round(delay, 3),
                **log_fields,
            )
            if on_retry is not None and exc is not None:
                on_retry(exc, state.attempt_number, delay)

        return Retrying(
            stop=stop,
            wait=wait,
            retry=retry_if_exception_type(retry_on)
            if isinstance(retry_on, type | tuple)
            else retry_if_exception(retry_on),
            before_sleep=before_sleep,
            sleep=sleep,
            reraise=True,
        )

    def call(
        self,
        fn: Callable[[], T],
        *,
        retry_on: RetryOn,
        what: str,
        stop_event: threading.Event | None = None,
        on_retry: Callable[[BaseException, int, float], None] | None = None,
        **log_fields: Any,
    ) -> T:
        """`fn()`, retried on `retry_on` under this policy; other errors propagate at once."""
        retrying = self.retrying(
            retry_on, what=what, stop_event=stop_event, on_retry=on_retry, **log_fields
        )
        return retrying(fn)
