"""Issue 17: X-Forwarded-For only from a trusted proxy; header limits; an empty key is a 401."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.ratelimit import client_address
from api.server import uvicorn_options
from duluan.core.settings import Settings
from duluan.storage.sqlite.store import SQLiteStore
from tests.api.conftest import key_headers
from tests.conftest import ServerThread


def _scope(peer: str, xff: str | None) -> dict[str, object]:
    headers = [(b"x-forwarded-for", xff.encode())] if xff is not None else []
    return {"type": "http", "client": (peer, 1234), "headers": headers}


def test_client_address_believes_only_trusted_peers() -> None:
    proxies = ["127.0.0.1", "10.0.0.0/8"]
    assert client_address(_scope("127.0.0.1", "1.2.3.4"), trust_proxy=False, proxies=proxies) == (
        "127.0.0.1"
    )
    assert client_address(_scope("8.8.8.8", "1.2.3.4"), trust_proxy=True, proxies=proxies) == (
        "8.8.8.8"
    )
    assert client_address(_scope("127.0.0.1", "1.2.3.4"), trust_proxy=True, proxies=proxies) == (
        "1.2.3.4"
    )
    # a spoofed first hop is skipped: the right-most hop that is not one of our proxies wins
    got = client_address(
        _scope("127.0.0.1", "6.6.6.6, 5.5.5.5, 10.1.2.3"), trust_proxy=True, proxies=proxies
    )
    assert got == "5.5.5.5"
    assert client_address(_scope("127.0.0.1", "junk"), trust_proxy=True, proxies=proxies) == (
        "127.0.0.1"
    )


def test_uvicorn_never_rewrites_the_peer_itself() -> None:
    options = uvicorn_options(Settings())
    assert options["proxy_headers"] is False and options["forwarded_allow_ips"] == []
    assert options["h11_max_incomplete_event_size"] == Settings().api_header_max_bytes


def _app(tmp_path: Path, **overrides: object) -> object:
    store = SQLiteStore(tmp_path / "s.db")
    values: dict[str, object] = {"api_rate_limit_per_minute": 6, "api_rate_limit_burst": 5}
    settings = Settings(data_dir=tmp_path, **{**values, **overrides})  # type: ignore[arg-type]
    return create_app(settings, store=store)


def _through(url: str, n: int, path: str = "/v1/search", **kwargs: object) -> int:
    ok = 0
    with httpx.Client(timeout=10) as c:
        for i in range(n):
            headers = {"X-Forwarded-For": f"10.9.{i}.1"}
            if path.startswith("/f/"):
                r = c.post(url + path, data={"text": f"ý kiến {i}"}, headers=headers)
            else:
                r = c.get(url + path, params={"q": "xăng"}, headers=headers)
            ok += r.status_code != 429
    return ok


@pytest.mark.parametrize("trusted", [False, True])
def test_rotating_forwarded_for_bypasses_limits_only_from_a_trusted_proxy(
    tmp_path: Path, trusted: bool
) -> None:
    app = _app(tmp_path, api_trust_proxy=trusted, feedback_trust_proxy=trusted)
    admin = key_headers(app)
    with ServerThread(app) as server:
        r = httpx.post(
            server.url + "/v1/feedback/campaigns",
            json={"slug": "probe", "title": "probe"},
            headers=admin,
            timeout=10,
        )
        assert r.status_code == 201, r.text
        api_ok = _through(server.url, 20)
        form_ok = _through(server.url, 20, "/f/probe")
    if trusted:  # the peer, 127.0.0.1, is a trusted proxy: each hop is its own client
        assert (api_ok, form_ok) == (20, 20)
    else:  # default: the header is ignored, the limit holds (one request went to the campaign)
        assert api_ok <= 5 and form_ok <= 5, (api_ok, form_ok)


def test_header_limits_and_empty_key(tmp_path: Path) -> None:
    app = _app(tmp_path, api_rate_limit_per_minute=0)
    with TestClient(app) as client:
        many = {f"x-h{i}": "1" for i in range(120)}
        r = client.get("/v1/search", headers=many)
        assert r.status_code == 431 and "api_header_max_count" in r.json()["detail"]
        r = client.get("/v1/search", headers={"x-big": "a" * 20_000})
        assert r.status_code == 431 and "api_header_max_bytes" in r.json()["detail"]
        assert client.get("/v1/search").status_code == 200
        for headers in ({"X-API-Key": ""}, {"Authorization": "Bearer "}):
            r = client.get("/v1/search", headers=headers)
            assert r.status_code == 401, (headers, r.text)
            r = client.post("/v1/alerts", json={}, headers=headers)
            assert r.status_code == 401 and "invalid" in r.json()["detail"]
