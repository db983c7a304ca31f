"""The insult and vulgarity lexicon: typed with or without diacritics, never on the common
word an unaccented spelling also stands for ("cho" is "give", not "chó")."""

from __future__ import annotations

import pytest

from duluan.core.text import fold
from nlp.lexicon import HARSH_ACCENTED_ONLY, HARSH_WORDS
from nlp.normalize import normalize
from nlp.opinion import opinion_features
from nlp.segment import Segmenter


def harsh(text: str) -> int:
    return sum(t.endswith("_harsh>") for t in opinion_features(normalize(text).text))


def test_every_colliding_unaccented_spelling_is_matched_only_with_diacritics() -> None:
    """An accented harsh word whose folded form is another dictionary word (not itself
    harsh) must be in HARSH_ACCENTED_ONLY, or unaccented text would read it everywhere."""
    dictionary = Segmenter().dictionary
    if not dictionary:
        pytest.skip("underthesea's word list is not installed")
    by_fold: dict[str, set[str]] = {}
    for word in dictionary:
        by_fold.setdefault(fold(word), set()).add(word)
    missing = [
        w
        for w in HARSH_WORDS
        if fold(w) != w and by_fold.get(fold(w), set()) - HARSH_WORDS - {w}
        if w not in HARSH_ACCENTED_ONLY
    ]
    assert not missing
    assert HARSH_ACCENTED_ONLY <= HARSH_WORDS


@pytest.mark.parametrize(
    "text",
    [
        "phim hay vl",
        "đéo hiểu nổi",
        "dm thang nay",
        "cái lồn gì vậy",
        "đồ vô văn hóa",  # three syllables
        "bọn súc sinh",
        "con mẹ mày",
        "đ.m thằng này",  # spelt out with dots
        "phim hay v.l",
        "đ*o hiểu nổi",  # starred out
        "cái l*n",
        "đuma tao đang ở đấy",  # chat spellings (session 18)
        "mày dek làm được",
        "cảm động vleu",
        "đệch mợ nó",
        "mấy thèn cức rảnh",
        "thằng này láo",
    ],
)
def test_vulgar_words_and_insults_are_read(text: str) -> None:
    assert harsh(text) >= 1


@pytest.mark.parametrize(
    "text",
    [
        "cho minh hoi gia bao nhieu",  # cho = give, not chó
        "deo kinh di xe may",  # đeo kính, not đéo
        "mua 2 lon bia",  # lon = can, not lồn
        "thang nay luong thap",  # tháng, not thằng
        "dien mat ca buoi",  # điện, not điên
        "các bạn đi đâu đấy",
        "khách sạn 5* ở Q.1, TP.HCM",
        "*hot* deal hôm nay",
        "A.I sẽ thay đổi ngành này",
        "buon ngu qua",  # buồn ngủ, sleepy
        "thoi di ngu day, mai con di lam",
        "chuc ca nha ngu ngon",
        "thằng con tôi đi học rồi",  # a boy, not contempt (session 18)
        "thằng bé nhà bên ngoan lắm",
        "xe 150 cc chạy êm",  # engine size, not the vulgar "cc"
        "bản 125cc tiết kiệm xăng",
        "det may xuat khau tang",  # dệt may, not đệt
        "hai đứa deu nhau",
        "cuc tuc qua",
    ],
)
def test_common_words_are_not_read_as_insults(text: str) -> None:
    assert harsh(text) == 0


def test_stupid_is_still_stupid_next_to_sleep_words() -> None:
    """The sleep pairs only shield "ngu" inside them."""
    assert harsh("buon ngu qua ma thang kia ngu vl") >= 1
    assert harsh("thang nay ngu that") >= 1


def test_letters_spelt_out_with_dots_are_one_word() -> None:
    """Letters spelt out with dots are one word: "v.l" must not become "vậy.l"."""
    assert normalize("phim hay v.l").text == "phim hay vl"
    assert normalize("l.o.z").text == "loz"
    assert normalize("TP.HCM và Q.1").text == "TP.HCM và Q.1"
