"""One contract for the metadata repositories, run on SQLite and on a real PostgreSQL (a fresh
database per test): keys, watchlists, campaigns, alerts, schedules, crawler state, leases and
source health behave the same on both, and racing replicas claim an alert window or a lease exactly once."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from crawlers.state import CrawlState
from duluan.alerts.delivery import DeliveryResult
from duluan.alerts.evaluate import AlertEvent
from duluan.alerts.models import EmailTarget, Subscription, WebhookTarget
from duluan.alerts.repository import AlertRepository
from duluan.apikeys.repository import ApiKeyRepository
from duluan.briefings.period import Period
from duluan.briefings.schedules import Schedule, ScheduleRepository
from duluan.feedback.models import Campaign
from duluan.feedback.repository import CampaignRepository, SlugTaken
from duluan.meta.database import MetaDB, SchemaBehind
from duluan.meta.leases import Lease
from duluan.meta.sentiment_corrections import SentimentCorrectionRepository
from duluan.meta.sentiment_offsets import SentimentOffsetsRepository
from duluan.meta.source_runs import SourceRun, SourceRunRepository
from duluan.watchlists.models import Watchlist
from duluan.watchlists.repository import DuplicateName, WatchlistRepository
from nlp.adaptation import AdaptationSet, SentimentAdaptation

KEY = "a-long-random-server-key-for-the-meta-contract"
NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def meta_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'meta.db'}"
    return str(request.getfixturevalue("pg_database"))


@pytest.fixture
def db(meta_url: str, tmp_path: Path) -> Iterator[MetaDB]:
    with MetaDB(meta_url, upgrade=True, key_base=tmp_path / "secrets") as meta:
        yield meta


def test_a_fresh_database_is_migrated_to_head(db: MetaDB) -> None:
    assert db.current() == db.head()
    db.check()
    tables = set(sa.inspect(db.engine).get_table_names())
    assert {"api_keys", "alert_subscriptions", "watchlists", "crawl_seen", "leases"} <= tables
    assert "source_runs" in tables and "sentiment_offsets" in tables
    assert db.upgrade() == (db.head(), db.head())  # again: nothing to do


def test_a_server_database_behind_is_refused_with_the_command_to_run(
    pg_database: str, tmp_path: Path
) -> None:
    with pytest.raises(SchemaBehind, match="duluan db upgrade"):
        MetaDB(pg_database)
    with MetaDB(pg_database, upgrade=False, check=False) as raw:
        assert raw.current() is None
        raw.upgrade()
    with MetaDB(pg_database) as ok:  # checked, at head
        assert ok.current() == ok.head()


def test_api_keys(db: MetaDB) -> None:
    repo = ApiKeyRepository(db, pepper="pep")
    key, plain = repo.create("ci", "admin")
    found = repo.verify(plain)
    assert found is not None and found.id == key.id and found.allows("admin")
    assert repo.verify(plain + "x") is None and repo.verify("nonsense") is None
    assert ApiKeyRepository(db, pepper="other").verify(plain) is None
    assert [k.id for k in repo.list()] == [key.id]
    assert repo.list()[0].last_used_at is not None  # touched by verify
    assert repo.revoke(key.id) and not repo.revoke(key.id)
    assert repo.verify(plain) is None
    assert repo.list() == [] and len(repo.list(include_revoked=True)) == 1


def test_watchlists(db: MetaDB) -> None:
    repo = WatchlistRepository(db)
    a = repo.save(Watchlist(name="giá xăng", query="xăng", owner="lan"))
    b = repo.save(Watchlist(name="ngập lụt", query="ngập"))
    assert repo.get(a.id) == a and repo.get("giá xăng") == a and repo.get("nope") is None
    assert [w.id for w in repo.list()] == [a.id, b.id]
    assert [w.id for w in repo.list(owner="lan")] == [a.id]
    with pytest.raises(DuplicateName):
        repo.save(Watchlist(name="giá xăng", query="x"))
    renamed = repo.save(a.model_copy(update={"name": "xăng dầu"}))  # upsert by id
    assert repo.get("xăng dầu") == renamed and repo.get("giá xăng") is None
    assert repo.delete("xăng dầu") and not repo.delete("xăng dầu")
    assert [w.id for w in repo.list()] == [b.id]


def test_campaigns(db: MetaDB) -> None:
    repo = CampaignRepository(db)
    c = repo.save(Campaign(slug="truong-hoc", title="Góp ý trường học"))
    assert repo.get("truong-hoc") == c and repo.get(c.id) == c
    with pytest.raises(SlugTaken):
        repo.save(Campaign(slug="truong-hoc", title="again"))
    d = repo.save(Campaign(slug="benh-vien", title="Bệnh viện"))
    assert {x.slug for x in repo.list()} == {"truong-hoc", "benh-vien"}
    assert repo.delete("truong-hoc") == c and repo.delete("truong-hoc") is None
    assert repo.list() == [d]


def _sub() -> Subscription:
    return Subscription(
        name="xăng",
        targets=[
            WebhookTarget(url="https://hooks.example/a?token=t", secret="s" * 24),
            EmailTarget(to=["an@example.com"]),
        ],
    )


def test_alert_subscriptions_with_sealed_secrets(db: MetaDB) -> None:
    repo = AlertRepository(db, secret_key=KEY)
    sub = repo.save_subscription(_sub())
    got = repo.get_subscription(sub.id)
    assert got is not None and got.targets[0].secret == "s" * 24  # type: ignore[union-attr]
    assert got.targets[0].url == "https://hooks.example/a?token=t"  # type: ignore[union-attr]
    raw = db.rows(sa.text("SELECT body FROM alert_subscriptions"))[0][0]
    assert "s" * 24 not in raw and "token=t" not in raw  # sealed at rest
    assert repo.set_enabled(sub.id, False) and not repo.set_enabled("nope", True)
    assert repo.list_subscriptions(enabled_only=True) == []
    off = repo.get_subscription(sub.id)
    assert off is not None and not off.enabled and json.loads(raw)["name"] == "xăng"
    repo.set_enabled(sub.id, True)
    repo.mark_evaluated(sub.id, NOW, "quiet", "nothing")
    assert repo.last_status(sub.id) == ("quiet", "nothing")
    repo.mark_fired(sub.id, NOW)
    again = repo.save_subscription(off.model_copy(update={"name": "xăng 2", "enabled": True}))
    assert again.name == "xăng 2" and again.last_fired_at == NOW  # firing state kept on save
    assert again.last_evaluated_at == NOW
    assert repo.delete_subscription(sub.id) and repo.get_subscription(sub.id) is None


def test_alert_events_deliveries_and_state(db: MetaDB) -> None:
    repo = AlertRepository(db, secret_key=KEY)
    events = [
        AlertEvent(
            id=f"e{i}",
            subscription_id="s1",
            subscription_name="x",
            rule_type="spike",
            fired_at=NOW + timedelta(minutes=i),
            summary=f"spike {i}",
            direction="spike",
            window_start=NOW,
            window_end=NOW,
            metric="count",
            observed=9,
            threshold=3,
        )
        for i in range(3)
    ]
    for e in events:
        repo.record_event(e)
    repo.record_event(events[0])  # replaced, not duplicated
    assert [e.id for e in repo.list_events("s1")] == ["e2", "e1", "e0"]
    assert [e.id for e in repo.list_events(since=NOW + timedelta(minutes=1))] == ["e2", "e1"]
    assert repo.get_event("e1") == events[1] and repo.get_event("zz") is None
    ids = [
        repo.record_delivery(
            DeliveryResult(
                channel="webhook",
                target="hooks.example",
                status="delivered",
                attempts=1,
                status_code=200,
                event_id="e0",
                subscription_id="s1",
                started_at=NOW,
                finished_at=NOW,
            )
        )
        for _ in range(2)
    ]
    assert ids[1] > ids[0] > 0
    got = repo.list_deliveries(subscription_id="s1")
    assert len(got) == 2 and got[0].status_code == 200 and got[0].finished_at == NOW
    assert repo.list_deliveries(event_id="nope") == []
    repo.save_state("trends", '{"a": 1}')
    repo.save_state("trends", '{"a": 2}')
    assert repo.load_state("trends") == '{"a": 2}' and repo.load_state("x") is None


def test_racing_evaluators_claim_one_firing(db: MetaDB) -> None:
    """Two replicas saw the same `last_fired_at` (none): exactly one claims the window."""
    first, second = AlertRepository(db, secret_key=KEY), AlertRepository(db, secret_key=KEY)
    sub = first.save_subscription(_sub())
    results: list[bool] = []
    barrier = threading.Barrier(4)

    def claim(repo: AlertRepository) -> None:
        barrier.wait()
        results.append(repo.claim_firing(sub.id, NOW, None))

    threads = [threading.Thread(target=claim, args=(r,)) for r in (first, second) * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False, False, False, True]
    fired = second.get_subscription(sub.id)
    assert fired is not None and fired.last_fired_at == NOW
    later = NOW + timedelta(hours=2)
    assert second.claim_firing(sub.id, later, fired.last_fired_at)  # the next window
    assert not first.claim_firing(sub.id, later, fired.last_fired_at)


def test_schedules(db: MetaDB) -> None:
    repo = ScheduleRepository(db, secret_key=KEY)
    s = repo.save(
        Schedule(
            watchlist_id="w1",
            cadence="daily",
            targets=[WebhookTarget(url="https://h.example/b", secret="t" * 24)],
        )
    )
    got = repo.get(s.id)
    assert got is not None and got.targets[0].secret == "t" * 24  # type: ignore[union-attr]
    assert "t" * 24 not in db.rows(sa.text("SELECT body FROM briefing_schedules"))[0][0]
    assert [x.id for x in repo.list(enabled_only=True, watchlist_id="w1")] == [s.id]
    assert repo.list(watchlist_id="w2") == []
    end = datetime(2026, 12, 1, tzinfo=UTC)
    assert repo.claim_period(s.id, end, NOW, "claimed")
    assert not repo.claim_period(s.id, end, NOW, "claimed")  # another scheduler: skipped
    repo.mark_sent(s.id, end, NOW, "sent")
    repo.set_status(s.id, "ok")
    got = repo.get(s.id)
    assert got is not None and got.last_period_end == end and got.last_status == "ok"
    period = Period(end - timedelta(days=1), end)
    result = DeliveryResult(channel="webhook", target="h.example", status="delivered", attempts=1)
    repo.record_delivery(s.id, period, result)
    rows = repo.deliveries(s.id)
    assert len(rows) == 1 and rows[0]["status"] == "delivered" and rows[0]["schedule_id"] == s.id
    assert repo.delete(s.id) and not repo.delete(s.id)


def test_crawl_state_is_shared_between_replicas(db: MetaDB) -> None:
    one = CrawlState(db, "voz", commit_every=2)
    assert one.mark_seen("voz:1") and not one.mark_seen("voz:1")
    one.set("thread:9", {"page": 3})  # two changes: written
    other = CrawlState(db, "voz")
    assert other.seen("voz:1") and other.get("thread:9") == {"page": 3}
    assert not other.mark_seen("voz:1")
    assert one.mark_seen("voz:2") and not other.seen("voz:2")  # buffered until commit/close
    one.close()
    assert other.seen("voz:2") and other.count_seen() == 2
    assert not CrawlState(db, "reddit").seen("voz:1")  # per source
    other.close()


def test_leases_give_one_holder_at_a_time(db: MetaDB) -> None:
    a, b = Lease(db, "crawl:voz", 60), Lease(db, "crawl:voz", 60)
    assert a.acquire() and a.acquire()  # ours again: renewed
    assert not b.acquire() and b.current_holder() == a.holder
    assert a.renew() and not b.renew()
    a.release()
    assert b.acquire() and not a.acquire()
    short = Lease(db, "crawl:reddit", 0.2)
    assert short.acquire()
    time.sleep(0.3)
    assert Lease(db, "crawl:reddit", 60).acquire()  # expired: taken over
    assert not short.renew()


def run(source: str, minutes: float, items: int, errors: int = 0, ok: bool = True) -> SourceRun:
    at = NOW + timedelta(minutes=minutes)
    return SourceRun(source, at - timedelta(seconds=30), at, items, errors, ok, f"run {minutes:g}")


def test_source_runs_recorded_by_one_replica_are_read_by_another(db: MetaDB) -> None:
    crawler = SourceRunRepository(db, retention_days=0)
    for minutes, items, errors, ok in ((0, 0, 0, True), (10, 20, 1, False), (20, 10, 2, True)):
        crawler.record(run("voz", minutes, items, errors, ok))
    crawler.record(run("reddit", 5, 3, 4, False))
    crawler.record(run("voz", 20, 7))  # the same finish time: the later record is newer
    api = SourceRunRepository(db.url.render_as_string(hide_password=False))  # its own engine
    try:
        runs = api.recent("voz")
        assert [r.items for r in runs] == [7, 10, 20, 0]
        assert runs[2].ok is False and runs[2].errors == 1 and runs[2].message == "run 10"
        assert runs[0].finished_at == NOW + timedelta(minutes=20)
        assert runs[0].started_at == NOW + timedelta(minutes=19, seconds=30)
        assert [r.source for r in api.recent(limit=3)] == ["voz", "voz", "voz"]
        assert [r.items for r in api.recent(since=NOW + timedelta(minutes=5))] == [7, 10, 20, 3]
        window = api.recent(since=NOW + timedelta(minutes=5), until=NOW + timedelta(minutes=20))
        assert [r.items for r in window] == [20, 3]
        assert api.recent("nowhere") == []

        reddit, voz = api.summaries(NOW + timedelta(minutes=10))
        assert (reddit.source, reddit.last_run.items, reddit.last_success_at) == ("reddit", 3, None)
        assert (reddit.runs, reddit.items, reddit.errors) == (0, 0, 0)  # before the cutoff
        assert voz.last_run.items == 7 and voz.last_run.ok
        assert voz.last_success_at == NOW + timedelta(minutes=20)
        assert (voz.runs, voz.items, voz.errors) == (3, 37, 3)
    finally:
        api.close()


def test_source_runs_past_the_retention_are_pruned(db: MetaDB) -> None:
    now = datetime.now(UTC)
    repo = SourceRunRepository(db, retention_days=1)
    old = SourceRun("voz", now - timedelta(days=3), now - timedelta(days=3), 1, 0, True)
    repo.record(old)
    assert repo.recent() == []  # recorded and pruned in one transaction
    keep = SourceRunRepository(db, retention_days=0)  # 0: kept forever
    keep.record(old)
    keep.record(SourceRun("voz", now - timedelta(days=2), now - timedelta(days=2), 2, 0, True))
    assert keep.prune() == 0 and len(keep.recent()) == 2
    assert repo.prune(now - timedelta(days=2, hours=12)) == 1
    repo.record(SourceRun("reddit", now, now, 3, 0, True))  # prunes every source
    assert [r.items for r in repo.recent()] == [3]
    assert SourceRunRepository(db).retention_days == 90


def _offsets(neutral: float, model: str = "classical-test") -> SentimentAdaptation:
    return SentimentAdaptation(
        offsets={"negative": 0.0, "neutral": neutral, "positive": -0.25},
        labelled=300,
        cv_gain=0.02,
        fold_gains=[0.02] * 5,
        adopted=True,
        model=model,
        fitted_on="voz.tsv",
        shares_labelled={"negative": 0.5, "neutral": 0.3, "positive": 0.2},
    )


def test_sentiment_offsets_written_once_are_read_by_every_replica(db: MetaDB) -> None:
    """`duluan adapt` on any machine writes the offsets once; every NLP worker and API replica
    reads the same entries (a default and one per source)."""
    adapt = SentimentOffsetsRepository(db)
    adapt.save(None, _offsets(0.5))
    adapt.save("voz", _offsets(-1.0))
    worker = SentimentOffsetsRepository(db.url.render_as_string(hide_password=False))
    try:
        assert worker.load() == AdaptationSet(_offsets(0.5), {"voz": _offsets(-1.0)})
        adapt.save("voz", _offsets(-2.0))  # a new fit replaces the old
        adapt.save("tinhte", _offsets(0.1))
        found = worker.load()
        assert found.sources["voz"].offsets["neutral"] == -2.0 and set(found.sources) == {
            "voz",
            "tinhte",
        }
        assert adapt.remove(None) and not adapt.remove(None)
        assert worker.load().default is None
        with db.write() as conn:  # a row this code cannot read is skipped, not fatal
            conn.execute(sa.text("UPDATE sentiment_offsets SET body = '{}' WHERE scope = 'tinhte'"))
        assert set(worker.load().sources) == {"voz"}
    finally:
        worker.close()


def test_sentiment_corrections_by_post_id(db: MetaDB) -> None:
    """An analyst's correction saved through one replica's API is what every indexer applies."""
    api = SentimentCorrectionRepository(db)
    api.save("voz:post:1", "negative", "api:lan")
    api.save("voz:post:2", "neutral", "api:lan")
    api.save("voz:post:1", "positive", "api:minh")  # corrected again: the latest counts
    with pytest.raises(ValueError, match="sentiment must be"):
        api.save("voz:post:3", "angry", "api:lan")
    indexer = SentimentCorrectionRepository(db.url.render_as_string(hide_password=False))
    try:
        ids = [f"voz:post:{n}" for n in range(1, 1200)]  # more than one lookup's worth
        found = indexer.for_posts(ids)
        assert {k: (c.label, c.by) for k, c in found.items()} == {
            "voz:post:1": ("positive", "api:minh"),
            "voz:post:2": ("neutral", "api:lan"),
        }
        assert found["voz:post:1"].at.tzinfo is not None
        assert indexer.count() == 2
        assert api.remove("voz:post:2") and not api.remove("voz:post:2")
        assert set(indexer.for_posts(ids)) == {"voz:post:1"}
    finally:
        indexer.close()
