"""Keyphrases per post: the segmented content words a person would pick as the post's subject.

Candidates are multi-syllable words and compounds (the segmenter's "ngập lụt", "bệnh viện"),
noun phrases from POS tags ("giá xăng", "bệnh viện bạch mai") and single-syllable topical nouns
from a small lexicon ("bão", "xăng"), never filler, pronouns, particles, laugh tokens, English
chat words or teencode (`nlp.keyword_lexicon`; a POS tag vetoes unlisted function words).
Unaccented words map to their accented form when the segmenter's dictionary has exactly one.
Candidates are ranked by the TF-IDF weight the classical featurizer learned.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping
from functools import lru_cache

from nlp.keyword_lexicon import (
    FILLER,
    FOLDED_FILLER,
    FOLDED_FUNCTION,
    FOLDED_LEADING,
    FOLDED_TRAILING,
    FUNCTION,
    LAUGHS,
    LEADING_FUNCTION,
    NOUN_PHRASE_TAGS,
    PARTICLES,
    POS_NOT_CONTENT,
    PRONOUNS,
    TOPIC_NOUNS,
    TRAILING_FUNCTION,
    WEAK_NOUNS,
)
from nlp.opinion import fold_word

KEYWORDS_VERSION = "kw-5"
"""Bumped when the candidate rules change: stored keywords need re-analysis to match."""

_CONTENT = re.compile(r"^[^\W\d_][\w ]*$", re.UNICODE)
_LAUGH = re.compile(r"^(?:(?:h[aeiouyj]|hí|hì|há|hô|hố|k[ae]){2,}|a?(?:hi){2,}|kk+|=+\)+|x+d+)$")
_VI_SYLLABLE = re.compile(
    r"^(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?"
    r"(?:uye|oai|oay|uoi|uou|uya|ieu|yeu|uay|oeo|ai|ao|au|ay|eo|eu|ia|ie|iu|oa|oe|oi|oo|ua|ue|"
    r"ui|uo|uu|uy|ye|ya|ou|a|e|i|o|u|y)"
    r"(?:ng|nh|ch|[cmnpt])?$"
)
_STRETCHED = re.compile(r"(.)\1+$")
_FUNCTION_SYLLABLES = PRONOUNS | PARTICLES | FUNCTION
MAX_KEYWORDS = 8
MAX_PHRASE_WORDS = 4
MAX_PHRASE_SYLLABLES = 6


def accent_map(words: Iterable[str]) -> dict[str, str]:
    """Folded form -> accented word, for folds that only one accented word has."""
    items = list(words)
    table = {ord(ch): fold_word(ch) for ch in {ch for w in items for ch in w}}
    seen: dict[str, str | None] = {}
    for w in items:
        f = w.translate(table)
        if f == w:
            continue
        seen[f] = None if f in seen and seen[f] != w else w
    return {f: w for f, w in seen.items() if w is not None}


@lru_cache(maxsize=1)
def default_dictionary() -> frozenset[str]:
    """underthesea's word-segmentation dictionary (≈72k words), read without importing it."""
    try:
        import importlib.util
        from pathlib import Path

        import joblib

        spec = importlib.util.find_spec("underthesea")
        if spec is None or not spec.submodule_search_locations:
            return frozenset()
        base = Path(next(iter(spec.submodule_search_locations)))
        path = base / "pipeline" / "word_tokenize" / "models" / "ws_crf_vlsp2013_20230727"
        return frozenset(w for w in joblib.load(path / "dictionary.bin") if isinstance(w, str))
    except Exception:  # pragma: no cover - depends on underthesea's layout
        return frozenset()


@lru_cache(maxsize=4)
def _accents_for(dictionary: frozenset[str]) -> dict[str, str]:
    # compounds only: an unaccented single syllable is too ambiguous ("mua" is buy, not "mưa")
    return accent_map(w for w in dictionary if " " in w)


def is_laugh(word: str) -> bool:
    """haha, hihi, kkk, =)) and their stretched forms."""
    w = word.replace(" ", "")
    return word in LAUGHS or bool(_LAUGH.match(w))


def _foreign(word: str) -> bool:
    """A Latin-letter token that cannot be a Vietnamese syllable ("iphone", "covid")."""
    return word.isascii() and not _VI_SYLLABLE.match(word)


