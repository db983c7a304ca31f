"""Rendering a PDF logs nothing at INFO: fontTools' subsetting and fpdf2's font work stay quiet
(`duluan brief --format pdf` printed ~75 such lines)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from duluan.briefings.builder import build_briefing
from duluan.briefings.period import make_period
from duluan.briefings.render_pdf import render_pdf
from duluan.storage.sqlite.store import SQLiteStore
from duluan.watchlists.models import WatchlistCreate
from duluan.watchlists.repository import WatchlistRepository
from duluan.watchlists.service import create_watchlist
from tests.briefings.corpus import corpus


def test_pdf_rendering_logs_no_font_chatter(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("fontTools", "fpdf"):  # as in a fresh process, whatever ran before
        monkeypatch.setattr(logging.getLogger(name), "level", logging.NOTSET)
    store = SQLiteStore(tmp_path / "duluan.db")
    store.upsert(corpus())
    wl = create_watchlist(WatchlistRepository(store.path), WatchlistCreate(name="all"))
    briefing = build_briefing(store, wl, make_period("2026-11-01", "2026-11-30"))
    caplog.set_level(logging.DEBUG)
    pdf = render_pdf(briefing)
    store.close()
    assert pdf.startswith(b"%PDF")
    chatter = [r for r in caplog.records if r.name.startswith(("fontTools", "fpdf"))]
    assert chatter == [], f"{len(chatter)} lines, e.g. {chatter[0].getMessage()!r}"


def test_an_explicit_font_log_level_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    from duluan.briefings.render_pdf import quiet_font_logs

    monkeypatch.setattr(logging.getLogger("fontTools"), "level", logging.DEBUG)
    quiet_font_logs()
    assert logging.getLogger("fontTools").level == logging.DEBUG
    assert logging.getLogger("fpdf").level >= logging.WARNING
