"""Briefing charts as small vector scenes, drawn once and rendered as inline SVG or into a PDF.

No plotting library: a scene is a list of rectangles, lines, polylines and texts in a fixed
coordinate space, so the HTML and the PDF show the very same chart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from html import escape

from duluan.briefings import locale as L
from duluan.briefings.models import Briefing, TimeBucket

COLORS = {"negative": "#d64545", "neutral": "#a3aab5", "positive": "#3a9d5d"}
INK, MUTED, GRID = "#1f2933", "#616e7c", "#e4e7eb"
FONT = "'DejaVu Sans', 'Segoe UI', Roboto, Arial, sans-serif"


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    fill: str


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    stroke: str = GRID
    width: float = 1.0
    dashed: bool = False


@dataclass(frozen=True)
class Polyline:
    points: tuple[tuple[float, float], ...]
    stroke: str
    width: float = 2.0


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str
    size: float = 11.0
    anchor: str = "start"  # start | middle | end
    fill: str = MUTED
    bold: bool = False


Item = Rect | Line | Polyline | Text


@dataclass
class Scene:
    width: float
    height: float
    title: str
    items: list[Item] = field(default_factory=list)


def nice_step(maximum: float, ticks: int = 4) -> float:
    """A 1/2/5 x 10^k step giving about `ticks` gridlines up to `maximum`."""
    if maximum <= 0:
        return 1.0
    raw = maximum / ticks
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


def _x_label(b: TimeBucket, granularity: str, lang: L.Lang) -> str:
    if granularity == "hour":
        return f"{b.start.hour:02d}:00" if b.start.hour else L.fmt_short_date(b.start, lang)
    return L.fmt_short_date(b.start, lang)


def _frame(
    scene: Scene,
    left: float,
    top: float,
    right: float,
    bottom: float,
    top_value: float,
    step: float,
    fmt: object,
) -> None:
    """Horizontal gridlines with y labels."""
    plot_h = bottom - top
    v = 0.0
    while v <= top_value + 1e-9:
        y = bottom - v / top_value * plot_h
        scene.items.append(Line(left, y, right, y, GRID, 1.0))
        label = fmt(v) if callable(fmt) else str(v)
        scene.items.append(Text(left - 6, y + 4, label, 10.5, "end"))
        v += step


def _x_labels(
    scene: Scene,
    buckets: list[TimeBucket],
    granularity: str,
    lang: L.Lang,
    x0: float,
    slot: float,
    y: float,
) -> None:
    every = max(1, math.ceil(len(buckets) / 10))
    for i, b in enumerate(buckets):
        if i % every == 0:
            scene.items.append(
                Text(x0 + slot * (i + 0.5), y, _x_label(b, granularity, lang), 10.5, "middle")
            )


def volume_chart(b: Briefing, lang: L.Lang, width: float = 720, height: float = 250) -> Scene:
    """Stacked bars: posts per bucket, negative at the bottom, then neutral, then positive."""
    scene = Scene(width, height, L.t("volume_chart", lang))
    left, right, top, bottom = 58.0, width - 10, 30.0, height - 28
    peak = max((bk.total for bk in b.timeline), default=0)
    step = nice_step(max(peak, 1), 4)
    top_value = max(step, math.ceil(max(peak, 1) / step) * step)
    _frame(scene, left, top, right, bottom, top_value, step, lambda v: L.fmt_int(int(v), lang))
    n = max(len(b.timeline), 1)
    slot = (right - left) / n
    bar = max(1.0, slot * 0.78)
    for i, bk in enumerate(b.timeline):
        x = left + slot * i + (slot - bar) / 2
        y = bottom
        other = bk.total - sum(bk.counts.get(s, 0) for s in COLORS)
        parts = [(s, bk.counts.get(s, 0)) for s in ("negative", "neutral", "positive")]
        parts.append(("unknown", max(other, 0)))
        for label, count in parts:
            if count <= 0:
                continue
            h = count / top_value * (bottom - top)
            y -= h
            scene.items.append(Rect(x, y, bar, h, COLORS.get(label, "#cbd2d9")))
    scene.items.append(Line(left, bottom, right, bottom, MUTED, 1.0))
    _x_labels(scene, b.timeline, b.granularity, lang, left, slot, bottom + 17)
    lx = right
    for label in ("positive", "neutral", "negative"):
        name = L.sentiment_name(label, lang)
        w = 9 + 6.6 * len(name)
        lx -= w + 14
        scene.items.append(Rect(lx, 10, 10, 10, COLORS[label]))
        scene.items.append(Text(lx + 14, 19, name, 11, "start", INK))
    return scene


def negative_share_chart(
    b: Briefing, lang: L.Lang, width: float = 720, height: float = 200
) -> Scene:
    """Negative share per bucket (line) against the previous period's average (dashed)."""
    scene = Scene(width, height, L.t("negshare_chart", lang))
    left, right, top, bottom = 58.0, width - 10, 16.0, height - 28
    shares = [bk.negative_share if bk.total else None for bk in b.timeline]
    baseline = b.previous.negative_share if b.previous.analysed else None
    peak = max([s for s in shares if s is not None] + [baseline or 0.0, 0.05])
    step = nice_step(peak, 4)
    top_value = min(1.0, math.ceil(peak / step) * step) if peak < 1 else 1.0
    top_value = max(top_value, step)
    _frame(scene, left, top, right, bottom, top_value, step, lambda v: L.fmt_pct(v, lang, 0))
    n = max(len(b.timeline), 1)
    slot = (right - left) / n

    def y_of(v: float) -> float:
        return bottom - v / top_value * (bottom - top)

    if baseline is not None:
        scene.items.append(Line(left, y_of(baseline), right, y_of(baseline), MUTED, 1.5, True))
    run: list[tuple[float, float]] = []
    for i, share in enumerate(shares):
        if share is None:
            if len(run) > 1:
                scene.items.append(Polyline(tuple(run), COLORS["negative"], 2.0))
            run = []
            continue
        run.append((left + slot * (i + 0.5), y_of(share)))
    if len(run) > 1:
        scene.items.append(Polyline(tuple(run), COLORS["negative"], 2.0))
    elif len(run) == 1:
        x, y = run[0]
        scene.items.append(Rect(x - 2.5, y - 2.5, 5, 5, COLORS["negative"]))
    scene.items.append(Line(left, bottom, right, bottom, MUTED, 1.0))
    _x_labels(scene, b.timeline, b.granularity, lang, left, slot, bottom + 17)
    return scene


