"""Compute a Briefing from the Store: a handful of aggregate queries, no full scans of posts.

Volume and sentiment come from hourly timelines (the SQLite store answers unfiltered windows
from its hourly rollup), regrouped into local days so day boundaries follow the briefing's
time zone. Topics, keywords and sources are the store's top-N aggregates for this period and
the previous one of the same length.
"""

from __future__ import annotations

import math
import statistics
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any, TypeVar

from duluan.briefings import locale as L
from duluan.briefings.model_card import accuracy_lines
from duluan.briefings.models import (
    Briefing,
    EmergingTerm,
    NegativeSpike,
    RankedItem,
    SamplePost,
    SentimentCounts,
    SourceCoverage,
    TimeBucket,
)
from duluan.briefings.period import Period, regroup
from duluan.core.logging import get_logger
from duluan.core.models import SENTIMENT_LABELS, Post, utcnow
from duluan.core.query import SearchQuery
from duluan.meta.source_runs import SourceRunRepository
from duluan.storage.base import Store
from duluan.watchlists.models import Watchlist
from duluan.watchlists.service import combine_queries, watchlist_query
from nlp import model_meta, shares
from nlp.keywords import is_keyword

try:  # the trend detector's stopwords keep 'là', 'và' ... out of emerging terms
    from duluan.trends.terms import STOPWORDS, normalize_term
except ImportError:  # pragma: no cover - insights is optional
    STOPWORDS = frozenset()

    def normalize_term(text: str) -> str:
        return " ".join(text.replace("_", " ").split()).lower()


log = get_logger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class BriefingOptions:
    """How much a briefing shows, and how sensitive its 'emerging' and 'spike' sections are."""

    top_topics: int = 8
    top_sources: int = 8
    emerging: int = 8
    emerging_min_count: int = 5
    emerging_min_z: float = 3.0
    emerging_min_ratio: float = 1.5
    keyword_candidates: int = 300
    keyword_baseline: int = 5000
    samples_per_item: int = 2
    spikes: int = 3
    spike_min_negative: int = 5
    spike_z: float = 3.0
    noise_floor: float = 1.0
    model_card: Path | None = None
    correct_shares: bool = True
    """Add confusion-corrected shares with intervals (nlp.shares) when the model ships a matrix."""


def _with_corrected(counts: SentimentCounts, confusion: Any) -> SentimentCounts:
    if confusion is not None:
        counts.corrected = shares.corrected_share_dict(counts.counts, SENTIMENT_LABELS, confusion)
    return counts


def _confusion() -> Any:
    """The deployment's sentiment confusion matrix; None (uncorrected) if it cannot be read."""
    try:
        from duluan.core.settings import get_settings

        return model_meta.confusion_for(get_settings())
    except Exception:  # a broken config must not stop a briefing
        return model_meta.confusion_for(None)


def _sample(post: Post, tz: tzinfo) -> SamplePost:
    text = " ".join(unicodedata.normalize("NFC", post.text).split())
    return SamplePost(
        id=post.id,
        source=post.source,
        url=post.url,
        created_at=post.created_at.astimezone(tz),
        text=text[:300] + ("…" if len(text) > 300 else ""),
        sentiment=post.analysis.sentiment.label if post.analysis else None,
    )


def _counts(buckets: list[TimeBucket]) -> SentimentCounts:
    out = SentimentCounts()
    for b in buckets:
        out.total += b.total
        for label, n in b.counts.items():
            out.counts[label] = out.counts.get(label, 0) + n
    return out


def _ranked(
    now: list[tuple[str, int]], before: list[tuple[str, int]], n_now: int, n_before: int
) -> list[RankedItem]:
    prev = dict(before)
    return [
        RankedItem(
            key=k,
            count=c,
            previous=prev.get(k, 0),
            share=c / n_now if n_now else 0.0,
            previous_share=prev.get(k, 0) / n_before if n_before else 0.0,
        )
        for k, c in now
    ]


