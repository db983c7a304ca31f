"""Alert rules evaluated against the real SQLite store; the repository and the runner."""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from duluan.alerts.delivery import DeliveryConfig, Notifier, verify_signature
from duluan.alerts.evaluate import EvalOptions, evaluate, explain
from duluan.alerts.models import (
    AlertQuery,
    EmailTarget,
    NegativeShareRule,
    SourceSilentRule,
    Subscription,
    TrendingRule,
    VolumeRule,
    WebhookTarget,
)
from duluan.alerts.repository import AlertRepository
from duluan.alerts.runner import AlertRunner
from duluan.meta.source_runs import SourceRun, SourceRunRepository
from duluan.storage.base import Store
from duluan.storage.sqlite.store import SQLiteStore
from duluan.trends.detector import TrendDetector
from tests.alerts.conftest import T0, Hook, background, hours, make_post

NOW = T0 + hours(30)


def fill(
    store: Store,
    per_hour: list[int],
    *,
    keyword: str = "xăng",
    negative_last: int = 0,
    source: str = "vnexpress",
) -> None:
    """Posts mentioning `keyword`, per_hour[i] in hour i before NOW (last item = current hour)."""
    rng = random.Random(len(per_hour))
    posts = []
    n_hours = len(per_hour)
    for i, n in enumerate(per_hour):
        start = NOW - hours(n_hours - i)
        for j in range(n):
            at = start + timedelta(seconds=rng.uniform(1, 3599))
            neg = i == n_hours - 1 and j < negative_last
            posts.append(
                make_post(
                    [keyword, rng.choice(["giá", "tăng", "giảm", "cây"])],
                    at=at,
                    source=source,
                    sentiment="negative" if neg else "neutral",
                )
            )
    store.upsert(posts)


def sub(**kw: object) -> Subscription:
    base: dict[str, object] = {
        "name": "giá xăng",
        "query": AlertQuery(q="xăng"),
        "window_s": 3600,
        "baseline_windows": 24,
        "warmup_windows": 6,
        "min_volume": 10,
        "cooldown_s": 3600,
    }
    base.update(kw)
    return Subscription.model_validate(base)


def test_volume_spike_fires_and_explains(store: SQLiteStore) -> None:
    fill(store, [20, 22, 18, 21, 19, 20, 23, 17, 20, 21, 22, 19, 80])
    s = sub(rule=VolumeRule(sensitivity="balanced"))
    ev = evaluate(s, store, NOW, options=EvalOptions(base_url="https://duluan.example"))
    assert ev is not None
    assert ev.direction == "spike" and ev.metric == "volume"
    assert ev.observed == 80 and 19 < (ev.expected or 0) < 21 and ev.threshold == 3.0
    assert ev.score is not None and ev.score > 3
    assert "80 posts" in ev.summary and "expected" in ev.summary
    assert ev.drivers.top_terms[0].term == "xăng"
    assert ev.drivers.top_sources[0].term == "vnexpress"
    assert len(ev.drivers.sample_posts) == 5
    assert (
        ev.search_url and ev.search_url.startswith("https://duluan.example/search?q=xăng") is False
    )
    assert ev.search_url.startswith("https://duluan.example/search?q=x%C4%83ng&since=")
    # a steady hour does not fire; 'fewer' needs a bigger move
    store2 = SQLiteStore(Path(store.path).with_name("b.db"))
    fill(store2, [20, 22, 18, 21, 19, 20, 23, 17, 20, 21, 22, 19, 24])
    assert explain(s, store2, NOW).status == "quiet"
    store2.close()
    e2 = explain(sub(rule=VolumeRule(sensitivity="fewer")), store, NOW)
    assert e2.status == "fired" and e2.threshold == 4.0


def test_volume_warmup_min_volume_cooldown_and_drop(store: SQLiteStore) -> None:
    # a new stream: 3 hours of history only, then a burst -> warming up
    fill(store, [2, 3, 2, 50])
    e = explain(sub(rule=VolumeRule()), store, NOW)
    assert (
        e.status == "warming_up" and "2 of 6" in e.detail
    )  # the partial first hour is not history
    assert explain(sub(rule=VolumeRule(), warmup_windows=2), store, NOW).status == "fired"
    # min_volume: a jump from ~2 to 50 is quiet when 60 posts are required
    e = explain(sub(rule=VolumeRule(), warmup_windows=2, min_volume=60), store, NOW)
    assert e.status == "low_volume"
    # cooldown
    fired = sub(rule=VolumeRule(), warmup_windows=2, last_fired_at=NOW - timedelta(minutes=10))
    assert explain(fired, store, NOW).status == "cooldown"
    assert explain(fired, store, NOW, ignore_cooldown=True).status == "fired"
    assert explain(fired.model_copy(update={"enabled": False}), store, NOW).status == "disabled"


