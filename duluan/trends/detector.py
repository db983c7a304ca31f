"""Emerging and fading terms: each window's document frequency against a decayed baseline.

SigniTrend-style: per term, an exponentially weighted mean and variance of the share of posts
that mention it. A window's count is scored as z = (count - expected) / noise, where
expected = mean share x posts in the window, and noise is the baseline's spread (or the
Poisson noise sqrt(expected), whichever is larger) plus a floor, so rare terms need real counts
to trend and a stream-wide volume change moves no single term. Scoring happens before the
window updates the baseline, so a burst does not hide itself.
"""

from __future__ import annotations

import heapq
import json
import math
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field

from duluan.core.models import Post
from duluan.core.query import SearchQuery
from duluan.storage.base import Store
from duluan.trends.terms import TrendKind, post_terms, split_key

Direction = Literal["spike", "drop"]
STATE_VERSION = 1


class TrendConfig(BaseModel):
    """Detector knobs; the defaults suit hourly windows of a hundred posts or more."""

    # EWMA weight of the newest window (0.1: roughly the last 10-20 windows count).
    alpha: float = Field(default=0.1, gt=0, le=1)
    spike_z: float = Field(default=6.0, gt=0, description="z at or above which a term spikes")
    drop_z: float = Field(default=3.0, gt=0, description="-z at or above which a term drops")
    min_count: int = Field(default=5, ge=1, description="posts with a term before it spikes")
    min_expected_drop: float = Field(default=8.0, gt=0, description="expected posts to drop")
    drop_ratio: float = Field(default=0.25, gt=0, le=1, description="drop: count <= x expected")
    warmup_windows: int = Field(default=6, ge=1, description="windows learnt before reporting")
    min_window_posts: int = Field(default=20, ge=1, description="smaller windows are skipped")
    noise_floor: float = Field(default=1.0, gt=0, description="added variance, in posts^2")
    max_terms: int = Field(default=200_000, ge=100, description="state cap; rarest pruned")
    prune_share: float = Field(default=1e-5, ge=0, description="forget terms rarer than this")
    kinds: tuple[TrendKind, ...] = ("term", "pair", "topic")
    max_trends: int = Field(default=50, ge=1, description="trends per window, best first")
    top_n: int = Field(default=5, ge=1, description="co-terms and sources per trend")
    samples: int = Field(default=5, ge=0, description="sample post ids per trend")


class TermCount(BaseModel):
    term: str
    count: int


class Trend(BaseModel):
    """One term that moved, with what explains it."""

    term: str
    kind: TrendKind
    direction: Direction
    score: float = Field(description="z: standard deviations above (+) or below (-) expected")
    count: int = Field(description="posts in the window mentioning the term")
    expected: float = Field(description="posts expected from the baseline at this volume")
    window_start: datetime | None = None
    window_end: datetime | None = None
    window_posts: int = 0
    co_terms: list[TermCount] = Field(default_factory=list, description="top co-occurring terms")
    top_sources: list[TermCount] = Field(default_factory=list)
    sample_post_ids: list[str] = Field(default_factory=list)


@dataclass
class _TermState:
    mean: float = 0.0  # EWMA of the share of posts mentioning the term
    var: float = 0.0  # EWMA variance of that share
    sources: dict[str, int] = field(default_factory=dict)  # where it was last seen (for drops)
    at: float = 0.0  # decay clock when mean/var were last brought up to date

    def catch_up(self, clock: float) -> None:
        """Apply the windows it was absent from at once: k zero-share EWMA steps with total
        decay P = prod(1 - a) give mean' = P mean and var' = P (var + mean^2 (1 - P))."""
        if clock != self.at:
            p = math.exp(self.at - clock)
            self.var = p * (self.var + self.mean * self.mean * (1.0 - p))
            self.mean *= p
            self.at = clock


