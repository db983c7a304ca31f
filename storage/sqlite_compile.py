"""Compile the shared query AST into SQLite: FTS5 MATCH for text, SQL predicates for fields."""

from __future__ import annotations

import re
from typing import Any

from core.query import And, FieldMatch, MatchAll, Node, Not, Or, Phrase, SearchQuery, Term
from core.text import fold

_WORD = re.compile(r"\w", re.UNICODE)

_FIELD_SQL = {
    "source": "p.source = ?",
    "author": "p.author = ? COLLATE NOCASE",
    "sentiment": "p.sentiment = ?",
    "lang": "p.language = ?",
    "kind": "p.kind = ?",
    "thread": "p.thread_id = ?",
    "parent": "p.parent_id = ?",
    "topic": "EXISTS (SELECT 1 FROM post_topics t WHERE t.post = p.rowid AND t.topic = ?)",
    "rule": "EXISTS (SELECT 1 FROM post_rules r WHERE r.post = p.rowid AND r.rule = ?)",
}


def fts_literal(text: str, prefix: bool = False) -> str | None:
    """A folded FTS5 string literal (phrase of tokens); None when nothing searchable is left."""
    folded = fold(text).strip()
    if not _WORD.search(folded):
        return None
    lit = '"' + folded.replace('"', " ") + '"'
    return lit + "*" if prefix else lit


def _text_only(node: Node) -> bool:
    if isinstance(node, Term | Phrase):
        return True
    if isinstance(node, And | Or):
        return all(_text_only(p) for p in node.parts)
    if isinstance(node, Not):
        return _text_only(node.part)
    return False


def _to_fts(node: Node) -> str | None:
    """An FTS5 expression for a text-only subtree; None if FTS5 cannot say it (bare NOT)."""
    if isinstance(node, Term):
        text = node.text
        prefix = text.endswith("*") and len(text) > 1
        return fts_literal(text.rstrip("*") if prefix else text, prefix=prefix) or '"\u0000"'
    if isinstance(node, Phrase):
        return fts_literal(node.text) or '"\u0000"'
    if isinstance(node, Or):
        parts = [_to_fts(p) for p in node.parts]
        if any(p is None for p in parts):
            return None
        return "(" + " OR ".join(p for p in parts if p) + ")"
    if isinstance(node, And):
        pos = [p for p in node.parts if not isinstance(p, Not)]
        neg = [p.part for p in node.parts if isinstance(p, Not)]
        if not pos:
            return None
        pos_s = [_to_fts(p) for p in pos]
        neg_s = [_to_fts(p) for p in neg]
        if any(p is None for p in pos_s + neg_s):
            return None
        expr = "(" + " AND ".join(p for p in pos_s if p) + ")"
        for n in neg_s:
            expr = f"({expr} NOT {n})"
        return expr
    return None


class Compiler:
    """Collects a WHERE clause and its parameters; keeps whether FTS ranking is available."""

    def __init__(self, mode: str = "in") -> None:
        self.params: list[Any] = []
        self.rank_fts: str | None = None
        self.mode = mode  # "in": materialise FTS matches; "exists": check row by row

    def node(self, node: Node) -> str:
        if isinstance(node, MatchAll):
            return "1"
        if _text_only(node):
            expr = _to_fts(node)
            if expr is not None:
                if self.rank_fts is None:
                    self.rank_fts = expr
                self.params.append(expr)
                if self.mode == "exists":
                    return (
                        "EXISTS (SELECT 1 FROM posts_fts f WHERE f.posts_fts MATCH ?"
                        " AND f.rowid = p.rowid)"
                    )
                return "p.rowid IN (SELECT rowid FROM posts_fts WHERE posts_fts MATCH ?)"
        if isinstance(node, FieldMatch):
            self.params.append(node.value)
            return _FIELD_SQL[node.name]
        if isinstance(node, Not):
            return f"NOT ({self.node(node.part)})"
        if isinstance(node, And):
            return "(" + " AND ".join(self.node(p) for p in node.parts) + ")"
        if isinstance(node, Or):
            return "(" + " OR ".join(self.node(p) for p in node.parts) + ")"
        raise TypeError(f"cannot compile {node!r}")

    def _in(self, column: str, values: list[str]) -> str:
        self.params.extend(values)
        return f"{column} IN ({','.join('?' * len(values))})"

    def query(self, q: SearchQuery) -> str:
        clauses = [self.node(q.ast())]
        if q.sources:
            clauses.append(self._in("p.source", q.sources))
        if q.authors:
            clauses.append(self._in("p.author", q.authors))
        if q.sentiments:
            clauses.append(self._in("p.sentiment", q.sentiments))
        if q.languages:
            clauses.append(self._in("p.language", q.languages))
        if q.topics:
            clauses.append(
                "EXISTS (SELECT 1 FROM post_topics t WHERE t.post = p.rowid AND "
                + self._in("t.topic", q.topics)
                + ")"
            )
        if q.since is not None:
            clauses.append("p.created_at >= ?")
            self.params.append(q.since.timestamp())
        if q.until is not None:
            clauses.append("p.created_at < ?")
            self.params.append(q.until.timestamp())
        return " AND ".join(c for c in clauses if c != "1") or "1"
