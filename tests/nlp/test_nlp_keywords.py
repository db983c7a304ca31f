"""Keyword candidates: multi-syllable words and topical nouns, never filler (invented text)."""

from __future__ import annotations

import pytest

from nlp import Analyzer
from nlp.keywords import (
    KEYWORDS_VERSION,
    accent_map,
    candidate,
    default_dictionary,
    is_keyword,
    is_laugh,
    keywords,
)

FILLER = [
    "thầy",
    "nghe",
    "cười",
    "ba",
    "nhìn",
    "chuẩn",
    "đồng ý",
    "chán",
    "like",
    "khong tang",
    "thế này",
    "tận",
    "nặng",
    "khắp nơi",
    "ok",
    "ko",
    "dc",
    "k",
    "haha",
    "hihi",
    "kkk",
    "hehe",
    "=))",
    "mình",
    "bạn",
    "nhé",
    "ạ",
    "không tăng",
    "đẹp quá",
    "mọi người",
    "lol",
    "hí hí",
    "đéo thể",  # a vulgar negation glued on: a phrase
    "đếch hiểu",
    "crush",  # English chat words seen among the top terms of real comments (session 17)
    "happy",
    "boss",
    "haizz",
    "thoii",  # stretched chat spellings: "thôi", "haha", "anh"
    "hahaa",
    "anhh",
    "hmmm",
    "ohh",
    "tối qua",  # when, not what
    "hôm nay",
    "hiệu quả thật",  # an adjective and its intensifier: a phrase
]
TERMS = [
    "ngập lụt",
    "triều cường",
    "giá xăng",
    "học phí",
    "bão",
    "xăng",
    "iphone",
    "covid",
    "không khí",
    "kho bạc",
    "cổ phiếu",
    "jazz",  # a foreign word ending in a double letter is not a stretched one
    "coffee",
]


@pytest.mark.parametrize("word", FILLER)
def test_filler_is_never_a_candidate(word: str) -> None:
    assert candidate(word, None, default_dictionary()) is None
    assert not is_keyword(word)


@pytest.mark.parametrize("word", TERMS)
def test_topical_terms_are_candidates(word: str) -> None:
    assert candidate(word, None, default_dictionary()) == word
    assert is_keyword(word)


def test_laugh_tokens_in_any_length() -> None:
    assert all(is_laugh(w) for w in ["haha", "hahahaha", "hihihi", "kkkkk", "=)))", "ahihi"])
    assert not any(is_laugh(w) for w in ["kho", "khá", "hà nội", "hoa"])


def test_unaccented_words_map_to_their_accented_form() -> None:
    accents = accent_map(["ngập lụt", "triều cường", "bán đồ", "bàn đỏ"])
    assert candidate("ngap lut", accents) == "ngập lụt"
    assert candidate("Trieu_Cuong", accents) == "triều cường"
    assert "ban do" not in accents  # two accented words share the fold: left alone
    assert candidate("gia xang", None, default_dictionary()) == "gia xang"  # no map: as typed


def test_single_syllables_need_the_noun_lexicon() -> None:
    assert candidate("lũ") == "lũ"
    assert candidate("đi") is None and candidate("ăn") is None and candidate("bao") is None


def test_keywords_rank_and_dedupe_after_mapping() -> None:
    words = ["Mình", "thấy", "ngập lụt", "khắp nơi", "haha", "ngap lut", "triều cường", "quá"]
    got = keywords(words, dictionary=default_dictionary())
    assert got == ["ngập lụt", "triều cường"]


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer.load()


def test_analyzer_keywords_skip_chat_filler(analyzer: Analyzer) -> None:
    got = analyzer.analyze(
        [
            "Haha thầy nói chuẩn quá, đồng ý luôn 😂",
            "Triều cường dâng cao, ngập lụt khắp nơi thế này thì chịu sao nổi",
            "ko dc đâu bạn ơi kkk like mạnh",
        ]
    )
    assert got[0].keywords == []
    assert {"triều cường", "ngập lụt"} <= set(got[1].keywords)
    assert not {"khắp nơi", "thế này"} & set(got[1].keywords)
    assert got[2].keywords == []
    assert got[1].model_versions["keywords"] == KEYWORDS_VERSION + "+pos"
