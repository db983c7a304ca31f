"""The trend detector: bursts and drops found, steady terms and young streams left alone."""

from __future__ import annotations

import random
from datetime import timedelta

from duluan.core.models import Post
from duluan.storage.sqlite.store import SQLiteStore
from duluan.trends.detector import (
    Trend,
    TrendConfig,
    TrendDetector,
    detect_stream,
    trends_from_store,
)
from duluan.trends.terms import post_terms, term_key
from tests.alerts.conftest import T0, background, hours, make_post


def feed(det: TrendDetector, windows: list[list[Post]]) -> list[list[Trend]]:
    return [det.observe(posts, T0 + hours(i), T0 + hours(i + 1)) for i, posts in enumerate(windows)]


def steady_windows(rng: random.Random, count: int, n: int = 200) -> list[list[Post]]:
    return [background(rng, n) for _ in range(count)]


def test_burst_is_detected_with_drivers() -> None:
    rng = random.Random(1)
    windows = steady_windows(rng, 12)
    burst = background(rng, 200)
    burst += [make_post(["bão", "miền trung", "lũ"], source="voz") for _ in range(25)]
    windows.append(burst)
    results = feed(TrendDetector(), windows)
    assert all(r == [] for r in results[:-1])
    spikes = {t.term: t for t in results[-1] if t.direction == "spike" and t.kind == "term"}
    assert "bão" in spikes
    t = spikes["bão"]
    assert t.count == 25 and t.expected < 1 and t.score >= 6
    assert {c.term for c in t.co_terms} >= {"miền trung", "lũ"}
    assert t.top_sources[0].term == "voz"
    assert len(t.sample_post_ids) == 5 and all(i.startswith("voz:") for i in t.sample_post_ids)
    assert t.window_posts == 225


def test_steady_terms_and_volume_changes_do_not_trend() -> None:
    rng = random.Random(2)
    windows = [background(rng, rng.choice([150, 300, 600])) for _ in range(30)]
    for w in windows:  # a term in ~10% of posts every window
        w += [make_post(["giá xăng"]) for _ in range(len(w) // 10)]
    results = feed(TrendDetector(), windows)
    assert [t for r in results for t in r if t.term == "giá xăng"] == []
    # a steady Zipf background may produce no spike at the default threshold
    assert sum(len(r) for r in results) == 0


def test_filler_keywords_of_older_analyses_are_not_trend_terms() -> None:
    """Keywords stored before the candidate rules (filler, laughs, pronouns) never trend."""
    keys = post_terms(make_post(["thế này", "khắp nơi", "haha", "like", "triều cường", "tận"]))
    assert {k for k in keys if k.startswith("t:")} == {term_key("term", "triều cường")}


def test_warmup_suppresses_a_young_stream() -> None:
    rng = random.Random(3)
    det = TrendDetector(TrendConfig(warmup_windows=6))
    loud = [
        background(rng, 100) + [make_post(["mới"]) for _ in range(10 * (i + 1))] for i in range(6)
    ]
    assert all(r == [] for r in feed(det, loud))
    assert det.windows_seen == 6
    # tiny windows are neither scored nor learnt
    assert det.observe([make_post(["lẻ"]) for _ in range(5)]) == []
    assert det.windows_seen == 6


def test_drop_is_detected() -> None:
    rng = random.Random(4)
    windows = steady_windows(rng, 15)
    for w in windows:
        w += [make_post(["vé tàu"], source="youtube") for _ in range(30)]
    windows.append(background(rng, 200))  # 'vé tàu' vanishes
    results = feed(TrendDetector(), windows)
    drops = [t for t in results[-1] if t.direction == "drop"]
    assert [t.term for t in drops] == ["vé tàu"]
    assert drops[0].count == 0 and drops[0].expected > 20 and drops[0].score <= -3
    assert drops[0].top_sources[0].term == "youtube"  # remembered from where it used to be


def test_pairs_and_topics_are_counted() -> None:
    post = make_post(["giá xăng", "xăng"], entities=["Petrolimex"], topic="KinhDoanh")
    keys = post_terms(post)
    assert term_key("pair", "petrolimex + giá xăng") in keys
    assert term_key("topic", "KinhDoanh") in keys
    assert term_key("term", "petrolimex") in keys
    rng = random.Random(5)
    windows = steady_windows(rng, 10)
    windows.append(
        background(rng, 200)
        + [
            make_post(["tăng giá", rng.choice(["xăng", "dầu"])], entities=["Petrolimex"])
            for _ in range(20)
        ]
    )
    trends = feed(TrendDetector(), windows)[-1]
    kinds = {(t.kind, t.term) for t in trends}
    assert ("pair", "petrolimex + tăng giá") in kinds
    assert ("term", "petrolimex") in kinds


def test_state_round_trips_through_json() -> None:
    rng = random.Random(6)
    det = TrendDetector()
    feed(det, steady_windows(rng, 10))
    restored = TrendDetector.from_json(det.to_json())
    assert restored.state_dict() == det.state_dict()
    nxt = background(rng, 200) + [make_post(["đột biến"]) for _ in range(15)]
    a = det.observe(nxt)
    b = restored.observe(nxt)
    assert [t.model_dump() for t in a] == [t.model_dump() for t in b]
    assert any(t.term == "đột biến" for t in a)


def test_detect_stream_cuts_windows_and_closes_gaps() -> None:
    rng = random.Random(7)
    stream = []
    for w in range(10):
        if w == 4:
            continue  # an empty hour
        for p in background(rng, 50, T0 + hours(w) + timedelta(minutes=5)):
            stream.append((p.created_at, p))
    results = list(detect_stream(TrendDetector(), stream, timedelta(hours=1)))
    assert [r.posts for r in results] == [50, 50, 50, 50, 0, 50, 50, 50, 50, 50]
    assert results[0].start == T0 and results[-1].end == T0 + hours(10)


def test_trends_from_store(store: SQLiteStore) -> None:
    rng = random.Random(8)
    for h in range(12):
        at = T0 + hours(h) + timedelta(minutes=10)
        store.upsert(background(rng, 80, at))
    at = T0 + hours(12) + timedelta(minutes=10)
    store.upsert(
        background(rng, 80, at) + [make_post(["cháy", "chung cư"], at=at) for _ in range(15)]
    )
    trends = trends_from_store(
        store, window=timedelta(hours=1), baseline_windows=12, now=T0 + hours(13)
    )
    assert [t.term for t in trends if t.kind == "term"][:2] in (
        ["cháy", "chung cư"],
        ["chung cư", "cháy"],
    )
    assert trends[0].window_end == T0 + hours(13)
    # a young history: warm-up larger than the baseline is capped, yet 1 window is not enough
    assert (
        trends_from_store(store, window=timedelta(hours=1), baseline_windows=0, now=T0 + hours(13))
        == []
    )
