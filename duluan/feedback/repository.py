"""Campaign persistence: the `feedback_campaigns` table in the metadata database."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from duluan.feedback.models import Campaign
from duluan.meta.database import MetaRepository
from duluan.meta.tables import feedback_campaigns as _T


class SlugTaken(ValueError):
    """Another campaign already uses this public link."""


class CampaignRepository(MetaRepository):
    """CRUD over campaigns, found by id or slug; thread-safe."""

    def save(self, campaign: Campaign) -> Campaign:
        values = {
            "id": campaign.id,
            "slug": campaign.slug,
            "body": campaign.model_dump_json(),
            "created_at": campaign.created_at.isoformat(),
        }
        try:
            with self.db.write() as conn:
                self.db.upsert(conn, _T, values, ["id"], ["slug", "body"])
        except IntegrityError as exc:
            raise SlugTaken(f"the link /f/{campaign.slug} is taken") from exc
        return campaign

    def get(self, id_or_slug: str) -> Campaign | None:
        """By slug first (the public handle), then by id."""
        rows = self.db.rows(sa.select(_T.c.body).where(_T.c.slug == id_or_slug))
        if not rows:
            rows = self.db.rows(sa.select(_T.c.body).where(_T.c.id == id_or_slug))
        return Campaign.model_validate_json(rows[0].body) if rows else None

    def list(self) -> list[Campaign]:
        rows = self.db.rows(sa.select(_T.c.body).order_by(_T.c.created_at, _T.c.slug))
        return [Campaign.model_validate_json(r.body) for r in rows]

    def delete(self, id_or_slug: str) -> Campaign | None:
        found = self.get(id_or_slug)
        if found is not None:
            self.db.run(_T.delete().where(_T.c.id == found.id))
        return found
