"""docker-compose.yml, checked without Docker: its app services run here as the same commands.

No Docker engine exists on this machine kind, so the compose file cannot be `up`-ed. Instead the
app services' exact `command:` lines and environment are run as processes against the real
Kafka broker and Elasticsearch node, and the file itself is validated by `docker-compose config`.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import typer
import yaml
from scaleout_support import REPO_ROOT, make_posts, publish_posts, wait_until

from duluan.cli.main import app as cli_app
from duluan.core.settings import Settings
from duluan.storage.elasticsearch.store import ElasticsearchStore
from streaming.kafka_bus import KafkaBus

COMPOSE = REPO_ROOT / "docker-compose.yml"
APP_SERVICES = ("migrate", "crawler", "nlp-worker", "indexer", "alerts", "api")


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    return data


def _command(service: str) -> list[str]:
    cmd = _compose()["services"][service]["command"]
    assert isinstance(cmd, list) and all(isinstance(a, str) for a in cmd)
    return list(cmd)


def _app_env() -> dict[str, str]:
    env = _compose()["services"]["api"]["environment"]
    return {k: str(v) for k, v in env.items()}


def test_compose_file_validates_with_docker_compose() -> None:
    tool = shutil.which("docker-compose")
    if tool is None:
        if os.environ.get("DULUAN_REQUIRE_SERVICES") == "1":
            pytest.fail("docker-compose is missing; scripts/install_system_deps.sh installs it")
        pytest.skip("docker-compose (Debian package) is not installed")
    proc = subprocess.run(
        [tool, "-f", str(COMPOSE), "config", "-q"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr


def test_every_app_service_runs_a_real_cli_command_with_valid_options() -> None:
    """Parse each service's command with the CLI itself: a renamed command or option fails here."""
    services = _compose()["services"]
    assert set(APP_SERVICES) <= set(services)
    group = typer.main.get_command(cli_app)
    for name in APP_SERVICES:
        args = _command(name)
        ctx = group.make_context("duluan", list(args), resilient_parsing=False)
        with ctx:
            sub_name, sub, rest = group.resolve_command(ctx, args)  # type: ignore[attr-defined]
            assert sub is not None, f"{name}: unknown command {args}"
            while hasattr(sub, "resolve_command") and rest:
                sub_ctx = sub.make_context(sub_name, list(rest), parent=ctx)
                sub_name, sub, rest = sub.resolve_command(sub_ctx, rest)
            sub.make_context(sub_name, list(rest), parent=ctx)  # raises on a bad option


def test_compose_environment_is_valid_settings() -> None:
    """Every DULUAN_ variable the file sets is a real setting with a valid value."""
    env = _app_env()
    fields = {f"DULUAN_{n.upper()}" for n in Settings.model_fields}
    unknown = sorted(k for k in env if k.startswith("DULUAN_") and k not in fields)
    assert not unknown, f"compose sets unknown settings: {unknown}"
    kwargs = {k.removeprefix("DULUAN_").lower(): v for k, v in env.items()}
    s = Settings.model_validate(kwargs)
    assert (s.bus, s.store) == ("kafka", "elasticsearch")


