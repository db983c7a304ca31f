"""`duluan feedback create|list|close|reopen`: campaigns from the command line, the same
records the API and the public form use."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from duluan.core.settings import Settings, get_settings
from duluan.feedback.repository import CampaignRepository
from duluan.watchlists.repository import WatchlistRepository


@pytest.fixture
def data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, restore_logging: None
) -> Iterator[Path]:
    monkeypatch.setenv("DULUAN_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DULUAN_PUBLIC_BASE_URL", "https://gopy.example.vn")
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_feedback_cli_create_list_close_reopen(data_dir: Path) -> None:
    from duluan.cli.main import app

    runner = CliRunner()
    made = runner.invoke(
        app,
        [
            "feedback",
            "create",
            "truong-hoc",
            "--title",
            "Góp ý trường học",
            "--question",
            "Bạn muốn trường thay đổi gì?",
            "--category",
            "Cơ sở vật chất",
            "--category",
            "Giáo viên",
        ],
    )
    assert made.exit_code == 0, made.output
    assert made.stdout.strip() == "https://gopy.example.vn/f/truong-hoc"
    again = runner.invoke(app, ["feedback", "create", "truong-hoc", "--title", "x"])
    assert again.exit_code == 1 and "taken" in again.output
    bad = runner.invoke(app, ["feedback", "create", "Bad Slug!", "--title", "x"])
    assert bad.exit_code != 0 and "slug" in bad.output

    listed = runner.invoke(app, ["feedback", "list"])
    assert listed.exit_code == 0
    assert "truong-hoc  open" in listed.stdout and "Góp ý trường học" in listed.stdout
    rows = [
        json.loads(x)
        for x in runner.invoke(app, ["feedback", "list", "--json"]).stdout.splitlines()
    ]
    assert rows[0]["slug"] == "truong-hoc" and rows[0]["active"] is True

    db = data_dir / "duluan.db"
    campaign = CampaignRepository(db).get("truong-hoc")
    assert campaign is not None and campaign.categories == ["Cơ sở vật chất", "Giáo viên"]
    wl = WatchlistRepository(db).get(campaign.watchlist_id or "")
    assert wl is not None and wl.query == 'thread:"feedback:campaign:truong-hoc"'

    # closed: the public form refuses, the record and its watchlist stay
    closed = runner.invoke(app, ["feedback", "close", "truong-hoc"])
    assert closed.exit_code == 0, closed.output
    assert "truong-hoc  closed" in runner.invoke(app, ["feedback", "list"]).stdout
    with TestClient(create_app(Settings(data_dir=data_dir))) as client:
        assert client.get("/f/truong-hoc").status_code == 404
    assert runner.invoke(app, ["feedback", "reopen", "truong-hoc"]).exit_code == 0
    with TestClient(create_app(Settings(data_dir=data_dir))) as client:
        page = client.get("/f/truong-hoc")
        assert page.status_code == 200 and "Bạn muốn trường thay đổi gì?" in page.text

    assert runner.invoke(app, ["feedback", "close", "nope"]).exit_code == 1
    gone = runner.invoke(app, ["feedback", "close", "truong-hoc", "--delete", "--drop-watchlist"])
    assert gone.exit_code == 0, gone.output
    assert CampaignRepository(db).get("truong-hoc") is None
    assert WatchlistRepository(db).get(campaign.watchlist_id or "") is None
    assert runner.invoke(app, ["feedback", "list", "--json"]).stdout == ""
