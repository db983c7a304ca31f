"""Alert subscriptions: a query, one rule, where to deliver, and the knobs that keep it quiet.

Pydantic models, so the API can take them as request bodies and the repository can store
them as JSON. Webhook secrets are stored with the subscription; `redacted()` hides them.
"""

from __future__ import annotations

import re
import secrets
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, Field, field_validator

from duluan.core.inputs import SPACE, SchemaPattern, StrictInput
from duluan.core.models import utcnow
from duluan.core.query import SearchQuery, parse_query

Sensitivity = Literal["fewer", "balanced", "more"]
RuleDirection = Literal["spike", "drop", "both"]

# z thresholds per sensitivity: "fewer" alerts fire only on large, rare moves.
VOLUME_Z: dict[str, float] = {"fewer": 4.0, "balanced": 3.0, "more": 2.0}
TREND_SPIKE_Z: dict[str, float] = {"fewer": 8.0, "balanced": 6.0, "more": 4.5}
TREND_DROP_Z: dict[str, float] = {"fewer": 4.0, "balanced": 3.0, "more": 2.5}

_EMAIL = re.compile(r"^[^@\s,;<>\"]+@[^@\s,;<>\"]+\.[^@\s,;<>\"]+$")


def _ipv6_pattern() -> str:
    """RFC 3986's IPv6address: every text it matches is an address `ipaddress` (and so
    `urlsplit`) accepts, so a bracketed host the schema allows is never a 422."""
    h16 = "[0-9A-Fa-f]{1,4}"
    dec = "(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
    ls32 = rf"(?:{h16}:{h16}|{dec}(?:\.{dec}){{3}})"
    head = [""] + [rf"(?:(?:{h16}:){{0,{n}}}{h16})?" for n in range(6)]
    alts = [
        rf"(?:{h16}:){{6}}{ls32}",
        rf"::(?:{h16}:){{5}}{ls32}",
        rf"(?:{h16})?::(?:{h16}:){{4}}{ls32}",
        rf"{head[2]}::(?:{h16}:){{3}}{ls32}",
        rf"{head[3]}::(?:{h16}:){{2}}{ls32}",
        rf"{head[4]}::{h16}:{ls32}",
        rf"{head[5]}::{ls32}",
        rf"{head[6]}::{h16}",
        rf"(?:(?:{h16}:){{0,6}}{h16})?::",
    ]
    return "(?:" + "|".join(alts) + ")"


_USERINFO = r"[A-Za-z0-9._~!$&'()*+,;=%-]+(?::[A-Za-z0-9._~!$&'()*+,;=%-]*)?@"
# What a webhook URL may look like: http(s), an optional user, a host name or a bracketed IPv6
# address, an optional port, then anything without spaces. Whether the host resolves to public
# addresses (and the port is one) is checked when the target is saved: a 400, not a 422.
WEBHOOK_URL = SchemaPattern(
    rf"[hH][tT][tT][pP][sS]?://(?:{_USERINFO})?"
    rf"(?:[A-Za-z0-9._~-]+|\[{_ipv6_pattern()}\])(?::[0-9]*)?(?:[/?#][^{SPACE}]*)?"
)
# `_EMAIL` with its `\s` spelled out (a request's addresses; stored ones keep `_EMAIL`)
_ADDRESS_PART = rf'[^@{SPACE},;<>"]+'
EMAIL_INPUT = SchemaPattern(rf"{_ADDRESS_PART}@{_ADDRESS_PART}\.{_ADDRESS_PART}")


