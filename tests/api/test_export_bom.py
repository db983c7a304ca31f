"""CSV exports for Excel: `bom=true` / `duluan export --bom` start with a UTF-8 byte-order mark
(Excel then reads UTF-8, not the system code page that garbles Vietnamese); default unchanged."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from duluan.core.export import UTF8_BOM
from duluan.core.models import Post
from duluan.core.settings import Settings, get_settings
from duluan.storage.sqlite.store import SQLiteStore

TEXT = "Giá xăng tăng, người dân lo lắng"


def _store(path: Path) -> SQLiteStore:
    store = SQLiteStore(path)
    store.upsert([Post(id="voz:post:1", source="voz", text=TEXT, created_at=datetime.now(UTC))])
    return store


def test_export_bom_over_the_api(tmp_path: Path) -> None:
    store = _store(tmp_path / "d.db")
    with TestClient(create_app(Settings(), store=store)) as client:
        plain = client.get("/v1/export", params={"format": "csv"}).content
        excel = client.get("/v1/export", params={"format": "csv", "bom": "true"}).content
        jsonl = client.get("/v1/export", params={"format": "jsonl", "bom": "true"}).content
    store.close()
    assert not plain.startswith(UTF8_BOM)
    assert excel == UTF8_BOM + plain
    rows = list(csv.DictReader(io.StringIO(excel.decode("utf-8-sig"))))
    assert rows[0]["id"] == "voz:post:1" and rows[0]["text"] == TEXT
    assert not jsonl.startswith(UTF8_BOM)  # JSON Lines never carries one


def test_export_bom_from_the_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, restore_logging: None
) -> None:
    from duluan.cli.main import app

    _store(tmp_path / "duluan.db").close()
    monkeypatch.setenv("DULUAN_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        out = tmp_path / "out.csv"
        r = CliRunner().invoke(app, ["export", "--format", "csv", "--bom", "-o", str(out)])
        assert r.exit_code == 0, r.output
        data = out.read_bytes()
        assert data.startswith(UTF8_BOM) and TEXT.encode() in data
        r = CliRunner().invoke(app, ["export", "--format", "csv", "-o", str(out)])
        assert r.exit_code == 0 and not out.read_bytes().startswith(UTF8_BOM)
    finally:
        get_settings.cache_clear()
