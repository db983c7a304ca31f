"""Two of everything against Kafka + Elasticsearch + PostgreSQL, each replica with its own data
dir: two API processes share keys and watchlists, two crawlers of the demo site publish each
post once, two alert evaluators fire the planted spike once (one event, one delivery), and a
crawl run recorded by one crawler replica shows in /v1/sources on either API replica."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from scaleout_support import analyze, read_all, scaleout_settings, wait_until

from crawlers.demo_site import start_demo_site
from crawlers.runner import crawl
from duluan.alerts.evaluate import explain
from duluan.alerts.models import AlertQuery, Subscription, VolumeRule, WebhookTarget
from duluan.alerts.repository import AlertRepository
from duluan.core.models import Post, utcnow
from duluan.core.settings import Settings
from duluan.meta.database import MetaDB
from duluan.storage.elasticsearch.store import ElasticsearchStore
from streaming.kafka_bus import KafkaBus

pytestmark = [pytest.mark.kafka, pytest.mark.elasticsearch, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
KEY = "scaleout-secret-key-shared-by-every-replica"
PEPPER = "scaleout-pepper"
FLOOD_QUERY = 'ngập OR "triều cường"'


def replica_env(settings: Settings, data_dir: Path) -> dict[str, str]:
    """The environment of one replica: shared services and database, its own data dir."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DULUAN_")}
    env.update(
        {
            "DULUAN_BUS": "kafka",
            "DULUAN_STORE": "elasticsearch",
            "DULUAN_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
            "DULUAN_RAW_TOPIC": settings.raw_topic,
            "DULUAN_ENRICHED_TOPIC": settings.enriched_topic,
            "DULUAN_DEAD_LETTER_TOPIC": settings.dead_letter_topic,
            "DULUAN_ELASTICSEARCH_URL": settings.elasticsearch_url,
            "DULUAN_ELASTICSEARCH_INDEX": settings.elasticsearch_index,
            "DULUAN_META_URL": settings.meta_url or "",
            "DULUAN_SECRET_KEY": KEY,
            "DULUAN_API_KEY_PEPPER": PEPPER,
            "DULUAN_ALERTS_ALLOW_PRIVATE_TARGETS": "true",
            "DULUAN_DATA_DIR": str(data_dir),
            "DULUAN_LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


def duluan(
    *args: str, env: dict[str, str], timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "duluan.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_api(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "duluan.cli", "api", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    return proc, f"http://127.0.0.1:{port}"


def ready(url: str, proc: subprocess.Popen[bytes]) -> bool:
    if proc.poll() is not None:
        raise AssertionError(f"API exited {proc.returncode}: {proc.stderr.read()[-2000:]!r}")  # type: ignore[union-attr]
    try:
        return httpx.get(f"{url}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_two_replicas_of_everything_share_one_metadata_database(
    services: tuple[str, str], pg_database: str, tmp_path: Path
) -> None:
    settings = scaleout_settings(*services, meta_url=pg_database)
    with MetaDB(pg_database, upgrade=True):  # the operator's `duluan db upgrade`
        pass
    env_a, env_b = (replica_env(settings, tmp_path / name) for name in ("a", "b"))
    bus = KafkaBus.from_settings(settings)
    bus.ensure_topic(settings.raw_topic)
    store = ElasticsearchStore(settings.elasticsearch_url, settings.elasticsearch_index)
    apis = [start_api(env) for env in (env_a, env_b)]
    site = start_demo_site(comments=400, history_days=4, spike=80, busy_hours=30)
    try:
        # -- two crawlers on the same source, at the same time: each post published once
        overrides: dict[str, object] = {
            "VNEXPRESS_API_BASE": site.base_url,
            "DULUAN_POLITE": False,
        }
        results: list[dict[str, Any]] = []

        def crawl_as(env: dict[str, str]) -> None:
            results.append(
                crawl(
                    "vnexpress",
                    start_urls=[f"{site.base_url}/rss/tin-moi-nhat.rss"],
                    overrides=overrides,
                    env=env,
                    timeout=300,
                )
            )

        threads = [threading.Thread(target=crawl_as, args=(env,)) for env in (env_a, env_b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert all(r["returncode"] == 0 for r in results), results
        published = sum(int(r.get("items", 0)) for r in results)
        assert published > 400, results
        assert min(int(r.get("items", 0)) for r in results) == 0, results  # skipped or caught up
        before_again = utcnow()
        again = crawl(
            "vnexpress",
            start_urls=[f"{site.base_url}/rss/tin-moi-nhat.rss"],
            overrides=overrides,
            env=env_b,
            timeout=300,
        )
        assert again["items"] == 0, again  # replica b continues from the shared memory
        messages = read_all(bus, settings.raw_topic, want=published)
        ids = Counter(Post.from_json(m.value).id for m in messages)
        assert len(messages) == published and max(ids.values()) == 1

        # -- index them (a trivial analyzer: this tests coordination, not NLP)
        posts = [Post.from_json(m.value) for m in messages]
        for post, analysis in zip(posts, analyze([p.text for p in posts]), strict=True):
            post.analysis = analysis
        store.upsert(posts)
        store.refresh()

        # -- two alert evaluators: the planted spike fires once, delivered once
        repo = AlertRepository(pg_database, secret_key=KEY)
        sub = repo.save_subscription(
            Subscription(
                name="Ngập lụt tăng đột biến",
                query=AlertQuery(q=FLOOD_QUERY),
                rule=VolumeRule(direction="spike"),
                window_s=3600,
                min_volume=10,
                targets=[WebhookTarget(url=f"{site.base_url}/hooks/alerts", secret="s" * 32)],
            )
        )
        assert explain(sub, store, utcnow()).status == "fired"
        evaluators = [
            subprocess.Popen(
                [sys.executable, "-m", "duluan.cli", "alerts", "--once"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for env in (env_a, env_b)
        ]
        for evaluator in evaluators:
            _, err = evaluator.communicate(timeout=180)
            assert evaluator.returncode == 0, err[-2000:]
        assert len(repo.list_events(sub.id)) == 1
        assert [d.status for d in repo.list_deliveries(sub.id)] == ["delivered"]
        wait_until(lambda: len(site.site.hooks) >= 1, 10, what="the webhook")
        time.sleep(0.5)
        assert len(site.site.hooks) == 1
        repo.close()

        # -- two API processes: a key made through replica a works on b; writes are shared
        made = duluan("apikey", "create", "--scope", "admin", "--name", "ops", env=env_a)
        assert made.returncode == 0, made.stderr
        key = made.stdout.strip().splitlines()[-1]
        for api, url in apis:
            wait_until(lambda p=api, u=url: ready(u, p), 120, what=f"{url}/readyz")
        (_, url_a), (_, url_b) = apis
        auth = {"Authorization": f"Bearer {key}"}
        assert httpx.get(f"{url_b}/v1/alerts", timeout=10).status_code == 401
        listed = httpx.get(f"{url_b}/v1/alerts", headers=auth, timeout=10)
        assert listed.status_code == 200 and sub.id in listed.text
        created = httpx.post(
            f"{url_b}/v1/watchlists",
            headers=auth,
            timeout=10,
            json={"name": "ngập lụt", "query": FLOOD_QUERY},
        )
        assert created.status_code == 201, created.text
        seen = httpx.get(f"{url_a}/v1/watchlists", headers=auth, timeout=10).json()
        assert [w["name"] for w in seen["items"]] == ["ngập lụt"]
        opened = httpx.post(
            f"{url_a}/v1/feedback/campaigns",
            headers=auth,
            timeout=10,
            json={"slug": "ngap-lut", "title": "Góp ý ngập lụt"},
        )
        assert opened.status_code == 201, opened.text
        assert httpx.get(f"{url_b}/f/ngap-lut", timeout=10).status_code == 200

        # -- source health: the run crawler replica b recorded last shows on API replica a
        for url in (url_a, url_b):
            listed = httpx.get(f"{url}/v1/sources", headers=auth, timeout=10)
            assert listed.status_code == 200, listed.text
            health = {h["source"]: h for h in listed.json()}["vnexpress"]
            assert health["runs_last_day"] >= 2, health  # the lease holder's run and `again`
            assert datetime.fromisoformat(health["last_run_at"]) >= before_again, health
            assert health["last_items"] == 0 and health["last_success_at"] is not None
    finally:
        site.stop()
        for api, _ in apis:
            api.terminate()
        for api, _ in apis:
            try:
                api.wait(timeout=20)
            except subprocess.TimeoutExpired:
                api.kill()
        try:
            store.drop_all()
        finally:
            store.close()
            bus.close()
