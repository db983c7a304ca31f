"""Campaign persistence: a `feedback_campaigns` table in the metadata SQLite file."""

from __future__ import annotations

import sqlite3

from duluan.feedback.models import Campaign
from duluan.meta.database import MetaRepository

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback_campaigns (
  id TEXT PRIMARY KEY,
  slug TEXT NOT NULL UNIQUE,
  body TEXT NOT NULL,
  created_at TEXT NOT NULL
);
"""


class SlugTaken(ValueError):
    """Another campaign already uses this public link."""


class CampaignRepository(MetaRepository):
    """CRUD over campaigns, found by id or slug; thread-safe."""

    schema = _SCHEMA

    def save(self, campaign: Campaign) -> Campaign:
        try:
            self._rows(
                "INSERT INTO feedback_campaigns(id, slug, body, created_at) VALUES (?,?,?,?)"
                " ON CONFLICT(id) DO UPDATE SET slug=excluded.slug, body=excluded.body",
                (
                    campaign.id,
                    campaign.slug,
                    campaign.model_dump_json(),
                    campaign.created_at.isoformat(),
                ),
            )
        except sqlite3.IntegrityError as exc:
            raise SlugTaken(f"the link /f/{campaign.slug} is taken") from exc
        return campaign

    def get(self, id_or_slug: str) -> Campaign | None:
        rows = self._rows(
            "SELECT body FROM feedback_campaigns WHERE slug = ? OR id = ? ORDER BY slug = ? DESC",
            (id_or_slug, id_or_slug, id_or_slug),
        )
        return Campaign.model_validate_json(rows[0]["body"]) if rows else None

    def list(self) -> list[Campaign]:
        rows = self._rows("SELECT body FROM feedback_campaigns ORDER BY created_at, slug")
        return [Campaign.model_validate_json(r["body"]) for r in rows]

    def delete(self, id_or_slug: str) -> Campaign | None:
        found = self.get(id_or_slug)
        if found is not None:
            self._rows("DELETE FROM feedback_campaigns WHERE id = ?", (found.id,))
        return found

    def close(self) -> None:
        with self._lock:
            self._conn.close()
