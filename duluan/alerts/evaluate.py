"""Evaluate one subscription against the Store: fire an explained AlertEvent, or say why not.

`explain` returns an Evaluation (status + numbers) for dry-runs and the API; `evaluate`
returns only the event. Both are read-only: the runner records firings and cooldowns.
"""

from __future__ import annotations

import contextlib
import math
import statistics
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from urllib.parse import urlencode

from pydantic import BaseModel, Field

from duluan.alerts.models import (
    TREND_DROP_Z,
    TREND_SPIKE_Z,
    AlertQuery,
    NegativeShareRule,
    SourceSilentRule,
    Subscription,
    TrendingRule,
    VolumeRule,
)
from duluan.core.models import SENTIMENT_LABELS, SamplePost, utcnow
from duluan.core.query import Interval
from duluan.core.text import fold
from duluan.meta.source_runs import SourceRunRepository
from duluan.storage.base import Store, StoreError
from duluan.trends.detector import TermCount, Trend, TrendConfig, trends_from_store
from nlp import model_meta, shares

Status = Literal["fired", "quiet", "warming_up", "cooldown", "low_volume", "disabled"]


@dataclass(frozen=True)
class EvalOptions:
    """Presentation and cost knobs shared by every evaluation."""

    base_url: str = "http://127.0.0.1:8000"
    search_path: str = "/search"
    sample_posts: int = 5
    top_n: int = 10
    trend_max_posts_per_window: int = 2000
    sentiment_confusion: Any = "auto"
    """Negative-share rules read shares corrected for the sentiment model's held-out confusion
    and fire on the lower end of their 90 % interval (nlp.shares): "auto" reads the model's
    matrix (nlp.model_meta), None keeps raw shares, an array is used as given. Raw shares fire
    on the lower end of their 90 % sampling interval."""


def _confusion(options: EvalOptions) -> Any:
    if not isinstance(options.sentiment_confusion, str):
        return options.sentiment_confusion
    try:
        from duluan.core.settings import get_settings

        return model_meta.confusion_for(get_settings())
    except Exception:  # a broken config must not stop alerts
        return model_meta.confusion_for(None)


def _corrected_negative(
    store: Store,
    query: AlertQuery,
    since: datetime,
    until: datetime,
    negative: int,
    confusion: Any,
) -> dict[str, float] | None:
    """{share, low, high} of negative, corrected; None without a matrix or with a sentiment
    filter (the other classes' counts are then unknown)."""
    if confusion is None or query.sentiments:
        return None
    counts = {"negative": negative}
    for label in ("neutral", "positive"):
        counts[label] = store.count(query.search(since, until, sentiments=[label]))
    found = shares.corrected_share_dict(counts, SENTIMENT_LABELS, confusion)
    return found["negative"] if found else None


class AlertDrivers(BaseModel):
    """What explains the alert: the window's top terms, sources and a few posts."""

    top_terms: list[TermCount] = Field(default_factory=list)
    top_sources: list[TermCount] = Field(default_factory=list)
    sample_posts: list[SamplePost] = Field(default_factory=list)


class AlertEvent(BaseModel):
    """One firing, self-explaining: which metric crossed which threshold, and why."""

    id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    subscription_id: str
    subscription_name: str
    rule_type: str
    direction: Literal["spike", "drop", "above", "silent"]
    fired_at: datetime
    window_start: datetime
    window_end: datetime
    summary: str
    metric: str = Field(description="volume | negative_share | trend_z | silence_s | bad_runs")
    observed: float
    expected: float | None = None
    threshold: float
    score: float | None = Field(default=None, description="z-score where the rule uses one")
    drivers: AlertDrivers = Field(default_factory=AlertDrivers)
    trends: list[Trend] = Field(default_factory=list)
    details: dict[str, object] = Field(default_factory=dict)
    search_url: str | None = None
    test: bool = False


class Evaluation(BaseModel):
    subscription_id: str
    evaluated_at: datetime
    status: Status
    detail: str
    observed: float | None = None
    expected: float | None = None
    threshold: float | None = None
    event: AlertEvent | None = None


