"""Text helpers shared by stores and NLP: diacritic folding and control-character cleanup."""

from __future__ import annotations

import re
import unicodedata

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_FOLD_EXTRA = str.maketrans({"đ": "d", "Đ": "d", "ð": "d", "ƀ": "b"})


def _strip_marks(ch: str) -> str:
    """One character without its diacritics, case kept (the per-character step of `fold`)."""
    decomposed = unicodedata.normalize("NFD", ch.translate(_FOLD_EXTRA))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class _StripTable(dict[int, "int | str"]):
    """`str.translate` table filled on first sight of each code point: NFD decomposes character
    by character, so stripping each character's marks equals stripping the whole string's."""

    def __missing__(self, code: int) -> int | str:
        ch = chr(code)
        stripped = _strip_marks(ch)
        value: int | str = code if stripped == ch else stripped
        self[code] = value
        return value


_STRIP = _StripTable()


def fold(text: str) -> str:
    """Lower-case and strip Vietnamese diacritics ("Xăng Đắt" -> "xang dat") for matching."""
    return text.translate(_STRIP).lower()


def clean_control(text: str) -> str:
    """Drop control characters and lone surrogates that break JSON, terminals and indexes."""
    return _CONTROL.sub(" ", text)


_DIRTY = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
"""What `strip_control` would change: control characters (CR included) and lone surrogates."""


def has_control(text: str) -> bool:
    """True if `strip_control` would change the text."""
    return _DIRTY.search(text) is not None


def strip_control(text: str) -> str:
    """Remove control characters (keeping tab and newline; CR becomes a newline) and lone
    surrogates: what a Post's fields may hold."""
    if not _CONTROL.search(text) and "\r" not in text:
        return text
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