class AlertQuery(BaseModel):
    """The posts an alert watches: query-language text plus the store's structured filters."""

    q: str | None = Field(default=None, description="query language text; empty matches all")
    sources: list[str] = Field(default_factory=list)
    authors: list[str] = Field(default_factory=list)
    topics: list[str] = Field(default_factory=list)
    sentiments: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)
    watchlist: str | None = Field(
        default=None,
        max_length=200,
        description="watchlist id or name: its query is ANDed with `q` (stored as the id)",
    )
    watchlist_query: str | None = Field(
        default=None,
        description="the watchlist's query text, copied by the API when the alert is saved",
    )

    @field_validator("q", "watchlist_query")
    @classmethod
    def _parses(cls, value: str | None) -> str | None:
        parse_query(value)
        return value

    @property
    def text(self) -> str | None:
        """The query text evaluated: the watchlist's query AND `q` (each parenthesised)."""
        parts = [p.strip() for p in (self.watchlist_query, self.q) if p and p.strip()]
        if len(parts) < 2:
            return parts[0] if parts else None
        return " AND ".join(f"({p})" for p in parts)

    def search(
        self, since: datetime | None = None, until: datetime | None = None, **extra: Any
    ) -> SearchQuery:
        """The SearchQuery for one time range (extra: sort, limit, or a narrower filter)."""
        fields = self.model_dump(exclude={"watchlist", "watchlist_query"})
        fields["q"] = self.text
        fields.update(extra)
        return SearchQuery(since=since, until=until, **fields)


class VolumeRule(BaseModel):
    """Posts per window against the recent baseline (z-score); spikes, drops or both."""

    type: Literal["volume"] = "volume"
    sensitivity: Sensitivity = "balanced"
    direction: RuleDirection = "spike"

    @property
    def z(self) -> float:
        return VOLUME_Z[self.sensitivity]


class NegativeShareRule(BaseModel):
    """Share of negative posts in the window at or above a threshold."""

    type: Literal["negative_share"] = "negative_share"
    threshold: float = Field(default=0.5, gt=0, le=1, description="negative / all in window")
    min_increase: float = Field(
        default=0.0, ge=0, le=1, description="also require share - baseline share >= this (0: off)"
    )


class TrendingRule(BaseModel):
    """A term, entity/term pair or topic trending among the matching posts (any if term unset)."""

    type: Literal["trending"] = "trending"
    term: str | None = Field(default=None, description="term, entity, pair text or topic label")
    kind: Literal["term", "pair", "topic"] | None = Field(default=None, description="only kind")
    sensitivity: Sensitivity = "balanced"
    direction: RuleDirection = "spike"


class SourceSilentRule(BaseModel):
    """A source with no new post for a while, or whose last crawl runs failed or found nothing."""

    type: Literal["source_silent"] = "source_silent"
    source: str = Field(min_length=1)
    silent_after_s: int = Field(default=6 * 3600, ge=60, description="no post for this long fires")
    failed_runs: int = Field(default=3, ge=1, description="this many bad runs in a row fires")


Rule = Annotated[
    VolumeRule | NegativeShareRule | TrendingRule | SourceSilentRule, Field(discriminator="type")
]


class WebhookTarget(BaseModel):
    """POST the event as JSON, signed with HMAC-SHA256 over `timestamp.body`."""

    type: Literal["webhook"] = "webhook"
    url: str
    secret: str = Field(
        default_factory=lambda: secrets.token_urlsafe(32), min_length=16, repr=False
    )

    @field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("webhook url must be http(s)://host/...")
        return value


class EmailTarget(BaseModel):
    type: Literal["email"] = "email"
    to: list[str] = Field(min_length=1, max_length=20)

    @field_validator("to")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        for addr in value:
            if not _EMAIL.match(addr):
                raise ValueError(f"not an email address: {addr!r}")
        return value


Target = Annotated[WebhookTarget | EmailTarget, Field(discriminator="type")]


# -- request bodies: strict and closed (duluan.core.inputs), `type` always sent -----------------


class AlertQueryIn(StrictInput, AlertQuery):
    """An alert's query as a request body gives it."""


class VolumeRuleIn(StrictInput, VolumeRule):
    type: Literal["volume"]


class NegativeShareRuleIn(StrictInput, NegativeShareRule):
    type: Literal["negative_share"]


class TrendingRuleIn(StrictInput, TrendingRule):
    type: Literal["trending"]


