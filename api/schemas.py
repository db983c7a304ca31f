"""Response shapes of the public API (documented in the OpenAPI schema)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from duluan.core.models import Post


class Hit(BaseModel):
    post: Post = Field(description="the post, with its NLP analysis")
    score: float | None = Field(None, description="relevance (only with sort=relevance)")
    snippet: str | None = Field(None, description="HTML excerpt with <mark>ed query terms")


class SearchResponse(BaseModel):
    total: int = Field(description="number of posts matching the query")
    total_exact: bool = Field(
        True,
        description="false when `total` is a lower bound (more than 10,000 matches); "
        "`/v1/search/dry-run` and exports count them all",
    )
    hits: list[Hit] = Field(description="one page of matches")
    next_cursor: str | None = Field(None, description="pass as `cursor` for the next page")


class DryRunResponse(BaseModel):
    total: int = Field(description="posts the query matches now")
    sample: list[Hit] = Field(description="a few of the newest matches")


class PostDetail(BaseModel):
    post: Post = Field(description="the post")
    parent: Post | None = Field(None, description="the post this one replies to")
    thread: Post | None = Field(None, description="the article / thread root")
    replies: list[Post] = Field(default_factory=list, description="direct replies, oldest first")


class TimelineBucket(BaseModel):
    start: datetime = Field(description="bucket start (UTC)")
    count: int = Field(description="posts in the bucket")
    split: dict[str, int] = Field(default_factory=dict, description="counts per split value")


class ShareInterval(BaseModel):
    share: float = Field(
        description="the share: corrected for the classifier's known confusion in `corrected`,"
        " the raw count / total in `sampling`"
    )
    low: float = Field(description="lower end of the 90 % interval")
    high: float = Field(description="upper end of the 90 % interval")


class TimelineCorrected(BaseModel):
    method: str = Field(description="how the corrected shares are estimated (docs/nlp.md)")
    shares: dict[str, ShareInterval] = Field(description="whole window, with 90 % intervals")
    buckets: list[dict[str, float]] = Field(
        description="corrected shares per bucket (point estimates), in `buckets` order"
    )


class TimelineResponse(BaseModel):
    interval: str = Field(description="bucket size")
    split: str | None = Field(description="what the counts are split by, if anything")
    buckets: list[TimelineBucket] = Field(description="oldest first; empty buckets omitted")
    corrected: TimelineCorrected | None = Field(
        None,
        description="split=sentiment only: shares corrected for the sentiment model's "
        "held-out confusion; null without a confusion matrix (e.g. transformers backend)",
    )
    sampling: dict[str, ShareInterval] | None = Field(
        None,
        description="split=sentiment only: the window's raw shares with 90 % sampling intervals "
        "(Wilson score; the noise of a small count, not the classifier's errors), as in "
        "/v1/sentiment; null without posts",
    )


class CountItem(BaseModel):
    key: str = Field(description="the value")
    count: int = Field(description="posts with it")
    score: float | None = Field(
        None,
        description="keywords ranked `distinctive`: log-odds score against the background (see"
        " docs/api.md); null otherwise",
    )


class TopResponse(BaseModel):
    field: str = Field(description="what was counted")
    items: list[CountItem] = Field(
        description="most frequent first; keywords ranked `distinctive`: highest score first"
    )


class EntityCount(BaseModel):
    text: str = Field(description="the entity as written")
    type: str = Field(description="PER, LOC, ORG, MISC ...")
    count: int = Field(description="posts mentioning it (among the sample)")


class EntitiesResponse(BaseModel):
    sample: int = Field(description="at most this many of the newest matches were read")
    items: list[EntityCount] = Field(description="most mentioned first")


class SentimentResponse(BaseModel):
    total: int = Field(description="analysed posts matching")
    counts: dict[str, int] = Field(description="posts per label")
    shares: dict[str, float] = Field(description="count / total per label")
    corrected: dict[str, ShareInterval] | None = Field(
        None,
        description="shares corrected for the sentiment model's held-out confusion, with "
        "90 % intervals; null without a confusion matrix (e.g. transformers backend) or posts",
    )
    method: str | None = Field(None, description="how `corrected` is estimated (docs/nlp.md)")
    sampling: dict[str, ShareInterval] | None = Field(
        None,
        description="raw shares with a 90 % sampling interval (Wilson score): how far each "
        "share can move by which posts happened to come in; the classifier's errors are not "
        "in it (see `corrected`); null without posts",
    )


class SentimentOffsets(BaseModel):
    """How the deployment's own labels adjust this source's sentiment (`duluan adapt`)."""

    scope: Literal["source", "default"] = Field(
        description="fitted on this source's sample, or the default entry for sources without one"
    )
    offsets: dict[str, float] = Field(description="log-offset per sentiment class")
    labelled: int = Field(description="labelled posts they were fitted on")
    cv_gain: float = Field(description="cross-validated macro-F1 gain on that sample")
    cv_share_gain: float = Field(
        description="cross-validated share error removed on that sample, points"
    )
    shares_labelled: dict[str, float] = Field(description="class shares of the labelled sample")
    shares_model: dict[str, float] = Field(description="the model's shares on it, unadjusted")
    shares_adapted: dict[str, float] = Field(description="the model's shares on it, adjusted")


class SourceHealth(BaseModel):
    source: str = Field(description="source name")
    last_run_at: datetime | None = Field(description="end of the last crawl run")
    last_success_at: datetime | None = Field(description="end of the last successful run")
    last_items: int = Field(description="items the last run found")
    errors_last_day: int = Field(description="crawl errors in the last 24 h")
    runs_last_day: int = Field(description="crawl runs in the last 24 h")
    posts_last_hour: int = Field(description="posts created in the last hour")
    posts_last_day: int = Field(description="posts created in the last 24 h")
    status: str = Field(description="ok, failing, or silent (no items in the last day)")
    sentiment_offsets: SentimentOffsets | None = Field(
        None, description="the sentiment offsets applied to this source's posts, if any"
    )


class Health(BaseModel):
    status: str = Field(description="ok or unavailable")
    posts: int | None = Field(None, description="posts in the store (readyz)")
    detail: str | None = Field(None, description="why not ready")


class SentimentCorrectionRequest(BaseModel):
    """An analyst's reading of a post's sentiment."""

    model_config = ConfigDict(extra="forbid")
    label: Literal["negative", "neutral", "positive"] = Field(description="the right sentiment")


class CorrectionOut(BaseModel):
    post_id: str = Field(description="the corrected post")
    label: Literal["negative", "neutral", "positive"] = Field(description="the analyst's label")
    by: str = Field(description="who corrected it (the API key's name, or the CLI user)")
    at: datetime = Field(description="when")


class DeleteResponse(BaseModel):
    deleted: int = Field(description="posts deleted")