def test_volume_drop(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "d.db") as store:
        fill(store, [40, 42, 38, 41, 39, 40, 43, 37, 40, 3])
        s = sub(rule=VolumeRule(direction="drop"))
        ev = evaluate(s, store, NOW)
        assert ev is not None and ev.direction == "drop" and ev.observed == 3
        assert evaluate(sub(rule=VolumeRule(direction="spike")), store, NOW) is None


RAW = EvalOptions(sentiment_confusion=None)
# P(predicted | true) x 100 held-out posts per class, like a model that over-calls negative
CONFUSION = np.array([[75.0, 15.0, 10.0], [30.0, 55.0, 15.0], [10.0, 15.0, 75.0]])


def test_negative_share(store: SQLiteStore) -> None:
    """Raw shares (no confusion matrix) fire on the lower end of their 90 % sampling interval:
    28 of 40 is 70 %, but could be 57 % (Wilson score)."""
    fill(store, [30] * 8 + [40], negative_last=28)
    ev = evaluate(sub(rule=NegativeShareRule(threshold=0.55)), store, NOW, options=RAW)
    assert ev is not None and ev.metric == "negative_share"
    assert ev.observed == pytest.approx(0.7) and ev.threshold == 0.55
    assert all(p.sentiment == "negative" for p in ev.drivers.sample_posts)
    assert "28 of 40" in ev.summary and "sampling interval 57.1%-80.3%" in ev.summary
    assert ev.details["sampling"] == {"low": 0.5713, "high": 0.8034}
    e = explain(sub(rule=NegativeShareRule(threshold=0.6)), store, NOW, options=RAW)
    assert e.status == "quiet" and "70.0%" in e.detail
    e = explain(
        sub(rule=NegativeShareRule(threshold=0.55, min_increase=0.3)), store, NOW, options=RAW
    )
    assert e.status == "fired" and e.expected == 0.0
    assert (
        explain(
            sub(rule=NegativeShareRule(threshold=0.55), min_volume=50), store, NOW, options=RAW
        ).status
        == "low_volume"
    )


def test_negative_share_of_a_few_posts_is_noise(tmp_path: Path) -> None:
    """The same 70 % fires at 400 posts and stays quiet at 10: 7 of 10 could be 44 %."""
    rule = NegativeShareRule(threshold=0.6)
    with SQLiteStore(tmp_path / "few.db") as store:
        fill(store, [10] * 9, negative_last=7)
        assert explain(sub(rule=rule), store, NOW, options=RAW).status == "quiet"
    with SQLiteStore(tmp_path / "many.db") as store:
        fill(store, [10] * 8 + [400], negative_last=280)
        assert explain(sub(rule=rule), store, NOW, options=RAW).status == "fired"


def test_negative_share_fires_on_the_corrected_lower_bound(store: SQLiteStore) -> None:
    """70 % labelled negative out of 40: with a model that calls 30 % of neutral posts
    negative, the true share may well be under 60 % (interval ~45-100 %): no alert yet."""
    fill(store, [30] * 8 + [40], negative_last=28)
    opts = EvalOptions(sentiment_confusion=CONFUSION)
    e = explain(sub(rule=NegativeShareRule(threshold=0.6)), store, NOW, options=opts)
    assert e.status == "quiet" and "corrected" in e.detail
    assert "raw 70.0%" in e.detail
    assert (
        explain(sub(rule=NegativeShareRule(threshold=0.5)), store, NOW, options=opts).status
        == "quiet"
    )


def test_negative_share_corrected_fires_when_clear(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "n.db") as store:
        fill(store, [30] * 8 + [40], negative_last=39)
        opts = EvalOptions(sentiment_confusion=CONFUSION)
        ev = evaluate(sub(rule=NegativeShareRule(threshold=0.6)), store, NOW, options=opts)
        corrected = ev.details["corrected"] if ev is not None else None
        assert isinstance(corrected, dict) and corrected["low"] >= 0.6
        assert ev is not None and ev.details["raw_share"] == pytest.approx(39 / 40)


def test_trending_term(store: SQLiteStore) -> None:
    rng = random.Random(3)
    for h in range(12, 0, -1):
        store.upsert(background(rng, 60, NOW - hours(h) + timedelta(minutes=7)))
    at = NOW - timedelta(minutes=20)
    store.upsert(
        background(rng, 60, at)
        + [make_post(["ngập", "mưa lớn"], at=at, source="voz") for _ in range(15)]
    )
    s = sub(query=AlertQuery(), rule=TrendingRule(term="Ngập"), baseline_windows=12)
    ev = evaluate(s, store, NOW)
    assert ev is not None and ev.metric == "trend_z" and ev.direction == "spike"
    assert ev.observed == 15 and ev.trends[0].term == "ngập"
    assert ev.drivers.top_sources[0].term == "voz"
    assert {p.id for p in ev.drivers.sample_posts} <= set(ev.trends[0].sample_post_ids)
    assert (
        evaluate(s.model_copy(update={"rule": TrendingRule(term="không có")}), store, NOW) is None
    )
    assert evaluate(s.model_copy(update={"rule": TrendingRule()}), store, NOW) is not None


