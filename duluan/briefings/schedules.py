"""Briefing schedules (daily / weekly / monthly, to webhooks or email) and their persistence.

Targets are the alert targets (`duluan.alerts.models`): HMAC-signed webhooks and SMTP email.
Tables `briefing_schedules` and `briefing_deliveries` live in the metadata database. Webhook
secrets are stored encrypted like the alerts' (`duluan.core.secretbox`); plain-text rows from
older versions are encrypted on open.
"""

from __future__ import annotations

import builtins
import json
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa
from pydantic import BaseModel, Field, SecretStr

from duluan.alerts.delivery import DeliveryResult
from duluan.alerts.models import Target, TargetIn, redact_targets
from duluan.briefings.period import DEFAULT_TIMEZONE, Period, zone
from duluan.core.inputs import StrictInput
from duluan.core.logging import get_logger
from duluan.core.models import utcnow
from duluan.core.secretbox import FROM_SETTINGS, SecretBox, resolve_secret_key
from duluan.meta.database import MetaDB, MetaRepository
from duluan.meta.secrets import BodySecrets
from duluan.meta.tables import briefing_deliveries as _DELIVERIES
from duluan.meta.tables import briefing_schedules as _T

log = get_logger(__name__)

Cadence = Literal["daily", "weekly", "monthly"]
Format = Literal["html", "pdf"]


class ScheduleCreate(StrictInput):
    """A request to send a watchlist's briefing every day, week or month (a request body:
    strict and closed)."""

    watchlist: str = Field(min_length=1, description="watchlist id or name")
    cadence: Cadence = "weekly"
    format: Format = "pdf"
    lang: Literal["vi", "en"] = "vi"
    timezone: str = Field(DEFAULT_TIMEZONE, description="IANA zone for period boundaries")
    send_hour: int = Field(7, ge=0, le=23, description="local hour after the period ends")
    targets: list[TargetIn] = Field(min_length=1, max_length=10)
    enabled: bool = True


class Schedule(BaseModel):
    """A stored schedule; `last_period_end` is the end of the last period sent."""

    id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    watchlist_id: str
    cadence: Cadence = "weekly"
    format: Format = "pdf"
    lang: Literal["vi", "en"] = "vi"
    timezone: str = DEFAULT_TIMEZONE
    send_hour: int = Field(7, ge=0, le=23)
    targets: list[Target] = Field(default_factory=list)
    enabled: bool = True
    created_at: datetime = Field(default_factory=utcnow)
    last_period_end: datetime | None = None
    last_run_at: datetime | None = None
    last_status: str | None = None

    def redacted(self, *, admin: bool = True) -> dict[str, Any]:
        """JSON-ready, with webhook secrets masked (URLs and recipients too for non-admins)."""
        return redact_targets(self.model_dump(mode="json"), admin=admin)

    def latest_period(self, now: datetime) -> Period:
        """The last whole day / ISO week / calendar month that ended at or before `now`."""
        tz = zone(self.timezone)
        today = now.astimezone(tz).date()

        def midnight(d: date) -> datetime:
            return datetime(d.year, d.month, d.day, tzinfo=tz)

        if self.cadence == "daily":
            return Period(midnight(today - timedelta(days=1)), midnight(today))
        if self.cadence == "weekly":
            monday = today - timedelta(days=today.weekday())
            return Period(midnight(monday - timedelta(days=7)), midnight(monday))
        first = today.replace(day=1)
        prev_first = (first - timedelta(days=1)).replace(day=1)
        return Period(midnight(prev_first), midnight(first))

    def send_at(self, period: Period) -> datetime:
        return period.end + timedelta(hours=self.send_hour)

    def due(self, now: datetime) -> Period | None:
        """The period to send now, if any: ended, past the send hour, not sent, not stale."""
        if not self.enabled:
            return None
        period = self.latest_period(now)
        send_at = self.send_at(period)
        if now < send_at or send_at < self.created_at:
            return None
        if self.last_period_end is not None and self.last_period_end >= period.end:
            return None
        return period


