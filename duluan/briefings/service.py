"""Briefing operations shared by the API, the CLI and the scheduler: build, render, deliver."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Literal

from duluan.briefings import locale as L
from duluan.briefings.builder import BriefingOptions, build_briefing
from duluan.briefings.delivery import RenderedBriefing
from duluan.briefings.period import Period
from duluan.briefings.render_html import render_html
from duluan.briefings.render_pdf import render_pdf
from duluan.core.settings import Settings, get_settings
from duluan.meta.source_runs import SourceRunRepository
from duluan.storage.base import Store
from duluan.watchlists.models import Watchlist


def briefing_timezone(settings: Settings | None) -> str:
    return (settings or get_settings()).briefing_timezone


def briefing_options(settings: Settings | None) -> BriefingOptions:
    card = (settings or get_settings()).briefing_model_card
    return BriefingOptions(model_card=Path(card) if card else None)


def render_briefing(
    store: Store,
    watchlist: Watchlist,
    period: Period,
    *,
    fmt: Literal["html", "pdf"] = "html",
    lang: L.Lang = "vi",
    settings: Settings | None = None,
    now: datetime | None = None,
    schedule_id: str | None = None,
    runs: SourceRunRepository | None = None,
) -> RenderedBriefing:
    """Build the briefing and render it as HTML or PDF (HTML is kept for email bodies);
    `runs`: the crawl runs, for failed runs per source."""
    briefing = build_briefing(
        store, watchlist, period, lang=lang, options=briefing_options(settings), now=now, runs=runs
    )
    html = render_html(briefing)
    if fmt == "pdf":
        font_dir = (settings or get_settings()).briefing_font_dir
        content = render_pdf(briefing, font_folder=font_dir)
    else:
        content = html.encode("utf-8")
    return RenderedBriefing(
        briefing=briefing, content=content, format=fmt, html=html, schedule_id=schedule_id
    )
