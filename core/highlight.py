"""Diacritic-insensitive highlighting: mark query terms in the original text, whatever accents."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from core.text import fold

_FOLD: dict[int, str] = {}
"""`fold` of each character seen so far, as a `str.translate` table: snippets fold every
character of every hit, and one C-level translate is ~20x faster than a Python loop."""
_NOT_ONE: set[str] = set()  # characters whose fold is not exactly one character
_FOLD_MAX = 65_536  # table entries kept; rarer characters are folded each time


def _folded_with_map(text: str) -> tuple[str, Sequence[int]]:
    """Fold char by char, remembering which original index each folded char came from."""
    chars = set(text)
    for ch in chars:
        if ord(ch) not in _FOLD and len(_FOLD) < _FOLD_MAX:
            folded_ch = fold(ch)
            if len(folded_ch) != 1:
                _NOT_ONE.add(ch)
            _FOLD[ord(ch)] = folded_ch
    complete = len(_FOLD) < _FOLD_MAX or all(ord(ch) in _FOLD for ch in chars)
    if complete and chars.isdisjoint(_NOT_ONE):  # the usual case: one folded char per char
        return text.translate(_FOLD), range(len(text))
    parts = [_FOLD.get(ord(ch)) or fold(ch) for ch in text]
    index: list[int] = []
    for i, f in enumerate(parts):
        index.extend([i] * len(f))
    return "".join(parts), index


def snippet(text: str, terms: list[str], width: int = 200, mark: str = "mark") -> str:
    """An HTML-escaped excerpt around the first match with every match wrapped in <mark>."""
    folded, index = _folded_with_map(text)
    spans: list[tuple[int, int]] = []
    for term in terms:
        ft = fold(term).strip().rstrip("*")
        if not ft:
            continue
        pattern = r"(?<!\w)" + r"\s+".join(re.escape(w) for w in ft.split()) + r"(?!\w)"
        if term.strip().endswith("*"):
            pattern = pattern[: -len(r"(?!\w)")] + r"\w*"
        for m in re.finditer(pattern, folded):
            if m.end() > m.start():
                spans.append((index[m.start()], index[m.end() - 1] + 1))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    first = merged[0][0] if merged else 0
    start = max(0, min(first - width // 3, len(text) - width))
    end = min(len(text), start + width)
    if start > 0:
        while start > 0 and not text[start - 1].isspace() and first - start < width // 2:
            start -= 1
    parts: list[str] = ["…" if start > 0 else ""]
    pos = start
    for s, e in merged:
        if e <= start or s >= end:
            continue
        s, e = max(s, start), min(e, end)
        parts.append(html.escape(text[pos:s]))
        parts.append(f"<{mark}>{html.escape(text[s:e])}</{mark}>")
        pos = e
    parts.append(html.escape(text[pos:end]))
    if end < len(text):
        parts.append("…")
    return "".join(parts)
