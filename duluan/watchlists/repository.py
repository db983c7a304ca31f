"""Watchlist persistence: a `watchlists` table in the metadata SQLite file (see `storage.meta`)."""

from __future__ import annotations

import sqlite3
from typing import Any, cast

from duluan.meta.database import MetaRepository, meta_db_path
from duluan.watchlists.models import Watchlist

__all__ = ["DuplicateName", "WatchlistRepository", "meta_db_path"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS watchlists (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  owner TEXT,
  body TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS watchlists_owner ON watchlists(owner);
"""


class DuplicateName(ValueError):
    """Another watchlist already has this name (names must be unique: they are handles)."""


class WatchlistRepository(MetaRepository):
    """CRUD over watchlists; thread-safe (one connection behind a lock)."""

    schema = _SCHEMA

    def save(self, watchlist: Watchlist) -> Watchlist:
        """Insert or replace by id; raises DuplicateName if another one has the name."""
        try:
            with self._lock:
                self._conn.execute(
                    "INSERT INTO watchlists(id, name, owner, body, created_at) VALUES (?,?,?,?,?)"
                    " ON CONFLICT(id) DO UPDATE SET name=excluded.name, owner=excluded.owner,"
                    " body=excluded.body",
                    (
                        watchlist.id,
                        watchlist.name,
                        watchlist.owner,
                        watchlist.model_dump_json(),
                        watchlist.created_at.isoformat(),
                    ),
                )
        except sqlite3.IntegrityError as exc:
            raise DuplicateName(f"a watchlist named {watchlist.name!r} already exists") from exc
        return watchlist

    def get(self, id_or_name: str) -> Watchlist | None:
        """By id first, then by exact name."""
        rows = self._rows("SELECT body FROM watchlists WHERE id = ?", (id_or_name,))
        if not rows:
            rows = self._rows("SELECT body FROM watchlists WHERE name = ?", (id_or_name,))
        return Watchlist.model_validate_json(rows[0]["body"]) if rows else None

    def list(self, owner: str | None = None) -> list[Watchlist]:
        sql, params = "SELECT body FROM watchlists", cast(tuple[Any, ...], ())
        if owner is not None:
            sql, params = sql + " WHERE owner = ?", (owner,)
        rows = self._rows(sql + " ORDER BY created_at, id", params)
        return [Watchlist.model_validate_json(r["body"]) for r in rows]

    def delete(self, id_or_name: str) -> bool:
        found = self.get(id_or_name)
        if found is None:
            return False
        with self._lock:
            self._conn.execute("DELETE FROM watchlists WHERE id = ?", (found.id,))
        return True

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> WatchlistRepository:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