def search_url(
    options: EvalOptions, query: AlertQuery, since: datetime | None, until: datetime | None
) -> str:
    """Link to the matching posts in the API / dashboard."""
    params: list[tuple[str, str]] = []
    if query.text:
        params.append(("q", query.text))
    for name, values in (
        ("source", query.sources),
        ("author", query.authors),
        ("topic", query.topics),
        ("sentiment", query.sentiments),
        ("lang", query.languages),
    ):
        params.extend((name, v) for v in values)
    if since:
        params.append(("since", since.astimezone(UTC).isoformat()))
    if until:
        params.append(("until", until.astimezone(UTC).isoformat()))
    base = options.base_url.rstrip("/") + options.search_path
    return f"{base}?{urlencode(params)}" if params else base


def _interval_for(window: timedelta) -> Interval:
    return "hour" if window <= timedelta(days=2) else "day"


def _drivers(
    store: Store,
    sub: Subscription,
    since: datetime,
    until: datetime,
    options: EvalOptions,
    sentiments: list[str] | None = None,
) -> AlertDrivers:
    """Top terms, sources and newest posts of the window; aggregates a store lacks are skipped."""
    extra = {"sentiments": sentiments} if sentiments else {}
    q = sub.query.search(since, until, **extra)
    drivers = AlertDrivers()
    with contextlib.suppress(NotImplementedError, StoreError):
        drivers.top_terms = [
            TermCount(term=t, count=c) for t, c in store.top_keywords(q, options.top_n)
        ]
    try:
        sources: Counter[str] = Counter()
        for bucket in store.timeline(q, _interval_for(until - since), split="source"):
            sources.update(bucket.split)
        drivers.top_sources = [
            TermCount(term=s, count=c) for s, c in sources.most_common(options.top_n)
        ]
    except (NotImplementedError, StoreError):
        pass
    if options.sample_posts:
        page = store.search(q.model_copy(update={"limit": options.sample_posts, "sort": "newest"}))
        drivers.sample_posts = [SamplePost.of(h.post) for h in page.hits]
    return drivers


def _first_post_at(store: Store, query: AlertQuery, until: datetime) -> datetime | None:
    page = store.search(query.search(None, until, sort="oldest", limit=1))
    return page.hits[0].post.created_at if page.hits else None


def _history_windows(first: datetime, now: datetime, window: timedelta, wanted: int) -> int:
    """Whole baseline windows (before the current one) that start at or after the first post."""
    span = (now - window) - first
    return max(0, min(wanted, int(span / window)))


def explain(
    sub: Subscription,
    store: Store,
    now: datetime | None = None,
    *,
    options: EvalOptions | None = None,
    ignore_cooldown: bool = False,
    runs: SourceRunRepository | None = None,
) -> Evaluation:
    """Evaluate `sub` at `now`: status, observed vs expected/threshold, and the event if fired.

    `runs`: the crawl runs in the metadata database, which silent-source rules read (without
    them such a rule judges by the source's posts alone)."""
    now = now or utcnow()
    options = options or EvalOptions()
    if not sub.enabled:
        return Evaluation(
            subscription_id=sub.id,
            evaluated_at=now,
            status="disabled",
            detail="subscription is disabled",
        )
    if not ignore_cooldown and sub.last_fired_at is not None:
        until = sub.last_fired_at + timedelta(seconds=sub.cooldown_s)
        if now < until:
            return Evaluation(
                subscription_id=sub.id,
                evaluated_at=now,
                status="cooldown",
                detail=f"fired at {sub.last_fired_at.isoformat()}; quiet until {until.isoformat()}",
            )
    rule = sub.rule
    if isinstance(rule, VolumeRule):
        return _volume(sub, rule, store, now, options)
    if isinstance(rule, NegativeShareRule):
        return _negative_share(sub, rule, store, now, options)
    if isinstance(rule, TrendingRule):
        return _trending(sub, rule, store, now, options)
    return _source_silent(sub, rule, store, now, options, runs)


def evaluate(
    sub: Subscription,
    store: Store,
    now: datetime | None = None,
    *,
    options: EvalOptions | None = None,
    runs: SourceRunRepository | None = None,
) -> AlertEvent | None:
    """The AlertEvent if `sub` fires at `now` (cooldown respected), else None."""
    return explain(sub, store, now, options=options, runs=runs).event


def _event(
    sub: Subscription, now: datetime, start: datetime, options: EvalOptions, **fields: Any
) -> AlertEvent:
    return AlertEvent(
        subscription_id=sub.id,
        subscription_name=sub.name,
        rule_type=sub.rule.type,
        fired_at=now,
        window_start=start,
        window_end=now,
        search_url=search_url(options, sub.query, start, now),
        **fields,
    )


