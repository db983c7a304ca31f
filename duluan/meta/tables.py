"""The metadata tables as SQLAlchemy Core objects: the schema at the newest migration.

Timestamps are ISO-8601 UTC strings and flags integers, as the first SQLite version wrote
them, so files from before the migrations read unchanged; migrations (duluan/meta/migrations)
hold their own frozen copies and must change together with this file.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("scope", sa.Text, nullable=False),
    sa.Column("hash", sa.Text, nullable=False),
    sa.Column("created_at", sa.Text, nullable=False),
    sa.Column("last_used_at", sa.Text),
    sa.Column("revoked_at", sa.Text),
)

alert_subscriptions = sa.Table(
    "alert_subscriptions",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("enabled", sa.Integer, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("created_at", sa.Text, nullable=False),
    sa.Column("updated_at", sa.Text, nullable=False),
    sa.Column("last_fired_at", sa.Text),
    sa.Column("last_evaluated_at", sa.Text),
    sa.Column("last_status", sa.Text),
    sa.Column("last_detail", sa.Text),
)

alert_events = sa.Table(
    "alert_events",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("subscription_id", sa.Text, nullable=False),
    sa.Column("fired_at", sa.Text, nullable=False),
    sa.Column("rule_type", sa.Text, nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("test", sa.Integer, nullable=False, server_default="0"),
    sa.Column("body", sa.Text, nullable=False),
    sa.Index("alert_events_sub", "subscription_id", "fired_at"),
)

alert_deliveries = sa.Table(
    "alert_deliveries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.Text),
    sa.Column("subscription_id", sa.Text),
    sa.Column("channel", sa.Text, nullable=False),
    sa.Column("target", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("status_code", sa.Integer),
    sa.Column("error", sa.Text),
    sa.Column("test", sa.Integer, nullable=False, server_default="0"),
    sa.Column("started_at", sa.Text, nullable=False),
    sa.Column("finished_at", sa.Text),
    sa.Index("alert_deliveries_sub", "subscription_id", "id"),
    sa.Index("alert_deliveries_event", "event_id"),
    sqlite_autoincrement=True,
)

insights_state = sa.Table(
    "insights_state",
    metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("updated_at", sa.Text, nullable=False),
)

watchlists = sa.Table(
    "watchlists",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False, unique=True),
    sa.Column("owner", sa.Text),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("created_at", sa.Text, nullable=False),
    sa.Index("watchlists_owner", "owner"),
)

briefing_schedules = sa.Table(
    "briefing_schedules",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("watchlist_id", sa.Text, nullable=False),
    sa.Column("enabled", sa.Integer, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("created_at", sa.Text, nullable=False),
    sa.Column("last_period_end", sa.Text),
    sa.Column("last_run_at", sa.Text),
    sa.Column("last_status", sa.Text),
)

briefing_deliveries = sa.Table(
    "briefing_deliveries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("schedule_id", sa.Text, nullable=False),
    sa.Column("period_start", sa.Text, nullable=False),
    sa.Column("period_end", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Index("briefing_deliveries_schedule", "schedule_id", "id"),
    sqlite_autoincrement=True,
)

feedback_campaigns = sa.Table(
    "feedback_campaigns",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("slug", sa.Text, nullable=False, unique=True),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("created_at", sa.Text, nullable=False),
)

# -- revision 0002: crawler state and leases, shared by every replica ---------------------------

crawl_kv = sa.Table(
    "crawl_kv",
    metadata,
    sa.Column("source", sa.Text, primary_key=True),
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("updated", sa.Float, nullable=False),
)

crawl_seen = sa.Table(
    "crawl_seen",
    metadata,
    sa.Column("source", sa.Text, primary_key=True),
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("at", sa.Float, nullable=False),
)

leases = sa.Table(
    "leases",
    metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("holder", sa.Text, nullable=False),
    sa.Column("acquired_at", sa.Float, nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
)

# -- revision 0003: source health, one row per crawl run ----------------------------------------

source_runs = sa.Table(
    "source_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("started_at", sa.Float, nullable=False),
    sa.Column("finished_at", sa.Float, nullable=False),
    sa.Column("items", sa.Integer, nullable=False),
    sa.Column("errors", sa.Integer, nullable=False),
    sa.Column("ok", sa.Integer, nullable=False),
    sa.Column("message", sa.Text, nullable=False, server_default=""),
    sa.Index("source_runs_source", "source", "finished_at"),
    sa.Index("source_runs_finished", "finished_at"),
)

# -- revision 0004: sentiment offsets per source (`duluan adapt`), analysts' corrections --------

sentiment_offsets = sa.Table(
    "sentiment_offsets",
    metadata,
    sa.Column("scope", sa.Text, primary_key=True),  # a source name, or "*" for the default
    sa.Column("body", sa.Text, nullable=False),  # the entry as JSON (nlp.adaptation)
    sa.Column("updated_at", sa.Float, nullable=False),
)

sentiment_corrections = sa.Table(
    "sentiment_corrections",
    metadata,
    sa.Column("post_id", sa.Text, primary_key=True),
    sa.Column("label", sa.Text, nullable=False),
    sa.Column("by", sa.Text, nullable=False),
    sa.Column("at", sa.Float, nullable=False),
)
