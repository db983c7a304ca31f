"""Text helpers shared by stores and NLP: diacritic folding and control-character cleanup."""

from __future__ import annotations

import re
import unicodedata

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_FOLD_EXTRA = str.maketrans({"đ": "d", "Đ": "d", "ð": "d", "ƀ": "b"})


def fold(text: str) -> str:
    """Lower-case and strip Vietnamese diacritics ("Xăng Đắt" -> "xang dat") for matching."""
    decomposed = unicodedata.normalize("NFD", text.translate(_FOLD_EXTRA))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.lower()


def clean_control(text: str) -> str:
    """Drop control characters and lone surrogates that break JSON, terminals and indexes."""
    return _CONTROL.sub(" ", text)


def strip_control(text: str) -> str:
    """Remove control characters (keeping tab and newline; CR becomes a newline) and lone
    surrogates: what a Post's fields may hold."""
    if not _CONTROL.search(text) and "\r" not in text:
        return text
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
