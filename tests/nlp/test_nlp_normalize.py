"""Normalization: one spelling per word, and nothing informative thrown away."""

from __future__ import annotations

from nlp.normalize import normalize, squeeze_repeats


def test_teencode_is_expanded() -> None:
    n = normalize("Hôm nay ko đi dc vs mik đâu")
    assert n.text == "Hôm nay không đi được với mình đâu"


def test_tone_marks_use_one_style() -> None:
    assert normalize("hoà bình").text == normalize("hòa bình").text == "hòa bình"
    assert normalize("thuỷ điện").text == "thủy điện"


def test_unicode_nfc() -> None:
    decomposed = "Vie\u0302\u0323t Nam"  # "Việt" written with combining marks
    assert normalize(decomposed).text == "Việt Nam"


def test_repeated_letters_are_squeezed() -> None:
    assert squeeze_repeats("quáaaa") == "quá"
    assert squeeze_repeats("điiiii") == "đi"
    assert normalize("ngonnnn quáaaa").text == "ngon quá"
    assert squeeze_repeats("xoong") == "xoong"


def test_emoji_and_emoticons_become_features() -> None:
    n = normalize("Tuyệt vời 😍😍 :)) nhưng hơi đắt 😡")
    assert "<emo_love>" in n.features
    assert "<emo_laugh>" in n.features
    assert "<emo_angry>" in n.features
    assert "😍" not in n.text


def test_urls_mentions_hashtags_prices() -> None:
    n = normalize("@minh_anh xem https://example.com/a?b=1 nhé, giá chỉ 150k #khuyến_mãi")
    assert "<url>" in n.features and "<mention>" in n.features
    assert "<hashtag>" in n.features and "<price>" in n.features
    assert "example.com" not in n.text
    assert "khuyến mãi" in n.text


def test_html_is_removed_and_entities_decoded() -> None:
    n = normalize("<p>Gi&aacute; v&agrave;ng &amp; bạc</p><script>alert(1)</script>")
    assert n.text == "Giá vàng & bạc"


def test_odd_input_does_not_raise() -> None:
    for text in ["", " ", "\ud800abc", "a" * 100_000, "\x00\x01", "<<<>>>", "&#xD800;"]:
        normalize(text)


def test_numbers_are_not_squeezed_and_emails_are_removed() -> None:
    n = normalize("Giá 1.000.000đ, năm 2000, liên hệ ban.hang@example.com nhé")
    assert "1.000.000đ" in n.text and "2000" in n.text
    assert "example" not in n.text and "@" not in n.text


def test_hostile_input_stays_fast() -> None:
    import time

    for text in ["x." * 50_000 + "com", "1." * 50_000 + "k", "a@" * 50_000, "<script" * 20_000]:
        t0 = time.perf_counter()
        normalize(text)
        assert time.perf_counter() - t0 < 1.0


def test_line_offsets_leave_the_joined_text_unchanged() -> None:
    """The model reads the lines joined as before; `line_offsets` only says where each later
    line begins in that text (entities read a line break as a sentence end)."""
    import random

    rng = random.Random(0)
    alphabet = list("ab c\n\r\t\u2028\x85\x0b\x0c\x1c  xy\u00a0\u3000")
    for _ in range(2000):
        raw = "".join(rng.choices(alphabet, k=rng.randint(0, 30)))
        norm = normalize(raw)
        assert norm.text == " ".join(normalize(raw.replace("\n", " ")).text.split())
        for at in norm.line_offsets:
            assert 0 < at < len(norm.text) and norm.text[at - 1] == " "
    got = normalize("Giá xăng tăng\n\n  Giá điện cũng tăng\r\nthật")
    assert got.text == "Giá xăng tăng Giá điện cũng tăng thật"
    assert got.line_offsets == (14, 33)
