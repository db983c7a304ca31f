"""Vietnamese social-text normalization: one canonical spelling so models see one form per word.

Unicode NFC, HTML removal, one tone-mark style ("hoà" -> "hòa", as underthesea writes it),
teencode and abbreviations, squeezed letter repeats, and emoji / emoticons / URLs / mentions /
hashtags / prices turned into feature tokens instead of being thrown away.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from duluan.core.privacy import EMAIL_MASK, PHONE_MASK
from duluan.core.text import clean_control
from nlp.lexicon import EMOJI_CLASSES, EMOTICONS, TEENCODE
from nlp.underthesea_light import import_light

try:  # underthesea's table of non-standard tone placements ("hoà" -> "hòa"), a plain dict
    import_light()
    from underthesea.pipeline.text_normalize.text_normalizer import token_map as _TONE_MAP
except Exception:  # pragma: no cover - underthesea layout changed; fall back to NFC only
    _TONE_MAP = {}

MAX_CHARS = 20_000
"""Longer inputs are cut: a post's first 20k characters say what it is about."""

_TAG = re.compile(r"<\s*/?\s*[a-zA-Z][^<>]{0,500}>")
_SCRIPT = re.compile(r"<(script|style)\b.{0,5000}?</\1\s*>", re.IGNORECASE | re.DOTALL)
_URL = re.compile(
    r"(?:https?://|www\.)[^\s<>\"']{1,2000}"
    r"|\b(?:[\w-]{1,63}\.){1,6}(?:com|vn|net|org|io)\b(?:/[^\s]{0,2000})?",
    re.IGNORECASE,
)
# Every repeat below is bounded: a hostile post ("x.x.x.x..." x 50k) must stay linear-time.
_EMAIL = re.compile(r"\b[\w.+-]{1,64}@[\w-]{1,63}\.[\w.]{1,63}\b")
_MENTION = re.compile(r"(?<!\w)@([\w.]{1,40})")
_HASHTAG = re.compile(r"(?<!\w)#(\w{1,60})")
_PRICE = re.compile(
    r"(?<!\w)(?:\d{1,15}(?:[.,]\d{1,3}){0,5}\s?(?:k|nghìn|ngàn|tr|triệu|tỷ|tỉ|đ|đồng|vnd|vnđ|usd|\$)"
    r"(?:\d{1,3})?|\$\s?\d{1,15}(?:[.,]\d{1,3}){0,5})(?!\w)",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"(?<![\w.,])\d{1,20}(?:[.,:/]\d{1,20}){0,8}(?![\w])")
_WORD_SPLIT = re.compile(r"(\w+)", re.UNICODE)  # words at the odd places of its split
_REPEAT = re.compile(r"([^\W\d_])\1{2,}", re.UNICODE)  # letters only: "1000" stays
_SPACES = re.compile(r"\s+")
_CC = re.compile(r"(?<=\d)\s?(?:cc|CC)\b")
"""An engine's "150 cc" is "150 phân khối", not the vulgar "cc" (a motorbike forum read as toxic)."""
_EMOTICON = re.compile(
    "|".join(re.escape(e) for e in sorted(EMOTICONS, key=len, reverse=True))
    + r"|=\){2,}|:\){2,}|:\({2,}"
)
# Pictographs, dingbats, symbols, flags, variation selectors and joiners.
_EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\ufe0f\u200d\u2300-\u23ff]+")


@dataclass
class Normalized:
    """A normalized text plus the feature tokens that normalization took out of it."""

    text: str
    features: list[str] = field(default_factory=list)
    has_letters: bool = False
    plain: str = ""
    """The text before word-level rewrites (teencode would turn English "good" Vietnamese)."""
    line_offsets: tuple[int, ...] = ()
    """Where in `text` each line after the first begins: the joined text hides the breaks,
    and a capitalised word opening a line is no more a name than one opening a sentence."""


def _fix_tones(word: str) -> str:
    if len(word) > 7:
        return word
    fixed = _TONE_MAP.get(word)
    return fixed if fixed is not None else word


def _squeeze(match: re.Match[str]) -> str:
    return match.group(1)


def _base(ch: str) -> str:
    return unicodedata.normalize("NFD", ch)[0].lower()


def squeeze_repeats(word: str) -> str:
    """'quáaaa' -> 'quá', 'điiii' -> 'đi': stretch letters add emphasis, not meaning."""
    word = _REPEAT.sub(_squeeze, word)
    if len(word) < 3:
        return word
    out = [word[0]]
    for ch in word[1:]:
        prev = out[-1]
        if ch.isalpha() and _base(ch) == _base(prev) and _base(ch) in "aeiouy" and ch != prev:
            # "quáa": the bare copy of a toned vowel is the stretch
            if unicodedata.normalize("NFD", ch) == _base(ch):
                continue
            if unicodedata.normalize("NFD", prev)[0] == prev.lower():
                out[-1] = ch
                continue
        out.append(ch)
    return "".join(out)