@dataclass
class _Window:
    """Posts of the window being filled: an inverted index of term -> post positions."""

    ids: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    terms: list[tuple[str, ...]] = field(default_factory=list)
    index: dict[str, list[int]] = field(default_factory=dict)

    def add(self, post_id: str, source: str, keys: Iterable[str]) -> None:
        pos = len(self.ids)
        ordered = tuple(sorted(keys))
        self.ids.append(post_id)
        self.sources.append(source)
        self.terms.append(ordered)
        for key in ordered:
            self.index.setdefault(key, []).append(pos)


class TrendDetector:
    """Incremental detector: `add` posts, `close_window` to score and learn; JSON-serialisable."""

    def __init__(self, config: TrendConfig | None = None) -> None:
        self.config = config or TrendConfig()
        self.windows_seen = 0
        self.last_window_end: datetime | None = None
        self._terms: dict[str, _TermState] = {}
        self._window = _Window()
        # Absent terms are decayed lazily: `_clock` sums -log(1 - a) over learnt windows, so a
        # window costs work only for the terms it contains plus the few that could drop.
        self._clock = 0.0
        self._frequent: set[str] = set()  # terms whose share could make a drop noticeable
        self._n_ref = 0.0  # window size the `_frequent` floor was computed for

    # -- feeding ------------------------------------------------------------------------------

    def add(self, post: Post) -> None:
        """Count one post into the current window."""
        keys = [k for k in post_terms(post) if split_key(k)[0] in self.config.kinds]
        self._window.add(post.id, post.source, keys)

    def add_terms(self, post_id: str, source: str, keys: Iterable[str]) -> None:
        """Count pre-extracted term keys (see `insights.terms.term_key`)."""
        self._window.add(post_id, source, keys)

    def observe(
        self,
        posts: Iterable[Post],
        window_start: datetime | None = None,
        window_end: datetime | None = None,
    ) -> list[Trend]:
        """One whole window at once: add every post, then close it."""
        for post in posts:
            self.add(post)
        return self.close_window(window_start, window_end)

    def close_window(
        self, window_start: datetime | None = None, window_end: datetime | None = None
    ) -> list[Trend]:
        """Score the current window against the baseline, then fold it into the baseline."""
        window, self._window = self._window, _Window()
        n = len(window.ids)
        cfg = self.config
        if n < cfg.min_window_posts:
            # Too few posts to estimate shares: neither report nor learn (a quiet night, an
            # outage); volume alerts, not term trends, are the tool for those.
            self.last_window_end = window_end or self.last_window_end
            return []
        trends = self._score(window, n, window_start, window_end)
        self._learn(window, n)
        self.windows_seen += 1
        self.last_window_end = window_end or self.last_window_end
        return trends

    # -- scoring ------------------------------------------------------------------------------

    def _z(self, state: _TermState | None, count: int, n: int) -> tuple[float, float]:
        mean = state.mean if state else 0.0
        var = state.var if state else 0.0
        expected = mean * n
        # The baseline's own spread, but never less than Poisson noise at this volume: a term
        # seen in few windows has a tiny variance that would make any count look significant.
        noise = math.sqrt(max(var * n * n, expected) + self.config.noise_floor)
        return (count - expected) / noise, expected

    def _score(
        self, window: _Window, n: int, start: datetime | None, end: datetime | None
    ) -> list[Trend]:
        cfg = self.config
        if self.windows_seen < cfg.warmup_windows:
            return []
        found: list[tuple[float, str, int, float]] = []
        for key, positions in window.index.items():
            count = len(positions)
            if count < cfg.min_count:
                continue
            state = self._terms.get(key)
            if state is not None:
                state.catch_up(self._clock)
            z, expected = self._z(state, count, n)
            if z >= cfg.spike_z:
                found.append((z, key, count, expected))
        if n > self._n_ref:
            self._rebuild_frequent(n)
        floor = cfg.min_expected_drop / self._n_ref
        for key in list(self._frequent):
            state = self._terms.get(key)
            if state is None:
                self._frequent.discard(key)
                continue
            state.catch_up(self._clock)
            if state.mean < floor:
                self._frequent.discard(key)
                continue
            if state.mean * n < cfg.min_expected_drop:
                continue
            count = len(window.index.get(key, ()))
            z, expected = self._z(state, count, n)
            if z <= -cfg.drop_z and count <= cfg.drop_ratio * expected:
                found.append((z, key, count, expected))
        best = heapq.nlargest(cfg.max_trends, found, key=lambda f: abs(f[0]))
        return [self._explain(window, n, start, end, *f) for f in best]

    def _explain(
        self,
        window: _Window,
        n: int,
        start: datetime | None,
        end: datetime | None,
        z: float,
        key: str,
        count: int,
        expected: float,
    ) -> Trend:
        cfg = self.config
        kind, text = split_key(key)
        positions = window.index.get(key, [])
        co: Counter[str] = Counter()
        sources: Counter[str] = Counter()
        for pos in positions:
            sources[window.sources[pos]] += 1
            co.update(k for k in window.terms[pos] if k != key and k[0] == "t")
        if not positions:
            state = self._terms.get(key)
            sources.update(state.sources if state else {})
        return Trend(
            term=text,
            kind=kind,
            direction="spike" if z > 0 else "drop",
            score=round(z, 3),
            count=count,
            expected=round(expected, 3),
            window_start=start,
            window_end=end,
            window_posts=n,
            co_terms=[
                TermCount(term=split_key(k)[1], count=c) for k, c in co.most_common(cfg.top_n)
            ],
            top_sources=[TermCount(term=s, count=c) for s, c in sources.most_common(cfg.top_n)],
            sample_post_ids=[window.ids[p] for p in positions[-cfg.samples :]]
            if cfg.samples
            else [],
        )

    # -- learning -----------------------------------------------------------------------------

    def _learn(self, window: _Window, n: int) -> None:
        cfg = self.config
        # Cumulative mean while young (1/k), EWMA afterwards: no start-up bias towards zero.
        a = max(cfg.alpha, 1.0 / (self.windows_seen + 1))
        clock = self._clock + (-math.log1p(-a) if a < 1.0 else 50.0)
        if n > self._n_ref:
            self._rebuild_frequent(n)
        floor = cfg.min_expected_drop / self._n_ref
        terms = self._terms
        for key, positions in window.index.items():
            state = terms.get(key)
            if state is None:
                state = terms[key] = _TermState(at=self._clock)
            else:
                state.catch_up(self._clock)
            diff = len(positions) / n - state.mean
            incr = a * diff
            state.mean += incr
            state.var = (1 - a) * (state.var + diff * incr)
            state.at = clock
            if state.mean >= floor:
                self._frequent.add(key)
                if state.mean * n >= cfg.min_expected_drop:
                    top = Counter(window.sources[p] for p in positions).most_common(cfg.top_n)
                    state.sources = dict(top)
        self._clock = clock
        if self.windows_seen % 24 == 23 or len(terms) > cfg.max_terms:
            self._prune()

    def _rebuild_frequent(self, n: int) -> None:
        """A bigger window than ever: lower shares can now drop noticeably; rescan all terms."""
        self._n_ref = n * 1.5
        floor = self.config.min_expected_drop / self._n_ref
        self._frequent = set()
        for key, state in self._terms.items():
            state.catch_up(self._clock)
            if state.mean >= floor:
                self._frequent.add(key)

    def _prune(self) -> None:
        """Forget terms whose share decayed to nothing, and the rarest beyond `max_terms`."""
        cfg = self.config
        for state in self._terms.values():
            state.catch_up(self._clock)
        self._terms = {k: s for k, s in self._terms.items() if s.mean >= cfg.prune_share}
        if len(self._terms) > cfg.max_terms:
            keep = heapq.nlargest(cfg.max_terms, self._terms.items(), key=lambda kv: kv[1].mean)
            self._terms = dict(keep)
        self._frequent &= self._terms.keys()

    def _normalise(self) -> None:
        """Bring every term up to date and restart the clock at 0 (before saving state)."""
        for state in self._terms.values():
            state.catch_up(self._clock)
            state.at = 0.0
        self._clock = 0.0

    # -- introspection and persistence --------------------------------------------------------

    def expected_share(self, key: str) -> float:
        state = self._terms.get(key)
        if state is None:
            return 0.0
        state.catch_up(self._clock)
        return state.mean

    def __len__(self) -> int:
        return len(self._terms)

    def state_dict(self) -> dict[str, Any]:
        """Plain-JSON state: config, window count, per-term mean/variance (not the open window)."""
        self._normalise()
        return {
            "version": STATE_VERSION,
            "config": self.config.model_dump(mode="json"),
            "windows_seen": self.windows_seen,
            "last_window_end": self.last_window_end.isoformat() if self.last_window_end else None,
            "terms": {
                k: [s.mean, s.var, s.sources] if s.sources else [s.mean, s.var]
                for k, s in self._terms.items()
            },
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> TrendDetector:
        if state.get("version") != STATE_VERSION:
            raise ValueError(f"unsupported trend state version {state.get('version')!r}")
        det = cls(TrendConfig.model_validate(state["config"]))
        det.windows_seen = int(state["windows_seen"])
        end = state.get("last_window_end")
        det.last_window_end = datetime.fromisoformat(end) if end else None
        for key, row in state["terms"].items():
            det._terms[key] = _TermState(
                float(row[0]), float(row[1]), dict(row[2]) if len(row) > 2 else {}
            )
        return det

    def to_json(self) -> str:
        return json.dumps(self.state_dict(), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, data: str | bytes) -> TrendDetector:
        return cls.from_state(json.loads(data))


@dataclass
class WindowResult:
    start: datetime
    end: datetime
    posts: int
    trends: list[Trend]


def window_floor(ts: datetime, window: timedelta) -> datetime:
    """Start of the fixed window holding `ts` (windows are aligned on the Unix epoch)."""
    ts = ts if ts.tzinfo else ts.replace(tzinfo=UTC)
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    return epoch + ((ts - epoch) // window) * window


def detect_stream(
    detector: TrendDetector, stream: Iterable[tuple[datetime, Post]], window: timedelta
) -> Iterator[WindowResult]:
    """Cut a time-ordered stream into fixed windows and yield each closed window's trends.

    Windows with no posts in between are closed as empty (they are skipped by the detector,
    being under `min_window_posts`); the last, still open window is closed at the end.
    """
    current: datetime | None = None
    count = 0
    for ts, post in stream:
        start = window_floor(ts, window)
        if current is None:
            current = start
        while start > current:
            yield WindowResult(
                current, current + window, count, detector.close_window(current, current + window)
            )
            count = 0
            current += window
        detector.add(post)
        count += 1
    if current is not None:
        yield WindowResult(
            current, current + window, count, detector.close_window(current, current + window)
        )


def trends_from_store(
    store: Store,
    query: SearchQuery | None = None,
    *,
    window: timedelta = timedelta(hours=1),
    baseline_windows: int = 24,
    now: datetime | None = None,
    config: TrendConfig | None = None,
    max_posts_per_window: int = 5000,
) -> list[Trend]:
    """What is trending in the window ending at `now`, against the `baseline_windows` before.

    Replays the windows from the store into a fresh detector, so it costs one scan of
    (baseline_windows + 1) windows of matching posts; each window reads at most
    `max_posts_per_window` posts (shares, not counts, are learnt, so a capped window still
    gives fair expectations). The warm-up is capped at `baseline_windows`.
    """
    query = query or SearchQuery.model_validate({})
    now = now or datetime.now(UTC)
    cfg = (config or TrendConfig()).model_copy()
    cfg.warmup_windows = max(1, min(cfg.warmup_windows, baseline_windows))
    detector = TrendDetector(cfg)
    first = now - window * (baseline_windows + 1)
    trends: list[Trend] = []
    for i in range(baseline_windows + 1):
        start = first + window * i
        end = start + window
        q = query.model_copy(
            update={"since": start, "until": end, "sort": "newest", "cursor": None}
        )
        for j, post in enumerate(store.iter_posts(q)):
            if j >= max_posts_per_window:
                break
            detector.add(post)
        trends = detector.close_window(start, end)
    return trends
