"""Opinion-lexicon features with negation scope: they carry sentiment across domains.

Each hit becomes a feature token (`<lex_pos>`, `<lex_neg_not>` ...); the classifier learns
how much to trust them. A folded copy of the lexicon catches text typed without diacritics.
"""

from __future__ import annotations

import re
from functools import lru_cache

from duluan.core.text import fold
from nlp.lexicon import (
    BOY_NOT_HARSH,
    HARSH_ACCENTED_ONLY,
    HARSH_WORDS,
    NEGATIVE_WORDS,
    NEGATORS,
    POSITIVE_WORDS,
    SLEEP_NOT_HARSH,
)

_TOKEN = re.compile(r"\w+|[.,;!?…]", re.UNICODE)
NEGATION_WINDOW = 3
fold_word = lru_cache(maxsize=200_000)(fold)
"""`core.text.fold` for single words, cached: the same words come back all day."""


def _table(words: frozenset[str]) -> dict[str, str]:
    return {w: w for w in words}


_CLASSES: tuple[tuple[str, frozenset[str]], ...] = (
    ("pos", POSITIVE_WORDS),
    ("neg", NEGATIVE_WORDS),
    ("harsh", HARSH_WORDS),
    ("none", SLEEP_NOT_HARSH | BOY_NOT_HARSH),  # matched only to keep a shorter entry from matching
)
_ACCENTED: dict[str, str] = {}
_FOLDED: dict[str, str] = {}
for _cls, _words in _CLASSES:
    for _w in _words:
        _ACCENTED.setdefault(_w, _cls)
        if not (_cls == "harsh" and _w in HARSH_ACCENTED_ONLY):
            _FOLDED.setdefault(fold(_w), _cls)
_TRIPLE_STARTS = frozenset(
    w.split()[0] for table in (_ACCENTED, _FOLDED) for w in table if w.count(" ") == 2
)
"""First words of the three-word entries: the only tokens worth a three-word lookup."""
_NEG_ACCENTED = frozenset(NEGATORS)
_NEG_FOLDED = frozenset(fold(n) for n in NEGATORS) - {"dung", "cha"}


def _scan(
    tokens: list[str], table: dict[str, str], negators: frozenset[str], prefix: str
) -> list[str]:
    out: list[str] = []
    negated_until = -1
    i = 0
    n = len(tokens)
    while i < n:
        tok = tokens[i]
        if not tok[0].isalnum():
            negated_until = -1
            i += 1
            continue
        pair = tok + " " + tokens[i + 1] if i + 1 < n else ""
        if pair in negators:
            negated_until = i + 1 + NEGATION_WINDOW
            i += 2
            continue
        if tok in negators:
            negated_until = i + NEGATION_WINDOW
            i += 1
            continue
        cls = table.get(pair + " " + tokens[i + 2]) if tok in _TRIPLE_STARTS and i + 2 < n else None
        step = 3
        if cls is None:
            cls = table.get(pair) if pair else None
            step = 2
        if cls is None:
            cls = table.get(tok)
            step = 1
        if cls is not None and cls != "none":
            neg = "_not" if i <= negated_until and cls != "harsh" else ""
            out.append(f"<{prefix}_{cls}{neg}>")
        if i <= negated_until and cls is None:
            out.append(prefix[0] + "~" + tok)
        i += step
    return out


# What people pay, and which way it moves: "giá xăng tăng mạnh" is bad news for the people
# talking, though "giá" and "mạnh" are praise in product reviews ("giá tốt", "cấu hình mạnh").
_COST_WORDS = frozenset({"giá", "phí", "thuế", "suất"})  # giá (cả), học/viện phí, thuế, lãi suất
_COST_UNACCENTED = {"gia": "giá", "phi": "phí", "thue": "thuế", "suat": "suất"}
_NOT_COST_AFTER = frozenset({"tri"})  # "giá trị" is value, not a price
_RISE = frozenset({"tang", "leo", "vot", "dat"})  # tăng, leo thang, tăng vọt, đắt
_FALL = frozenset({"giam", "ha", "re"})  # giảm, hạ, rẻ
_COST_WINDOW = 4


