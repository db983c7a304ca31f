"""Source health in the metadata database: one row per crawl run (items, errors, outcome).

Whichever crawler replica ran a source records the run; every API replica (`/v1/sources`),
alert evaluator (silent-source rules) and briefing reads the same rows. Runs older than
`source_runs_retention_days` are deleted as new ones are recorded.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from duluan.core.settings import setting_default
from duluan.meta.database import MetaDB, MetaRepository
from duluan.meta.tables import source_runs as _T

__all__ = ["SourceRun", "SourceRunRepository", "SourceSummary"]
_DAY_S = 86400.0


@dataclass
class SourceRun:
    """One crawl run's outcome, for source health ("a source went silent")."""

    source: str
    started_at: datetime
    finished_at: datetime
    items: int
    errors: int
    ok: bool
    message: str = ""


@dataclass(frozen=True)
class SourceSummary:
    """One source's last run and last success, and its runs since a cutoff (`summaries`)."""

    source: str
    last_run: SourceRun
    last_success_at: datetime | None
    runs: int
    items: int
    errors: int


def _epoch(value: datetime) -> float:
    """Seconds since the epoch (a naive time is taken as UTC, as the rest of duluan does)."""
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()


def _time(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


def _run(row: Any) -> SourceRun:
    return SourceRun(
        source=row.source,
        started_at=_time(row.started_at),
        finished_at=_time(row.finished_at),
        items=int(row.items),
        errors=int(row.errors),
        ok=bool(row.ok),
        message=row.message or "",
    )


class SourceRunRepository(MetaRepository):
    """Crawl runs: `record` one, read the `recent` ones (newest first) or per-source `summaries`,
    `prune` the old ones. Thread-safe (a connection pool)."""

    def __init__(self, db: MetaDB | Path | str, *, retention_days: float | None = None) -> None:
        super().__init__(db)
        if retention_days is None:
            retention_days = float(setting_default("source_runs_retention_days"))
        self.retention_days = retention_days

    def record(self, run: SourceRun) -> None:
        """Remember a run; runs past the retention go in the same transaction."""
        with self.db.write() as conn:
            conn.execute(
                _T.insert().values(
                    source=run.source,
                    started_at=_epoch(run.started_at),
                    finished_at=_epoch(run.finished_at),
                    items=run.items,
                    errors=run.errors,
                    ok=int(run.ok),
                    message=run.message,
                )
            )
            cutoff = self._cutoff()
            if cutoff is not None:
                conn.execute(_T.delete().where(_T.c.finished_at < cutoff))

    def recent(
        self,
        source: str | None = None,
        *,
        limit: int = 100,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[SourceRun]:
        """At most `limit` runs, most recently finished first; of one source, and finished in
        [since, until), when given."""
        stmt = sa.select(_T)
        if source is not None:
            stmt = stmt.where(_T.c.source == source)
        if since is not None:
            stmt = stmt.where(_T.c.finished_at >= _epoch(since))
        if until is not None:
            stmt = stmt.where(_T.c.finished_at < _epoch(until))
        stmt = stmt.order_by(_T.c.finished_at.desc(), _T.c.id.desc()).limit(limit)
        return [_run(r) for r in self.db.rows(stmt)]

    def summaries(self, since: datetime) -> list[SourceSummary]:
        """Every source that has a run: its last run, last success, and the number of runs,
        items and errors of the runs finished at or after `since`; by source name."""
        cut = _epoch(since)
        window = _T.c.finished_at >= cut
        totals = sa.select(
            _T.c.source,
            sa.func.max(sa.case((_T.c.ok != 0, _T.c.finished_at))).label("last_ok"),
            sa.func.sum(sa.case((window, 1), else_=0)).label("runs"),
            sa.func.sum(sa.case((window, _T.c["items"]), else_=0)).label("items"),
            sa.func.sum(sa.case((window, _T.c.errors), else_=0)).label("errors"),
        ).group_by(_T.c.source)
        newest = (
            sa.func.row_number()
            .over(partition_by=_T.c.source, order_by=(_T.c.finished_at.desc(), _T.c.id.desc()))
            .label("n")
        )
        ranked = sa.select(_T, newest).subquery()
        last = sa.select(ranked).where(ranked.c.n == 1)
        with self.db.read() as conn:
            by_source = {r.source: r for r in conn.execute(totals)}
            lasts = {r.source: _run(r) for r in conn.execute(last)}
        return [
            SourceSummary(
                source=name,
                last_run=lasts[name],
                last_success_at=_time(row.last_ok) if row.last_ok is not None else None,
                runs=int(row.runs or 0),
                items=int(row.items or 0),
                errors=int(row.errors or 0),
            )
            for name, row in sorted(by_source.items())
            if name in lasts
        ]

    def prune(self, before: datetime | None = None) -> int:
        """Delete runs finished before `before` (default: now less the retention; nothing when
        the retention is 0); returns how many went."""
        cutoff = _epoch(before) if before is not None else self._cutoff()
        if cutoff is None:
            return 0
        return int(self.db.run(_T.delete().where(_T.c.finished_at < cutoff)).rowcount)

    def _cutoff(self) -> float | None:
        if self.retention_days <= 0:
            return None
        return time.time() - self.retention_days * _DAY_S
