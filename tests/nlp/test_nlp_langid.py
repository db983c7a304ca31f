"""Language identification: Vietnamese (with or without diacritics) vs everything else."""

from __future__ import annotations

import pytest

from nlp.langid import detect


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Hôm nay trời mưa to quá, đường ngập hết rồi", "vi"),
        ("hom nay troi mua to qua, duong ngap het roi", "vi"),
        ("The weather is terrible and the roads are flooded", "en"),
        ("今天下大雨", "zh"),
        ("오늘 비가 많이 와요", "ko"),
        ("きょうはあめです", "ja"),
        ("", "empty"),
        ("😀👍", "empty"),
        ("12345 !!!", "empty"),
    ],
)
def test_detect(text: str, lang: str) -> None:
    got, score = detect(text)
    assert got == lang
    assert 0.0 <= score <= 1.0
