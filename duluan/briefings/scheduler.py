"""BriefingScheduler: send every due scheduled briefing; `run_due(now)` is called periodically.

A period is marked handled before delivery (like alert cooldowns), so a crash mid-delivery
never sends the same briefing twice; each target's outcome is in the delivery log.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from duluan.alerts.delivery import DeliveryConfig, DeliveryResult
from duluan.briefings.delivery import BriefingSender
from duluan.briefings.schedules import Schedule, ScheduleRepository
from duluan.briefings.service import render_briefing
from duluan.core.logging import get_logger
from duluan.core.models import utcnow
from duluan.core.settings import Settings, get_settings
from duluan.meta.source_runs import SourceRunRepository
from duluan.storage.base import Store
from duluan.watchlists.repository import WatchlistRepository

log = get_logger(__name__)


class BriefingScheduler:
    """Checks schedules against the clock; one failing schedule never stops the others."""

    def __init__(
        self,
        store: Store,
        schedules: ScheduleRepository,
        watchlists: WatchlistRepository,
        *,
        config: DeliveryConfig | None = None,
        sender: BriefingSender | None = None,
        settings: Settings | None = None,
        clock: Callable[[], datetime] = utcnow,
        runs: SourceRunRepository | None = None,
    ) -> None:
        """`runs`: the crawl runs briefings report failed runs from."""
        self.store = store
        self.runs = runs
        self.schedules = schedules
        self.watchlists = watchlists
        self.settings = settings
        self.sender = sender or BriefingSender(
            config or DeliveryConfig.from_settings(settings or get_settings())
        )
        self.clock = clock

    def run_due(self, now: datetime | None = None) -> list[DeliveryResult]:
        """Build, render and deliver every schedule that is due at `now`; returns the results."""
        now = now or self.clock()
        results: list[DeliveryResult] = []
        for schedule in self.schedules.list(enabled_only=True):
            period = schedule.due(now)
            if period is None:
                continue
            # of several scheduler replicas, one claims the period; the others skip it
            if not self.schedules.claim_period(schedule.id, period.end, now, "claimed"):
                continue
            try:
                results.extend(self.send(schedule, now=now))
            except Exception as exc:  # one bad schedule must not stop the loop
                log.exception("briefing.schedule_failed", schedule_id=schedule.id)
                self.schedules.set_status(schedule.id, f"error: {type(exc).__name__}: {exc}")
        return results

    def send(self, schedule: Schedule, *, now: datetime | None = None) -> list[DeliveryResult]:
        """Send the schedule's latest period now (due or not), to every target."""
        now = now or self.clock()
        period = schedule.latest_period(now)
        watchlist = self.watchlists.get(schedule.watchlist_id)
        if watchlist is None:
            self.schedules.mark_sent(schedule.id, period.end, now, "error: watchlist deleted")
            log.warning("briefing.watchlist_missing", schedule_id=schedule.id)
            return []
        self.schedules.mark_sent(schedule.id, period.end, now, "sending")
        doc = render_briefing(
            self.store,
            watchlist,
            period,
            fmt=schedule.format,
            lang=schedule.lang,
            settings=self.settings,
            now=now,
            schedule_id=schedule.id,
            runs=self.runs,
        )
        results = []
        for target in schedule.targets:
            result = self.sender.send(doc, target)
            self.schedules.record_delivery(schedule.id, period, result)
            log.info(
                "briefing.delivered",
                schedule_id=schedule.id,
                channel=result.channel,
                target=result.target,
                status=result.status,
            )
            results.append(result)
        ok = sum(r.status == "delivered" for r in results)
        self.schedules.set_status(schedule.id, f"delivered {ok}/{len(results)}")
        return results
