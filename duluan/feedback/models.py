"""Feedback campaigns: a public form (by slug) that collects anonymous opinions."""

from __future__ import annotations

import re
import uuid
from datetime import datetime

from pydantic import BaseModel, Field, field_validator

from duluan.core.models import Post, utcnow

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
SOURCE = "feedback"


def thread_id(slug: str) -> str:
    """The thread every submission of a campaign belongs to."""
    return f"{SOURCE}:campaign:{slug}"


def _categories(value: list[str] | None) -> list[str] | None:
    if value is None:
        return None
    out = list(dict.fromkeys(" ".join(c.split()) for c in value if c.strip()))
    for c in out:
        if len(c) > 60:
            raise ValueError(f"category longer than 60 characters: {c[:20]!r}…")
    return out


class CampaignUpdate(BaseModel):
    title: str | None = Field(None, min_length=1, max_length=200)
    question: str | None = Field(None, max_length=500, description="prompt above the text box")
    description: str | None = Field(None, max_length=2000)
    categories: list[str] | None = Field(None, max_length=20)
    active: bool | None = Field(None, description="inactive campaigns refuse submissions")
    owner: str | None = Field(None, max_length=200)

    _cats = field_validator("categories")(_categories)

    @field_validator("title", "categories", "active")
    @classmethod
    def _not_null(cls, value: object) -> object:
        """Omit a field to keep it; null is no title, no category list or no state (a 422)."""
        if value is None:
            raise ValueError("may not be null: leave the field out to keep its value")
        return value


class CampaignCreate(BaseModel):
    """What an admin supplies to open a campaign."""

    slug: str = Field(description="public link /f/<slug>: lower-case letters, digits, dashes")
    title: str = Field(min_length=1, max_length=200)
    question: str | None = Field(None, max_length=500, description="prompt above the text box")
    description: str | None = Field(None, max_length=2000)
    categories: list[str] = Field(default_factory=list, max_length=20)
    active: bool = True
    owner: str | None = Field(None, max_length=200)

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str) -> str:
        value = value.strip().lower()
        if not SLUG.match(value):
            raise ValueError("slug must be 1-64 lower-case letters, digits or dashes")
        return value

    _cats = field_validator("categories")(_categories)


class Campaign(CampaignCreate):
    id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    watchlist_id: str | None = Field(None, description="the watchlist showing its results")
    created_at: datetime = Field(default_factory=utcnow)

    @property
    def thread_id(self) -> str:
        return thread_id(self.slug)

    def apply(self, update: CampaignUpdate) -> Campaign:
        data = self.model_dump()
        data.update(update.model_dump(exclude_unset=True))
        return Campaign.model_validate(data)


PRIVATE_RAW = ("contact",)


def without_private(post: Post) -> Post:
    """The post without what a submitter gave only to the campaign's owner (`raw.contact`):
    what search, posts, export and live show to anyone but an admin key."""
    if not any(k in post.raw for k in PRIVATE_RAW):
        return post
    raw = {k: v for k, v in post.raw.items() if k not in PRIVATE_RAW}
    return post.model_copy(update={"raw": raw})
