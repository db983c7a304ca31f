"""Watchlists: CRUD over the API and the CLI, persisted beside the store, and resolve_query."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import typer
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from duluan.cli.watchlists import watchlist_app
from duluan.core.models import Analysis, Post, Sentiment
from duluan.core.query import QuerySyntaxError
from duluan.core.settings import Settings
from duluan.meta.database import META_DB_NAME, meta_db_path
from duluan.storage.sqlite.store import SQLiteStore
from duluan.watchlists.repository import WatchlistRepository
from duluan.watchlists.service import WatchlistNotFound, combine_queries, resolve_query
from tests.api.conftest import key_headers

NOW = datetime(2026, 11, 28, tzinfo=UTC)


def _post(n: int, text: str, source: str = "vnexpress", days: float = 1) -> Post:
    return Post(
        id=f"{source}:comment:{n}",
        source=source,
        text=text,
        created_at=NOW - timedelta(days=days),
        analysis=Analysis(language="vi", sentiment=Sentiment(label="negative", score=0.9)),
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    s = SQLiteStore(tmp_path / "duluan.db")
    s.upsert(
        [
            _post(1, "Giá xăng tăng mạnh"),
            _post(2, "Xăng lại tăng giá", source="voz"),
            _post(3, "Học phí tăng", days=10),
            _post(4, "Giá xăng giảm nhẹ", days=20),
        ]
    )
    yield s
    s.close()


@pytest.fixture
def client(store: SQLiteStore, tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(Settings(data_dir=tmp_path / "var"), store=store)
    with TestClient(app, headers=key_headers(app)) as c:
        yield c


def test_crud_over_the_api(client: TestClient, store: SQLiteStore) -> None:
    r = client.post(
        "/v1/watchlists",
        json={"name": "Giá xăng", "query": "xăng", "since": "2026-11-20T00:00:00Z", "owner": "lan"},
    )
    assert r.status_code == 201, r.text
    wid = r.json()["id"]
    assert client.post("/v1/watchlists", json={"name": "Giá xăng"}).status_code == 409
    assert client.post("/v1/watchlists", json={"name": "x", "query": "(xăng"}).status_code == 422
    bad_span = {"name": "y", "since": "2026-11-20T00:00:00Z", "until": "2026-11-01T00:00:00Z"}
    assert client.post("/v1/watchlists", json=bad_span).status_code == 422
    shown = client.get(f"/v1/watchlists/{wid}", params={"count": "true"}).json()
    assert shown["matches"] == 2  # the post of 8 November is before `since`
    assert client.get("/v1/watchlists/Giá xăng").json()["id"] == wid  # by name too
    assert [
        w["name"] for w in client.get("/v1/watchlists", params={"owner": "lan"}).json()["items"]
    ] == ["Giá xăng"]
    r = client.patch(f"/v1/watchlists/{wid}", json={"query": "xăng source:voz"})
    assert r.status_code == 200 and r.json()["query"] == "xăng source:voz"
    assert client.get(f"/v1/watchlists/{wid}?count=true").json()["matches"] == 1
    assert client.delete(f"/v1/watchlists/{wid}").status_code == 204
    assert client.get(f"/v1/watchlists/{wid}").status_code == 404
    # persisted in the store's own SQLite file
    assert meta_db_path(None, store=store) == store.path


def test_resolve_query_ands_the_extra_query_and_intersects_spans(store: SQLiteStore) -> None:
    repo = WatchlistRepository(store.path)
    from duluan.watchlists.models import WatchlistCreate
    from duluan.watchlists.service import create_watchlist

    create_watchlist(
        repo, WatchlistCreate(name="xang", query="xăng OR học", since=NOW - timedelta(days=15))
    )
    q = resolve_query(
        repo, q="source:voz OR tăng", watchlist="xang", since=NOW - timedelta(days=30)
    )
    assert q.q == "(xăng OR học) AND (source:voz OR tăng)"
    assert q.since == NOW - timedelta(days=15)
    assert store.count(q) == 3
    assert resolve_query(repo, q="xăng", watchlist=None).q == "xăng"
    with pytest.raises(WatchlistNotFound):
        resolve_query(repo, q=None, watchlist="nope")
    with pytest.raises(QuerySyntaxError):
        resolve_query(repo, q="(", watchlist="xang")
    assert combine_queries(None, " ", "a") == "a"


def test_elasticsearch_deployments_keep_watchlists_in_a_meta_file(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, store="elasticsearch")
    assert meta_db_path(settings) == tmp_path / META_DB_NAME
    assert meta_db_path(Settings(data_dir=tmp_path)) == tmp_path / "duluan.db"


def test_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, store: SQLiteStore) -> None:
    from duluan.core.settings import get_settings

    monkeypatch.setenv("DULUAN_STORE_PATH", str(store.path))
    get_settings.cache_clear()
    app = typer.Typer()
    app.add_typer(watchlist_app, name="watchlist")
    runner = CliRunner()
    try:
        r = runner.invoke(app, ["watchlist", "create", "xang", "--query", "xăng", "--owner", "lan"])
        assert r.exit_code == 0, r.output
        r = runner.invoke(app, ["watchlist", "show", "xang", "--count"])
        assert r.exit_code == 0 and '"matches": 3' in r.output
        assert "xang" in runner.invoke(app, ["watchlist", "list"]).output
        assert runner.invoke(app, ["watchlist", "create", "xang"]).exit_code == 1
        assert runner.invoke(app, ["watchlist", "delete", "xang"]).exit_code == 0
        assert runner.invoke(app, ["watchlist", "show", "xang"]).exit_code == 1
    finally:
        get_settings.cache_clear()