def _warmup(sub: Subscription, store: Store, now: datetime) -> tuple[int, str | None]:
    """History windows available, and a reason to stay quiet if fewer than the warm-up."""
    window = timedelta(seconds=sub.window_s)
    first = _first_post_at(store, sub.query, now)
    if first is None:
        return 0, "no matching posts yet"
    history = _history_windows(first, now, window, sub.baseline_windows)
    if history < sub.warmup_windows:
        return history, (
            f"warming up: {history} of {sub.warmup_windows} history windows "
            f"since the first matching post at {first.isoformat()}"
        )
    return history, None


def _volume(
    sub: Subscription, rule: VolumeRule, store: Store, now: datetime, options: EvalOptions
) -> Evaluation:
    window = timedelta(seconds=sub.window_s)
    start = now - window
    history, why = _warmup(sub, store, now)
    if why:
        return Evaluation(subscription_id=sub.id, evaluated_at=now, status="warming_up", detail=why)
    observed = store.count(sub.query.search(start, now))
    counts = [
        store.count(sub.query.search(now - window * (i + 1), now - window * i))
        for i in range(1, max(history, 1) + 1)
    ]
    mean = statistics.fmean(counts)
    var = statistics.pvariance(counts) if len(counts) > 1 else 0.0
    # Spread of the baseline, floored by Poisson noise: a flat history is not infinitely sure.
    z = (observed - mean) / math.sqrt(max(var, mean) + 1.0)
    threshold = rule.z
    base = Evaluation(
        subscription_id=sub.id,
        evaluated_at=now,
        status="quiet",
        detail="",
        observed=observed,
        expected=round(mean, 3),
        threshold=threshold,
    )
    spike = rule.direction in ("spike", "both") and z >= threshold
    drop = rule.direction in ("drop", "both") and z <= -threshold
    if spike and observed < sub.min_volume:
        base.status, base.detail = (
            "low_volume",
            (f"{observed} posts (< min_volume {sub.min_volume}); z={z:.2f}"),
        )
        return base
    if drop and mean < sub.min_volume:
        base.status, base.detail = (
            "low_volume",
            (f"expected {mean:.1f} posts (< min_volume {sub.min_volume}); z={z:.2f}"),
        )
        return base
    if not (spike or drop):
        base.detail = f"{observed} posts vs {mean:.1f} expected: z={z:.2f}, threshold ±{threshold}"
        return base
    word = "spike" if spike else "drop"
    summary = (
        f"{sub.name}: volume {word}: {observed} posts in the last {_human(window)} vs "
        f"{mean:.1f} expected (z={z:.2f}, threshold {'+' if spike else '-'}{threshold})"
    )
    base.status, base.detail = "fired", summary
    base.event = _event(
        sub,
        now,
        start,
        options,
        direction=word,
        summary=summary,
        metric="volume",
        observed=float(observed),
        expected=round(mean, 3),
        threshold=threshold,
        score=round(z, 3),
        drivers=_drivers(store, sub, start, now, options),
        details={"baseline_counts": counts, "sensitivity": rule.sensitivity},
    )
    return base


