"""Response shapes of the public API (documented in the OpenAPI schema)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from core.models import Post


class Hit(BaseModel):
    post: Post
    score: float | None = Field(None, description="relevance (only with sort=relevance)")
    snippet: str | None = Field(None, description="HTML excerpt with <mark>ed query terms")


class SearchResponse(BaseModel):
    total: int = Field(description="number of posts matching the query")
    hits: list[Hit]
    next_cursor: str | None = Field(None, description="pass as `cursor` for the next page")


class DryRunResponse(BaseModel):
    total: int
    sample: list[Hit] = Field(description="a few of the newest matches")


class PostDetail(BaseModel):
    post: Post
    parent: Post | None = Field(None, description="the post this one replies to")
    thread: Post | None = Field(None, description="the article / thread root")
    replies: list[Post] = Field(default_factory=list, description="direct replies, oldest first")


class TimelineBucket(BaseModel):
    start: datetime
    count: int
    split: dict[str, int] = Field(default_factory=dict)


class TimelineResponse(BaseModel):
    interval: str
    split: str | None
    buckets: list[TimelineBucket]


class CountItem(BaseModel):
    key: str
    count: int


class TopResponse(BaseModel):
    field: str
    items: list[CountItem]


class SentimentResponse(BaseModel):
    total: int
    counts: dict[str, int]
    shares: dict[str, float]


class SourceHealth(BaseModel):
    source: str
    last_run_at: datetime | None
    last_success_at: datetime | None
    last_items: int
    errors_last_day: int
    runs_last_day: int
    posts_last_hour: int
    posts_last_day: int
    status: str = Field(description="ok, failing, or silent (no items in the last day)")


class Health(BaseModel):
    status: str
    posts: int | None = None
    detail: str | None = None


class DeleteResponse(BaseModel):
    deleted: int
