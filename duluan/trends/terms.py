"""Which terms a post contributes to trend counting: keywords, entities, topics and pairs.

Keys carry their kind (`t:` term, `p:` entity/term pair, `c:` topic) so one dict holds them all
and the detector's JSON state stays a flat mapping.
"""

from __future__ import annotations

import re
from typing import Literal

from duluan.core.models import Post
from nlp.keyword_lexicon import FILLER
from nlp.keywords import is_keyword, is_laugh

TrendKind = Literal["term", "pair", "topic"]

_PREFIX: dict[TrendKind, str] = {"term": "t:", "pair": "p:", "topic": "c:"}
_KIND_OF = {v: k for k, v in _PREFIX.items()}
_WORD = re.compile(r"\w+", re.UNICODE)
# The commonest Vietnamese function syllables: noise for the fallback tokenizer only.
STOPWORDS = frozenset(
    [
        "là",
        "và",
        "của",
        "có",
        "không",
        "được",
        "cho",
        "với",
        "các",
        "những",
        "này",
        "đã",
        "thì",
        "mà",
        "một",
        "người",
        "để",
        "ở",
        "trong",
        "khi",
        "cũng",
        "như",
        "nhưng",
        "đó",
        "lại",
        "ra",
        "đi",
        "vào",
        "rồi",
        "làm",
        "nên",
        "từ",
        "sẽ",
        "còn",
        "bị",
        "về",
        "thế",
        "nào",
        "gì",
        "nhiều",
        "đến",
        "vì",
        "quá",
        "rất",
        "ai",
        "hay",
        "phải",
        "theo",
        "nó",
        "tôi",
        "họ",
        "mình",
        "chúng",
        "ta",
        "bạn",
        "anh",
        "em",
        "chị",
        "nhà",
        "năm",
        "ngày",
        "lên",
        "hơn",
        "mới",
        "chỉ",
        "đang",
        "vẫn",
        "đều",
        "thấy",
        "biết",
        "nói",
        "muốn",
        "the",
        "a",
        "an",
        "of",
        "to",
        "in",
        "and",
        "is",
        "it",
    ]
)


def term_key(kind: TrendKind, text: str) -> str:
    return _PREFIX[kind] + text


def split_key(key: str) -> tuple[TrendKind, str]:
    """Inverse of `term_key`."""
    return _KIND_OF[key[:2]], key[2:]


def normalize_term(text: str) -> str:
    """Lower-case and collapse spaces/underscores so 'Giá_xăng' and 'giá xăng' count together."""
    return " ".join(text.replace("_", " ").split()).lower()


def fallback_keywords(text: str, limit: int = 30) -> list[str]:
    """Lower-case word split without stopwords, digits or 1-letter tokens (no NLP available)."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(text.lower()):
        if (
            len(word) > 1
            and not word.isdigit()
            and word not in STOPWORDS
            and word not in FILLER
            and not is_laugh(word)
        ):
            seen.setdefault(word, None)
            if len(seen) >= limit:
                break
    return list(seen)


def post_terms(
    post: Post, *, max_terms: int = 30, max_pair_entities: int = 5, max_pair_terms: int = 10
) -> set[str]:
    """Distinct term keys of one post (document frequency counts each once per post).

    Posts without an Analysis fall back to a plain word split, so trends still work before
    the NLP worker has run; pairs need entities, so they come only from analysed posts.
    """
    analysis = post.analysis
    if analysis is None:
        words = fallback_keywords(post.text, max_terms)
        return {term_key("term", w) for w in words}
    # keywords stored by older analyses may be filler ("thế này", "like"): today's rules decide
    keywords = [
        k for k in (normalize_term(x) for x in analysis.keywords[:max_terms]) if is_keyword(k)
    ]
    if not keywords and analysis.tokens:
        keywords = [
            t
            for t in (normalize_term(x) for x in analysis.tokens)
            if len(t) > 1 and not t.isdigit() and t not in STOPWORDS and is_keyword(t)
        ][:max_terms]
    entities = list(dict.fromkeys(normalize_term(e.text) for e in analysis.entities))
    keys = {term_key("term", k) for k in keywords if k}
    keys.update(term_key("term", e) for e in entities if e)
    keys.update(term_key("topic", t.label) for t in analysis.topics[:1])
    keys.update(term_key("topic", r) for r in analysis.rule_topics)
    for ent in entities[:max_pair_entities]:
        for kw in keywords[:max_pair_terms]:
            if kw and ent and kw != ent and kw not in ent:
                keys.add(term_key("pair", f"{ent} + {kw}"))
    return keys
