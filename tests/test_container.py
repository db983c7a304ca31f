"""The composition root builds each part once, closes what it built, and leaves given parts open."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from duluan.container import Container
from duluan.core.settings import Settings
from duluan.storage.sqlite.store import SQLiteStore

REPO = Path(__file__).resolve().parents[1]


def test_parts_are_built_once_and_closed_once(tmp_path: Path) -> None:
    c = Container(Settings(data_dir=tmp_path))
    store, keys = c.store, c.keys
    assert c.store is store and c.keys is keys and c.watchlists is c.watchlists
    assert c.meta_path == store.path  # type: ignore[attr-defined]  # the SQLite store's own file
    assert c.feedback.watchlists is c.watchlists and c.feedback.campaigns is c.campaigns
    c.close()
    with pytest.raises(Exception, match="closed"):
        keys.list()
    assert c.store is not store  # used again after close: built again
    c.close()


def test_given_parts_stay_open(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "given.db")
    with Container(Settings(data_dir=tmp_path / "var"), store=store) as c:
        assert c.store is store
        assert c.meta_path == tmp_path / "given.db"  # small tables beside the given store
        c.alerts.list_subscriptions()
    assert store.get("nothing") is None  # still open
    store.close()


def test_unknown_parts_are_refused() -> None:
    with pytest.raises(TypeError, match="unknown container parts"):
        Container(Settings(), stoer=object())


def test_no_service_is_made_lazily_on_app_state() -> None:
    pattern = re.compile(r"getattr\(\s*request\.app\.state")
    found = [
        str(p.relative_to(REPO))
        for p in (REPO / "api").rglob("*.py")
        if pattern.search(p.read_text("utf-8"))
    ]
    assert found == []