class ScheduleRepository(MetaRepository):
    """CRUD for schedules plus the briefing delivery log; thread-safe."""

    def __init__(
        self, db: MetaDB | Path | str, *, secret_key: str | SecretStr | None = FROM_SETTINGS
    ) -> None:
        """`secret_key`: the key for webhook secrets (pass `settings.secret_key`); default the
        global setting, for callers without a settings object."""
        super().__init__(db)
        self._secrets = BodySecrets(
            SecretBox.for_db(self.db.key_base, resolve_secret_key(secret_key)),
            self.db,
            _T,
            "schedule_id",
            "the schedule is recreated with a new secret",
            log,
        )
        self._secrets.migrate()

    def save(self, schedule: Schedule) -> Schedule:
        """Insert or replace the configuration (webhook secrets encrypted); run state is kept."""
        data = schedule.model_dump(
            mode="json", exclude={"last_period_end", "last_run_at", "last_status"}
        )
        self._secrets.encrypt(data)
        values = {
            "id": schedule.id,
            "watchlist_id": schedule.watchlist_id,
            "enabled": int(schedule.enabled),
            "body": json.dumps(data, ensure_ascii=False),
            "created_at": schedule.created_at.isoformat(),
        }
        with self.db.write() as conn:
            self.db.upsert(conn, _T, values, ["id"], ["watchlist_id", "enabled", "body"])
        saved = self.get(schedule.id)
        assert saved is not None
        return saved

    def get(self, schedule_id: str) -> Schedule | None:
        rows = self.db.rows(sa.select(_T).where(_T.c.id == schedule_id))
        return self._schedule(rows[0]) if rows else None

    def list(self, enabled_only: bool = False, watchlist_id: str | None = None) -> list[Schedule]:
        stmt = sa.select(_T)
        if enabled_only:
            stmt = stmt.where(_T.c.enabled == 1)
        if watchlist_id:
            stmt = stmt.where(_T.c.watchlist_id == watchlist_id)
        return [self._schedule(r) for r in self.db.rows(stmt.order_by(_T.c.created_at, _T.c.id))]

    def delete(self, schedule_id: str) -> bool:
        return self.db.run(_T.delete().where(_T.c.id == schedule_id)).rowcount > 0

    def mark_sent(self, schedule_id: str, period_end: datetime, at: datetime, status: str) -> None:
        """Remember the period as handled (before delivering: a crash must not send it twice)."""
        self.db.run(
            _T.update()
            .where(_T.c.id == schedule_id)
            .values(
                last_period_end=period_end.isoformat(),
                last_run_at=at.isoformat(),
                last_status=status,
            )
        )

    def claim_period(
        self, schedule_id: str, period_end: datetime, at: datetime, status: str
    ) -> bool:
        """`mark_sent` for one of several schedulers: True only for the first to claim it."""
        end = period_end.isoformat()
        stmt = (
            _T.update()
            .where(
                _T.c.id == schedule_id,
                sa.or_(_T.c.last_period_end.is_(None), _T.c.last_period_end < end),
            )
            .values(last_period_end=end, last_run_at=at.isoformat(), last_status=status)
        )
        return self.db.run(stmt).rowcount == 1

    def set_status(self, schedule_id: str, status: str) -> None:
        self.db.run(_T.update().where(_T.c.id == schedule_id).values(last_status=status[:500]))

    def _schedule(self, row: Any) -> Schedule:
        """The schedule with its webhook secrets decrypted (legacy plain text passes)."""
        data = json.loads(row.body)
        self._secrets.decrypt(row.id, data)
        data["enabled"] = bool(row.enabled)
        data["last_period_end"] = row.last_period_end
        data["last_run_at"] = row.last_run_at
        data["last_status"] = row.last_status
        return Schedule.model_validate(data)

    def record_delivery(self, schedule_id: str, period: Period, result: DeliveryResult) -> None:
        self.db.run(
            _DELIVERIES.insert().values(
                schedule_id=schedule_id,
                period_start=period.start.isoformat(),
                period_end=period.end.isoformat(),
                body=result.model_dump_json(),
            )
        )

    def deliveries(
        self, schedule_id: str | None = None, limit: int = 100
    ) -> builtins.list[dict[str, Any]]:
        """Newest first: period and the DeliveryResult fields."""
        stmt = sa.select(_DELIVERIES)
        if schedule_id:
            stmt = stmt.where(_DELIVERIES.c.schedule_id == schedule_id)
        rows = self.db.rows(stmt.order_by(_DELIVERIES.c.id.desc()).limit(limit))
        return [
            {
                "schedule_id": r.schedule_id,
                "period_start": r.period_start,
                "period_end": r.period_end,
                **json.loads(r.body),
            }
            for r in rows
        ]

    def __enter__(self) -> ScheduleRepository:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