def _negative_share(
    sub: Subscription, rule: NegativeShareRule, store: Store, now: datetime, options: EvalOptions
) -> Evaluation:
    window = timedelta(seconds=sub.window_s)
    start = now - window
    total = store.count(sub.query.search(start, now))
    negative = _count_negative(store, sub.query, start, now)
    raw_share = negative / total if total else 0.0
    confusion = _confusion(options)
    corrected = (
        _corrected_negative(store, sub.query, start, now, negative, confusion) if total else None
    )
    share = corrected["share"] if corrected else raw_share
    sampled = shares.sampling_interval(negative, total)
    # noise must not fire: the lower end of the corrected interval, or without a matrix of
    # the raw share's sampling interval (70 % of 10 posts may well be 45 %)
    firing_share = corrected["low"] if corrected else sampled.low
    base = Evaluation(
        subscription_id=sub.id,
        evaluated_at=now,
        status="quiet",
        detail="",
        observed=round(share, 4),
        threshold=rule.threshold,
    )
    if total < max(sub.min_volume, 1):
        base.status = "low_volume"
        base.detail = f"{total} posts in window (< min_volume {sub.min_volume})"
        return base
    baseline_share: float | None = None
    if rule.min_increase > 0:
        _, why = _warmup(sub, store, now)
        if why:
            base.status, base.detail = "warming_up", why
            return base
        b_start = now - window * (sub.baseline_windows + 1)
        b_total = store.count(sub.query.search(b_start, start))
        b_negative = _count_negative(store, sub.query, b_start, start)
        baseline_share = b_negative / b_total if b_total else 0.0
        b_corrected = (
            _corrected_negative(store, sub.query, b_start, start, b_negative, confusion)
            if b_total and corrected
            else None
        )
        if b_corrected:
            baseline_share = b_corrected["share"]
        base.expected = round(baseline_share, 4)
    crossed = firing_share >= rule.threshold and (
        baseline_share is None or firing_share - baseline_share >= rule.min_increase
    )
    what = (
        f"negative share {share:.1%} corrected for model error (90 % interval "
        f"{corrected['low']:.1%}-{corrected['high']:.1%}; raw {raw_share:.1%})"
        if corrected
        else f"negative share {share:.1%} (90 % sampling interval "
        f"{sampled.low:.1%}-{sampled.high:.1%}; not corrected for model error)"
    )
    if not crossed:
        base.detail = f"{what} of {total} posts; threshold {rule.threshold:.0%}" + (
            f", baseline {baseline_share:.1%}" if baseline_share is not None else ""
        )
        return base
    summary = (
        f"{sub.name}: {what} ({negative} of {total} posts labelled negative in the "
        f"last {_human(window)}) ≥ threshold {rule.threshold:.0%}"
        + (f"; baseline {baseline_share:.1%}" if baseline_share is not None else "")
    )
    base.status, base.detail = "fired", summary
    details: dict[str, Any] = {"negative": negative, "total": total}
    if corrected:
        details.update(raw_share=round(raw_share, 4), corrected=corrected)
    else:
        details.update(sampling={"low": round(sampled.low, 4), "high": round(sampled.high, 4)})
    base.event = _event(
        sub,
        now,
        start,
        options,
        direction="above",
        summary=summary,
        metric="negative_share",
        observed=round(share, 4),
        expected=baseline_share,
        threshold=rule.threshold,
        drivers=_drivers(store, sub, start, now, options, sentiments=["negative"]),
        details=details,
    )
    return base


def _count_negative(store: Store, query: AlertQuery, since: datetime, until: datetime) -> int:
    if query.sentiments and "negative" not in query.sentiments:
        return 0
    return store.count(query.search(since, until, sentiments=["negative"]))


def _trending(
    sub: Subscription, rule: TrendingRule, store: Store, now: datetime, options: EvalOptions
) -> Evaluation:
    window = timedelta(seconds=sub.window_s)
    start = now - window
    history, why = _warmup(sub, store, now)
    if why:
        return Evaluation(subscription_id=sub.id, evaluated_at=now, status="warming_up", detail=why)
    config = TrendConfig(
        spike_z=TREND_SPIKE_Z[rule.sensitivity],
        drop_z=TREND_DROP_Z[rule.sensitivity],
        warmup_windows=max(1, min(sub.warmup_windows, history)),
        min_window_posts=max(1, min(20, sub.min_volume)),
        top_n=options.top_n,
        samples=options.sample_posts,
    )
    trends = trends_from_store(
        store,
        sub.query.search(),
        window=window,
        baseline_windows=history,
        now=now,
        config=config,
        max_posts_per_window=options.trend_max_posts_per_window,
    )
    wanted = fold(rule.term.strip()) if rule.term else None
    matches = [
        t
        for t in trends
        if (rule.direction == "both" or t.direction == rule.direction)
        and (rule.kind is None or t.kind == rule.kind)
        and (
            wanted is None
            or wanted == fold(t.term)
            or (t.kind == "pair" and wanted in fold(t.term).split(" + "))
        )
    ]
    threshold = config.spike_z
    if not matches:
        what = f"'{rule.term}'" if rule.term else "no term"
        return Evaluation(
            subscription_id=sub.id,
            evaluated_at=now,
            status="quiet",
            detail=f"{what} trending among {len(trends)} trends this window",
            threshold=threshold,
        )
    top = matches[0]
    threshold = config.spike_z if top.direction == "spike" else config.drop_z
    summary = (
        f"{sub.name}: {top.kind} '{top.term}' {top.direction}s: {top.count} posts vs "
        f"{top.expected:.1f} expected (z={top.score:.2f}, threshold "
        f"{'+' if top.direction == 'spike' else '-'}{threshold})"
    )
    drivers = AlertDrivers(
        top_terms=top.co_terms,
        top_sources=top.top_sources,
        sample_posts=[
            SamplePost.of(p) for p in (store.get(i) for i in top.sample_post_ids) if p is not None
        ],
    )
    event = _event(
        sub,
        now,
        start,
        options,
        direction=top.direction,
        summary=summary,
        metric="trend_z",
        observed=float(top.count),
        expected=top.expected,
        threshold=threshold,
        score=top.score,
        drivers=drivers,
        trends=matches[:10],
    )
    return Evaluation(
        subscription_id=sub.id,
        evaluated_at=now,
        status="fired",
        detail=summary,
        observed=float(top.count),
        expected=top.expected,
        threshold=threshold,
        event=event,
    )


