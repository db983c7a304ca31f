"""Compile the shared query AST into SQLite: FTS5 MATCH for text, SQL predicates for fields."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
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
from duluan.storage.sqlite.facets import PREFIX, fts_any

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


# Negated field filters pushed into FTS5 only where NOT means the same as in SQL: a NULL
# sentiment or language is excluded by `NOT p.sentiment = ?` but would pass an FTS5 NOT.
_NEGATABLE = ("source", "topic")


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
        return fts_literal(text.rstrip("*") if prefix else text, prefix=prefix)
    if isinstance(node, Phrase):
        return fts_literal(node.text)
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


US = 1_000_000  # rowids are created_at in microseconds, so time order is rowid order


def time_rowid(ts: float) -> int:
    return int(ts * US)


@dataclass
class Plan:
    """How to run a query: an optional driving FTS expression plus predicates on `posts p`.

    With `fts`, rows come from `posts_fts f` in rowid (= time) order and `posts p` is joined only
    when `needs_posts`; time bounds are rowid ranges on whichever table drives. Field filters on
    source, sentiment, language and topic are part of `fts` (facet tokens) when text drives;
    `filtered` says whether the query had field filters at all (for capped totals), and
    `facets` the values each facet is restricted to.
    """

    fts: str | None
    where: str
    params: list[Any]
    lo: int | None
    hi: int | None
    needs_posts: bool
    filtered: bool = False
    facets: dict[str, set[str]] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return "f" if self.fts else "p"

    def source_sql(self, *, with_posts: bool = False) -> tuple[str, list[Any]]:
        """FROM ... WHERE ... for this plan, and its parameters, in order."""
        params: list[Any] = []
        clauses: list[str] = []
        if self.fts:
            sql = "FROM posts_fts f"
            if self.needs_posts or with_posts:
                sql += " CROSS JOIN posts p ON p.rowid = f.rowid"  # FTS drives, always
            clauses.append("f.posts_fts MATCH ?")
            params.append(self.fts)
        else:
            sql = "FROM posts p"
        if self.lo is not None:
            clauses.append(f"{self.key}.rowid >= ?")
            params.append(self.lo)
        if self.hi is not None:
            clauses.append(f"{self.key}.rowid < ?")
            params.append(self.hi)
        if self.where != "1":
            clauses.append(self.where)
            params.extend(self.params)
        return f"{sql} WHERE {' AND '.join(clauses) or '1'}", params


class Compiler:
    """Collects a WHERE clause on `posts p` and its parameters."""

    def __init__(self) -> None:
        self.params: list[Any] = []

    def node(self, node: Node) -> str:
        if isinstance(node, MatchAll):
            return "1"
        if _text_only(node):
            expr = _to_fts(node)
            if expr is not None:
                self.params.append(expr)
                return "p.rowid IN (SELECT rowid FROM posts_fts WHERE posts_fts MATCH ?)"
        if isinstance(node, Term | Phrase):
            return "0"  # nothing searchable in it (only punctuation): matches nothing
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

    def plan(self, q: SearchQuery) -> Plan:
        node = check_budget(q.ast())  # over budget: refused before SQLite sees it
        drive: Node | None = None
        rest: list[Node] = []
        if _text_only(node):
            drive = node
        elif isinstance(node, And):
            text = [p for p in node.parts if _text_only(p)]
            rest = [p for p in node.parts if not _text_only(p)]
            if text:
                drive = text[0] if len(text) == 1 else And(tuple(text))
        else:
            rest = [node]
        fts = _to_fts(drive) if drive is not None else None
        if drive is not None and fts is None:
            rest.append(drive)
        filtered = any(not isinstance(r, MatchAll) for r in rest) or bool(
            q.sources or q.authors or q.sentiments or q.languages or q.topics
        )
        listed = {
            "source": q.sources,
            "sentiment": q.sentiments,
            "lang": q.languages,
            "topic": q.topics,
        }
        facets: dict[str, set[str]] = {}
        if fts is not None:  # field filters become facet tokens in the same FTS5 query
            fts, rest = self._push_facets(fts, rest, listed, facets)
            listed = {}
        clauses = [self.node(r) for r in rest]
        if listed.get("source"):
            clauses.append(self._in("p.source", q.sources))
        if q.authors:
            clauses.append(self._in("p.author", q.authors))
        if listed.get("sentiment"):
            clauses.append(self._in("p.sentiment", q.sentiments))
        if listed.get("lang"):
            clauses.append(self._in("p.language", q.languages))
        if listed.get("topic"):
            clauses.append(
                "EXISTS (SELECT 1 FROM post_topics t WHERE t.post = p.rowid AND "
                + self._in("t.topic", q.topics)
                + ")"
            )
        where = " AND ".join(c for c in clauses if c != "1") or "1"
        return Plan(
            fts=fts,
            where=where,
            params=self.params,
            lo=time_rowid(q.since.timestamp()) if q.since is not None else None,
            hi=time_rowid(q.until.timestamp()) if q.until is not None else None,
            needs_posts=where != "1",
            filtered=filtered,
            facets=facets,
        )

    @staticmethod
    def _push_facets(
        fts: str, rest: list[Node], listed: dict[str, list[str]], facets: dict[str, set[str]]
    ) -> tuple[str, list[Node]]:
        """AND the facet-expressible filters into `fts`; return it and the filters left for SQL."""
        pos: list[str] = []
        neg: list[str] = []
        keep: list[Node] = []

        def restrict(kind: str, values: set[str]) -> None:
            facets[kind] = facets[kind] & values if kind in facets else set(values)
            pos.append(fts_any(kind, values))

        for r in rest:
            if isinstance(r, FieldMatch) and r.name in PREFIX:
                restrict(r.name, {r.value})
            elif (
                isinstance(r, Not) and isinstance(r.part, FieldMatch) and r.part.name in _NEGATABLE
            ):
                neg.append(fts_any(r.part.name, {r.part.value}))
            else:
                keep.append(r)
        for kind, values in listed.items():
            if values:
                restrict(kind, set(values))
        expr = " AND ".join(f"({p})" for p in [fts, *pos])
        for n in neg:
            expr = f"({expr}) NOT ({n})"
        return expr, keep
