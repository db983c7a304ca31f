"""Alert subscriptions for the API: create / update with target checks, views with secrets masked."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from duluan.alerts.delivery import DeliveryConfig, DeliveryResult, Notifier, validate_webhook_url
from duluan.alerts.evaluate import EvalOptions, Evaluation, explain
from duluan.alerts.models import (
    AlertQuery,
    AlertQueryIn,
    EmailTargetIn,
    Rule,
    RuleIn,
    Subscription,
    TargetIn,
    VolumeRuleIn,
    WebhookTarget,
    WebhookTargetIn,
    redact_email,
    redact_url,
)
from duluan.alerts.repository import AlertRepository
from duluan.core.inputs import StrictInput
from duluan.meta.source_runs import SourceRunRepository
from duluan.storage.base import Store
from duluan.watchlists.repository import WatchlistRepository
from duluan.watchlists.service import get_watchlist

MASK = "***"


class AlertNotFound(LookupError):
    """No subscription with that id."""


class AlertIn(StrictInput):
    """A new alert: what to watch, the rule, the quiet knobs and where it goes."""

    name: str = Field(min_length=1, max_length=200, description="shown in every alert")
    query: AlertQueryIn = Field(default_factory=AlertQueryIn, description="the posts to watch")
    rule: RuleIn = Field(
        default_factory=lambda: VolumeRuleIn(type="volume"), description="when it fires"
    )
    window_s: int = Field(default=3600, ge=60, le=31 * 86400, description="evaluation window")
    baseline_windows: int = Field(default=24, ge=1, le=500, description="history windows")
    warmup_windows: int = Field(default=6, ge=0, le=500, description="history before firing")
    min_volume: int = Field(default=10, ge=0, description="posts needed to fire")
    cooldown_s: int = Field(default=3600, ge=0, le=31 * 86400, description="quiet after firing")
    targets: list[TargetIn] = Field(
        default_factory=list,
        max_length=10,
        description="webhooks (secret generated when omitted) and email recipients",
    )
    enabled: bool = Field(default=True, description="evaluated by the alert runner")


PatchSecret = Literal["***"] | Annotated[str, Field(min_length=16)] | None


class WebhookTargetPatch(WebhookTargetIn):
    """A webhook target in a PATCH: secret `***` (as shown) or left out keeps the stored one."""

    secret: PatchSecret = Field(  # type: ignore[assignment]
        None, description="`***` or null keeps the stored secret; a new one has 16+ characters"
    )


TargetPatch = Annotated[WebhookTargetPatch | EmailTargetIn, Field(discriminator="type")]


class AlertPatch(StrictInput):
    """Change some fields (null or left out: unchanged); a webhook target sent with secret
    `***` or none keeps its secret."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    query: AlertQueryIn | None = None
    rule: RuleIn | None = None
    window_s: int | None = Field(default=None, ge=60, le=31 * 86400)
    baseline_windows: int | None = Field(default=None, ge=1, le=500)
    warmup_windows: int | None = Field(default=None, ge=0, le=500)
    min_volume: int | None = Field(default=None, ge=0)
    cooldown_s: int | None = Field(default=None, ge=0, le=31 * 86400)
    targets: list[TargetPatch] | None = Field(default=None, max_length=10)
    enabled: bool | None = None


class AlertOut(BaseModel):
    """A subscription as the API shows it: webhook secrets masked, last evaluation attached."""

    id: str
    name: str
    query: AlertQuery
    rule: Rule
    window_s: int
    baseline_windows: int
    warmup_windows: int
    min_volume: int
    cooldown_s: int
    targets: list[dict[str, Any]] = Field(description="webhook secrets are shown as `***`")
    enabled: bool
    created_at: datetime
    last_fired_at: datetime | None = Field(None, description="start of the current cooldown")
    last_evaluated_at: datetime | None = None
    last_status: str | None = Field(
        None, description="fired, quiet, warming_up, cooldown, low_volume, disabled or error"
    )
    last_detail: str | None = Field(None, description="why, in one line")


class AlertCreated(AlertOut):
    secrets: dict[str, str] = Field(
        default_factory=dict,
        description="webhook secrets the server generated, by target index: shown only here",
    )


def resolve_watchlist(query: AlertQuery, watchlists: WatchlistRepository) -> AlertQuery:
    """Pin `query.watchlist` to the watchlist's id and copy its query text (none: cleared).

    Raises watchlists.service.WatchlistNotFound for an unknown id or name. The copy is taken
    when the alert is saved; saving the alert again (any PATCH) picks up a changed watchlist.
    """
    if not query.watchlist:
        return query.model_copy(update={"watchlist": None, "watchlist_query": None})
    found = get_watchlist(watchlists, query.watchlist)
    return query.model_copy(update={"watchlist": found.id, "watchlist_query": found.query})


