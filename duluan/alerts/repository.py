"""Alert persistence: subscriptions, fired events, the delivery log and detector state, in SQLite.

Its own `alert_*` tables, in whatever SQLite file it is given (normally the store's database
file, which is WAL-mode, so readers and this writer coexist). Thread-safe: one connection
behind a lock, since the runner thread and API requests share it. Webhook secrets are stored
encrypted (`insights.secretbox`); plain-text rows from older versions are encrypted on open.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from duluan.alerts.delivery import DeliveryResult
from duluan.alerts.evaluate import AlertEvent
from duluan.alerts.models import Subscription
from duluan.core.logging import get_logger
from duluan.core.secretbox import FROM_SETTINGS, BodySecrets, SecretBox, resolve_secret_key
from duluan.meta.database import open_meta_db

log = get_logger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS alert_subscriptions (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  enabled INTEGER NOT NULL,
  body TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  last_fired_at TEXT,
  last_evaluated_at TEXT,
  last_status TEXT,
  last_detail TEXT
);
CREATE TABLE IF NOT EXISTS alert_events (
  id TEXT PRIMARY KEY,
  subscription_id TEXT NOT NULL,
  fired_at TEXT NOT NULL,
  rule_type TEXT NOT NULL,
  summary TEXT NOT NULL,
  test INTEGER NOT NULL DEFAULT 0,
  body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alert_events_sub ON alert_events(subscription_id, fired_at);
CREATE TABLE IF NOT EXISTS alert_deliveries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id TEXT,
  subscription_id TEXT,
  channel TEXT NOT NULL,
  target TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  status_code INTEGER,
  error TEXT,
  test INTEGER NOT NULL DEFAULT 0,
  started_at TEXT NOT NULL,
  finished_at TEXT
);
CREATE INDEX IF NOT EXISTS alert_deliveries_sub ON alert_deliveries(subscription_id, id);
CREATE INDEX IF NOT EXISTS alert_deliveries_event ON alert_deliveries(event_id);
CREATE TABLE IF NOT EXISTS insights_state (
  name TEXT PRIMARY KEY,
  body TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
"""

