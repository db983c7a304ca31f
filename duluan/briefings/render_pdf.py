"""A briefing as PDF (fpdf2, pure Python), with DejaVu Sans for Vietnamese diacritics.

The font comes from matplotlib's wheel (`mpl-data/fonts/ttf/DejaVuSans*.ttf`), or from a
folder named by the `briefing_font_dir` setting; nothing is fetched from the internet.
"""

from __future__ import annotations

import importlib.util
import logging
import unicodedata
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from fpdf import FPDF, FontFace
from fpdf.enums import TableBordersLayout, XPos, YPos

from duluan.briefings import locale as L
from duluan.briefings.charts import (
    INK,
    MUTED,
    Line,
    Polyline,
    Rect,
    Scene,
    negative_share_chart,
    volume_chart,
)
from duluan.briefings.models import Briefing, SamplePost
from duluan.briefings.render_html import NO_CARD, failed_label, lang_of, last_local_day

FONT_FAMILY = "DejaVu"
# fontTools logs every table it subsets at INFO, and fpdf2 its font work: ~75 lines per PDF
_CHATTY_LOGGERS = ("fontTools", "fpdf")
_SYSTEM_FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/TTF"))


class FontMissing(RuntimeError):
    """No TrueType font with Vietnamese glyphs was found (install matplotlib or set a folder)."""


def _corrected_negative(b: Briefing, lang: L.Lang) -> str:
    """'; corrected 31 % (24-38 %)' for the negative-share KPI, or without a matrix the raw
    share's '; 90 % sampling interval: 24-38 %'."""
    pct = L.fmt_pct
    if not b.current.corrected:
        low, high = b.current.sampling("negative")
        return f"; {L.t('sampling', lang).lower()}: {pct(low, lang)}–{pct(high, lang)}"
    c = b.current.corrected["negative"]
    return (
        f"; {L.t('corrected', lang).lower()}: {pct(c['share'], lang)} "
        f"({pct(c['low'], lang)}–{pct(c['high'], lang)})"
    )