class SourceSilentRuleIn(StrictInput, SourceSilentRule):
    type: Literal["source_silent"]
    # bounded: a time span or a SQL LIMIT past these overflowed (a 500) when evaluated
    silent_after_s: int = Field(
        default=6 * 3600, ge=60, le=31 * 86400, description="no post for this long fires"
    )
    failed_runs: int = Field(
        default=3, ge=1, le=1000, description="this many bad runs in a row fires"
    )


RuleIn = Annotated[
    VolumeRuleIn | NegativeShareRuleIn | TrendingRuleIn | SourceSilentRuleIn,
    Field(discriminator="type"),
]


def _webhook_url(value: str) -> str:
    if not WEBHOOK_URL.fullmatch(value):
        raise ValueError("webhook url must be http(s)://host/...")
    return value


def _email(value: str) -> str:
    if not EMAIL_INPUT.fullmatch(value):
        raise ValueError(f"not an email address: {value!r}")
    return value


# the pattern is in the schema; the validator checks it with the same regex and a plain message
WebhookUrl = Annotated[
    str,
    AfterValidator(_webhook_url),
    Field(
        description="http(s)://host/...: the host must resolve to public addresses",
        json_schema_extra={"pattern": WEBHOOK_URL.schema},
    ),
]
EmailAddress = Annotated[
    str, AfterValidator(_email), Field(json_schema_extra={"pattern": EMAIL_INPUT.schema})
]


class WebhookTargetIn(StrictInput, WebhookTarget):
    type: Literal["webhook"]
    url: WebhookUrl
    secret: str = Field(
        default_factory=lambda: secrets.token_urlsafe(32),
        min_length=16,
        repr=False,
        description="HMAC key, at least 16 characters; generated (and returned once) if left out",
    )


class EmailTargetIn(StrictInput, EmailTarget):
    type: Literal["email"]
    to: list[EmailAddress] = Field(min_length=1, max_length=20)


TargetIn = Annotated[WebhookTargetIn | EmailTargetIn, Field(discriminator="type")]


def redact_url(url: str) -> str:
    """Scheme and host only: a webhook URL's path and query often carry its token."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}{f':{parts.port}' if parts.port else ''}/…"


def redact_email(addr: str) -> str:
    """The domain only: `***@example.org`."""
    return "***@" + addr.rpartition("@")[2]


def redact_targets(data: dict[str, Any], *, admin: bool = True) -> dict[str, Any]:
    """Mask webhook secrets in a dumped model's `targets` (alerts and briefing schedules); for
    anyone but an admin also the URL (scheme and host kept) and the recipients (domain kept)."""
    for target in data.get("targets", []):
        if target.get("secret"):
            target["secret"] = "***"
        if not admin:
            if isinstance(target.get("url"), str):
                target["url"] = redact_url(target["url"])
            if isinstance(target.get("to"), list):
                target["to"] = [redact_email(a) for a in target["to"]]
    return data


class Subscription(BaseModel):
    """One alert: what to watch, which rule, how often it may fire, and where it goes."""

    id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    name: str = Field(min_length=1, max_length=200)
    query: AlertQuery = Field(default_factory=lambda: AlertQuery())
    rule: Rule = Field(default_factory=lambda: VolumeRule())
    window_s: int = Field(default=3600, ge=60, le=31 * 86400, description="evaluation window")
    baseline_windows: int = Field(default=24, ge=1, le=500, description="history windows")
    warmup_windows: int = Field(default=6, ge=0, description="history before firing")
    min_volume: int = Field(default=10, ge=0, description="posts needed to fire")
    cooldown_s: int = Field(default=3600, ge=0, description="quiet time after firing")
    targets: list[Target] = Field(default_factory=list, max_length=10)
    enabled: bool = True
    created_at: datetime = Field(default_factory=utcnow)
    last_fired_at: datetime | None = None
    last_evaluated_at: datetime | None = None

    def redacted(self, *, admin: bool = True) -> dict[str, Any]:
        """JSON-ready view with webhook secrets masked (URLs and recipients too for non-admins),
        for API responses and logs."""
        return redact_targets(self.model_dump(mode="json"), admin=admin)
