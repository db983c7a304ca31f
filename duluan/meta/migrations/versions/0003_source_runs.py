"""Source health (one row per crawl run) in the metadata database, shared by every replica.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-09

Before this revision the post store kept crawl runs (a `source_runs` table in the SQLite store
file, the `duluan-source-runs` index in Elasticsearch). Where the embedded metadata database is
the SQLite store's own file, that table is already here, without an id: its rows are copied
into the new table and it is dropped. Elsewhere the old runs stay behind, unread (docs/scaleout.md).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_COLUMNS = "source, started_at, finished_at, items, errors, ok, message"


def upgrade() -> None:
    legacy = sa.inspect(op.get_bind()).has_table("source_runs")
    if legacy:  # the SQLite store's own table, in the same file
        op.execute("DROP INDEX IF EXISTS source_runs_source")
        op.rename_table("source_runs", "source_runs_legacy")
    op.create_table(
        "source_runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("started_at", sa.Float, nullable=False),
        sa.Column("finished_at", sa.Float, nullable=False),
        sa.Column("items", sa.Integer, nullable=False),
        sa.Column("errors", sa.Integer, nullable=False),
        sa.Column("ok", sa.Integer, nullable=False),
        sa.Column("message", sa.Text, nullable=False, server_default=""),
    )
    op.create_index("source_runs_source", "source_runs", ["source", "finished_at"])
    op.create_index("source_runs_finished", "source_runs", ["finished_at"])
    if legacy:
        op.execute(
            f"INSERT INTO source_runs ({_COLUMNS}) SELECT source, started_at, finished_at,"
            " items, errors, ok, COALESCE(message, '') FROM source_runs_legacy"
            " ORDER BY finished_at, rowid"
        )
        op.drop_table("source_runs_legacy")


def downgrade() -> None:
    op.drop_index("source_runs_finished", "source_runs")
    op.drop_index("source_runs_source", "source_runs")
    op.drop_table("source_runs")
