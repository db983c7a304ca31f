"""The query API over a real SQLite store: search, thread context, stats, export, errors."""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.schemas import TimelineResponse
from duluan.core.models import Analysis, Post, Scored, Sentiment
from duluan.core.settings import Settings
from duluan.meta.source_runs import SourceRun, SourceRunRepository
from duluan.storage.sqlite.store import SQLiteStore
from tests.api.conftest import key_headers

NOW = datetime.now(UTC).replace(microsecond=0)


def p(
    n: int,
    text: str,
    *,
    kind: str = "comment",
    parent: str | None = None,
    sentiment: str = "neutral",
    topic: str = "society",
    hours: float = 1,
    author: str = "lan",
) -> Post:
    return Post(
        id=f"vnexpress:{kind}:{n}",
        source="vnexpress",
        kind=kind,
        text=text,
        author=author,
        created_at=NOW - timedelta(hours=hours),
        thread_id="vnexpress:article:1" if kind != "article" else None,
        parent_id=parent,
        analysis=Analysis(
            language="vi",
            sentiment=Sentiment(label=sentiment, score=0.8),  # type: ignore[arg-type]
            topics=[Scored(label=topic, score=0.8)],
            keywords=text.lower().split()[:2],
        ),
    )


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    store = SQLiteStore(tmp_path / "api.db")
    store.upsert(
        [
            p(1, "Giá xăng tăng từ chiều nay", kind="article", topic="business", hours=5),
            p(2, "Xăng tăng hoài, chán quá", parent=None, sentiment="negative", topic="business"),
            p(
                3,
                "@An: đồng ý, đi xe buýt cho rẻ",
                parent="vnexpress:comment:2",
                sentiment="positive",
            ),
            *[
                p(100 + i, f"bình luận số {i} về xăng", hours=i / 10, author="minh")
                for i in range(30)
            ],
        ]
    )
    with SourceRunRepository(store.path) as runs:  # the SQLite store's file holds the metadata
        runs.record(
            SourceRun(
                source="vnexpress", started_at=NOW, finished_at=NOW, items=33, errors=0, ok=True
            )
        )
        runs.record(
            SourceRun(
                source="voz",
                started_at=NOW - timedelta(days=3),
                finished_at=NOW - timedelta(days=3),
                items=0,
                errors=2,
                ok=True,
            )
        )
    with TestClient(create_app(Settings(), store=store)) as c:
        yield c
    store.close()


def test_search_with_snippets_and_cursor(client: TestClient) -> None:
    r = client.get("/v1/search", params={"q": "xang", "limit": 10})
    assert r.status_code == 200
    body = r.json()
    assert body["total"] == 32
    assert "<mark>" in body["hits"][0]["snippet"]
    seen = [h["post"]["id"] for h in body["hits"]]
    while body["next_cursor"]:
        body = client.get(
            "/v1/search", params={"q": "xang", "limit": 10, "cursor": body["next_cursor"]}
        ).json()
        seen += [h["post"]["id"] for h in body["hits"]]
    assert len(seen) == 32 == len(set(seen))


def test_filters_and_dry_run(client: TestClient) -> None:
    r = client.get("/v1/search", params={"q": "xang", "sentiment": "negative"})
    assert [h["post"]["id"] for h in r.json()["hits"]] == ["vnexpress:comment:2"]
    r = client.get("/v1/search/dry-run", params={"q": "author:minh", "sample": 3})
    assert r.json()["total"] == 30 and len(r.json()["sample"]) == 3


def test_post_with_thread_context(client: TestClient) -> None:
    r = client.get("/v1/posts/vnexpress:comment:2")
    assert r.status_code == 200
    body = r.json()
    assert body["post"]["analysis"]["sentiment"]["label"] == "negative"
    assert body["thread"]["id"] == "vnexpress:article:1"
    assert [x["id"] for x in body["replies"]] == ["vnexpress:comment:3"]
    reply = client.get("/v1/posts/vnexpress:comment:3").json()
    assert reply["parent"]["id"] == "vnexpress:comment:2"


