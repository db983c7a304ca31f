"""The one record type that travels the whole pipeline, and what the NLP adds to it.

JSON (pydantic's) is the wire format on the bus; every stage uses these classes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any, Literal, Protocol

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from duluan.core.text import has_control, strip_control

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


class SentimentCorrection(BaseModel):
    """An analyst's correction of a post's sentiment: `Analysis.sentiment` then holds the
    analyst's label (score 1.0); the model's own reading is kept here."""

    model_label: SentimentLabel = Field(description="what the model said")
    model_score: float = Field(ge=0.0, le=1.0, description="the model's confidence")
    by: str = Field(description="who corrected it (e.g. 'api:<key name>')")
    at: datetime = Field(description="when")

    @field_validator("at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return _aware(value)


class Toxicity(BaseModel):
    """Toxic: vulgar words (also as a mere intensifier, "hay vl"), insults, slurs or threats;
    strong criticism without them is clean (docs/nlp.md, "Toxicity: what counts")."""

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
    sentiment_correction: SentimentCorrection | None = Field(
        default=None, description="set when an analyst corrected `sentiment` (the model's kept)"
    )
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


class AnalyzeFn(Protocol):
    """What the NLP worker, the importer and the pipeline call: one Analysis per text, in
    order; `sources` (one per text) lets per-source sentiment offsets apply (nlp.Analyzer)."""

    def __call__(
        self, texts: Sequence[str], sources: Sequence[str | None] | None = None
    ) -> list[Analysis]: ...


_CLEANED_FIELDS = (
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
)
"""A post's short text fields, kept free of control characters (with the text itself)."""
_cleaned_values = itemgetter(*_CLEANED_FIELDS)
_STORED: dict[str, bool] = {"stored": True}
"""The validation context of posts read back from a store (`Post.from_stored`)."""


def _scoped(post_id: str) -> str:
    if ":" not in post_id or post_id.startswith(":") or not post_id.strip():
        raise ValueError("post id must be source-scoped, like 'vnexpress:comment:123'")
    return post_id


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

    @model_validator(mode="after")
    def _no_control(self, info: ValidationInfo) -> Post:
        """NULs and other control characters break ids, indexes and terminals: drop them.

        One check over the whole post, skipped for posts read back from a store (`from_stored`:
        they were cleaned on the way in). Ten per-field Python validators run on every read
        cost search a tenth of its throughput (docs/benchmarks.md, session 8).
        """
        if info.context is _STORED:
            return self
        fields = self.__dict__
        probe = "".join([*filter(None, _cleaned_values(fields)), self.text, *self.engagement])
        if probe.isprintable() or not has_control(probe):
            return self
        for name in _CLEANED_FIELDS:
            value = fields[name]
            if value is not None:
                fields[name] = strip_control(value)
        if not fields["source"]:
            raise ValueError("source is nothing but control characters")
        cleaned = strip_control(self.text)
        if self.text.strip() and not cleaned.strip():
            raise ValueError("text is nothing but control characters")
        fields["text"] = cleaned
        fields["engagement"] = {strip_control(k): v for k, v in self.engagement.items()}
        _scoped(fields["id"])
        return self

    @field_validator("id")
    @classmethod
    def _id_is_scoped(cls, value: str) -> str:
        return _scoped(value)

    @field_validator("created_at", "fetched_at")
    @classmethod
    def _tz(cls, value: datetime) -> datetime:
        return _aware(value)

    def analysis_text(self) -> str:
        """What the NLP reads: the title, then the text on a line of its own, so the body's
        first word opens a sentence (entities) though the model reads the two joined."""
        return "\n".join(x for x in (self.title, self.text) if x)

    def to_json(self) -> bytes:
        return self.model_dump_json().encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes | str) -> Post:
        return cls.model_validate_json(data)

    @classmethod
    def from_stored(cls, data: bytes | str | dict[str, Any]) -> Post:
        """A post as a store holds it (JSON or its parsed dict): validated, not cleaned again."""
        if isinstance(data, dict):
            return cls.model_validate(data, context=_STORED)
        return cls.model_validate_json(data, context=_STORED)


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
