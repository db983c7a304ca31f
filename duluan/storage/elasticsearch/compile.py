"""Compile the shared query AST (core.query) into Elasticsearch query DSL, and the index mapping.

Text is matched on `folded`: title + text folded by core.text.fold *before* indexing (the same
fold the SQLite store uses), and query text is folded the same way, so "xăng", "xang" and "XĂNG"
match alike and đ→d. Folding in Python rather than with an asciifolding filter keeps the two stores
in exact agreement and works on nodes without the analysis-common module (the Maven Central
Elasticsearch distribution ships without it).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from duluan.core.query import (
    And,
    FieldMatch,
    MatchAll,
    Node,
    Not,
    Or,
    Phrase,
    SearchQuery,
    Term,
    check_budget,
)
from duluan.core.text import fold

_WORD = re.compile(r"\w", re.UNICODE)
_SINGLE_TOKEN = re.compile(r"^\w+$", re.UNICODE)

# query-language field -> keyword field (author is matched case-insensitively, like SQLite)
FIELD_MAP = {
    "source": "source",
    "author": "author_lc",
    "topic": "topics",
    "sentiment": "sentiment",
    "lang": "language",
    "kind": "kind",
    "rule": "rule_topics",
    "thread": "thread_id",
    "parent": "parent_id",
}

MATCH_NONE: dict[str, Any] = {"bool": {"must_not": [{"match_all": {}}]}}

_KW = {"type": "keyword"}
_KW_NOINDEX = {"type": "keyword", "index": False, "doc_values": False}

MAPPINGS: dict[str, Any] = {
    "dynamic": False,
    "properties": {
        "id": _KW,
        "source": _KW,
        "kind": _KW,
        "url": _KW_NOINDEX,
        "thread_id": _KW,
        "parent_id": _KW,
        "author": _KW,
        "author_lc": _KW,
        "folded": {"type": "text", "analyzer": "standard"},
        "created_at": {"type": "date"},
        "fetched_at": {"type": "date"},
        "indexed_at": {"type": "date"},
        "language": _KW,
        "sentiment": _KW,
        "sentiment_score": {"type": "float"},
        "toxic": {"type": "boolean"},
        "toxicity": {"type": "float"},
        "topics": _KW,
        "keywords": _KW,
        "rule_topics": _KW,
        "content_hash": _KW,
        "post": {"type": "object", "enabled": False},
    },
}

CHANGES_MAPPINGS: dict[str, Any] = {
    "dynamic": False,
    "properties": {
        "at": {"type": "date"},
        "min_created": {"type": "date"},
        "what": _KW,
    },
}

AUDIT_MAPPINGS: dict[str, Any] = {
    "dynamic": False,
    "properties": {
        "at": {"type": "date"},
        "seq": {"type": "long"},
        "action": _KW,
        "target": _KW,
        "count": {"type": "integer"},
        "actor": _KW,
    },
}


def _text_query(text: str, *, phrase: bool) -> dict[str, Any]:
    """One term or phrase on the folded field; a trailing * on a term means prefix."""
    prefix = not phrase and text.endswith("*") and len(text) > 1
    folded = fold(text.rstrip("*") if prefix else text).strip()
    if not _WORD.search(folded):
        return MATCH_NONE  # nothing searchable, as in SQLite
    if prefix:
        if _SINGLE_TOKEN.match(folded):
            return {"prefix": {"folded": {"value": folded}}}
        return {"match_phrase_prefix": {"folded": {"query": folded, "max_expansions": 1000}}}
    # a term that splits into several tokens ("covid-19") is matched as a phrase, like FTS5
    return {"match_phrase": {"folded": {"query": folded}}}


def compile_node(node: Node) -> dict[str, Any]:
    if isinstance(node, MatchAll):
        return {"match_all": {}}
    if isinstance(node, Term):
        return _text_query(node.text, phrase=False)
    if isinstance(node, Phrase):
        return _text_query(node.text, phrase=True)
    if isinstance(node, FieldMatch):
        field = FIELD_MAP[node.name]
        value = node.value.lower() if node.name == "author" else node.value
        return {"term": {field: value}}
    if isinstance(node, Not):
        return {"bool": {"must_not": [compile_node(node.part)]}}
    if isinstance(node, And):
        pos = [compile_node(p) for p in node.parts if not isinstance(p, Not)]
        neg = [compile_node(p.part) for p in node.parts if isinstance(p, Not)]
        body: dict[str, Any] = {"must": pos or [{"match_all": {}}]}
        if neg:
            body["must_not"] = neg
        return {"bool": body}
    if isinstance(node, Or):
        return {
            "bool": {"should": [compile_node(p) for p in node.parts], "minimum_should_match": 1}
        }
    raise TypeError(f"cannot compile {node!r}")


def _iso(value: datetime) -> str:
    return value.isoformat()


def compile_query(
    q: SearchQuery, *, extra_filters: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The full query: the AST scores (must), structured filters narrow (filter)."""
    filters: list[dict[str, Any]] = list(extra_filters or [])
    if q.sources:
        filters.append({"terms": {"source": q.sources}})
    if q.authors:
        filters.append({"terms": {"author": q.authors}})
    if q.topics:
        filters.append({"terms": {"topics": q.topics}})
    if q.sentiments:
        filters.append({"terms": {"sentiment": q.sentiments}})
    if q.languages:
        filters.append({"terms": {"language": q.languages}})
    if q.since is not None or q.until is not None:
        rng: dict[str, Any] = {}
        if q.since is not None:
            rng["gte"] = _iso(q.since)
        if q.until is not None:
            rng["lt"] = _iso(q.until)
        filters.append({"range": {"created_at": rng}})
    main = compile_node(check_budget(q.ast()))  # the budget, before the node sees it
    if not filters:
        return main
    return {"bool": {"must": [main], "filter": filters}}