class BriefingBuilder:
    """One briefing's queries, timed step by step (the benchmark reports the steps)."""

    def __init__(
        self,
        store: Store,
        options: BriefingOptions | None = None,
        runs: SourceRunRepository | None = None,
    ) -> None:
        """`runs`: crawl runs in the metadata database (failed runs per source; none: not
        reported)."""
        self.store = store
        self.runs = runs
        self.options = options or BriefingOptions()
        self.timings: dict[str, float] = {}

    def _timed(self, step: str, fn: Callable[[], T]) -> T:
        started = time.perf_counter()
        try:
            return fn()
        finally:
            self.timings[step] = self.timings.get(step, 0.0) + time.perf_counter() - started

    def build(
        self,
        watchlist: Watchlist,
        period: Period,
        *,
        lang: L.Lang = "vi",
        now: datetime | None = None,
    ) -> Briefing:
        self.timings = {}
        prev = period.previous()
        cur_q = self._query(watchlist, period)
        prev_q = self._query(watchlist, prev)
        gran = period.granularity

        timeline = self._timed("timeline", lambda: self._timeline(cur_q, period))
        prev_timeline = self._timed("timeline", lambda: self._timeline(prev_q, prev))
        current, previous = _counts(timeline), _counts(prev_timeline)
        opts = self.options
        if opts.correct_shares:
            confusion = _confusion()
            current = _with_corrected(current, confusion)
            previous = _with_corrected(previous, confusion)
        topics = self._timed(
            "topics",
            lambda: _ranked(
                self.store.top_topics(cur_q, opts.top_topics),
                self.store.top_topics(prev_q, 100),
                current.total,
                previous.total,
            ),
        )
        sources = self._timed(
            "sources",
            lambda: _ranked(
                self.store.top_values("source", cur_q, opts.top_sources),
                self.store.top_values("source", prev_q, 100),
                current.total,
                previous.total,
            ),
        )
        emerging = self._timed(
            "emerging", lambda: self._emerging(cur_q, prev_q, current.total, previous.total)
        )
        spikes = self._timed("spikes", lambda: self._spikes(cur_q, timeline, prev_timeline, gran))
        coverage, silent = self._timed("coverage", lambda: self._coverage(period, prev))
        self._timed("samples", lambda: self._fill_samples(cur_q, emerging, period.tz))
        briefing = Briefing(
            watchlist_id=watchlist.id,
            watchlist_name=watchlist.name,
            query=watchlist.query,
            lang=lang,
            timezone=str(period.tz.key),
            start=period.start,
            end=period.end,
            previous_start=prev.start,
            previous_end=prev.end,
            granularity=gran,
            generated_at=(now or utcnow()).astimezone(period.tz),
            current=current,
            previous=previous,
            timeline=timeline,
            previous_timeline=prev_timeline,
            topics=topics,
            emerging=emerging,
            sources=sources,
            spikes=spikes,
            coverage=coverage,
            silent_sources=silent,
            model_accuracy=accuracy_lines(opts.model_card),
        )
        briefing.highlights = highlights(briefing, lang)
        briefing.timings = {k: round(v, 4) for k, v in self.timings.items()}
        log.info(
            "briefing.built",
            watchlist=watchlist.name,
            posts=current.total,
            seconds=round(sum(self.timings.values()), 3),
        )
        return briefing

    # -- steps --------------------------------------------------------------------------------

    @staticmethod
    def _query(watchlist: Watchlist, period: Period, **extra: Any) -> SearchQuery:
        since, until = period.utc()
        return watchlist_query(watchlist, since=since, until=until, **extra)

    def _timeline(self, query: SearchQuery, period: Period) -> list[TimeBucket]:
        hourly = self.store.timeline(query, "hour", "sentiment")
        out = []
        for start, split in regroup(hourly, period, period.granularity):
            counts: dict[str, int] = {label: 0 for label in SENTIMENT_LABELS}
            counts.update(split)
            out.append(TimeBucket(start=start, total=sum(split.values()), counts=counts))
        return out

    def _emerging(
        self, cur_q: SearchQuery, prev_q: SearchQuery, n_cur: int, n_prev: int
    ) -> list[EmergingTerm]:
        """Terms whose share of posts rose most against the previous period (z-scored)."""
        opts = self.options
        if not n_cur:
            return []
        now = self.store.top_keywords(cur_q, opts.keyword_candidates)
        before_list = self.store.top_keywords(prev_q, opts.keyword_baseline) if n_prev else []
        before: dict[str, int] = {}
        for k, c in before_list:
            key = normalize_term(k)
            before[key] = before.get(key, 0) + c
        # a term missing from a full baseline list was at most as frequent as its last entry
        unseen = before_list[-1][1] if len(before_list) >= opts.keyword_baseline else 0
        merged: dict[str, int] = {}
        for k, c in now:
            key = normalize_term(k)
            merged[key] = merged.get(key, 0) + c
        found: list[EmergingTerm] = []
        for term, count in merged.items():
            if (
                count < opts.emerging_min_count
                or term in STOPWORDS
                or len(term) < 2
                or not is_keyword(term)
            ):  # filler stored by older analyses
                continue
            prev_count = before.get(term, unseen)
            if n_prev:
                expected = prev_count / n_prev * n_cur
                noise = math.sqrt(max(expected, 1.0) + opts.noise_floor)
                z = (count - expected) / noise
                if z < opts.emerging_min_z or count < opts.emerging_min_ratio * max(expected, 1):
                    continue
            else:  # no baseline: the most frequent terms, marked new
                expected, z = 0.0, float(count)
            found.append(
                EmergingTerm(
                    term=term,
                    count=count,
                    expected=round(expected, 2),
                    previous=before.get(term, 0),
                    score=round(z, 2),
                    is_new=term not in before,
                )
            )
        found.sort(key=lambda e: -e.score)
        return found[: opts.emerging]

    def _spikes(
        self,
        cur_q: SearchQuery,
        timeline: list[TimeBucket],
        prev_timeline: list[TimeBucket],
        granularity: str,
    ) -> list[NegativeSpike]:
        """Buckets whose negative count is far above the typical bucket (median, MAD)."""
        opts = self.options
        baseline = [b.counts.get("negative", 0) for b in prev_timeline if b.total]
        if len(baseline) < 3:
            baseline = [b.counts.get("negative", 0) for b in timeline]
        if not baseline:
            return []
        median = statistics.median(baseline)
        mad = statistics.median([abs(x - median) for x in baseline])
        sigma = max(1.4826 * mad, math.sqrt(max(median, 1.0)))
        step = {"hour": timedelta(hours=1), "day": timedelta(days=1)}.get(
            granularity, timedelta(days=7)
        )
        spikes: list[tuple[float, NegativeSpike]] = []
        for b in timeline:
            neg = b.counts.get("negative", 0)
            z = (neg - median) / sigma
            if neg >= opts.spike_min_negative and z >= opts.spike_z:
                spikes.append(
                    (
                        z,
                        NegativeSpike(
                            start=b.start,
                            end=b.start + step,
                            negative=neg,
                            expected=round(median, 1),
                            total=b.total,
                            share=b.negative_share,
                        ),
                    )
                )
        spikes.sort(key=lambda s: -s[0])
        chosen = [s for _, s in spikes[: opts.spikes]]
        for spike in chosen:
            q = cur_q.model_copy(
                update={
                    "since": max(spike.start, cur_q.since) if cur_q.since else spike.start,
                    "until": min(spike.end, cur_q.until) if cur_q.until else spike.end,
                    "sentiments": ["negative"],
                    "limit": opts.samples_per_item,
                    "sort": "newest",
                }
            )
            spike.samples = [
                _sample(h.post, spike.start.tzinfo or UTC) for h in self.store.search(q).hits
            ]
        return sorted(chosen, key=lambda s: s.start)

    def _coverage(self, period: Period, prev: Period) -> tuple[list[SourceCoverage], list[str]]:
        """Posts per source over ALL collected data (not only the watchlist), and silences."""
        since, until = period.utc()
        psince, puntil = prev.utc()
        now = dict(self.store.top_values("source", SearchQuery(since=since, until=until), 500))
        before = dict(self.store.top_values("source", SearchQuery(since=psince, until=puntil), 500))
        failed: dict[str, int] = {}
        known = set(now) | set(before)
        try:  # the runs of both periods: a source crawled then is known even without posts
            runs = self.runs.recent(since=psince, until=until, limit=5000) if self.runs else []
        except Exception as exc:  # source health is optional for a briefing
            log.warning("briefing.source_runs_unavailable", error=repr(exc)[:300])
            runs = []
        for run in runs:
            known.add(run.source)
            if since <= run.finished_at < until and (not run.ok or run.errors):
                failed[run.source] = failed.get(run.source, 0) + 1
        coverage = [
            SourceCoverage(
                source=s,
                count=now.get(s, 0),
                previous=before.get(s, 0),
                failed_runs=failed.get(s, 0),
            )
            for s in sorted(known, key=lambda s: (-now.get(s, 0), s))
        ]
        silent = sorted(s for s in known if not now.get(s))
        return coverage, silent

    def _fill_samples(self, cur_q: SearchQuery, emerging: list[EmergingTerm], tz: tzinfo) -> None:
        """A few recent posts per term: the last day first, widening only when it has none.

        A narrow window bounds the store's walk along its time index, which matters for common
        terms under selective filters (seconds over a whole month of a million posts).
        """
        for term in emerging[:5]:
            phrase = '"' + term.term.replace('"', " ").strip() + '"'
            q = cur_q.model_copy(
                update={
                    "q": combine_queries(cur_q.q, phrase),
                    "limit": self.options.samples_per_item,
                    "sort": "newest",
                }
            )
            try:
                term.samples = [_sample(p, tz) for p in self._recent(q)]
            except ValueError:  # a term the query language cannot express
                term.samples = []

    def _recent(self, query: SearchQuery) -> list[Post]:
        end = query.until
        if end is None:
            return [h.post for h in self.store.search(query).hits]
        for days in (1, 7):
            since = end - timedelta(days=days)
            if query.since is not None and since <= query.since:
                break
            hits = self.store.search(query.model_copy(update={"since": since})).hits
            if hits:
                return [h.post for h in hits]
        return [h.post for h in self.store.search(query).hits]


