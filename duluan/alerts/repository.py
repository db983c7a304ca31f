"""Alert persistence: subscriptions, fired events, the delivery log and detector state.

Tables `alert_*` and `insights_state` in the metadata database (`duluan.meta`: the SQLite file
by default, PostgreSQL when `DULUAN_META_URL` says so). Thread-safe (a connection pool): the
runner thread and API requests share it. Webhook secrets and URLs are stored encrypted
(`duluan.core.secretbox`); plain-text rows from older versions are encrypted on open. Firing is
claimed with a compare-and-set on `last_fired_at`, so any number of evaluators fire once.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from pydantic import SecretStr

from duluan.alerts.delivery import DeliveryResult
from duluan.alerts.evaluate import AlertEvent
from duluan.alerts.models import Subscription
from duluan.core.logging import get_logger
from duluan.core.secretbox import FROM_SETTINGS, SecretBox, resolve_secret_key
from duluan.meta.database import MetaDB, MetaRepository
from duluan.meta.secrets import BodySecrets
from duluan.meta.tables import alert_deliveries, alert_events, alert_subscriptions, insights_state

log = get_logger(__name__)

_STATE_FIELDS = ("last_fired_at", "last_evaluated_at")
_SUBS, _EVENTS, _DELIVERIES, _STATE = (
    alert_subscriptions,
    alert_events,
    alert_deliveries,
    insights_state,
)


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


class AlertRepository(MetaRepository):
    """CRUD for subscriptions, plus append-only event history and delivery log."""

    def __init__(
        self, db: MetaDB | Path | str, *, secret_key: str | SecretStr | None = FROM_SETTINGS
    ) -> None:
        """`db`: the metadata database (or a SQLite file / URL to open); `secret_key`: the key
        for webhook secrets, default the `secret_key` setting."""
        super().__init__(db)
        self._secrets = BodySecrets(
            SecretBox.for_db(self.db.key_base, resolve_secret_key(secret_key)),
            self.db,
            _SUBS,
            "subscription_id",
            "it is set again",
            log,
        )
        self._secrets.migrate()

    # -- subscriptions ------------------------------------------------------------------------

    def save_subscription(self, sub: Subscription) -> Subscription:
        """Insert or replace the configuration; firing state columns are kept as they are."""
        data = sub.model_dump(mode="json", exclude=set(_STATE_FIELDS))
        self._secrets.encrypt(data)
        values = {
            "id": sub.id,
            "name": sub.name,
            "enabled": int(sub.enabled),
            "body": json.dumps(data, ensure_ascii=False),
            "created_at": _iso(sub.created_at),
            "updated_at": _iso(datetime.now(UTC)),
            "last_fired_at": _iso(sub.last_fired_at),
            "last_evaluated_at": _iso(sub.last_evaluated_at),
        }
        with self.db.write() as conn:
            self.db.upsert(conn, _SUBS, values, ["id"], ["name", "enabled", "body", "updated_at"])
        saved = self.get_subscription(sub.id)
        assert saved is not None
        return saved

    def get_subscription(self, sub_id: str) -> Subscription | None:
        rows = self.db.rows(sa.select(_SUBS).where(_SUBS.c.id == sub_id))
        return self._sub(rows[0]) if rows else None

    def list_subscriptions(self, enabled_only: bool = False) -> list[Subscription]:
        stmt = sa.select(_SUBS)
        if enabled_only:
            stmt = stmt.where(_SUBS.c.enabled == 1)
        return [self._sub(r) for r in self.db.rows(stmt.order_by(_SUBS.c.created_at, _SUBS.c.id))]

    def delete_subscription(self, sub_id: str) -> bool:
        """Remove the subscription; its history and delivery log stay for audit."""
        return self.db.run(_SUBS.delete().where(_SUBS.c.id == sub_id)).rowcount > 0

    def set_enabled(self, sub_id: str, enabled: bool) -> bool:
        with self.db.write() as conn:
            row = conn.execute(
                sa.select(_SUBS.c.body).where(_SUBS.c.id == sub_id).with_for_update()
            ).first()
            if row is None:
                return False
            data = json.loads(row.body)
            data["enabled"] = enabled
            conn.execute(
                _SUBS.update()
                .where(_SUBS.c.id == sub_id)
                .values(enabled=int(enabled), body=json.dumps(data, ensure_ascii=False))
            )
            return True

    def mark_evaluated(self, sub_id: str, at: datetime, status: str, detail: str = "") -> None:
        self.db.run(
            _SUBS.update()
            .where(_SUBS.c.id == sub_id)
            .values(last_evaluated_at=_iso(at), last_status=status, last_detail=detail[:1000])
        )

    def mark_fired(self, sub_id: str, at: datetime) -> None:
        """Start the cooldown."""
        self.db.run(_SUBS.update().where(_SUBS.c.id == sub_id).values(last_fired_at=_iso(at)))

    def claim_firing(self, sub_id: str, at: datetime, previous: datetime | None) -> bool:
        """Start the cooldown only if nobody fired since `previous` (the `last_fired_at` this
        evaluator saw): True for exactly one of several evaluators racing on one window."""
        seen = (
            _SUBS.c.last_fired_at.is_(None)
            if previous is None
            else (_SUBS.c.last_fired_at == _iso(previous))
        )
        stmt = _SUBS.update().where(_SUBS.c.id == sub_id, seen).values(last_fired_at=_iso(at))
        return self.db.run(stmt).rowcount == 1

    def last_status(self, sub_id: str) -> tuple[str | None, str | None]:
        rows = self.db.rows(
            sa.select(_SUBS.c.last_status, _SUBS.c.last_detail).where(_SUBS.c.id == sub_id)
        )
        return (rows[0].last_status, rows[0].last_detail) if rows else (None, None)

    def _sub(self, row: Any) -> Subscription:
        """The subscription with its webhook secrets decrypted (legacy plain text passes)."""
        data = json.loads(row.body)
        self._secrets.decrypt(row.id, data)
        data["enabled"] = bool(row.enabled)
        data["last_fired_at"] = row.last_fired_at
        data["last_evaluated_at"] = row.last_evaluated_at
        return Subscription.model_validate(data)

    # -- history ------------------------------------------------------------------------------

    def record_event(self, event: AlertEvent) -> None:
        values = {
            "id": event.id,
            "subscription_id": event.subscription_id,
            "fired_at": _iso(event.fired_at),
            "rule_type": event.rule_type,
            "summary": event.summary,
            "test": int(event.test),
            "body": event.model_dump_json(),
        }
        with self.db.write() as conn:
            self.db.upsert(conn, _EVENTS, values, ["id"], [k for k in values if k != "id"])

    def list_events(
        self, subscription_id: str | None = None, limit: int = 50, since: datetime | None = None
    ) -> list[AlertEvent]:
        """Newest first."""
        stmt = sa.select(_EVENTS.c.body)
        if subscription_id:
            stmt = stmt.where(_EVENTS.c.subscription_id == subscription_id)
        if since:
            stmt = stmt.where(_EVENTS.c.fired_at >= (_iso(since) or ""))
        stmt = stmt.order_by(_EVENTS.c.fired_at.desc(), _EVENTS.c.id).limit(limit)
        return [AlertEvent.model_validate_json(r.body) for r in self.db.rows(stmt)]

    def get_event(self, event_id: str) -> AlertEvent | None:
        rows = self.db.rows(sa.select(_EVENTS.c.body).where(_EVENTS.c.id == event_id))
        return AlertEvent.model_validate_json(rows[0].body) if rows else None

    # -- delivery log -------------------------------------------------------------------------

    def record_delivery(self, result: DeliveryResult) -> int:
        stmt = _DELIVERIES.insert().values(
            event_id=result.event_id,
            subscription_id=result.subscription_id,
            channel=result.channel,
            target=result.target,
            status=result.status,
            attempts=result.attempts,
            status_code=result.status_code,
            error=result.error,
            test=int(result.test),
            started_at=_iso(result.started_at),
            finished_at=_iso(result.finished_at),
        )
        key = self.db.run(stmt).inserted_primary_key
        return int(key[0]) if key else 0

    def list_deliveries(
        self, subscription_id: str | None = None, event_id: str | None = None, limit: int = 100
    ) -> list[DeliveryResult]:
        """Newest first."""
        stmt = sa.select(_DELIVERIES)
        if subscription_id:
            stmt = stmt.where(_DELIVERIES.c.subscription_id == subscription_id)
        if event_id:
            stmt = stmt.where(_DELIVERIES.c.event_id == event_id)
        rows = self.db.rows(stmt.order_by(_DELIVERIES.c.id.desc()).limit(limit))
        return [
            DeliveryResult(
                channel=r.channel,
                target=r.target,
                status=r.status,
                attempts=r.attempts,
                status_code=r.status_code,
                error=r.error,
                event_id=r.event_id,
                subscription_id=r.subscription_id,
                started_at=r.started_at,
                finished_at=r.finished_at,
                test=bool(r.test),
            )
            for r in rows
        ]

    # -- detector state ------------------------------------------------------------------------

    def save_state(self, name: str, body: str) -> None:
        """Keep a JSON blob (e.g. `TrendDetector.to_json()`) across restarts."""
        values = {"name": name, "body": body, "updated_at": _iso(datetime.now(UTC))}
        with self.db.write() as conn:
            self.db.upsert(conn, _STATE, values, ["name"], ["body", "updated_at"])

    def load_state(self, name: str) -> str | None:
        rows = self.db.rows(sa.select(_STATE.c.body).where(_STATE.c.name == name))
        return str(rows[0].body) if rows else None

    def __enter__(self) -> AlertRepository:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
