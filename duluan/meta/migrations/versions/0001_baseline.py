"""Baseline: the metadata tables as the hand-written SQLite repositories created them.

Revision ID: 0001
Revises:
Create Date: 2026-12-08

Idempotent on purpose: a file written before migrations existed holds some of these tables
(each repository created its own on first use) and no `alembic_version`; upgrading it creates
only what is missing and leaves existing tables and rows as they are (an in-place "stamp").
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _tables(meta: sa.MetaData) -> list[sa.Table]:
    """Frozen copies of the baseline tables (never import duluan.meta.tables here)."""
    t, c = sa.Table, sa.Column
    return [
        t(
            "api_keys",
            meta,
            c("id", sa.Text, primary_key=True),
            c("name", sa.Text, nullable=False),
            c("scope", sa.Text, nullable=False),
            c("hash", sa.Text, nullable=False),
            c("created_at", sa.Text, nullable=False),
            c("last_used_at", sa.Text),
            c("revoked_at", sa.Text),
        ),
        t(
            "alert_subscriptions",
            meta,
            c("id", sa.Text, primary_key=True),
            c("name", sa.Text, nullable=False),
            c("enabled", sa.Integer, nullable=False),
            c("body", sa.Text, nullable=False),
            c("created_at", sa.Text, nullable=False),
            c("updated_at", sa.Text, nullable=False),
            c("last_fired_at", sa.Text),
            c("last_evaluated_at", sa.Text),
            c("last_status", sa.Text),
            c("last_detail", sa.Text),
        ),
        t(
            "alert_events",
            meta,
            c("id", sa.Text, primary_key=True),
            c("subscription_id", sa.Text, nullable=False),
            c("fired_at", sa.Text, nullable=False),
            c("rule_type", sa.Text, nullable=False),
            c("summary", sa.Text, nullable=False),
            c("test", sa.Integer, nullable=False, server_default="0"),
            c("body", sa.Text, nullable=False),
            sa.Index("alert_events_sub", "subscription_id", "fired_at"),
        ),
        t(
            "alert_deliveries",
            meta,
            c("id", sa.Integer, primary_key=True, autoincrement=True),
            c("event_id", sa.Text),
            c("subscription_id", sa.Text),
            c("channel", sa.Text, nullable=False),
            c("target", sa.Text, nullable=False),
            c("status", sa.Text, nullable=False),
            c("attempts", sa.Integer, nullable=False),
            c("status_code", sa.Integer),
            c("error", sa.Text),
            c("test", sa.Integer, nullable=False, server_default="0"),
            c("started_at", sa.Text, nullable=False),
            c("finished_at", sa.Text),
            sa.Index("alert_deliveries_sub", "subscription_id", "id"),
            sa.Index("alert_deliveries_event", "event_id"),
            sqlite_autoincrement=True,
        ),
        t(
            "insights_state",
            meta,
            c("name", sa.Text, primary_key=True),
            c("body", sa.Text, nullable=False),
            c("updated_at", sa.Text, nullable=False),
        ),
        t(
            "watchlists",
            meta,
            c("id", sa.Text, primary_key=True),
            c("name", sa.Text, nullable=False, unique=True),
            c("owner", sa.Text),
            c("body", sa.Text, nullable=False),
            c("created_at", sa.Text, nullable=False),
            sa.Index("watchlists_owner", "owner"),
        ),
        t(
            "briefing_schedules",
            meta,
            c("id", sa.Text, primary_key=True),
            c("watchlist_id", sa.Text, nullable=False),
            c("enabled", sa.Integer, nullable=False),
            c("body", sa.Text, nullable=False),
            c("created_at", sa.Text, nullable=False),
            c("last_period_end", sa.Text),
            c("last_run_at", sa.Text),
            c("last_status", sa.Text),
        ),
        t(
            "briefing_deliveries",
            meta,
            c("id", sa.Integer, primary_key=True, autoincrement=True),
            c("schedule_id", sa.Text, nullable=False),
            c("period_start", sa.Text, nullable=False),
            c("period_end", sa.Text, nullable=False),
            c("body", sa.Text, nullable=False),
            sa.Index("briefing_deliveries_schedule", "schedule_id", "id"),
            sqlite_autoincrement=True,
        ),
        t(
            "feedback_campaigns",
            meta,
            c("id", sa.Text, primary_key=True),
            c("slug", sa.Text, nullable=False, unique=True),
            c("body", sa.Text, nullable=False),
            c("created_at", sa.Text, nullable=False),
        ),
    ]


def upgrade() -> None:
    bind = op.get_bind()
    for table in _tables(sa.MetaData()):
        if not sa.inspect(bind).has_table(table.name):
            table.create(bind)
            continue
        have = {ix["name"] for ix in sa.inspect(bind).get_indexes(table.name)}
        for index in table.indexes:
            if index.name not in have:
                index.create(bind)


def downgrade() -> None:
    bind = op.get_bind()
    for table in reversed(_tables(sa.MetaData())):
        table.drop(bind, checkfirst=True)