def _source_silent(
    sub: Subscription,
    rule: SourceSilentRule,
    store: Store,
    now: datetime,
    options: EvalOptions,
    history: SourceRunRepository | None,
) -> Evaluation:
    page = store.search(
        AlertQuery(sources=[rule.source]).search(None, None, sort="newest", limit=1)
    )
    last_post = page.hits[0].post.created_at if page.hits else None
    runs = history.recent(rule.source, limit=rule.failed_runs) if history is not None else []
    bad = 0
    for run in runs:  # most recent first
        if run.ok and run.items > 0:
            break
        bad += 1
    silence = (now - last_post).total_seconds() if last_post else None
    base = Evaluation(
        subscription_id=sub.id,
        evaluated_at=now,
        status="quiet",
        detail="",
        observed=silence,
        threshold=float(rule.silent_after_s),
    )
    if last_post is None and not runs:
        base.status, base.detail = "warming_up", f"source {rule.source!r} never seen yet"
        return base
    too_quiet = silence is not None and silence >= rule.silent_after_s
    failing = bad >= rule.failed_runs
    if not (too_quiet or failing):
        base.detail = (
            f"last post {_human(timedelta(seconds=silence or 0))} ago; {bad} bad runs in a row"
        )
        return base
    reasons = []
    if too_quiet and silence is not None:
        reasons.append(
            f"no post for {_human(timedelta(seconds=silence))} "
            f"(threshold {_human(timedelta(seconds=rule.silent_after_s))})"
        )
    elif last_post is None:
        reasons.append("no post ever stored")
    if failing:
        last_msg = next((r.message for r in runs if r.message), "")
        reasons.append(
            f"last {bad} crawl runs failed or found nothing"
            + (f" (last: {last_msg})" if last_msg else "")
        )
    summary = f"{sub.name}: source {rule.source!r} is silent: " + "; ".join(reasons)
    start = last_post or now - timedelta(seconds=rule.silent_after_s)
    base.status, base.detail = "fired", summary
    base.event = AlertEvent(
        subscription_id=sub.id,
        subscription_name=sub.name,
        rule_type=rule.type,
        direction="silent",
        fired_at=now,
        window_start=min(start, now),
        window_end=now,
        summary=summary,
        metric="silence_s" if too_quiet else "bad_runs",
        observed=silence if too_quiet and silence is not None else float(bad),
        threshold=float(rule.silent_after_s if too_quiet else rule.failed_runs),
        drivers=AlertDrivers(top_sources=[TermCount(term=rule.source, count=0)]),
        details={
            "last_post_at": last_post.isoformat() if last_post else None,
            "runs": [
                {
                    "started_at": r.started_at.isoformat(),
                    "items": r.items,
                    "errors": r.errors,
                    "ok": r.ok,
                    "message": r.message,
                }
                for r in runs
            ],
        },
        search_url=search_url(options, AlertQuery(sources=[rule.source]), None, None),
    )
    return base


def _human(delta: timedelta) -> str:
    s = int(delta.total_seconds())
    if s % 86400 == 0 and s >= 86400:
        return f"{s // 86400} d"
    if s >= 3600:
        return f"{s / 3600:.3g} h"
    if s >= 60:
        return f"{s // 60} min"
    return f"{s} s"
