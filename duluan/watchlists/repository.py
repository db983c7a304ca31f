"""Watchlist persistence: the `watchlists` table in the metadata database (`duluan.meta`)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from duluan.meta.database import MetaRepository, meta_db_path
from duluan.meta.tables import watchlists as _T
from duluan.watchlists.models import Watchlist

__all__ = ["DuplicateName", "WatchlistRepository", "meta_db_path"]


class DuplicateName(ValueError):
    """Another watchlist already has this name (names must be unique: they are handles)."""


class WatchlistRepository(MetaRepository):
    """CRUD over watchlists; thread-safe (a connection pool)."""

    def save(self, watchlist: Watchlist) -> Watchlist:
        """Insert or replace by id; raises DuplicateName if another one has the name."""
        values = {
            "id": watchlist.id,
            "name": watchlist.name,
            "owner": watchlist.owner,
            "body": watchlist.model_dump_json(),
            "created_at": watchlist.created_at.isoformat(),
        }
        try:
            with self.db.write() as conn:
                self.db.upsert(conn, _T, values, ["id"], ["name", "owner", "body"])
        except IntegrityError as exc:
            raise DuplicateName(f"a watchlist named {watchlist.name!r} already exists") from exc
        return watchlist

    def get(self, id_or_name: str) -> Watchlist | None:
        """By id first, then by exact name."""
        rows = self.db.rows(sa.select(_T.c.body).where(_T.c.id == id_or_name))
        if not rows:
            rows = self.db.rows(sa.select(_T.c.body).where(_T.c.name == id_or_name))
        return Watchlist.model_validate_json(rows[0].body) if rows else None

    def list(self, owner: str | None = None) -> list[Watchlist]:
        stmt = sa.select(_T.c.body)
        if owner is not None:
            stmt = stmt.where(_T.c.owner == owner)
        rows = self.db.rows(stmt.order_by(_T.c.created_at, _T.c.id))
        return [Watchlist.model_validate_json(r.body) for r in rows]

    def delete(self, id_or_name: str) -> bool:
        found = self.get(id_or_name)
        if found is None:
            return False
        self.db.run(_T.delete().where(_T.c.id == found.id))
        return True

    def __enter__(self) -> WatchlistRepository:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