@lru_cache(maxsize=200_000)
def normalize_word(word: str) -> str:
    """Teencode, letter stretches and tone placement for one word (cached: words repeat)."""
    lower = word.lower()
    if len(word) == 1 and word.isupper():  # "Nguyễn Văn A", "size M": a name, not "anh"
        return word
    if not lower.isascii() or len(lower) <= 5:
        expanded = TEENCODE.get(lower)
        if expanded is not None:
            return expanded
    squeezed = squeeze_repeats(word)
    if squeezed != word:
        lower = squeezed.lower()
        expanded = TEENCODE.get(lower)
        if expanded is not None:
            return expanded
        word = squeezed
    return _fix_tones(word)


_DOTTED = re.compile(r"(?<![\w.])[^\W\d_](?:\.[^\W\d_]){1,3}(?![\w])(?!\.\w)")
"""Single letters joined by dots ("đ.m", "v.l", "l.o.z"): one word spelt out to dodge filters."""


def _undot(m: re.Match[str]) -> str:
    word = m.group(0)
    return word if word.lower() == "v.v" else word.replace(".", "")  # "v.v" is "etc."


_LINE_BREAK = re.compile(r"[\n\r\u2028\u2029\x0b\x0c\x85]")


def _join_lines(text: str) -> tuple[str, tuple[int, ...]]:
    """Whitespace runs to one space (lines joined), and where each later line begins."""
    if not _LINE_BREAK.search(text):
        return _SPACES.sub(" ", text).strip(), ()
    lines = [_SPACES.sub(" ", line).strip() for line in _LINE_BREAK.split(text)]
    lines = [line for line in lines if line]
    offsets: list[int] = []
    at = 0
    for line in lines:
        if at:
            offsets.append(at)
        at += len(line) + 1
    return " ".join(lines), tuple(offsets)


def normalize(text: str) -> Normalized:
    """Normalize one raw post; never raises on odd input (surrogates, HTML, huge text)."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    text = text[:MAX_CHARS]
    text = clean_control(text)
    if "<" in text or "&" in text:
        text = _SCRIPT.sub(" ", text)
        text = _TAG.sub(" ", text)
        text = html.unescape(text)
        text = _TAG.sub(" ", text)
        text = clean_control(text)
    text = unicodedata.normalize("NFC", text).replace("ð", "đ").replace("Ð", "Đ")
    feats: list[str] = []

    def url(_m: re.Match[str]) -> str:
        feats.append("<url>")
        return " "

    def mention(_m: re.Match[str]) -> str:
        feats.append("<mention>")
        return " "

    def hashtag(m: re.Match[str]) -> str:
        feats.append("<hashtag>")
        return " " + m.group(1).replace("_", " ") + " "

    def price(m: re.Match[str]) -> str:
        feats.append("<price>")
        return " " + m.group(0) + " "

    def emoticon(m: re.Match[str]) -> str:
        value = m.group(0)
        cls = EMOTICONS.get(value)
        if cls is None:
            cls = "laugh" if value.endswith(")") else "sad"
        feats.append(f"<emo_{cls}>")
        return " "

    def emoji(m: re.Match[str]) -> str:
        for ch in m.group(0):
            cls = EMOJI_CLASSES.get(ch)
            if cls is not None:
                feats.append(f"<emo_{cls}>")
            elif ch not in "\ufe0f\u200d":
                feats.append("<emoji>")
        return " "

    if "[" in text:  # contact details masked at the door (duluan.core.privacy): read as before
        feats.extend(["<url>"] * text.count(EMAIL_MASK))  # what an email gives
        text = text.replace(EMAIL_MASK, " ").replace(PHONE_MASK, " 0 ")  # a number
    text = _EMAIL.sub(url, text)
    text = _URL.sub(url, text)
    text = _MENTION.sub(mention, text)
    text = _HASHTAG.sub(hashtag, text)
    text = _EMOJI.sub(emoji, text)
    text = _EMOTICON.sub(emoticon, text)
    text = _PRICE.sub(price, text)
    text = _CC.sub(" phân khối", text)
    if _NUMBER.search(text):
        feats.append("<num>")
    plain = text
    if "." in text:
        text = _DOTTED.sub(_undot, text)
    parts = _WORD_SPLIT.split(text)  # as re.sub(r"\w+", normalize_word), without a Python
    parts[1::2] = map(normalize_word, parts[1::2])  # callback per word (normalize_word is cached)
    text = "".join(parts)
    text, line_offsets = _join_lines(text)
    has_letters = any(ch.isalpha() for ch in text)
    if "!" in text:
        feats.append("<excl>")
    if "?" in text:
        feats.append("<quest>")
    return Normalized(
        text=text,
        features=feats,
        has_letters=has_letters,
        plain=plain,
        line_offsets=line_offsets,
    )