def to_svg(scene: Scene) -> str:
    """Inline SVG (scales to its container; no external resources)."""
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {scene.width:g} {scene.height:g}"'
        f' width="100%" role="img" aria-label="{escape(scene.title)}"'
        f' font-family="{escape(FONT)}">',
        f"<title>{escape(scene.title)}</title>",
    ]
    for item in scene.items:
        if isinstance(item, Rect):
            out.append(
                f'<rect x="{item.x:.1f}" y="{item.y:.1f}" width="{item.w:.1f}"'
                f' height="{item.h:.1f}" fill="{item.fill}"/>'
            )
        elif isinstance(item, Line):
            dash = ' stroke-dasharray="6 4"' if item.dashed else ""
            out.append(
                f'<line x1="{item.x1:.1f}" y1="{item.y1:.1f}" x2="{item.x2:.1f}"'
                f' y2="{item.y2:.1f}" stroke="{item.stroke}" stroke-width="{item.width:g}"{dash}/>'
            )
        elif isinstance(item, Polyline):
            pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in item.points)
            out.append(
                f'<polyline points="{pts}" fill="none" stroke="{item.stroke}"'
                f' stroke-width="{item.width:g}" stroke-linejoin="round"/>'
            )
        else:
            weight = ' font-weight="bold"' if item.bold else ""
            out.append(
                f'<text x="{item.x:.1f}" y="{item.y:.1f}" font-size="{item.size:g}"'
                f' text-anchor="{item.anchor}" fill="{item.fill}"{weight}>{escape(item.text)}</text>'
            )
    out.append("</svg>")
    return "".join(out)
