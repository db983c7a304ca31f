"""Diacritic-insensitive highlighting: mark query terms in the original text, whatever accents.

Two ways to the same marks. Usually the terms are compiled into patterns that match the
original text directly ("xang" -> `x[aàáảãạăằắ...]ng`), one C-level scan per term. When a text
holds a character those classes cannot stand for (one that folds to several characters or to
none, as decomposed accents do), the text is folded and matched with a map back to the original.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from functools import lru_cache

from duluan.core.text import fold

_FOLD: dict[int, str] = {}
"""`fold` of each character seen so far, as a `str.translate` table (the folding path)."""
_NOT_ONE: set[str] = set()  # characters whose fold is not exactly one character
_FOLD_MAX = 65_536  # table entries kept; rarer characters are folded each time
_CLASS_RANGE = 0x3000  # code points given a character class: Latin, Greek, Cyrillic, punctuation
_WORD = re.compile(r"\w")
_SPACE = re.compile(r"\s")


@lru_cache(maxsize=1)
def _classes() -> tuple[dict[str, str], re.Pattern[str]]:
    """Per folded character, a regex class of every character below `_CLASS_RANGE` that folds to
    it alone and agrees with it on `\\w` and `\\s`; and a pattern finding any other character."""
    members: dict[str, list[str]] = {}
    covered: list[int] = []
    for cp in range(_CLASS_RANGE):
        ch = chr(cp)
        folded = fold(ch)
        if (
            len(folded) == 1
            and bool(_WORD.match(ch)) == bool(_WORD.match(folded))
            and bool(_SPACE.match(ch)) == bool(_SPACE.match(folded))
        ):
            members.setdefault(folded, []).append(ch)
            covered.append(cp)
    classes = {f: "[" + "".join(re.escape(c) for c in chars) + "]" for f, chars in members.items()}
    ranges: list[tuple[int, int]] = []
    for cp in covered:
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1] = (ranges[-1][0], cp)
        else:
            ranges.append((cp, cp))
    other = "".join(
        re.escape(chr(a)) + ("-" + re.escape(chr(b)) if b > a else "") for a, b in ranges
    )
    return classes, re.compile(f"[^{other}]")


def _term_regex(term: str, char: dict[str, str] | None) -> str | None:
    """A term as a regex over folded text (`char` None) or over original text (`char` given)."""
    ft = fold(term).strip().rstrip("*")
    if not ft:
        return None

    def word(w: str) -> str:
        if char is None:
            return re.escape(w)
        return "".join(char.get(c, "(?!)") for c in w)

    pattern = r"(?<!\w)" + r"\s+".join(word(w) for w in ft.split())
    return pattern + (r"\w*" if term.strip().endswith("*") else r"(?!\w)")


@lru_cache(maxsize=256)
def _patterns(terms: tuple[str, ...], direct: bool) -> tuple[re.Pattern[str], ...]:
    """Each term compiled once per query, not once per hit."""
    char = _classes()[0] if direct else None
    found = (_term_regex(t, char) for t in terms)
    return tuple(re.compile(p) for p in found if p is not None)


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


def match_spans(
    text: str, terms: Sequence[str], *, direct: bool | None = None
) -> list[tuple[int, int]]:
    """(start, end) in `text` of every match of every term, sorted; `direct` forces a path."""
    if direct is None:
        direct = _classes()[1].search(text) is None
    spans: list[tuple[int, int]] = []
    if direct:
        for pattern in _patterns(tuple(terms), True):
            spans.extend(m.span() for m in pattern.finditer(text) if m.end() > m.start())
    else:
        folded, index = _folded_with_map(text)
        for pattern in _patterns(tuple(terms), False):
            for m in pattern.finditer(folded):
                if m.end() > m.start():
                    spans.append((index[m.start()], index[m.end() - 1] + 1))
    spans.sort()
    return spans


def snippet(text: str, terms: Sequence[str], width: int = 200, mark: str = "mark") -> str:
    """An HTML-escaped excerpt around the first match with every match wrapped in <mark>."""
    merged: list[tuple[int, int]] = []
    for s, e in match_spans(text, terms):
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
        if s >= end:
            break
        if e <= start:
            continue
        s, e = max(s, start), min(e, end)
        parts.append(html.escape(text[pos:s]))
        parts.append(f"<{mark}>{html.escape(text[s:e])}</{mark}>")
        pos = e
    parts.append(html.escape(text[pos:end]))
    if end < len(text):
        parts.append("…")
    return "".join(parts)
