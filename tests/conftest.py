"""Shared fixtures: paths, settings in a temp folder, and the real services' availability."""

from __future__ import annotations

import logging
import os
import shutil
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from duluan.core.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
KAFKA_BOOTSTRAP = os.environ.get("DULUAN_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
ES_URL = os.environ.get("DULUAN_ELASTICSEARCH_URL", "http://127.0.0.1:9200")


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """Skip when a real service is not running, or fail when DULUAN_REQUIRE_SERVICES=1 (CI)."""
    if _reachable(host, port):
        return
    msg = f"{name} is not reachable on {host}:{port}; start it with `make services-up`"
    if os.environ.get("DULUAN_REQUIRE_SERVICES") == "1":
        pytest.fail(msg)
    pytest.skip(msg)


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    host, _, port = KAFKA_BOOTSTRAP.partition(":")
    require_service("Kafka", host, int(port or 9092))
    return KAFKA_BOOTSTRAP


@pytest.fixture(scope="session")
def elasticsearch_url() -> str:
    parts = urlsplit(ES_URL)
    require_service("Elasticsearch", parts.hostname or "127.0.0.1", parts.port or 9200)
    return ES_URL


POSTGRES_URL = os.environ.get(
    "DULUAN_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5433/duluan"
)


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The PostgreSQL server of scripts/services/postgres.sh (a URL to its `duluan` database)."""
    parts = urlsplit(POSTGRES_URL.replace("+psycopg", ""))
    require_service("PostgreSQL", parts.hostname or "127.0.0.1", parts.port or 5432)
    return POSTGRES_URL


@pytest.fixture
def pg_database(postgres_url: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test (dropped after it): its URL."""
    import uuid

    import sqlalchemy as sa

    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is absent (a fresh clone has no research data)")
    return SHARED_DATA


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Embedded settings isolated in a temp folder."""
    return Settings(data_dir=tmp_path / "var")


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's Chromium (installed by scripts/install_system_deps.sh); never a downloaded build."""
    require_tool(CHROMIUM)
    return CHROMIUM


def require_tool(name: str) -> None:
    """Skip when a system tool is missing, or fail when DULUAN_REQUIRE_SERVICES=1 (CI)."""
    if Path(name).exists() or shutil.which(name):
        return
    msg = f"{name} is not installed; run `make system-deps`"
    if os.environ.get("DULUAN_REQUIRE_SERVICES") == "1":
        pytest.fail(msg)
    pytest.skip(msg)


class ServerThread:
    """A real uvicorn server on a free loopback port, in a background thread."""

    def __init__(self, app: object) -> None:
        import threading

        import uvicorn

        from api.server import uvicorn_options

        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        sock.close()
        settings = getattr(getattr(app, "state", None), "settings", None)
        options = uvicorn_options(settings) if isinstance(settings, Settings) else {}
        self.server = uvicorn.Server(  # served as `duluan api` serves it (proxy headers off)
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", **options)  # type: ignore[arg-type]
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ServerThread:
        import time

        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


# Client libraries' background threads (kafka-python's sender) may log after pytest has closed
# its capture streams at exit; that is noise, not a failure.
logging.raiseExceptions = False


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """configure_logging changes the whole process: put the test process's config back."""
    import structlog

    config, root = structlog.get_config(), logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    structlog.configure(**config)
    root.handlers[:], root.level = handlers, level


class Hook:
    """A real HTTP server on 127.0.0.1 that records requests and answers a scripted status list."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.statuses: list[int] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                hook.requests.append(({k: v for k, v in self.headers.items()}, body))
                status = hook.statuses.pop(0) if hook.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook?token=abc"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
