"""The live feed (SSE over a real server), trends with an injected burst, share of voice and
top entities."""

from __future__ import annotations

import json
import random
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from api.app import create_app
from duluan.core.settings import Settings
from duluan.storage.sqlite.store import SQLiteStore
from tests.api.conftest import T0, background, make_post
from tests.conftest import ServerThread


def test_live_feed_streams_new_matching_posts(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "live.db")
    now = datetime.now(UTC)
    store.upsert([make_post(["xăng", "cũ"], at=now - timedelta(minutes=5))])
    settings = Settings(api_live_poll_s=0.2, api_live_heartbeat_s=0.3)
    events: list[tuple[str, dict[str, object]]] = []
    comments: list[str] = []
    with ServerThread(create_app(settings, store=store)) as server:
        beat = threading.Event()

        def later() -> None:  # new posts once the stream is idle (a heartbeat came), not on a timer
            beat.wait(10)
            store.upsert([make_post(["bóng đá"], at=datetime.now(UTC))])  # does not match
            store.upsert([make_post(["xăng", "mới"], at=datetime.now(UTC) - timedelta(seconds=30))])

        threading.Thread(target=later, daemon=True).start()
        params: dict[str, Any] = {"q": "xăng", "backfill": 1, "max_events": 2, "max_seconds": 15}
        with httpx.stream("GET", server.url + "/v1/live", params=params, timeout=20) as r:
            assert r.status_code == 200
            assert r.headers["content-type"].startswith("text/event-stream")
            event = None
            for line in r.iter_lines():
                if line.startswith(":"):
                    comments.append(line)
                    if line == ": heartbeat":
                        beat.set()
                elif line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: ") and event:
                    events.append((event, json.loads(line[6:])))
    store.close()
    assert [e for e, _ in events] == ["post", "post"]
    assert events[0][1]["text"] == "xăng cũ"  # the backfill
    assert events[1][1]["text"] == "xăng mới"  # arrived while connected (indexed 30 s late)
    assert ": connected" in comments and ": heartbeat" in comments


def test_live_feed_rejects_bad_queries(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "live.db")
    with TestClient(create_app(Settings(), store=store)) as c:
        r = c.get("/v1/live", params={"q": "(xăng"})
        assert r.status_code == 400 and "invalid query" in r.json()["detail"]
        assert c.get("/v1/live", params={"max_events": 0}).status_code == 422
    store.close()


def fill_burst(store: SQLiteStore) -> datetime:
    """12 quiet hourly windows, then one where `cháy` and `chung cư` burst; returns the end."""
    rng = random.Random(8)
    for h in range(12):
        store.upsert(background(rng, 80, T0 + timedelta(hours=h, minutes=5)))
    at = T0 + timedelta(hours=12, minutes=5)
    store.upsert(
        background(rng, 80, at)
        + [
            make_post(["cháy", "chung cư"], at=at + timedelta(seconds=i), source="voz")
            for i in range(15)
        ]
    )
    return T0 + timedelta(hours=13)


def test_trends_endpoint_finds_the_burst_with_drivers(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "trends.db")
    end = fill_burst(store)
    with TestClient(create_app(Settings(), store=store)) as c:
        params: dict[str, Any] = {
            "window": "1h",
            "baseline": 12,
            "until": end.isoformat(),
            "kind": "term",
        }
        r = c.get("/v1/trends", params=params)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["window_end"].startswith("2026-11-01T13:00")
        top = body["trends"][:2]
        assert {t["term"] for t in top} == {"cháy", "chung cư"}
        t = top[0]
        assert t["direction"] == "spike" and t["count"] == 15 and t["expected"] < 2
        assert t["score"] >= 6 and t["top_sources"][0]["term"] == "voz"
        assert t["co_terms"] and t["sample_posts"][0]["source"] == "voz"
        again = c.get("/v1/trends", params=params).json()
        assert again["computed_at"] == body["computed_at"]  # cached
        assert c.get("/v1/trends", params={**params, "direction": "drop"}).json()["trends"] == []
        bad = c.get("/v1/trends", params={"window": "1y"})
        assert bad.status_code == 400 and "15m, 1h or 1d" in bad.json()["detail"]
        assert c.get("/v1/trends", params={"window": "1m"}).status_code == 400
    store.close()


def test_share_of_voice_and_top_entities(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "sov.db")
    store.upsert(
        [make_post(["xăng"], at=T0 + timedelta(hours=i), entities=["Petrolimex"]) for i in range(6)]
        + [make_post(["điện"], at=T0 + timedelta(hours=i), entities=["EVN"]) for i in range(2)]
    )
    with TestClient(create_app(Settings(), store=store)) as c:
        r = c.get("/v1/share-of-voice", params=[("q", "xăng"), ("q", "điện"), ("interval", "day")])
        assert r.status_code == 200, r.text
        body = r.json()
        assert [(i["q"], i["total"], i["share"]) for i in body["items"]] == [
            ("xăng", 6, 0.75),
            ("điện", 2, 0.25),
        ]
        assert body["timeline"] == [{"start": "2026-11-01T00:00:00+00:00", "counts": [6, 2]}]
        one = c.get("/v1/share-of-voice", params={"q": "xăng"})
        assert one.status_code == 422 and "q" in one.json()["detail"]
        bad = c.get("/v1/share-of-voice", params=[("q", "xăng"), ("q", "(điện")])
        assert bad.status_code == 400 and "invalid query" in bad.json()["detail"]
        ents = c.get("/v1/top/entities").json()
        assert ents["items"][:2] == [
            {"text": "Petrolimex", "type": "PER", "count": 6},
            {"text": "EVN", "type": "PER", "count": 2},
        ]
    store.close()