def build_briefing(
    store: Store,
    watchlist: Watchlist,
    period: Period,
    *,
    lang: L.Lang = "vi",
    options: BriefingOptions | None = None,
    now: datetime | None = None,
    runs: SourceRunRepository | None = None,
) -> Briefing:
    """The briefing for `watchlist` over `period`, compared with the period just before;
    `runs` (the crawl runs) adds failed runs per source."""
    return BriefingBuilder(store, options, runs).build(watchlist, period, lang=lang, now=now)


def highlights(b: Briefing, lang: L.Lang) -> list[str]:
    """Plain-language sentences on what changed (the summary at the top of a briefing)."""
    out: list[str] = []
    n, p = b.current.total, b.previous.total
    if lang == "vi":
        line = f"{L.fmt_int(n, lang)} bài viết trong kỳ (kỳ trước {L.fmt_int(p, lang)}"
    else:
        line = f"{L.fmt_int(n, lang)} posts in the period (previous {L.fmt_int(p, lang)}"
    if b.volume_change is not None:
        line += ", " + L.fmt_signed(b.volume_change * 100, lang, 1, "%")
    out.append(line + ").")
    if b.current.analysed:
        ns, ps = b.current.negative_share, b.previous.negative_share
        diff = L.fmt_signed((ns - ps) * 100, lang, 1, " " + L.t("pp", lang))
        if lang == "vi":
            out.append(
                f"Tỷ lệ tiêu cực {L.fmt_pct(ns, lang)} (kỳ trước {L.fmt_pct(ps, lang)}, {diff})."
            )
        else:
            out.append(
                f"Negative share {L.fmt_pct(ns, lang)} (previous {L.fmt_pct(ps, lang)}, {diff})."
            )
    gainers = sorted((t for t in b.topics if t.delta > 0), key=lambda t: -t.delta)
    if gainers:
        g = gainers[0]
        name, delta = L.topic_name(g.key, lang), L.fmt_signed(g.delta, lang)
        out.append(
            f"Chủ đề tăng nhiều nhất: {name} ({delta} bài)."
            if lang == "vi"
            else f"Topic that grew most: {name} ({delta} posts)."
        )
    if b.emerging:
        e = b.emerging[0]
        count, exp = L.fmt_int(e.count, lang), L.fmt_number(e.expected, lang, 1)
        out.append(
            f"Từ khóa nổi lên nhất: “{e.term}” ({count} bài, dự kiến {exp})."
            if lang == "vi"
            else f"Top emerging term: “{e.term}” ({count} posts, expected {exp})."
        )
    if b.spikes:
        s = max(b.spikes, key=lambda s: s.negative)
        when = L.fmt_long_date(s.start, lang)
        if b.granularity == "hour":
            when = f"{L.fmt_datetime(s.start, lang)}"
        neg, exp = L.fmt_int(s.negative, lang), L.fmt_number(s.expected, lang, 1)
        out.append(
            f"Đợt tiêu cực lớn nhất: {when} ({neg} bài tiêu cực, thông thường {exp})."
            if lang == "vi"
            else f"Largest negative spike: {when} ({neg} negative posts, typically {exp})."
        )
    if b.silent_sources:
        names = ", ".join(b.silent_sources)
        out.append(
            f"Nguồn im lặng trong kỳ: {names}." if lang == "vi" else f"Silent sources: {names}."
        )
    return out