def test_timeline_sentiment_and_tops(client: TestClient) -> None:
    r = client.get("/v1/timeline", params={"interval": "hour", "split": "sentiment"})
    # written without the response model: still exactly the model's JSON
    assert TimelineResponse.model_validate_json(r.content).model_dump_json().encode() == r.content
    tl = r.json()
    assert tl["buckets"][0]["start"].endswith("Z")
    assert sum(b["count"] for b in tl["buckets"]) == 33
    assert sum(b["split"].get("negative", 0) for b in tl["buckets"]) == 1
    # the window's raw shares with sampling intervals, as /v1/sentiment gives them
    window = tl["sampling"]["neutral"]
    assert window["low"] < window["share"] < window["high"] and window["share"] > 0.9
    assert client.get("/v1/timeline", params={"split": "source"}).json()["sampling"] is None
    s = client.get("/v1/sentiment", params={"q": "xang"}).json()
    assert s["counts"] == {"negative": 1, "neutral": 31, "positive": 0}
    assert abs(sum(s["shares"].values()) - 1.0) < 1e-9
    # 1 of 32: a sampling interval around the raw share, never below 0 for "none seen"
    negative = s["sampling"]["negative"]
    assert negative["share"] == round(1 / 32, 4) and 0 < negative["low"] < 1 / 32
    assert 0.08 < negative["high"] < 0.15
    none_seen = s["sampling"]["positive"]
    assert none_seen["share"] == none_seen["low"] == 0.0 and 0.05 < none_seen["high"] < 0.1
    topics = client.get("/v1/top/topics").json()["items"]
    assert topics[0] == {"key": "society", "count": 31}
    authors = client.get("/v1/top/authors", params={"limit": 1}).json()["items"]
    assert authors == [{"key": "minh", "count": 30}]


def test_top_keywords_rank_by_distinctiveness_or_count(client: TestClient) -> None:
    """Keywords come with a log-odds `score` against the background; `rank=count` is raw."""
    from duluan.storage.keywords import keyword_score

    items = client.get("/v1/top/keywords", params={"q": "tăng"}).json()["items"]
    assert [i["key"] for i in items] == ["xăng"]  # "giá", "tăng" alone are not keywords
    assert items[0]["count"] == 2
    # 2 of 2 posts, none of the other 31: raised, but two posts are thin evidence
    assert items[0]["score"] == round(keyword_score(2, 2, 2, 33), 3)
    raw = client.get("/v1/top/keywords", params={"rank": "count", "limit": 1}).json()["items"]
    assert raw == [{"key": "bình", "count": 30}]


