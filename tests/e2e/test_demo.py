"""`duluan demo` end to end: real spider over the built-in site → bus → NLP → store → API."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from duluan.core.settings import Settings
from nlp import TOPIC_IDS

REPO = Path(__file__).resolve().parents[2]
TOPICS = set(TOPIC_IDS)


@pytest.mark.slow
def test_demo_ingests_and_the_api_serves_the_posts(tmp_path: Path) -> None:
    data = tmp_path / "var"
    env = {**os.environ, "DULUAN_DATA_DIR": str(data)}
    r = subprocess.run(
        [sys.executable, "-m", "duluan.cli", "demo", "--exit-after-ingest"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    assert "[4/4] done" in r.stderr

    settings = Settings(data_dir=data)
    with TestClient(create_app(settings)) as client:
        body = client.get("/v1/search", params={"limit": 200}).json()
        assert body["total"] >= 200, "the demo site has hundreds of comments"
        kinds = {h["post"]["kind"] for h in body["hits"]}
        assert "comment" in kinds
        for hit in body["hits"]:
            a = hit["post"]["analysis"]
            assert a is not None
            assert a["sentiment"]["label"] in ("positive", "neutral", "negative")
            assert all(t["label"] in TOPICS for t in a["topics"])
        # articles file under their section (breadcrumb) and comments inherit their article's
        # topic, so every demo post has one although text alone abstains on short reactions
        with_topics = [h for h in body["hits"] if h["post"]["analysis"]["topics"]]
        assert len(with_topics) == len(body["hits"]), "every post gets its section's topic"
        origins = {h["post"]["analysis"]["topic_source"] for h in body["hits"]}
        assert "thread" in origins and origins <= {"section", "thread", "text"}
        assert len({h["post"]["analysis"]["topics"][0]["label"] for h in with_topics}) >= 3
        labels = {h["post"]["analysis"]["sentiment"]["label"] for h in body["hits"]}
        assert len(labels) >= 2, "real analysis, not a constant"
        # the diacritic-insensitive search works on what the demo ingested
        assert client.get("/v1/search", params={"q": "xang"}).json()["total"] > 0
        tl = client.get("/v1/timeline", params={"interval": "day", "split": "sentiment"}).json()
        assert sum(b["count"] for b in tl["buckets"]) == body["total"]
        health = {s["source"]: s for s in client.get("/v1/sources").json()}
        assert health["vnexpress"]["last_success_at"] is not None

    # a second demo run is incremental: nothing new crawled, nothing duplicated
    r2 = subprocess.run(
        [sys.executable, "-m", "duluan.cli", "demo", "--exit-after-ingest"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert r2.returncode == 0, r2.stderr[-3000:]
    with TestClient(create_app(settings)) as client:
        assert client.get("/v1/search").json()["total"] == body["total"]
