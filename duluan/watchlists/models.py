"""A watchlist: a named, saved query with an optional time span and owner."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Self

from pydantic import BaseModel, Field, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema

from duluan.core.inputs import NOT_BLANK, NOT_BLANK_CHECK, IsoDateTime, StrictInput, no_default
from duluan.core.models import utcnow
from duluan.core.query import parse_query


def _aware(value: datetime) -> datetime:
    """Naive datetimes are UTC, as everywhere in duluan."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _check_query(value: str | None) -> str | None:
    if value is not None and not value.strip():
        return None
    parse_query(value)  # raises QuerySyntaxError (a ValueError) with where and why
    return value


def _check_span(since: datetime | None, until: datetime | None) -> None:
    if since and until and since >= until:
        raise ValueError("`since` must be before `until`")


class _QueryAndSpan(BaseModel):
    """Checks shared by creating and updating: a query that parses, a span in UTC."""

    @field_validator("query", check_fields=False)
    @classmethod
    def _query(cls, value: str | None) -> str | None:
        return _check_query(value)

    @field_validator("since", "until", check_fields=False)
    @classmethod
    def _tz(cls, value: datetime | None) -> datetime | None:
        return _aware(value) if value else None


# a name is trimmed and must not be blank: at least one character that is not a space
NAME = Field(
    min_length=1,
    max_length=200,
    description="unique, human-readable name",
    json_schema_extra={"pattern": NOT_BLANK},
)


class _WatchlistFields(_QueryAndSpan):
    name: str = Field(min_length=1, max_length=200, description="unique, human-readable name")
    query: str | None = Field(None, max_length=2000, description="query language text")
    since: datetime | None = Field(None, description="only posts created at or after this")
    until: datetime | None = Field(None, description="only posts created before this")
    owner: str | None = Field(None, max_length=200, description="who the watchlist belongs to")
    description: str | None = Field(None, max_length=2000)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("name must not be blank")
        return value

    @model_validator(mode="after")
    def _span(self) -> Self:
        _check_span(self.since, self.until)
        return self


class WatchlistCreate(StrictInput, _WatchlistFields):
    """What a user supplies to save a watchlist (a request body: strict and closed)."""

    name: Annotated[str, NAME, NOT_BLANK_CHECK]
    since: IsoDateTime | None = Field(None, description="only posts created at or after this")
    until: IsoDateTime | None = Field(None, description="only posts created before this")


class WatchlistUpdate(StrictInput, _QueryAndSpan):
    """Fields to change; omitted fields keep their value (send null to clear a span end, the
    query, the owner or the description; a name cannot be cleared)."""

    name: Annotated[str, NAME, NOT_BLANK_CHECK] | SkipJsonSchema[None] = Field(
        None, json_schema_extra=no_default
    )
    query: str | None = Field(None, max_length=2000)
    since: IsoDateTime | None = None
    until: IsoDateTime | None = None
    owner: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=2000)

    @field_validator("name")
    @classmethod
    def _name_set(cls, value: str | None) -> str | None:
        if value is None:
            raise ValueError("may not be null: leave the field out to keep the name")
        return value


class Watchlist(_WatchlistFields):
    """A saved watchlist as stored."""

    id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    def apply(self, update: WatchlistUpdate) -> Watchlist:
        """A copy with the fields set in `update` replaced (validated again)."""
        data = self.model_dump()
        data.update(update.model_dump(exclude_unset=True))
        data["updated_at"] = utcnow()
        return Watchlist.model_validate(data)