def font_dir(override: Path | str | None = None) -> Path:
    """A folder holding DejaVuSans.ttf and DejaVuSans-Bold.ttf."""
    candidates: list[Path] = []
    if override:
        candidates.append(Path(override))
    spec = importlib.util.find_spec("matplotlib")
    if spec and spec.origin:
        candidates.append(Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf")
    candidates.extend(_SYSTEM_FONT_DIRS)
    for folder in candidates:
        if (folder / "DejaVuSans.ttf").is_file() and (folder / "DejaVuSans-Bold.ttf").is_file():
            return folder
    raise FontMissing(
        "DejaVuSans.ttf not found: `pip install matplotlib` (its wheel ships the font) or set "
        "DULUAN_BRIEFING_FONT_DIR to a folder with DejaVuSans.ttf and DejaVuSans-Bold.ttf"
    )


@lru_cache(maxsize=4)
def _glyphs(path: str) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    with TTFont(path, lazy=True) as font:
        return frozenset(font.getBestCmap())


def _rgb(color: str) -> tuple[int, int, int]:
    color = color.lstrip("#")
    return int(color[0:2], 16), int(color[2:4], 16), int(color[4:6], 16)


class _Doc(FPDF):
    def __init__(self, lang: L.Lang, footer_text: str, fonts: Path) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.lang: L.Lang = lang
        self.footer_text = footer_text
        self.add_font(FONT_FAMILY, "", str(fonts / "DejaVuSans.ttf"))
        self.add_font(FONT_FAMILY, "B", str(fonts / "DejaVuSans-Bold.ttf"))
        self.glyphs = _glyphs(str(fonts / "DejaVuSans.ttf"))
        self.set_margins(16, 16, 16)
        self.set_auto_page_break(True, margin=18)
        self.set_title(footer_text)
        self.set_creator("duluan")

    def clean(self, text: str) -> str:
        """NFC text with characters the font lacks (emoji ...) replaced, so nothing renders as tofu."""
        text = unicodedata.normalize("NFC", text)
        return "".join(c if ord(c) in self.glyphs or c in "\n\t" else "·" for c in text)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT_FAMILY, "", 8)
        self.set_text_color(*_rgb(MUTED))
        page = f"{L.t('page', self.lang)} {self.page_no()}/{{nb}}"
        self.cell(0, 5, self.clean(self.footer_text), align="L")
        self.set_x(self.l_margin)
        self.cell(0, 5, page, align="R")

    # -- building blocks ----------------------------------------------------------------------

    def heading(self, text: str, size: float = 13, need: float = 30) -> None:
        """A section title, moved to the next page with its first `need` mm of content."""
        if self.get_y() + need > self.h - self.b_margin:
            self.add_page()
        self.ln(3)
        self.set_font(FONT_FAMILY, "B", size)
        self.set_text_color(*_rgb(INK))
        self.multi_cell(0, size * 0.5, self.clean(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1.5)

    def para(self, text: str, size: float = 9.5, color: str = INK, bullet: bool = False) -> None:
        self.set_font(FONT_FAMILY, "", size)
        self.set_text_color(*_rgb(color))
        if bullet:
            self.set_x(self.l_margin + 2)
            self.cell(4, size * 0.48, "•")
            self.multi_cell(0, size * 0.48, self.clean(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        else:
            self.multi_cell(0, size * 0.48, self.clean(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def table_rows(
        self,
        header: Sequence[str],
        rows: Sequence[Sequence[str]],
        widths: Sequence[float],
        align: Sequence[str],
    ) -> None:
        self.set_font(FONT_FAMILY, "", 9)
        self.set_text_color(*_rgb(INK))
        self.set_draw_color(*_rgb("#d5dae0"))
        self.set_fill_color(255, 255, 255)
        heading = FontFace(
            family=FONT_FAMILY, emphasis="BOLD", color=_rgb(MUTED), fill_color=(246, 247, 249)
        )
        with self.table(
            col_widths=tuple(widths),
            text_align=tuple(align),
            borders_layout=TableBordersLayout.HORIZONTAL_LINES,
            headings_style=heading,
            line_height=5,
            padding=(1.2, 1.5, 1.2, 1.5),
            width=self.epw,
        ) as table:
            row = table.row()
            for h in header:
                row.cell(self.clean(h))
            for values in rows:
                row = table.row()
                for v in values:
                    row.cell(self.clean(v))
        self.ln(2)

    def samples(self, samples: Sequence[SamplePost], label: str) -> None:
        if not samples:
            return
        self.set_font(FONT_FAMILY, "B", 8.5)
        self.set_text_color(*_rgb(MUTED))
        self.cell(0, 4.5, self.clean(label), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        for s in samples:
            self.para(f"[{s.source}] {s.text}", size=8.5, color=MUTED, bullet=True)
        self.ln(1)

    def chart(self, scene: Scene, caption: str) -> None:
        width = self.epw
        scale = width / scene.width
        height = scene.height * scale
        if self.get_y() + height + 8 > self.h - self.b_margin:
            self.add_page()
        self.set_font(FONT_FAMILY, "", 8.5)
        self.set_text_color(*_rgb(MUTED))
        self.multi_cell(0, 4.2, self.clean(caption), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        x0, y0 = self.l_margin, self.get_y()
        for item in scene.items:
            if isinstance(item, Rect):
                self.set_fill_color(*_rgb(item.fill))
                self.rect(
                    x0 + item.x * scale,
                    y0 + item.y * scale,
                    item.w * scale,
                    item.h * scale,
                    style="F",
                )
            elif isinstance(item, Line):
                self.set_draw_color(*_rgb(item.stroke))
                self.set_line_width(max(0.1, item.width * scale))
                if item.dashed:
                    self.set_dash_pattern(dash=1.6, gap=1.1)
                self.line(
                    x0 + item.x1 * scale,
                    y0 + item.y1 * scale,
                    x0 + item.x2 * scale,
                    y0 + item.y2 * scale,
                )
                if item.dashed:
                    self.set_dash_pattern()
            elif isinstance(item, Polyline):
                self.set_draw_color(*_rgb(item.stroke))
                self.set_line_width(item.width * scale)
                pts = [(x0 + x * scale, y0 + y * scale) for x, y in item.points]
                self.polyline(pts, style="D")
            else:
                self.set_font(FONT_FAMILY, "B" if item.bold else "", item.size * scale * 72 / 25.4)
                self.set_text_color(*_rgb(item.fill))
                text = self.clean(item.text)
                w = self.get_string_width(text)
                dx = {"middle": -w / 2, "end": -w}.get(item.anchor, 0.0)
                self.text(x0 + item.x * scale + dx, y0 + item.y * scale, text)
        self.set_line_width(0.2)
        self.set_y(y0 + height + 3)


def _kpis(doc: _Doc, items: list[tuple[str, str, str]], weights: Sequence[float]) -> None:
    gap = 3.0
    unit = (doc.epw - gap * (len(items) - 1)) / sum(weights)
    y = doc.get_y()
    x = doc.l_margin
    for (label, value, delta), weight in zip(items, weights, strict=True):
        w = unit * weight
        doc.set_draw_color(*_rgb("#d5dae0"))
        doc.set_line_width(0.25)
        doc.rect(x, y, w, 21, round_corners=True, corner_radius=1.5)
        doc.set_xy(x + 3, y + 2)
        doc.set_font(FONT_FAMILY, "", 8)
        doc.set_text_color(*_rgb(MUTED))
        doc.cell(w - 6, 4, doc.clean(label))
        doc.set_xy(x + 3, y + 6.5)
        doc.set_font(FONT_FAMILY, "B", 15)
        doc.set_text_color(*_rgb(INK))
        doc.cell(w - 6, 7, doc.clean(value))
        doc.set_xy(x + 3, y + 14.5)
        doc.set_font(FONT_FAMILY, "", 7.5)
        doc.set_text_color(*_rgb(MUTED))
        doc.cell(w - 6, 4, doc.clean(delta))
        x += w + gap
    doc.set_xy(doc.l_margin, y + 24)


def quiet_font_logs() -> None:
    """Raise the font libraries' loggers to WARNING: their subsetting chatter is not news."""
    for name in _CHATTY_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET:  # an explicit level (a debugging user) stays
            logger.setLevel(logging.WARNING)


def render_pdf(briefing: Briefing, *, font_folder: Path | str | None = None) -> bytes:
    """The briefing as a PDF document (A4)."""
    quiet_font_logs()
    b = briefing
    lang = lang_of(b)
    t: Any = lambda key: L.t(key, lang)  # noqa: E731
    fmt_dt, fmt_int, fmt_pct = (
        lambda d: L.fmt_datetime(d, lang),
        lambda n: L.fmt_int(n, lang),
        lambda s: L.fmt_pct(s, lang),
    )
    pp = " " + t("pp")
    last_day = last_local_day(b)
    title = f"{t('title')}: {b.watchlist_name}"
    doc = _Doc(
        lang,
        f"duluan · {title} · {L.fmt_date(b.start, lang)} – {L.fmt_date(last_day, lang)}",
        font_dir(font_folder),
    )
    doc.add_page()
    doc.set_font(FONT_FAMILY, "B", 19)
    doc.set_text_color(*_rgb(INK))
    doc.multi_cell(0, 9, doc.clean(title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    doc.para(f"{L.fmt_long_date(b.start, lang)} – {L.fmt_long_date(last_day, lang)}", 11, MUTED)
    doc.ln(1)
    meta = [
        (t("query"), b.query or "*"),
        (t("period"), f"{fmt_dt(b.start)} – {fmt_dt(b.end)}"),
        (t("previous"), f"{fmt_dt(b.previous_start)} – {fmt_dt(b.previous_end)}"),
        (t("timezone"), b.timezone),
        (t("generated"), fmt_dt(b.generated_at)),
    ]
    for label, value in meta:
        doc.set_font(FONT_FAMILY, "B", 8.5)
        doc.set_text_color(*_rgb(MUTED))
        doc.cell(30, 4.6, doc.clean(label))
        doc.set_font(FONT_FAMILY, "", 8.5)
        doc.multi_cell(0, 4.6, doc.clean(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    doc.heading(t("summary"))
    if b.current.corrected:
        doc.para(t("corrected_note"), 8.5, INK)
    change = (
        f" ({L.fmt_signed(b.volume_change * 100, lang, 1, '%')})"
        if b.volume_change is not None
        else ""
    )
    ns, ps = b.current.negative_share, b.previous.negative_share
    _kpis(
        doc,
        [
            (
                t("posts"),
                fmt_int(b.current.total),
                f"{t('before')}: {fmt_int(b.previous.total)}{change}",
            ),
            (
                t("negative_share"),
                fmt_pct(ns),
                f"{t('before')}: {fmt_pct(ps)} ({L.fmt_signed((ns - ps) * 100, lang, 1, pp)})"
                + _corrected_negative(b, lang),
            ),
            *[
                (
                    L.sentiment_name(s, lang).capitalize(),
                    fmt_int(b.current.counts.get(s, 0)),
                    f"{t('before')}: {fmt_int(b.previous.counts.get(s, 0))}",
                )
                for s in ("negative", "positive")
            ],
        ],
        (1.2, 1.45, 0.75, 0.75),
    )
    for line in b.highlights:
        doc.para(line, 9.5, INK, bullet=True)

    doc.heading(t("sentiment"))
    if b.current.total:
        doc.chart(volume_chart(b, lang), t("volume_chart"))
        doc.chart(negative_share_chart(b, lang), t("negshare_chart"))
    else:
        doc.para(t("no_posts"), 9.5, MUTED)
    rows = [
        [
            t("posts"),
            fmt_int(b.current.total),
            fmt_int(b.previous.total),
            L.fmt_signed(b.current.total - b.previous.total, lang),
        ]
    ]
    for s in ("negative", "neutral", "positive"):
        rows.append(
            [
                L.sentiment_name(s, lang).capitalize(),
                f"{fmt_int(b.current.counts.get(s, 0))} ({fmt_pct(b.current.share(s))})",
                f"{fmt_int(b.previous.counts.get(s, 0))} ({fmt_pct(b.previous.share(s))})",
                L.fmt_signed((b.current.share(s) - b.previous.share(s)) * 100, lang, 1, pp),
            ]
        )
    doc.heading(t("changes"), 11, need=40)
    doc.table_rows(
        ["", t("period"), t("previous"), t("change")],
        rows,
        (34, 24, 24, 18),
        ("LEFT", "RIGHT", "RIGHT", "RIGHT"),
    )

    def share_table(items: Sequence[Any], first: str, name: Callable[[str], str]) -> None:
        """Count, share and change against the previous period, one row per key."""
        if not items:
            doc.para(t("no_posts"), 9.5, MUTED)
            return
        doc.table_rows(
            [first, t("count"), t("share"), t("previous"), t("change")],
            [
                [
                    name(i.key),
                    fmt_int(i.count),
                    fmt_pct(i.share),
                    fmt_int(i.previous),
                    L.fmt_signed(i.delta, lang),
                ]
                for i in items
            ],
            (40, 15, 15, 15, 15),
            ("LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"),
        )

    doc.heading(t("topics"), need=12 + 7 * min(len(b.topics), 5))
    share_table(b.topics, t("topic"), lambda key: L.topic_name(key, lang))

    doc.heading(t("emerging"))
    if b.emerging:
        doc.table_rows(
            [t("term"), t("count"), t("expected"), t("score")],
            [
                [
                    e.term + (f" ({t('new')})" if e.is_new else ""),
                    fmt_int(e.count),
                    L.fmt_number(e.expected, lang, 1),
                    L.fmt_number(e.score, lang, 1),
                ]
                for e in b.emerging
            ],
            (46, 18, 18, 18),
            ("LEFT", "RIGHT", "RIGHT", "RIGHT"),
        )
        for e in b.emerging:
            doc.samples(e.samples, f"{t('samples')} — “{e.term}”")
    else:
        doc.para(t("no_emerging"), 9.5, MUTED)

    doc.heading(t("sources"))
    share_table(b.sources, t("source"), lambda key: key)

    doc.heading(t("spikes"))
    if b.spikes:
        when = (
            (lambda d: L.fmt_datetime(d, lang))
            if b.granularity == "hour"
            else (lambda d: L.fmt_long_date(d, lang))
        )
        doc.table_rows(
            [t("when"), t("negative_posts"), t("expected"), t("negative_share")],
            [
                [
                    when(s.start),
                    fmt_int(s.negative),
                    L.fmt_number(s.expected, lang, 1),
                    fmt_pct(s.share),
                ]
                for s in b.spikes
            ],
            (40, 20, 20, 20),
            ("LEFT", "RIGHT", "RIGHT", "RIGHT"),
        )
        for spike in b.spikes:
            doc.samples(spike.samples, f"{t('samples')} — {when(spike.start)}")
    else:
        doc.para(t("no_spikes"), 9.5, MUTED)

    doc.heading(t("caveats"))
    for caveat in L.CAVEATS[lang]:
        doc.para(caveat, 9, INK, bullet=True)
    doc.heading(t("model_accuracy"), 11)
    for line in b.model_accuracy or [NO_CARD[lang]]:
        doc.para(line, 9, INK if b.model_accuracy else MUTED, bullet=bool(b.model_accuracy))
    doc.heading(t("coverage"), 11, need=12 + 7 * min(len(b.coverage), 5))
    cov_rows = []
    for cov in b.coverage:
        notes = []
        if not cov.count:
            notes.append(t("silent").lower())
        if cov.failed_runs:
            notes.append(failed_label(cov.failed_runs, lang))
        cov_rows.append(
            [
                cov.source + (f" ({', '.join(notes)})" if notes else ""),
                fmt_int(cov.count),
                fmt_int(cov.previous),
            ]
        )
    if cov_rows:
        doc.table_rows(
            [t("source"), t("period"), t("previous")],
            cov_rows,
            (60, 20, 20),
            ("LEFT", "RIGHT", "RIGHT"),
        )
    doc.para(
        f"{t('silent')}: {', '.join(b.silent_sources) if b.silent_sources else t('none')}", 9, INK
    )
    return bytes(doc.output())
