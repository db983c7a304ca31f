"""Which pipeline stages are running: written by the stage supervisor, read by /readyz.

Under `duluan run` the stages and the API share one process, so one registry per process
(like the Prometheus registry) is enough; the API reads it without knowing the pipeline.
"""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass, replace

from duluan.core.metrics import STAGE_LAST_FAILURE, STAGE_RESTARTS, STAGE_UP


@dataclass(frozen=True)
class StageHealth:
    """One stage's state as the supervisor last saw it."""

    stage: str
    up: bool = False
    restarts: int = 0
    last_error: str | None = None
    last_error_at: float | None = None  # Unix time


class HealthRegistry:
    """Thread-safe stage states; every change is mirrored in the stage metrics."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stages: dict[str, StageHealth] = {}

    def _set(self, stage: str, **changes: object) -> None:
        with self._lock:
            current = self._stages.get(stage) or StageHealth(stage)
            self._stages[stage] = replace(current, **changes)  # type: ignore[arg-type]

    def mark_up(self, stage: str) -> None:
        self._set(stage, up=True)
        STAGE_UP.labels(stage).set(1)

    def mark_down(self, stage: str, error: BaseException | str) -> None:
        """The stage died of `error` (an exception, or a description such as an exit code)."""
        kind = type(error).__name__ if isinstance(error, BaseException) else "exit"
        text = f"{kind}: {error}" if isinstance(error, BaseException) else str(error)
        now = time.time()
        self._set(stage, up=False, last_error=text[:500], last_error_at=now)
        STAGE_UP.labels(stage).set(0)
        STAGE_LAST_FAILURE.labels(stage, kind).set(now)

    def count_restart(self, stage: str) -> None:
        with self._lock:
            current = self._stages.get(stage) or StageHealth(stage)
            self._stages[stage] = replace(current, restarts=current.restarts + 1)
        STAGE_RESTARTS.labels(stage).inc()

    def remove(self, stage: str) -> None:
        """Forget a stage that was stopped on purpose (it is no longer expected to run)."""
        with self._lock:
            self._stages.pop(stage, None)
        with contextlib.suppress(KeyError):  # never marked
            STAGE_UP.remove(stage)

    def snapshot(self) -> dict[str, StageHealth]:
        with self._lock:
            return dict(self._stages)

    def down(self) -> list[StageHealth]:
        """The stages expected to run that are not running now."""
        return [s for s in self.snapshot().values() if not s.up]


STAGES = HealthRegistry()
"""This process's registry (the supervisor of `duluan run` writes it, /readyz reads it)."""
