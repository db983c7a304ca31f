"""AlertRunner: evaluate every enabled subscription every N seconds, record and deliver.

Runs as a thread inside `duluan run` (`start()` / `stop()`) or in the foreground as
`duluan alerts` (`run_forever()`). One failing subscription never stops the others.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime

from duluan.alerts.delivery import Notifier
from duluan.alerts.evaluate import AlertEvent, EvalOptions, explain
from duluan.alerts.repository import AlertRepository
from duluan.core.logging import get_logger
from duluan.core.models import utcnow
from duluan.meta.source_runs import SourceRunRepository
from duluan.storage.base import Store

log = get_logger(__name__)


class AlertRunner:
    """Periodic evaluation loop with a stop event; `run_once` is the unit tests call."""

    def __init__(
        self,
        store: Store,
        repo: AlertRepository,
        notifier: Notifier,
        *,
        interval_s: float = 60.0,
        options: EvalOptions | None = None,
        clock: Callable[[], datetime] = utcnow,
        runs: SourceRunRepository | None = None,
    ) -> None:
        """`runs`: the crawl runs silent-source rules read (duluan.alerts.evaluate.explain)."""
        self.store = store
        self.runs = runs
        self.repo = repo
        self.notifier = notifier
        self.interval_s = interval_s
        self.options = options or EvalOptions()
        self.clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self, now: datetime | None = None) -> list[AlertEvent]:
        """Evaluate all enabled subscriptions once; returns the events that fired."""
        now = now or self.clock()
        fired: list[AlertEvent] = []
        for sub in self.repo.list_subscriptions(enabled_only=True):
            try:
                result = explain(sub, self.store, now, options=self.options, runs=self.runs)
            except Exception as exc:  # one bad subscription must not stop the loop
                log.exception("alert evaluation failed", subscription_id=sub.id)
                self.repo.mark_evaluated(sub.id, now, "error", f"{type(exc).__name__}: {exc}")
                continue
            self.repo.mark_evaluated(sub.id, now, result.status, result.detail)
            if result.event is None:
                continue
            event = result.event
            # Claim the window and start the cooldown before delivering: of several evaluator
            # replicas only one wins the claim, and a crash mid-delivery must not make the
            # next round fire (and deliver) the same alert again.
            if not self.repo.claim_firing(sub.id, now, sub.last_fired_at):
                log.info("alert fired by another evaluator", subscription_id=sub.id)
                continue
            self.repo.record_event(event)
            log.info(
                "alert fired", subscription_id=sub.id, rule=event.rule_type, summary=event.summary
            )
            try:
                self.notifier.deliver(event, sub)
            except Exception:
                log.exception("alert delivery failed", subscription_id=sub.id, event_id=event.id)
            fired.append(event)
        return fired

    def run_forever(self, stop: threading.Event | None = None) -> None:
        """Loop until `stop` (or `self.stop()`) is set; each round starts `interval_s` apart."""
        stop = stop or self._stop
        log.info("alert runner started", interval_s=self.interval_s)
        while not stop.is_set():
            started = self.clock()
            try:
                self.run_once(started)
            except Exception:  # e.g. the repository is briefly locked: try next round
                log.exception("alert round failed")
            elapsed = (self.clock() - started).total_seconds()
            stop.wait(max(0.0, self.interval_s - elapsed))
        log.info("alert runner stopped")

    def start(self) -> threading.Thread:
        """Run in a daemon thread (for `duluan run`)."""
        if self._thread and self._thread.is_alive():
            return self._thread
        self._stop.clear()
        self._thread = threading.Thread(target=self.run_forever, name="duluan-alerts", daemon=True)
        self._thread.start()
        return self._thread

    def stop(self, timeout: float | None = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
