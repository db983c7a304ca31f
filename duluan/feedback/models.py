"""Feedback campaigns: a public form (by slug) that collects anonymous opinions."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, field_validator
from pydantic.json_schema import SkipJsonSchema

from duluan.core.inputs import SPACE, SchemaPattern, StrictInput, no_default
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


# what the slug validator takes: it trims and lower-cases, then SLUG must match
SLUG_INPUT = SchemaPattern(rf"[{SPACE}]*[A-Za-z0-9](?:[A-Za-z0-9-]{{0,62}}[A-Za-z0-9])?[{SPACE}]*")
Category = Annotated[str, Field(max_length=60)]


def _not_null(value: object) -> object:
    """Omit a field to keep it; null is no title, no category list or no state (a 422)."""
    if value is None:
        raise ValueError("may not be null: leave the field out to keep its value")
    return value


class CampaignUpdate(StrictInput):
    """Fields to change (a request body: strict and closed); omitted fields keep their value."""

    title: Annotated[str, Field(min_length=1, max_length=200)] | SkipJsonSchema[None] = Field(
        None, json_schema_extra=no_default
    )
    question: str | None = Field(None, max_length=500, description="prompt above the text box")
    description: str | None = Field(None, max_length=2000)
    categories: Annotated[list[Category], Field(max_length=20)] | SkipJsonSchema[None] = Field(
        None, json_schema_extra=no_default
    )
    active: bool | SkipJsonSchema[None] = Field(
        None, description="inactive campaigns refuse submissions", json_schema_extra=no_default
    )
    owner: str | None = Field(None, max_length=200)

    _cats = field_validator("categories")(_categories)
    _set = field_validator("title", "categories", "active")(_not_null)


class _CampaignFields(BaseModel):
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


class CampaignCreate(StrictInput, _CampaignFields):
    """What an admin supplies to open a campaign (a request body: strict and closed)."""

    slug: str = Field(
        description="public link /f/<slug>: 1-64 letters, digits or dashes (trimmed and "
        "lower-cased), not starting or ending with a dash",
        json_schema_extra={"pattern": SLUG_INPUT.schema},
    )
    categories: list[Category] = Field(default_factory=list, max_length=20)

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str) -> str:  # the schema's pattern, checked on what was sent
        if not SLUG_INPUT.fullmatch(value):
            raise ValueError("slug must be 1-64 lower-case letters, digits or dashes")
        return value.strip().lower()


class Campaign(_CampaignFields):
    """A campaign as stored."""

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