def _cost_moves(tokens: list[str], folded: list[str]) -> list[str]:
    """Price rises read as negative, falls as positive (rise or fall within a few words of a
    cost word, either order, no negator or sentence break between)."""
    out: list[str] = []
    for i, tok in enumerate(tokens):
        if tok == folded[i]:  # typed without diacritics: "gia xang tang" reads the same way
            tok = _COST_UNACCENTED.get(tok, tok)
        nxt = folded[i + 1] if i + 1 < len(folded) else ""
        if tok not in _COST_WORDS or nxt in _NOT_COST_AFTER:
            continue
        if tok == "suất" and (i == 0 or folded[i - 1] != "lai"):
            continue
        lo, hi = max(0, i - 2), min(len(folded), i + 1 + _COST_WINDOW)
        for j in range(lo, hi):
            between = folded[min(i, j) + 1 : max(i, j)]
            if j == i or any(not t[0].isalnum() or t in _NEG_FOLDED for t in between):
                continue
            if folded[j] in _RISE:
                out += ["<lex_neg>", "<flex_neg>"]
                break
            if folded[j] in _FALL:
                out += ["<lex_pos>", "<flex_pos>"]
                break
    return out


# Questions and requests for information are the commonest neutral comments on social media
# ("cho mình hỏi", "ai biết", "... không ạ?"); folded phrases, matched on word boundaries.
_ASK_PHRASES = (
    "cho minh hoi",
    "cho em hoi",
    "cho toi hoi",
    "cho hoi",
    "xin hoi",
    "hoi chut",
    "hoi xiu",
    "ai biet",
    "co ai",
    "ai co",
    "ai da",
    "khong a",
    "chua a",
    "khong vay",
    "khong nhi",
    "chua vay",
    "the nao",
    "nhu nao",
    "bao nhieu",
    "o dau",
    "cho nao",
    "khi nao",
    "bao gio",
    "la gi",
    "gi vay",
    "tai sao",
    "vi sao",
    "sao vay",
    "duoc khong",
    "co nen",
    "nen mua",
    "nen chon",
    "xin info",
    "xin link",
    "cho xin",
    "xin gia",
    "inbox",
    "ib",
    "tu van",
    "hoi",
)
_ASK_AT = re.compile(r"(?<!\S)(?=(?:" + "|".join(re.escape(p) for p in _ASK_PHRASES) + r")(?!\S))")
"""Every token position where an ask phrase starts (a lookahead, so overlapping ones count)."""


def _asks(folded: list[str]) -> list[str]:
    """`<ask>` for an information-seeking phrase (`<ask2>` for several), `<ask_end>` for a
    closing question mark."""
    hits = len(_ASK_AT.findall(" ".join(folded)))
    out = ["<ask>", "<ask2>"][: min(hits, 2)]
    if "?" in folded[-2:]:
        out.append("<ask_end>")
    return out


_MASKED = re.compile(r"[^\W\d_]*\*+[^\W\d_*]*(?:\*+[^\W\d_*]*)*")
_HARSH_SYLLABLES = tuple(w for w in HARSH_WORDS if " " not in w)


@lru_cache(maxsize=10_000)
def _masked_harsh(word: str) -> bool:
    """Does a word with letters starred out ("đ*o", "l*n", "đ**") spell a harsh word? People
    star out only what they expect a filter to catch."""
    if not any(ch.isalpha() for ch in word):
        return False
    pattern = re.compile(".+".join(re.escape(part) for part in word.split("*")))
    return any(pattern.fullmatch(w) for w in _HARSH_SYLLABLES)


def opinion_features(text: str) -> list[str]:
    """Lexicon hits in `text` (normalized), accented and folded, negation-aware."""
    lower = text.lower()
    tokens = _TOKEN.findall(lower)
    if not tokens:
        return []
    folded = [fold_word(t) for t in tokens]
    masked = (
        ["<lex_harsh>" for m in _MASKED.findall(lower) if _masked_harsh(m)] if "*" in lower else []
    )
    return (
        _scan(tokens, _ACCENTED, _NEG_ACCENTED, "lex")
        + _scan(folded, _FOLDED, _NEG_FOLDED, "flex")
        + masked
        + _cost_moves(tokens, folded)
        + _asks(folded)
    )
