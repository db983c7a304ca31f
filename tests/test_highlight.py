"""Snippets mark query terms in the original text whatever its accents, casing or encoding."""

from __future__ import annotations

import pytest

from duluan.core.highlight import snippet


def test_terms_typed_without_accents_mark_the_accented_words() -> None:
    got = snippet("Giá XĂNG tăng, xăng dầu đắt", ["xang", "dau"])
    assert got == "Giá <mark>XĂNG</mark> tăng, <mark>xăng</mark> <mark>dầu</mark> đắt"


def test_phrases_prefixes_and_word_boundaries() -> None:
    got = snippet("giá xăng tăng; xếp hàng đổ xăng", ["gia xang", "xe*"])  # a phrase, a prefix
    assert got == "<mark>giá xăng</mark> tăng; <mark>xếp</mark> hàng đổ xăng"
    assert "<mark>" not in snippet("xếp hàng", ["xe"])  # "xe" is not a prefix search


def test_text_whose_folding_changes_length_keeps_marks_on_the_right_characters() -> None:
    # "İ" lower-cases to two characters and decomposed accents fold to nothing
    text = "İstanbul và Vie\u0302\u0323t Nam, <b>xăng</b>"
    got = snippet(text, ["viet", "xang", "istanbul"])
    assert got == (
        "<mark>İstanbul</mark> và <mark>Vie\u0302\u0323t</mark> Nam, "
        "&lt;b&gt;<mark>xăng</mark>&lt;/b&gt;"
    )


def test_long_text_is_cut_around_the_first_match() -> None:
    text = "mở đầu " * 60 + "giá xăng hôm nay" + " kết thúc" * 60
    got = snippet(text, ["xăng"], width=80)
    assert got.startswith("…") and got.endswith("…")
    assert "<mark>xăng</mark>" in got and len(got) < 140


def test_folding_map_is_the_same_with_a_full_table(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the table's size limit characters are folded one by one, with the same result."""
    import duluan.core.highlight as hl
    from duluan.core.text import fold

    def reference(text: str) -> tuple[str, list[int]]:
        parts = [fold(ch) for ch in text]
        return "".join(parts), [i for i, f in enumerate(parts) for _ in f]

    texts = ["Giá XĂNG tăng", "İstanbul ǅ a\u0301 ﬁ ß Đà Nẵng", "", "😀 xăng ﬀ"]
    for limit in (0, 3, 65_536):
        monkeypatch.setattr(hl, "_FOLD", {})
        monkeypatch.setattr(hl, "_NOT_ONE", set())
        monkeypatch.setattr(hl, "_FOLD_MAX", limit)
        for text in texts:
            folded, index = hl._folded_with_map(text)
            assert (folded, list(index)) == reference(text), (limit, text)


def test_matching_the_original_text_finds_what_matching_folded_text_finds() -> None:
    """The fast path (character classes over the original) must agree with the folding path."""
    import random

    import duluan.core.highlight as hl

    rng = random.Random(11)
    alphabet = list("aăâeêoôơuưyđAĂÂĐEÊÔƠƯáàảãạắằẳẵặấầẩẫậếềểễệíìịóòỏõọốồộớờợúùụứừựýỳ")
    alphabet += list("gnhxtcml   ,.;_-09<>&'\"ß…“”–ΣσςЁё\u00a0\t")
    alphabet += ["xăng", "XĂNG", "giá", "Gia", "dầu", " a ", "e_1", "ss", "Σ"]
    terms = [
        ["xăng"],
        ["gia", "DẦU"],
        ["giá xăng"],
        ["xăn*"],
        ["ss"],
        ["a a"],
        ["σ"],
        ["e_1"],
        ["ё"],
    ]
    checked = 0
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert hl._classes()[1].search(text) is None  # every character has a class
        for t in terms:
            direct = hl.match_spans(text, t, direct=True)
            assert direct == hl.match_spans(text, t, direct=False), (text, t)
            checked += bool(direct)
    assert checked > 300  # the texts really contain matches


def test_text_with_characters_outside_the_classes_takes_the_folding_path() -> None:
    import duluan.core.highlight as hl

    for text in ("Vie\u0302\u0323t", "ﬁx", "😀 xăng"):
        assert hl._classes()[1].search(text) is not None, text
    assert hl.match_spans("😀 xăng", ["xang"]) == [(2, 6)]
    assert hl.match_spans("Vie\u0302\u0323t Nam", ["viet"]) == [(0, 6)]
