"""The figures of one briefing, independent of how they are rendered (HTML, PDF, JSON)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from duluan.core.models import SENTIMENT_LABELS
from nlp.shares import sampling_interval


def _zero_counts() -> dict[str, int]:
    return dict.fromkeys(SENTIMENT_LABELS, 0)


class SentimentCounts(BaseModel):
    """Posts in a period; shares are of analysed posts (those with a sentiment), like the API."""

    total: int = 0
    counts: dict[str, int] = Field(default_factory=_zero_counts)
    corrected: dict[str, dict[str, float]] | None = Field(
        None,
        description="label -> {share, low, high}: corrected for the sentiment model's "
        "held-out confusion, 90 % interval (nlp.shares); None without a confusion matrix",
    )

    @property
    def analysed(self) -> int:
        return sum(self.counts.get(label, 0) for label in SENTIMENT_LABELS)

    @property
    def negative_share(self) -> float:
        return self.share("negative")

    def share(self, label: str) -> float:
        return self.counts.get(label, 0) / self.analysed if self.analysed else 0.0

    def sampling(self, label: str) -> tuple[float, float]:
        """The raw share's 90 % sampling interval (Wilson score): the noise of a small count,
        shown when no corrected share is."""
        e = sampling_interval(float(self.counts.get(label, 0)), float(self.analysed))
        return e.low, e.high


class TimeBucket(BaseModel):
    """One local hour/day/week: posts by sentiment."""

    start: datetime
    total: int
    counts: dict[str, int] = Field(default_factory=_zero_counts)

    @property
    def negative_share(self) -> float:
        analysed = sum(self.counts.get(label, 0) for label in SENTIMENT_LABELS)
        return self.counts.get("negative", 0) / analysed if analysed else 0.0


class SamplePost(BaseModel):
    id: str
    source: str
    url: str | None = None
    created_at: datetime
    text: str = Field(description="first 300 characters")
    sentiment: str | None = None


class RankedItem(BaseModel):
    """A topic, term or source: count now, count in the previous period, and the change."""

    key: str
    count: int
    previous: int = 0
    share: float = 0.0
    previous_share: float = 0.0

    @property
    def delta(self) -> int:
        return self.count - self.previous


class EmergingTerm(BaseModel):
    term: str
    count: int
    expected: float = Field(description="posts expected at the previous period's share")
    previous: int
    score: float = Field(description="z against Poisson noise; higher is more unusual")
    is_new: bool = False
    samples: list[SamplePost] = Field(default_factory=list)


class NegativeSpike(BaseModel):
    start: datetime
    end: datetime
    negative: int
    expected: float
    total: int
    share: float
    samples: list[SamplePost] = Field(default_factory=list)


class SourceCoverage(BaseModel):
    source: str
    count: int
    previous: int
    failed_runs: int = 0


class Briefing(BaseModel):
    """Everything a briefing says, computed once from the store."""

    watchlist_id: str | None = None
    watchlist_name: str
    query: str | None = None
    lang: str = "vi"
    timezone: str
    start: datetime
    end: datetime
    previous_start: datetime
    previous_end: datetime
    granularity: str
    generated_at: datetime
    current: SentimentCounts
    previous: SentimentCounts
    timeline: list[TimeBucket]
    previous_timeline: list[TimeBucket] = Field(default_factory=list)
    topics: list[RankedItem] = Field(default_factory=list)
    emerging: list[EmergingTerm] = Field(default_factory=list)
    sources: list[RankedItem] = Field(default_factory=list)
    spikes: list[NegativeSpike] = Field(default_factory=list)
    coverage: list[SourceCoverage] = Field(default_factory=list)
    silent_sources: list[str] = Field(default_factory=list)
    model_accuracy: list[str] = Field(default_factory=list, description="lines of the model card")
    highlights: list[str] = Field(default_factory=list, description="plain-language changes")
    timings: dict[str, float] = Field(default_factory=dict, description="seconds per step")

    @property
    def volume_change(self) -> float | None:
        """Relative change in volume (None when the previous period had no posts)."""
        if not self.previous.total:
            return None
        return self.current.total / self.previous.total - 1