_STATE_FIELDS = ("last_fired_at", "last_evaluated_at")


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class AlertRepository:
    """CRUD for subscriptions, plus append-only event history and delivery log."""

    def __init__(
        self, path: Path | str, *, secret_key: str | SecretStr | None = FROM_SETTINGS
    ) -> None:
        """`secret_key`: the key for webhook secrets; default the `secret_key` setting."""
        self.path = Path(path)
        self._lock = threading.Lock()
        self._conn = open_meta_db(path, _SCHEMA)
        self._secrets = BodySecrets(
            SecretBox.for_db(path, resolve_secret_key(secret_key)), self._conn, self._lock,
            "alert_subscriptions", "subscription_id", "it is set again", log,
        )
        self._secrets.migrate()

    def _exec(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    # -- subscriptions ------------------------------------------------------------------------

    def save_subscription(self, sub: Subscription) -> Subscription:
        """Insert or replace the configuration; firing state columns are kept as they are."""
        data = sub.model_dump(mode="json", exclude=set(_STATE_FIELDS))
        self._secrets.encrypt(data)
        body = json.dumps(data, ensure_ascii=False)
        now = _iso(datetime.now(UTC))
        self._exec(
            """INSERT INTO alert_subscriptions
                 (id, name, enabled, body, created_at, updated_at, last_fired_at,
                  last_evaluated_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT(id) DO UPDATE SET name=excluded.name, enabled=excluded.enabled,
                 body=excluded.body, updated_at=excluded.updated_at""",
            (
                sub.id,
                sub.name,
                int(sub.enabled),
                body,
                _iso(sub.created_at),
                now,
                _iso(sub.last_fired_at),
                _iso(sub.last_evaluated_at),
            ),
        )
        saved = self.get_subscription(sub.id)
        assert saved is not None
        return saved

    def get_subscription(self, sub_id: str) -> Subscription | None:
        rows = self._exec("SELECT * FROM alert_subscriptions WHERE id = ?", (sub_id,))
        return self._sub(rows[0]) if rows else None

    def list_subscriptions(self, enabled_only: bool = False) -> list[Subscription]:
        sql = "SELECT * FROM alert_subscriptions"
        if enabled_only:
            sql += " WHERE enabled = 1"
        return [self._sub(r) for r in self._exec(sql + " ORDER BY created_at, id")]

    def delete_subscription(self, sub_id: str) -> bool:
        """Remove the subscription; its history and delivery log stay for audit."""
        with self._lock:
            cur = self._conn.execute("DELETE FROM alert_subscriptions WHERE id = ?", (sub_id,))
            return cur.rowcount > 0

    def set_enabled(self, sub_id: str, enabled: bool) -> bool:
        with self._lock:
            cur = self._conn.execute(
                "UPDATE alert_subscriptions SET enabled = ?, body = json_set(body, '$.enabled', "
                "json(?)) WHERE id = ?",
                (int(enabled), "true" if enabled else "false", sub_id),
            )
            return cur.rowcount > 0

    def mark_evaluated(self, sub_id: str, at: datetime, status: str, detail: str = "") -> None:
        self._exec(
            "UPDATE alert_subscriptions SET last_evaluated_at = ?, last_status = ?, "
            "last_detail = ? WHERE id = ?",
            (_iso(at), status, detail[:1000], sub_id),
        )

    def mark_fired(self, sub_id: str, at: datetime) -> None:
        """Start the cooldown."""
        self._exec(
            "UPDATE alert_subscriptions SET last_fired_at = ? WHERE id = ?", (_iso(at), sub_id)
        )

    def last_status(self, sub_id: str) -> tuple[str | None, str | None]:
        rows = self._exec(
            "SELECT last_status, last_detail FROM alert_subscriptions WHERE id = ?", (sub_id,)
        )
        return (rows[0]["last_status"], rows[0]["last_detail"]) if rows else (None, None)

    def _sub(self, row: sqlite3.Row) -> Subscription:
        """The subscription with its webhook secrets decrypted (legacy plain text passes)."""
        data = json.loads(row["body"])
        self._secrets.decrypt(row["id"], data)
        data["enabled"] = bool(row["enabled"])
        data["last_fired_at"] = row["last_fired_at"]
        data["last_evaluated_at"] = row["last_evaluated_at"]
        return Subscription.model_validate(data)

    # -- history ------------------------------------------------------------------------------

    def record_event(self, event: AlertEvent) -> None:
        self._exec(
            "INSERT OR REPLACE INTO alert_events (id, subscription_id, fired_at, rule_type, "
            "summary, test, body) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                event.id,
                event.subscription_id,
                _iso(event.fired_at),
                event.rule_type,
                event.summary,
                int(event.test),
                event.model_dump_json(),
            ),
        )

    def list_events(
        self, subscription_id: str | None = None, limit: int = 50, since: datetime | None = None
    ) -> list[AlertEvent]:
        """Newest first."""
        sql, params = "SELECT body FROM alert_events WHERE 1=1", []
        if subscription_id:
            sql += " AND subscription_id = ?"
            params.append(subscription_id)
        if since:
            sql += " AND fired_at >= ?"
            params.append(_iso(since) or "")
        sql += " ORDER BY fired_at DESC, id LIMIT ?"
        rows = self._exec(sql, (*params, limit))
        return [AlertEvent.model_validate_json(r["body"]) for r in rows]

    def get_event(self, event_id: str) -> AlertEvent | None:
        rows = self._exec("SELECT body FROM alert_events WHERE id = ?", (event_id,))
        return AlertEvent.model_validate_json(rows[0]["body"]) if rows else None

    # -- delivery log -------------------------------------------------------------------------

    def record_delivery(self, result: DeliveryResult) -> int:
        with self._lock:
            cur = self._conn.execute(
                "INSERT INTO alert_deliveries (event_id, subscription_id, channel, target, "
                "status, attempts, status_code, error, test, started_at, finished_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    result.event_id,
                    result.subscription_id,
                    result.channel,
                    result.target,
                    result.status,
                    result.attempts,
                    result.status_code,
                    result.error,
                    int(result.test),
                    _iso(result.started_at),
                    _iso(result.finished_at),
                ),
            )
            return int(cur.lastrowid or 0)

    def list_deliveries(
        self, subscription_id: str | None = None, event_id: str | None = None, limit: int = 100
    ) -> list[DeliveryResult]:
        """Newest first."""
        sql, params = "SELECT * FROM alert_deliveries WHERE 1=1", []
        if subscription_id:
            sql += " AND subscription_id = ?"
            params.append(subscription_id)
        if event_id:
            sql += " AND event_id = ?"
            params.append(event_id)
        rows = self._exec(sql + " ORDER BY id DESC LIMIT ?", (*params, limit))
        return [
            DeliveryResult(
                channel=r["channel"],
                target=r["target"],
                status=r["status"],
                attempts=r["attempts"],
                status_code=r["status_code"],
                error=r["error"],
                event_id=r["event_id"],
                subscription_id=r["subscription_id"],
                started_at=r["started_at"],
                finished_at=r["finished_at"],
                test=bool(r["test"]),
            )
            for r in rows
        ]

    # -- detector state ------------------------------------------------------------------------

    def save_state(self, name: str, body: str) -> None:
        """Keep a JSON blob (e.g. `TrendDetector.to_json()`) across restarts."""
        self._exec(
            "INSERT INTO insights_state (name, body, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT(name) DO UPDATE SET body=excluded.body, updated_at=excluded.updated_at",
            (name, body, _iso(datetime.now(UTC))),
        )

    def load_state(self, name: str) -> str | None:
        rows = self._exec("SELECT body FROM insights_state WHERE name = ?", (name,))
        return str(rows[0]["body"]) if rows else None

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> AlertRepository:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