def test_source_silent(store: SQLiteStore, tmp_path: Path) -> None:
    rule = SourceSilentRule(source="voz", silent_after_s=6 * 3600, failed_runs=2)
    s = sub(query=AlertQuery(), rule=rule)
    runs = SourceRunRepository(tmp_path / "meta.db", retention_days=0)  # crawl runs: metadata
    assert explain(s, store, NOW, runs=runs).status == "warming_up"
    store.upsert([make_post(["a"], at=NOW - hours(2), source="voz")])
    assert explain(s, store, NOW, runs=runs).status == "quiet"
    ev = evaluate(s, store, NOW + hours(5), runs=runs)
    assert ev is not None and ev.metric == "silence_s" and ev.observed >= 6 * 3600
    for i in range(2):
        started = NOW - timedelta(minutes=30 - 10 * i)
        runs.record(
            SourceRun(
                source="voz",
                started_at=started,
                finished_at=started + timedelta(minutes=1),
                items=0,
                errors=3,
                ok=False,
                message="HTTP 403",
            )
        )
    ev = evaluate(s, store, NOW, runs=runs)
    assert ev is not None and ev.metric == "bad_runs" and "HTTP 403" in ev.summary
    assert evaluate(s, store, NOW) is None  # without the run history: posts alone (2 h quiet)
    with AlertRepository(tmp_path / "alerts.db") as repo:  # the runner reads the same history
        repo.save_subscription(s)
        notifier = Notifier(DeliveryConfig(allow_private_targets=True, backoff_s=0), repo)
        fired = AlertRunner(store, repo, notifier, runs=runs).run_once(NOW)
        assert [e.metric for e in fired] == ["bad_runs"]
    runs.close()


def test_repository_round_trip(tmp_path: Path) -> None:
    with AlertRepository(tmp_path / "duluan.db") as repo:
        s = sub(
            rule=VolumeRule(),
            targets=[WebhookTarget(url="https://example.org/h"), EmailTarget(to=["a@example.org"])],
        )
        repo.save_subscription(s)
        got = repo.get_subscription(s.id)
        assert got is not None and got.model_dump() == s.model_dump()
        assert got.redacted()["targets"][0]["secret"] == "***"
        repo.mark_fired(s.id, NOW)
        repo.save_subscription(got.model_copy(update={"name": "renamed", "last_fired_at": None}))
        again = repo.get_subscription(s.id)
        assert again is not None and again.name == "renamed" and again.last_fired_at == NOW
        assert repo.set_enabled(s.id, False)
        assert repo.list_subscriptions(enabled_only=True) == []
        assert repo.get_subscription(s.id).enabled is False  # type: ignore[union-attr]
        assert repo.delete_subscription(s.id) and repo.get_subscription(s.id) is None
        # trend detector state survives a restart
        det = TrendDetector()
        det.observe(background(random.Random(1), 50))
        repo.save_state("trends:all", det.to_json())
    with AlertRepository(tmp_path / "duluan.db") as repo:
        state = repo.load_state("trends:all")
        assert state is not None and TrendDetector.from_json(state).windows_seen == 1
        assert repo.load_state("missing") is None


def test_runner_fires_records_delivers_and_cools_down(tmp_path: Path, hook: Hook) -> None:
    db = tmp_path / "duluan.db"
    with SQLiteStore(db) as store, AlertRepository(db) as repo:
        fill(store, [20, 22, 18, 21, 19, 20, 23, 17, 20, 21, 22, 19, 80])
        target = WebhookTarget(url=hook.url)
        s = repo.save_subscription(sub(rule=VolumeRule(), targets=[target]))
        repo.save_subscription(
            sub(
                name="quiet one",
                rule=VolumeRule(sensitivity="fewer"),
                query=AlertQuery(q="không-khớp"),
            )
        )
        notifier = Notifier(DeliveryConfig(allow_private_targets=True, backoff_s=0), repo)
        runner = AlertRunner(store, repo, notifier, interval_s=0.05)
        fired = runner.run_once(NOW)
        assert [e.subscription_id for e in fired] == [s.id]
        assert len(hook.requests) == 1
        headers, body = hook.requests[0]
        assert verify_signature(
            target.secret, headers["X-Duluan-Timestamp"], body, headers["X-Duluan-Signature"]
        )
        assert repo.list_events(s.id)[0].id == fired[0].id
        log = repo.list_deliveries(s.id)
        assert log[0].status == "delivered" and log[0].attempts == 1
        assert "token" not in log[0].target  # the query string is redacted
        assert repo.last_status(s.id)[0] == "fired"
        # within the cooldown: nothing fires again
        assert runner.run_once(NOW + timedelta(minutes=5)) == []
        assert repo.last_status(s.id)[0] == "cooldown"
        # the thread loop starts and stops promptly
        runner.start()
        runner.stop(timeout=5)
        assert len(hook.requests) == 1