def candidate(
    word: str, accents: Mapping[str, str] | None = None, dictionary: Collection[str] = ()
) -> str | None:
    """The keyword form of one segmented word (lower-case, accented), or None if it is filler."""
    w = " ".join(word.lower().replace("_", " ").split())
    if len(w) < 2 or not _CONTENT.match(w) or is_laugh(w):
        return None
    if w.isascii() and accents:
        w = accents.get(w, w)
    if w in FILLER:
        return None
    sylls = w.split(" ")
    if len(sylls) == 1 and any(ch.isdigit() for ch in w):
        return w  # letters and digits: a code or model name ("u23", "covid19", "iphone15")
    if w.isascii():  # still unaccented: judge it by its folded syllables
        if w in FOLDED_FILLER or any(is_laugh(s) for s in sylls):
            return None
        if len(sylls) == 1:
            # a stretched last letter ("thoii", "hahaa", "anhh") is chat, not a foreign word
            squeezed = _STRETCHED.sub(r"\1", w)
            if squeezed != w and (
                squeezed in FOLDED_FILLER or is_laugh(squeezed) or not _foreign(squeezed)
            ):
                return None
            return w if len(w) >= 3 and _foreign(w) else None
        if all(s in FOLDED_FUNCTION for s in sylls):
            return None
        if sylls[0] in FOLDED_LEADING or sylls[-1] in FOLDED_TRAILING:
            return None
        return w
    if len(sylls) == 1:
        return w if w in TOPIC_NOUNS else None
    if all(s in _FUNCTION_SYLLABLES or is_laugh(s) for s in sylls):
        return None
    if w not in dictionary and (sylls[0] in LEADING_FUNCTION or sylls[-1] in TRAILING_FUNCTION):
        return None
    return w


@lru_cache(maxsize=100_000)
def is_keyword(term: str) -> bool:
    """True if a stored keyword (possibly from older analyses) passes today's candidate rules."""
    return candidate(term, None, default_dictionary()) is not None


@lru_cache(maxsize=4)
def _candidate_fn(dictionary: frozenset[str]) -> Callable[[str], str | None]:
    """`candidate` bound to one dictionary and memoised: words repeat, the rules do not change."""
    accents = _accents_for(dictionary) if dictionary else None

    @lru_cache(maxsize=200_000)
    def bound(word: str) -> str | None:
        return candidate(word, accents, dictionary)

    return bound


def _phrase_word(word: str, dictionary: Collection[str]) -> str | None:
    """A noun's form inside a phrase (lower case), or None if it cannot be part of one: filler,
    or unaccented Vietnamese the dictionary does not know ("chup"; tags of unaccented text are
    guesses)."""
    w = " ".join(word.lower().split())
    if not _CONTENT.match(w) or is_laugh(w) or w in FILLER or w in _FUNCTION_SYLLABLES:
        return None
    if w.isascii() and w not in dictionary and all(map(_VI_SYLLABLE.match, w.split(" "))):
        return None
    return w


def noun_phrases(
    words: list[str], tags: list[str], dictionary: Collection[str] = ()
) -> list[tuple[int, list[str]]]:
    """(position, its words) for each run of 2-4 nouns that names something ("giá xăng"): every
    word a noun by its POS tag and not filler, the first and last not a weak noun ("ngày")."""
    out: list[tuple[int, list[str]]] = []
    run: list[tuple[int, str]] = []
    for pos, (word, tag) in enumerate([*zip(words, tags, strict=False), ("", "")]):
        w = _phrase_word(word, dictionary) if tag in NOUN_PHRASE_TAGS else None
        if w is not None:
            run.append((pos, w))
            continue
        while run and run[0][1] in WEAK_NOUNS:
            run.pop(0)
        while run and run[-1][1] in WEAK_NOUNS:
            run.pop()
        parts = [w for _, w in run]
        if 2 <= len(parts) <= MAX_PHRASE_WORDS and (
            sum(p.count(" ") + 1 for p in parts) <= MAX_PHRASE_SYLLABLES
        ):
            out.append((run[0][0], parts))
        run = []
    return out


def keywords(
    words: list[str],
    weight: Callable[[str], float] | None = None,
    limit: int = MAX_KEYWORDS,
    dictionary: frozenset[str] = frozenset(),
    tags: list[str] | None = None,
) -> list[str]:
    """Keyword candidates of one post, best first (IDF weight, compounds favoured). `tags`:
    the words' POS tags (may cover only the first words), for noun phrases and vetoes."""
    judge = _candidate_fn(dictionary)
    seen: dict[str, float] = {}

    def add(pos: int, lw: str, parts: list[str] | None = None) -> None:
        if lw in seen:
            seen[lw] += 0.1
            return
        # a phrase is as telling as its most telling word (phrases have no IDF of their own)
        base = 1.0 if weight is None else max(map(weight, parts)) if parts else weight(lw)
        if base > 0:
            # compounds ("bác sĩ") say more than single syllables; earlier words slightly favoured
            seen[lw] = base * (1.3 if " " in lw else 1.0) - pos * 1e-4

    tagged = tags or []
    for pos, raw in enumerate(words):
        if pos < len(tagged) and tagged[pos] in POS_NOT_CONTENT:
            continue
        lw = judge(raw)
        if lw is not None:
            add(pos, lw)
    if tags:
        for pos, parts in noun_phrases(words, tags, dictionary):
            phrase = judge(" ".join(parts))  # the rules any stored term must pass (is_keyword)
            if phrase is not None:
                add(pos, phrase, parts)
    ranked = sorted(seen.items(), key=lambda kv: -kv[1])
    return [w for w, _ in ranked[:limit]]