def test_dockerfile_copies_every_package_the_app_imports() -> None:
    dockerfile = (REPO_ROOT / "Dockerfile").read_text(encoding="utf-8")
    packages = [
        p.name
        for p in REPO_ROOT.iterdir()
        if (p / "__init__.py").is_file() and p.name not in {"tests", "bench"}
    ]
    missing = [p for p in packages if f"COPY {p} ./{p}" not in dockerfile]
    assert not missing, f"Dockerfile does not copy {missing}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def compose_env(
    services: tuple[str, str], pg_database: str, tmp_path: Path
) -> Iterator[dict[str, str]]:
    """The compose file's app environment, pointed at this machine's broker, node and
    PostgreSQL (migrated, as the compose file's `migrate` service does first)."""
    from duluan.meta.database import MetaDB

    bootstrap, es_url = services
    with MetaDB(pg_database, upgrade=True):
        pass
    suffix = uuid.uuid4().hex[:8]
    env = {k: v for k, v in os.environ.items() if not k.startswith("DULUAN_")}
    env.update(_app_env())
    env.update(
        {
            "DULUAN_KAFKA_BOOTSTRAP": bootstrap,
            "DULUAN_ELASTICSEARCH_URL": es_url,
            "DULUAN_ELASTICSEARCH_INDEX": f"compose-{suffix}",
            "DULUAN_RAW_TOPIC": f"compose.raw.{suffix}",
            "DULUAN_ENRICHED_TOPIC": f"compose.enriched.{suffix}",
            "DULUAN_DEAD_LETTER_TOPIC": f"compose.dead.{suffix}",
            "DULUAN_KAFKA_PARTITIONS": "2",
            "DULUAN_DATA_DIR": str(tmp_path / "data"),
            "DULUAN_META_URL": pg_database,
            "DULUAN_SOURCES_FILE": str(REPO_ROOT / "crawlers" / "sources.example.yaml"),
            "DULUAN_LOG_FORMAT": "console",
        }
    )
    yield env
    store = ElasticsearchStore(es_url, env["DULUAN_ELASTICSEARCH_INDEX"])
    try:
        store.drop_all()
    finally:
        store.close()


def test_compose_pipeline_services_ingest_and_serve_on_real_kafka_and_elasticsearch(
    compose_env: dict[str, str],
    tmp_path: Path,
) -> None:
    """nlp-worker, indexer and api started with their compose commands: posts become searchable."""
    port = _free_port()
    api_cmd = _command("api")
    api_cmd[api_cmd.index("--host") + 1] = "127.0.0.1"  # the container binds 0.0.0.0
    api_cmd[api_cmd.index("--port") + 1] = str(port)
    procs: dict[str, subprocess.Popen[bytes]] = {}
    logs: dict[str, Path] = {}
    try:
        for name, cmd in (
            ("nlp-worker", _command("nlp-worker")),
            ("indexer", _command("indexer")),
            ("api", api_cmd),
        ):
            logs[name] = tmp_path / f"{name}.log"
            with logs[name].open("wb") as out:
                procs[name] = subprocess.Popen(
                    [sys.executable, "-m", "duluan.cli", *cmd],
                    cwd=REPO_ROOT,
                    env=compose_env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
        settings = Settings(kafka_bootstrap=compose_env["DULUAN_KAFKA_BOOTSTRAP"])
        bus = KafkaBus.from_settings(settings)
        posts = make_posts(40)
        try:
            bus.ensure_topic(compose_env["DULUAN_RAW_TOPIC"])
            publish_posts(bus, compose_env["DULUAN_RAW_TOPIC"], posts)
        finally:
            bus.close()
        base = f"http://127.0.0.1:{port}"

        def all_searchable() -> bool:
            for name, proc in procs.items():
                assert proc.poll() is None, f"{name} exited:\n{logs[name].read_text()[-3000:]}"
            try:
                r = httpx.get(f"{base}/v1/search", params={"q": "xăng", "limit": 100}, timeout=5)
            except httpx.HTTPError:
                return False
            return r.status_code == 200 and len(r.json()["hits"]) == len(posts)

        wait_until(all_searchable, 180, interval=1.0, what="the compose services to index 40 posts")
        hits = httpx.get(f"{base}/v1/search", params={"q": "xang", "limit": 100}).json()["hits"]
        assert {h["post"]["id"] for h in hits} == {p.id for p in posts}
        assert all(
            h["post"]["analysis"]["sentiment"]["label"] in {"positive", "neutral", "negative"}
            for h in hits
        )
        assert httpx.get(f"{base}/readyz", timeout=10).status_code == 200
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 30
        for proc in procs.values():
            try:
                proc.wait(timeout=max(1.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
    for name, proc in procs.items():
        # uvicorn re-raises SIGTERM after its graceful shutdown, so the API exits "by SIGTERM"
        ok = {0, -signal.SIGTERM} if name == "api" else {0}
        assert proc.returncode in ok, (
            f"{name} did not stop cleanly:\n{logs[name].read_text()[-3000:]}"
        )