def check_targets(sub: Subscription, *, allow_private: bool) -> None:
    """Raise TargetRefused for a webhook pointing at an internal or unresolvable address."""
    for target in sub.targets:
        if isinstance(target, WebhookTarget):
            validate_webhook_url(target.url, allow_private=allow_private)


def view(repo: AlertRepository, sub: Subscription, *, admin: bool = True) -> AlertOut:
    """The masked API view, with the last evaluation's status; `admin=False` also hides the
    URLs' paths and queries and the recipients' names."""
    status, detail = repo.last_status(sub.id)
    return AlertOut.model_validate(
        {**sub.redacted(admin=admin), "last_status": status, "last_detail": detail}
    )


def view_delivery(result: DeliveryResult, *, admin: bool) -> DeliveryResult:
    """A delivery log entry; for anyone but an admin its target is host or domain only."""
    if admin:
        return result
    if result.channel == "webhook":
        target = redact_url(result.target)
    else:
        target = ", ".join(redact_email(a.strip()) for a in result.target.split(","))
    return result.model_copy(update={"target": target})


def get_alert(repo: AlertRepository, *, alert_id: str) -> Subscription:
    """One subscription, or AlertNotFound."""
    sub = repo.get_subscription(alert_id)
    if sub is None:
        raise AlertNotFound(f"no alert with id {alert_id!r}")
    return sub


def create_alert(
    repo: AlertRepository,
    *,
    body: AlertIn,
    allow_private: bool,
    watchlists: WatchlistRepository | None = None,
) -> AlertCreated:
    """Validate targets, save, and return the view plus any generated webhook secrets."""
    sub = Subscription.model_validate(body.model_dump())
    if watchlists is not None:
        sub.query = resolve_watchlist(sub.query, watchlists)
    check_targets(sub, allow_private=allow_private)
    generated = {
        str(i): t.secret
        for i, (t, given) in enumerate(zip(sub.targets, body.targets, strict=True))
        if isinstance(t, WebhookTarget)
        and isinstance(given, WebhookTarget)
        and "secret" not in given.model_fields_set
    }
    saved = repo.save_subscription(sub)
    return AlertCreated(**view(repo, saved).model_dump(), secrets=generated)


def _merge_targets(old: Subscription, new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Keep the stored secret of a webhook resent without one (or masked) at the same URL."""
    secrets = {t.url: t.secret for t in old.targets if isinstance(t, WebhookTarget)}
    # a target sent back as a non-admin saw it (`https://host/…`) means the stored URL
    redacted: dict[str, list[str]] = {}
    for url in secrets:
        redacted.setdefault(redact_url(url), []).append(url)
    out = []
    for target in new:
        target = dict(target)
        sent_url = str(target.get("url") or "")
        if target.get("type", "webhook") == "webhook" and len(redacted.get(sent_url, [])) == 1:
            target["url"] = redacted[sent_url][0]
        if target.get("type", "webhook") == "webhook" and target.get("secret") in (None, MASK):
            target.pop("secret", None)
            if target.get("url") in secrets:
                target["secret"] = secrets[target["url"]]
        out.append(target)
    return out


def update_alert(
    repo: AlertRepository,
    *,
    alert_id: str,
    patch: AlertPatch,
    allow_private: bool,
    watchlists: WatchlistRepository | None = None,
) -> AlertOut:
    """Apply the given fields, re-validate, check targets, save."""
    old = get_alert(repo, alert_id=alert_id)
    data = old.model_dump()
    changes = patch.model_dump(exclude_unset=True)
    if "targets" in changes and changes["targets"] is not None:
        changes["targets"] = _merge_targets(old, changes["targets"])
    data.update({k: v for k, v in changes.items() if v is not None})
    sub = Subscription.model_validate(data)
    if watchlists is not None:
        sub.query = resolve_watchlist(sub.query, watchlists)
    check_targets(sub, allow_private=allow_private)
    return view(repo, repo.save_subscription(sub))


def dry_run(
    store: Store,
    *,
    body: AlertIn,
    now: datetime,
    options: EvalOptions,
    watchlists: WatchlistRepository | None = None,
    runs: SourceRunRepository | None = None,
) -> Evaluation:
    """Evaluate an unsaved alert now (no cooldown, nothing recorded or delivered)."""
    sub = Subscription.model_validate(body.model_dump())
    if watchlists is not None:
        sub.query = resolve_watchlist(sub.query, watchlists)
    return explain(sub, store, now, options=options, runs=runs)


def send_test(
    repo: AlertRepository, *, alert_id: str, config: DeliveryConfig
) -> list[DeliveryResult]:
    """Send a marked test event to every target (logged in the delivery log)."""
    sub = get_alert(repo, alert_id=alert_id)
    return Notifier(config, repo).send_test(sub)
