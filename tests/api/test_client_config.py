"""/v1/config: the display time zone (setting `timezone`) and topic names the dashboard uses."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from duluan.core.settings import Settings
from duluan.storage.sqlite.store import SQLiteStore
from nlp import TOPIC_NAMES


def config(tmp_path: Path, **settings: object) -> dict[str, object]:
    store = SQLiteStore(tmp_path / "c.db")
    with TestClient(create_app(Settings(**settings), store=store)) as client:  # type: ignore[arg-type]
        r = client.get("/v1/config")
    store.close()
    assert r.status_code == 200
    body: dict[str, object] = r.json()
    return body


def test_config_defaults_to_vietnam_time_and_names_every_topic(tmp_path: Path) -> None:
    body = config(tmp_path)
    assert body["timezone"] == "Asia/Ho_Chi_Minh" and body["utc_offset"] == "+07:00"
    assert body["languages"] == ["vi", "en"]
    topics = body["topics"]
    assert isinstance(topics, dict) and set(topics) == set(TOPIC_NAMES)
    assert topics["business"] == {"vi": "Kinh doanh", "en": "Business"}


def test_config_follows_the_setting(tmp_path: Path) -> None:
    body = config(tmp_path, timezone="Asia/Kolkata")
    assert body["timezone"] == "Asia/Kolkata" and body["utc_offset"] == "+05:30"
    body = config(tmp_path, timezone="America/St_Johns")
    assert body["utc_offset"] in ("-03:30", "-02:30")


def test_an_unknown_zone_falls_back_to_utc() -> None:
    """The app refuses an unknown zone at startup; the route alone still answers (in UTC)."""
    import asyncio

    from api.routers.config import client_config

    body = asyncio.run(client_config(Settings(timezone="Not/A_Zone")))
    assert body.timezone == "UTC" and body.utc_offset == "+00:00"
