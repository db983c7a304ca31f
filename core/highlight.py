"""Diacritic-insensitive highlighting: mark query terms in the original text, whatever accents."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from functools import lru_cache

from core.text import fold

_fold_char = lru_cache(maxsize=8192)(fold)
"""`fold` of one character, cached: snippets fold every character of every hit."""


def _folded_with_map(text: str) -> tuple[str, Sequence[int]]:
    """Fold char by char, remembering which original index each folded char came from."""
    parts = [_fold_char(ch) for ch in text]
    folded = "".join(parts)
    if len(folded) == len(text) and all(len(p) == 1 for p in parts):
        return folded, range(len(text))  # the usual case: one folded char per char
    index: list[int] = []
    for i, f in enumerate(parts):
        index.extend([i] * len(f))
    return folded, index


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
