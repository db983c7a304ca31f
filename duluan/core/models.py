"""The one record type that travels the whole pipeline, and what the NLP adds to it.

JSON (pydantic's) is the wire format on the bus; every stage uses these classes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from duluan.core.text import strip_control

SentimentLabel = Literal["positive", "neutral", "negative"]
SENTIMENT_LABELS: tuple[SentimentLabel, ...] = ("negative", "neutral", "positive")
TOPIC_THRESHOLD = 0.5


def utcnow() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime) -> datetime:
    """Naive datetimes are taken as UTC so comparisons never mix aware and naive values."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class Scored(BaseModel):
    """A label with a confidence in [0, 1]."""

    model_config = ConfigDict(frozen=True)
    label: str
    score: float = Field(ge=0.0, le=1.0)


class Sentiment(BaseModel):
    label: SentimentLabel = "neutral"
    score: float = Field(default=0.0, ge=0.0, le=1.0, description="calibrated confidence")


class Toxicity(BaseModel):
    label: bool = False
    score: float = Field(default=0.0, ge=0.0, le=1.0, description="probability of toxic")


class Entity(BaseModel):
    text: str
    type: str = Field(description="PER, LOC, ORG, MISC ...")


class AspectSentiment(BaseModel):
    aspect: str = Field(description="e.g. battery, camera, price, service")
    polarity: SentimentLabel
    score: float = Field(ge=0.0, le=1.0)


class Analysis(BaseModel):
    """What the NLP worker learns about a Post."""

    language: str = Field(description="ISO 639-1 code, or 'unknown' / 'empty'")
    language_score: float = Field(default=0.0, ge=0.0, le=1.0)
    normalized_text: str = ""
    tokens: list[str] = Field(default_factory=list, description="word-segmented tokens")
    sentiment: Sentiment = Field(default_factory=Sentiment)
    topics: list[Scored] = Field(default_factory=list, description="news taxonomy, best first")
    topic_source: Literal["section", "thread", "text"] | None = Field(
        default=None,
        description="where the topics came from: the post's section, its "
        "thread's section, or its own text (None: no topic)",
    )
    rule_topics: list[str] = Field(default_factory=list, description="user-defined topics matched")
    toxic: Toxicity = Field(default_factory=Toxicity)
    keywords: list[str] = Field(default_factory=list)
    entities: list[Entity] = Field(default_factory=list)
    aspects: list[AspectSentiment] = Field(default_factory=list)
    model_versions: dict[str, str] = Field(default_factory=dict)

    def topic_labels(self, threshold: float = TOPIC_THRESHOLD) -> list[str]:
        """Topics a post is filed under: the best one plus any other scoring >= threshold."""
        if not self.topics:
            return []
        best = max(self.topics, key=lambda t: t.score)
        return [best.label] + [
            t.label for t in self.topics if t is not best and t.score >= threshold
        ]


class Post(BaseModel):
    """A public post or comment, as collected; `analysis` is filled by the NLP worker."""

    id: str = Field(description="stable, source-scoped id, e.g. 'vnexpress:comment:24971159'")
    source: str = Field(min_length=1, description="spider / source name, e.g. 'vnexpress'")
    kind: str = Field(default="post", description="article, comment, reply, thread, post ...")
    url: str | None = None
    thread_id: str | None = Field(default=None, description="post id of the article/thread root")
    parent_id: str | None = Field(default=None, description="post id this one replies to")
    author: str | None = Field(default=None, description="public handle or display name")
    title: str | None = None
    section: str | None = Field(
        default=None,
        description="the source's section of the article or thread (URL path, "
        "breadcrumb, category feed, sub-forum), e.g. 'kinh-doanh'; comments carry their thread's",
    )
    text: str
    created_at: datetime
    fetched_at: datetime = Field(default_factory=utcnow)
    lang: str | None = Field(default=None, description="language declared by the source, if any")
    engagement: dict[str, int] = Field(default_factory=dict, description="likes, replies, views")
    raw: dict[str, Any] = Field(default_factory=dict, description="source fields kept as-is")
    truncated: bool = Field(
        default=False, description="text or title was cut to the size limit at the bus"
    )
    analysis: Analysis | None = None

    @field_validator(
        "id",
        "source",
        "kind",
        "url",
        "thread_id",
        "parent_id",
        "author",
        "title",
        "section",
        "lang",
        mode="before",
    )
    @classmethod
    def _no_control(cls, value: Any) -> Any:
        """NULs and other control characters break ids, indexes and terminals: drop them."""
        return strip_control(value) if isinstance(value, str) else value

    @field_validator("text", mode="before")
    @classmethod
    def _text_not_only_control(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        cleaned = strip_control(value)
        if value.strip() and not cleaned.strip():
            raise ValueError("text is nothing but control characters")
        return cleaned

    @field_validator("engagement", mode="before")
    @classmethod
    def _clean_keys(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {strip_control(k) if isinstance(k, str) else k: v for k, v in value.items()}
        return value

    @field_validator("id")
    @classmethod
    def _id_is_scoped(cls, value: str) -> str:
        if ":" not in value or value.startswith(":") or not value.strip():
            raise ValueError("post id must be source-scoped, like 'vnexpress:comment:123'")
        return value

    @field_validator("created_at", "fetched_at")
    @classmethod
    def _tz(cls, value: datetime) -> datetime:
        return _aware(value)

    def to_json(self) -> bytes:
        return self.model_dump_json().encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes | str) -> Post:
        return cls.model_validate_json(data)


class SamplePost(BaseModel):
    """A short view of a post for alerts and trends: enough to judge it, not the whole record."""

    id: str
    source: str
    url: str | None = None
    created_at: datetime
    text: str = Field(description="first 280 characters")
    sentiment: str | None = None

    @classmethod
    def of(cls, post: Post) -> SamplePost:
        return cls(
            id=post.id,
            source=post.source,
            url=post.url,
            created_at=post.created_at,
            text=post.text[:280],
            sentiment=post.analysis.sentiment.label if post.analysis else None,
        )
