"""API keys (hashed, scoped, revocable), locked reads, rate limits and CORS."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.ratelimit import RateLimiter
from duluan.apikeys.repository import ApiKeyRepository, hash_key
from duluan.core.settings import Settings
from duluan.storage.sqlite.store import SQLiteStore
from tests.api.conftest import key_headers


def test_keys_are_stored_hashed_and_revocable(tmp_path: Path) -> None:
    repo = ApiKeyRepository(tmp_path / "meta.db", pepper="pep")
    key, plain = repo.create("ci", "admin")
    raw = (tmp_path / "meta.db").read_bytes() + (tmp_path / "meta.db-wal").read_bytes()
    assert plain.encode() not in raw and hash_key(plain, "pep").encode() in raw
    found = repo.verify(plain)
    assert found is not None and (found.id, found.scope) == (key.id, "admin")
    assert (
        repo.verify(plain + "x") is None and repo.verify("dlk_" + key.id + "_" + "a" * 43) is None
    )
    assert ApiKeyRepository(tmp_path / "meta.db", pepper="other").verify(plain) is None
    assert repo.revoke(key.id) and repo.verify(plain) is None and not repo.revoke(key.id)


def test_reads_open_by_default_and_lockable(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "d.db")
    with TestClient(create_app(Settings(), store=store)) as c:
        assert c.get("/v1/search").status_code == 200
        assert c.get("/v1/search", headers={"X-API-Key": "dlk_bad"}).status_code == 401
    with TestClient(create_app(Settings(api_require_key_for_reads=True), store=store)) as c:
        r = c.get("/v1/search")
        assert r.status_code == 401 and "requires an API key" in r.json()["detail"]
        assert r.headers["WWW-Authenticate"] == "Bearer"
        reader = key_headers(c.app, "read")
        assert c.get("/v1/search", headers=reader).status_code == 200
        x_key = {"X-API-Key": reader["Authorization"].split()[1]}
        assert c.get("/v1/timeline", headers=x_key).status_code == 200
        assert c.get("/healthz").status_code == 200  # probes stay open
        assert c.delete("/v1/posts/x", headers=reader).status_code == 403
    store.close()


def test_rate_limit_answers_429_with_retry_after(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "d.db")
    settings = Settings(api_rate_limit_per_minute=60, api_rate_limit_burst=3)
    with TestClient(create_app(settings, store=store)) as c:
        codes = [c.get("/v1/sentiment").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        r = c.get("/v1/sentiment")
        assert r.status_code == 429 and r.headers["Retry-After"] == "1"
        assert "rate limit exceeded" in r.json()["detail"]
        assert c.get("/healthz").status_code == 200
        # a valid key has its own bucket
        admin = key_headers(c.app)
        assert c.get("/v1/sentiment", headers=admin).status_code == 200
    store.close()


def test_token_bucket_refills() -> None:
    now = [0.0]
    limiter = RateLimiter(60, 2, clock=lambda: now[0])
    assert [limiter.take("a"), limiter.take("a")] == [0.0, 0.0]
    assert limiter.take("a") == 1.0 and limiter.take("b") == 0.0
    now[0] = 1.0
    assert limiter.take("a") == 0.0


def test_cors_only_for_configured_origins(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "d.db")
    settings = Settings(api_cors_origins=["https://dash.example.org"])
    with TestClient(create_app(settings, store=store)) as c:
        ok = c.get("/v1/sentiment", headers={"Origin": "https://dash.example.org"})
        assert ok.headers["access-control-allow-origin"] == "https://dash.example.org"
        other = c.get("/v1/sentiment", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
        pre = c.options(
            "/v1/alerts",
            headers={
                "Origin": "https://dash.example.org",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "Authorization",
            },
        )
        assert pre.status_code == 200
    with TestClient(create_app(Settings(), store=store)) as c:
        r = c.get("/v1/sentiment", headers={"Origin": "https://dash.example.org"})
        assert "access-control-allow-origin" not in r.headers
    store.close()


def test_apikey_cli_create_list_revoke(tmp_path: Path, monkeypatch: object) -> None:
    from duluan.cli.main import app
    from duluan.core.settings import get_settings

    mp = monkeypatch
    mp.setenv("DULUAN_DATA_DIR", str(tmp_path))  # type: ignore[attr-defined]
    mp.setenv("DULUAN_API_KEY_PEPPER", "pepper-from-env")  # type: ignore[attr-defined]
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        made = runner.invoke(app, ["apikey", "create", "--scope", "admin", "--name", "ops"])
        assert made.exit_code == 0, made.output
        plain = made.stdout.strip().splitlines()[-1]
        assert plain.startswith("dlk_")
        listed = runner.invoke(app, ["apikey", "list"])
        key_id = plain.split("_")[1]
        assert key_id in listed.stdout and "admin" in listed.stdout and plain not in listed.stdout
        repo = ApiKeyRepository(tmp_path / "duluan.db", pepper="pepper-from-env")
        assert repo.verify(plain) is not None
        assert runner.invoke(app, ["apikey", "revoke", key_id]).exit_code == 0
        assert repo.verify(plain) is None
        assert runner.invoke(app, ["apikey", "create", "--scope", "root"]).exit_code != 0
    finally:
        get_settings.cache_clear()
