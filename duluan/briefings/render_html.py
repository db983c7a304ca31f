"""A briefing as one self-contained HTML page: inline CSS and inline SVG charts, no scripts."""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import cast

from jinja2 import Environment, FileSystemLoader, select_autoescape

from duluan.briefings import locale as L
from duluan.briefings.charts import negative_share_chart, to_svg, volume_chart
from duluan.briefings.models import Briefing

TEMPLATES = Path(__file__).parent / "templates"

NO_CARD = {
    "vi": "Chưa có thẻ mô hình (nlp/MODEL_CARD.md): độ chính xác chưa được công bố.",
    "en": "No model card (nlp/MODEL_CARD.md): accuracy has not been published.",
}


_Day = date | datetime
_DateTime = datetime


@dataclass(frozen=True)
class Formatter:
    """Number and date formatting bound to one language, for templates."""

    lang: L.Lang

    def int(self, value: builtins.int) -> str:
        return L.fmt_int(value, self.lang)

    def num(self, value: float, decimals: builtins.int = 1) -> str:
        return L.fmt_number(value, self.lang, decimals)

    def pct(self, value: float, decimals: builtins.int = 1) -> str:
        return L.fmt_pct(value, self.lang, decimals)

    def signed(self, value: float, decimals: builtins.int = 0, suffix: str = "") -> str:
        return L.fmt_signed(value, self.lang, decimals, suffix)

    def date(self, value: _Day) -> str:
        return L.fmt_date(value, self.lang)

    def longdate(self, value: _Day) -> str:
        return L.fmt_long_date(value, self.lang)

    def datetime(self, value: _DateTime) -> str:
        return L.fmt_datetime(value, self.lang)

    def topic(self, label: str) -> str:
        return L.topic_name(label, self.lang)

    def sentiment(self, label: str) -> str:
        return L.sentiment_name(label, self.lang)


@lru_cache(maxsize=1)
def _env() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def lang_of(briefing: Briefing) -> L.Lang:
    return cast(L.Lang, briefing.lang if briefing.lang in L.LANGS else "en")


def last_local_day(briefing: Briefing) -> date:
    """The last local day a briefing covers ('to' in headings; the end itself is exclusive)."""
    end = briefing.end.astimezone(briefing.start.tzinfo)
    return (end - timedelta(microseconds=1)).date()


def failed_label(n: int, lang: L.Lang) -> str:
    return f"{n} lần thu thập lỗi" if lang == "vi" else f"{n} failed crawls"


def render_html(briefing: Briefing) -> str:
    """The briefing as an HTML document (UTF-8 text)."""
    lang = lang_of(briefing)
    last_day = last_local_day(briefing)
    return (
        _env()
        .get_template("briefing.html.j2")
        .render(
            b=briefing,
            lang=lang,
            t=lambda key: L.t(key, lang),
            f=Formatter(lang),
            last_day=last_day,
            volume_svg=to_svg(volume_chart(briefing, lang)),
            negshare_svg=to_svg(negative_share_chart(briefing, lang)),
            caveats=L.CAVEATS[lang],
            no_card=NO_CARD[lang],
            failed_label=lambda n: failed_label(n, lang),
        )
    )
