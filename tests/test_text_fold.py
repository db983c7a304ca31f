"""`fold` folds character by character through a cached table; it must equal the whole-string
definition (NFD, drop combining marks, lower-case) on any text, not only Vietnamese."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from duluan.core.text import fold

_EXTRA = str.maketrans({"đ": "d", "Đ": "d", "ð": "d", "ƀ": "b"})


def reference_fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.translate(_EXTRA))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def test_vietnamese_examples() -> None:
    assert fold("Xăng Đắt QUÁ") == "xang dat qua"
    assert fold("Người dân lo lắng") == "nguoi dan lo lang"
    # decomposed input, stacked marks, final sigma (context-dependent lower-casing)
    assert fold("e\u0301 a\u0323\u0306") == "e a"
    assert fold("ΣΑΣ") == reference_fold("ΣΑΣ") == "σας"


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40))
def test_equals_the_whole_string_definition(text: str) -> None:
    assert fold(text) == reference_fold(text)


def test_every_bmp_character_alone_and_in_context() -> None:
    chars = [chr(c) for c in range(0x20, 0x3000) if not 0xD800 <= c <= 0xDFFF]
    for ch in chars:
        assert fold(ch) == reference_fold(ch), hex(ord(ch))
    text = "".join(chars)
    assert fold(text) == reference_fold(text)
