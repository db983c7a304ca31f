"""Offline language identification tuned for one question: is this Vietnamese?

Vietnamese-only letters decide most cases; unaccented Vietnamese is told from English by
syllable shape and frequent words; other scripts are named by their Unicode block.
"""

from __future__ import annotations

import re

from nlp.lexicon import EN_STOPWORDS, VI_FOLDED_COMMON
from nlp.opinion import fold_word

# Letters only Vietnamese uses among Latin-script languages (tone/vowel marks and đ).
_VI_CHARS = frozenset("ăâđêôơưàảãạằắẳẵặầấẩẫậèẻẽẹềếểễệìỉĩịòỏõọồốổỗộờớởỡợùủũụừứửữựỳỷỹỵ")
_VI_SHARED = frozenset("áéíóúý")  # also Spanish/Czech/...: weak evidence on its own
_VI_RX = re.compile("[" + "".join(sorted(_VI_CHARS)) + "]")
_SHARED_RX = re.compile("[" + "".join(sorted(_VI_SHARED)) + "]")
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_VI_SYLLABLE = re.compile(
    r"^(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?"
    r"(?:uye|oai|oay|uoi|uou|uya|ieu|yeu|uay|oeo|ai|ao|au|ay|eo|eu|ia|ie|iu|oa|oe|oi|oo|ua|ue|"
    r"ui|uo|uu|uy|ye|ya|ou|a|e|i|o|u|y)"
    r"(?:ng|nh|ch|[cmnpt])?$"
)
# Chat shorthand and swearing only Vietnamese writers use: Vietnamese evidence when unaccented
# text also holds an English-looking word ("chuan k can chinh", "vl that su", "do ngu").
_VI_CHAT = frozenset(
    [
        "k",
        "ko",
        "kh",
        "khg",
        "hok",
        "hem",
        "khum",
        "dc",
        "mik",
        "mk",
        "mn",
        "mng",
        "ib",
        "ad",
        "ae",
        "cx",
        "cug",
        "bn",
        "ny",
        "ntn",
        "vs",
        "hnay",
        "hqua",
        "bgio",
        "ngta",
        "lun",
        "nhiu",
        "ak",
        "r",
        "j",
        "z",
        "dume",
        "dcm",
        "dm",
        "dkm",
        "vl",
        "vcl",
        "vkl",
        "cmnr",
        "cmn",
        "clgt",
        "cc",
        "loz",
        "sml",
        "ngu",
    ]
)
# English function words that are also everyday unaccented Vietnamese ("that" thật, "the"
# thế, "do" đồ / do, "me" mẹ, "an" ăn, "to" to, "day" đây / dạy, "can" cần, "so" số / sợ):
# half a vote each way when another word is Vietnamese.
_EN_VI = frozenset(["that", "the", "do", "me", "an", "to", "day", "can", "so"])
_SCRIPTS: tuple[tuple[str, str], ...] = (
    ("\u3040", "\u30ff"),  # kana
    ("\uac00", "\ud7af"),  # hangul
    ("\u4e00", "\u9fff"),  # han
    ("\u0e00", "\u0e7f"),  # thai
    ("\u0400", "\u04ff"),  # cyrillic
    ("\u0600", "\u06ff"),  # arabic
    ("\u1780", "\u17ff"),  # khmer
)
_SCRIPT_LANG = ("ja", "ko", "zh", "th", "ru", "ar", "km")
_SCRIPT_RX = tuple(re.compile(f"[{lo}-{hi}]") for lo, hi in _SCRIPTS)
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)
# Anything outside Latin (Vietnamese letters live in Latin Extended, U+0100-024F, U+1E00-1EFF)
_NON_LATIN = re.compile("[\u0370-\u1dff\u2000-\uffff]")


def detect(text: str) -> tuple[str, float]:
    """Return (ISO 639-1 code | 'unknown' | 'empty', confidence in [0, 1])."""
    n_letters = len(_LETTER.findall(text))
    if not n_letters:
        return "empty", 1.0
    if _NON_LATIN.search(text):
        counts = [len(rx.findall(text)) for rx in _SCRIPT_RX]
        best = max(range(len(counts)), key=counts.__getitem__)
        if counts[best] * 2 > n_letters:
            lang = _SCRIPT_LANG[best]
            if lang == "zh" and counts[0] > 0:
                lang = "ja"
            return lang, round(min(1.0, counts[best] / n_letters), 3)
    words = _WORD.findall(text.lower())
    if not words:
        return "unknown", 0.3
    n = len(words)
    vi_marked = sum(1 for w in words if _VI_RX.search(w))
    marked_ratio = vi_marked / n
    if marked_ratio >= 0.2 or (vi_marked >= 1 and n <= 3):
        return "vi", round(min(1.0, 0.6 + marked_ratio), 3)
    shared_marked = sum(1 for w in words if _SHARED_RX.search(w))
    folded = [fold_word(w) for w in words]
    chat = sum(1 for w in folded if w in _VI_CHAT)
    shaped = chat + sum(1 for w in folded if w not in _VI_CHAT and _VI_SYLLABLE.match(w))
    other_vi = chat + sum(1 for w in folded if w in VI_FOLDED_COMMON and w not in _EN_VI)
    vi_common: float = other_vi + sum(1 for w in folded if w in VI_FOLDED_COMMON and w in _EN_VI)
    en_common: float = sum(1 for w in words if w in EN_STOPWORDS)
    if other_vi:  # with other Vietnamese evidence, "that" is as likely "thật"
        vi_common += 0.5 * sum(1 for w in words if w in _EN_VI - VI_FOLDED_COMMON)
        en_common -= 0.5 * sum(1 for w in words if w in _EN_VI)
    shape_ratio = shaped / n
    vi_score = 0.5 * shape_ratio + (vi_common + vi_marked + 0.5 * shared_marked) / n
    en_score = en_common / n
    if en_score >= 0.15 and en_score > 0.6 * vi_score:
        return "en", round(min(1.0, 0.5 + en_score), 3)
    if shape_ratio >= 0.8 and (vi_common / n >= 0.2 or vi_marked):
        return "vi", round(min(0.95, 0.4 + vi_score / 2), 3)
    if shape_ratio >= 0.9 and n >= 3:
        return "vi", 0.5
    # neither side's rules decided: frequent Vietnamese words outweighing a lone English chat
    # word ("video nay hay qua like manh") say Vietnamese; session 17, 67 -> 18 of 5,633
    # unaccented test comments read as English, 60 short English comments unchanged
    if vi_common and vi_score > 2 * en_score:
        return "vi", round(min(0.8, 0.3 + vi_score / 2), 3)
    if en_score > 0:
        return "en", round(min(0.9, 0.4 + en_score), 3)
    return "unknown", 0.3