def test_export_streams_every_row(client: TestClient) -> None:
    r = client.get("/v1/export", params={"q": "xang", "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == 32 and rows[0]["sentiment"] in ("neutral", "negative")
    r = client.get("/v1/export", params={"format": "jsonl"})
    lines = [json.loads(x) for x in r.text.splitlines()]
    assert len(lines) == 33


def test_source_health_flags_silent_sources(client: TestClient) -> None:
    health = {s["source"]: s for s in client.get("/v1/sources").json()}
    assert health["vnexpress"]["status"] == "ok" and health["vnexpress"]["posts_last_day"] == 33
    assert health["vnexpress"]["last_items"] == 33 and health["vnexpress"]["runs_last_day"] == 1
    assert health["vnexpress"]["last_run_at"] == NOW.isoformat().replace("+00:00", "Z")
    assert health["voz"]["status"] == "silent" and health["voz"]["runs_last_day"] == 0
    assert health["voz"]["last_success_at"] is not None and health["voz"]["errors_last_day"] == 0


def test_source_health_reads_runs_another_replica_recorded(client: TestClient) -> None:
    """Crawl runs live in the metadata database: a run recorded there by any crawler (here
    through a repository of its own) is what /v1/sources reports, failing runs included."""
    store = client.app.state.container.store  # type: ignore[attr-defined]
    with SourceRunRepository(store.path) as crawler:
        failed = SourceRun("voz", NOW, NOW + timedelta(seconds=1), items=0, errors=5, ok=False)
        crawler.record(failed)
    voz = {s["source"]: s for s in client.get("/v1/sources").json()}["voz"]
    assert voz["status"] == "failing" and voz["errors_last_day"] == 5
    assert voz["runs_last_day"] == 1 and voz["last_success_at"] is not None


def test_source_health_follows_a_query_or_watchlist(client: TestClient) -> None:
    """A view (q, filters or a watchlist) lists the sources with matching posts and the ones
    it names; the health figures are the sources' own."""
    at = NOW - timedelta(hours=2)
    client.app.state.container.store.upsert(  # type: ignore[attr-defined]
        [
            Post(id="tinhte:comment:1", source="tinhte", text="xe điện rẻ hơn", created_at=at),
            Post(id="otofun:comment:1", source="otofun", text="xăng lên giá", created_at=at),
        ]
    )

    def listed(**params: str) -> dict[str, dict]:
        r = client.get("/v1/sources", params=params)
        assert r.status_code == 200, r.text
        return {s["source"]: s for s in r.json()}

    assert set(listed()) == {"vnexpress", "voz", "tinhte", "otofun"}
    assert set(listed(q="xe điện")) == {"tinhte"}
    assert set(listed(q="xăng -source:otofun")) == {"vnexpress"}
    named = listed(q="điện OR source:voz")  # voz has no post but the view names it
    assert set(named) == {"tinhte", "voz"} and named["voz"]["status"] == "silent"
    assert listed(q="xăng")["vnexpress"]["posts_last_day"] == 33  # the source's own figure
    admin = key_headers(client.app)
    r = client.post("/v1/watchlists", json={"name": "xe", "query": "xe"}, headers=admin)
    assert r.status_code == 201, r.text
    assert set(listed(watchlist=r.json()["id"])) == {"tinhte", "vnexpress"}  # "xe buýt" too
    assert client.get("/v1/sources", params={"watchlist": "nope"}).status_code == 404


@pytest.mark.parametrize(
    ("params", "status", "fragment"),
    [
        ({"q": '"unclosed'}, 400, "unclosed quote"),
        ({"q": "(a OR b"}, 400, "missing ')'"),
        ({"q": "source:"}, 400, "needs a value"),
        ({"sentiment": "angry"}, 400, "unknown sentiment"),
        ({"limit": 0}, 422, "limit"),
        ({"since": "yesterday"}, 422, "since"),
        ({"cursor": "garbage"}, 400, "cursor"),
        ({"since": "2026-02-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"}, 400, "before"),
    ],
)
def test_invalid_requests_say_what_is_wrong(
    client: TestClient, params: dict, status: int, fragment: str
) -> None:
    r = client.get("/v1/search", params=params)
    assert r.status_code == status
    assert fragment in r.json()["detail"]


def test_delete_post_and_author(client: TestClient) -> None:
    admin = key_headers(client.app)
    assert client.delete("/v1/posts/vnexpress:comment:2").status_code == 401
    assert client.delete("/v1/posts/vnexpress:comment:2", headers=admin).status_code == 200
    assert client.get("/v1/posts/vnexpress:comment:2").status_code == 404
    assert client.delete("/v1/posts/vnexpress:comment:2", headers=admin).status_code == 404
    assert client.delete("/v1/authors/minh", headers=admin).json() == {"deleted": 30}
    assert client.get("/v1/search", params={"q": "author:minh"}).json()["total"] == 0


def test_deleting_an_author_deletes_the_corrections_of_their_posts(client: TestClient) -> None:
    """A deletion request leaves nothing behind: analysts' corrections of the author's posts go
    with them (the store matches the author in any case), others' stay."""
    admin = key_headers(client.app)
    theirs, other = "vnexpress:comment:105", "vnexpress:comment:3"  # minh's; lan's
    for pid in (theirs, other):
        r = client.put(f"/v1/posts/{pid}/sentiment", json={"label": "negative"}, headers=admin)
        assert r.status_code == 200, r.text
    repo = client.app.state.container.sentiment_corrections  # type: ignore[attr-defined]
    assert set(repo.for_posts([theirs, other])) == {theirs, other}
    assert client.delete("/v1/authors/MINH", headers=admin).json() == {"deleted": 30}
    assert set(repo.for_posts([theirs, other])) == {other}
    audit = client.get("/v1/corrections", headers=admin).json()
    assert [c["post_id"] for c in audit] == [other]


def test_ops_endpoints(client: TestClient) -> None:
    assert client.get("/healthz").json()["status"] == "ok"
    assert client.get("/readyz").json() == {"status": "ok", "posts": 33}
    client.get("/v1/search")
    assert "duluan_http_request_seconds" in client.get("/metrics").text
    schema = client.get("/openapi.json").json()
    assert "/v1/search" in schema["paths"] and "/v1/timeline" in schema["paths"]


def test_source_health_says_which_sentiment_offsets_apply(tmp_path: Path) -> None:
    """With `nlp_sentiment_adaptation` set, each source lists the offsets the NLP stage applies
    to it (its own, or the default) and what they did on its labelled sample; entries fitted on
    another model are left out, as the NLP stage leaves them out."""
    from nlp import model_meta
    from nlp.adaptation import AdaptationSet, SentimentAdaptation

    version = str(model_meta.read_meta()["version"])

    def entry(model: str, neutral: float) -> SentimentAdaptation:
        return SentimentAdaptation(
            offsets={"negative": 0.0, "neutral": neutral, "positive": 0.2},
            labelled=300,
            cv_gain=0.03,
            fold_gains=[0.03] * 5,
            adopted=True,
            model=model,
            shares_labelled={"negative": 0.5, "neutral": 0.3, "positive": 0.2},
            shares_before={"negative": 0.3, "neutral": 0.5, "positive": 0.2},
            shares_after={"negative": 0.45, "neutral": 0.33, "positive": 0.22},
        )

    path = tmp_path / "offsets.json"
    store = SQLiteStore(tmp_path / "api.db")
    voz_post = p(2, "Thị trường đỏ lửa").model_copy(update={"id": "voz:comment:2", "source": "voz"})
    store.upsert([p(1, "Xăng lại tăng"), voz_post])
    settings = Settings(nlp_sentiment_adaptation=path)
    stamp = iter(range(1, 10))

    def save(offsets: AdaptationSet) -> None:  # a new mtime each time: the file is cached by it
        offsets.save(path)
        os.utime(path, ns=(next(stamp) * 10**9, next(stamp) * 10**9))

    with TestClient(create_app(settings, store=store)) as client:
        save(AdaptationSet(entry(version, -0.8), {"voz": entry(version, -1.5)}))
        health = {s["source"]: s for s in client.get("/v1/sources").json()}
        voz, vne = health["voz"]["sentiment_offsets"], health["vnexpress"]["sentiment_offsets"]
        assert voz["scope"] == "source" and voz["offsets"]["neutral"] == -1.5
        assert vne["scope"] == "default" and vne["offsets"]["neutral"] == -0.8
        assert voz["shares_model"]["neutral"] == 0.5 and voz["shares_adapted"]["neutral"] == 0.33
        assert voz["labelled"] == 300
        # a retrained model makes the default stale: only voz keeps offsets
        save(AdaptationSet(entry("classical-1999.01.01-a", -0.8), {"voz": entry(version, -1.5)}))
        health = {s["source"]: s for s in client.get("/v1/sources").json()}
        assert health["vnexpress"]["sentiment_offsets"] is None
        assert health["voz"]["sentiment_offsets"]["scope"] == "source"
        path.write_text("not json", encoding="utf-8")  # the views go on without them
        os.utime(path, ns=(next(stamp) * 10**9, next(stamp) * 10**9))
        r = client.get("/v1/sources")
        assert r.status_code == 200
        assert all(s["sentiment_offsets"] is None for s in r.json())
    store.close()


def test_source_health_reads_offsets_from_the_metadata_database(tmp_path: Path) -> None:
    """Without a file setting, the offsets `duluan adapt` wrote to the metadata database are
    the ones listed, as every NLP worker reads them there."""
    from nlp import model_meta
    from nlp.adaptation import SentimentAdaptation

    store = SQLiteStore(tmp_path / "api.db")
    store.upsert([p(1, "Xăng lại tăng")])
    with TestClient(create_app(Settings(), store=store)) as client:
        assert client.get("/v1/sources").json()[0]["sentiment_offsets"] is None
        client.app.state.container.sentiment_offsets.save(  # type: ignore[attr-defined]
            "vnexpress",
            SentimentAdaptation(
                offsets={"negative": 0.0, "neutral": 0.4, "positive": 0.0},
                labelled=250,
                cv_gain=0.02,
                fold_gains=[0.02] * 5,
                adopted=True,
                model=str(model_meta.read_meta()["version"]),
            ),
        )
        got = client.get("/v1/sources").json()[0]["sentiment_offsets"]
        assert got["scope"] == "source" and got["labelled"] == 250
    store.close()


def test_an_analyst_corrects_a_posts_sentiment(client: TestClient, tmp_path: Path) -> None:
    """PUT /v1/posts/{id}/sentiment: the analyst's label counts from then on, keeps the model's
    reading beside it, and survives the post being indexed again from the stream; DELETE
    brings the model's reading back."""
    from streaming.embedded_bus import EmbeddedBus
    from streaming.indexer import Indexer

    admin = key_headers(client.app)
    reader = key_headers(client.app, "read", name="reader")
    pid = "vnexpress:comment:100"  # the model read it as neutral

    def counts() -> dict[str, int]:
        r = client.get("/v1/sentiment", params={"q": "xang"}, headers=reader)
        return dict(r.json()["counts"])

    assert counts() == {"negative": 1, "neutral": 31, "positive": 0}
    url = f"/v1/posts/{pid}/sentiment"
    assert client.put(url, json={"label": "negative"}, headers=reader).status_code == 403
    assert client.put(url, json={"label": "angry"}, headers=admin).status_code == 422
    assert client.put(url, json={"label": "negative", "x": 1}, headers=admin).status_code == 422
    missing = client.put(
        "/v1/posts/vnexpress:comment:9999/sentiment", json={"label": "negative"}, headers=admin
    )
    assert missing.status_code == 404
    r = client.put(url, json={"label": "negative"}, headers=admin)
    assert r.status_code == 200, r.text
    a = r.json()["analysis"]
    assert a["sentiment"] == {"label": "negative", "score": 1.0}
    assert a["sentiment_correction"]["model_label"] == "neutral"
    assert a["sentiment_correction"]["by"] == "api:test"
    assert counts() == {"negative": 2, "neutral": 30, "positive": 0}
    audit = client.get("/v1/corrections", headers=admin).json()
    assert [(c["post_id"], c["label"], c["by"]) for c in audit] == [(pid, "negative", "api:test")]
    assert client.get("/v1/corrections", headers=reader).status_code == 403

    # the post comes through the stream again, read by the model as neutral: still negative
    store = client.app.state.container.store  # type: ignore[attr-defined]
    settings = Settings(data_dir=tmp_path / "var")
    again = store.get(pid)
    assert again is not None and again.analysis is not None
    model_read = again.model_copy(
        update={
            "analysis": again.analysis.model_copy(
                update={
                    "sentiment": Sentiment(label="neutral", score=0.8),
                    "sentiment_correction": None,
                }
            )
        }
    )
    bus = EmbeddedBus(settings.resolved_bus_path)
    bus.publish(settings.enriched_topic, model_read.to_json(), key=pid)
    bus.flush()
    Indexer(EmbeddedBus(settings.resolved_bus_path), store, settings).run(max_idle=0.5)
    stored = store.get(pid)
    assert stored is not None and stored.analysis is not None
    assert stored.analysis.sentiment.label == "negative"
    assert stored.analysis.sentiment_correction is not None
    assert stored.analysis.sentiment_correction.model_score == 0.8
    assert counts() == {"negative": 2, "neutral": 30, "positive": 0}

    r = client.delete(url, headers=admin)
    assert r.status_code == 200 and r.json()["analysis"]["sentiment"]["label"] == "neutral"
    assert r.json()["analysis"]["sentiment_correction"] is None
    assert counts() == {"negative": 1, "neutral": 31, "positive": 0}
    assert client.delete(url, headers=admin).status_code == 404  # nothing left to withdraw
    # deleting a post deletes its correction too
    assert client.put(url, json={"label": "positive"}, headers=admin).status_code == 200
    assert client.delete(f"/v1/posts/{pid}", headers=admin).status_code == 200
    repo = client.app.state.container.sentiment_corrections  # type: ignore[attr-defined]
    assert repo.for_posts([pid]) == {}
