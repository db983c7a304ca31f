"""The search query language shared by every Store and the API.

`giá xăng AND (tăng OR "lên giá") NOT source:voz sentiment:negative`: AND / OR / NOT (or `-`),
implicit AND between terms, "phrases", parentheses and field filters. Both stores compile the
same AST, so a query means the same thing on SQLite and on Elasticsearch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator

FIELDS = ("source", "author", "topic", "sentiment", "lang", "kind", "rule", "thread", "parent")


class QuerySyntaxError(ValueError):
    """The query text cannot be parsed; the message says where and why."""


@dataclass(frozen=True)
class Term:
    text: str


@dataclass(frozen=True)
class Phrase:
    text: str


@dataclass(frozen=True)
class FieldMatch:
    name: str
    value: str


@dataclass(frozen=True)
class And:
    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    part: Node


@dataclass(frozen=True)
class MatchAll:
    pass


Node = Term | Phrase | FieldMatch | And | Or | Not | MatchAll

_TOKEN = re.compile(
    r'\s*(?:(?P<lp>\()|(?P<rp>\))|(?P<phrase>"[^"]*"?)|(?P<minus>-(?=[^\s)]))'
    r'|(?P<word>[^\s()"]+))'
)


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise QuerySyntaxError(f"unexpected character at position {pos}: {text[pos]!r}")
        kind = m.lastgroup or ""
        value = m.group(kind)
        if kind == "phrase":
            if len(value) < 2 or not value.endswith('"'):
                raise QuerySyntaxError(f"unclosed quote starting at position {m.start(kind)}")
            value = value[1:-1]
        elif kind == "word" and value in ("AND", "OR", "NOT"):
            kind = value.lower()
        elif kind == "word" and value == "&&":
            kind = "and"
        elif kind == "word" and value == "||":
            kind = "or"
        tokens.append((kind, value))
        pos = m.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.i = 0

    def peek(self) -> str | None:
        return self.tokens[self.i][0] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def parse(self) -> Node:
        if not self.tokens:
            return MatchAll()
        node = self.or_expr()
        if self.peek() is not None:
            raise QuerySyntaxError(f"unexpected {self.tokens[self.i][1]!r} (unbalanced ')'?)")
        return node

    def or_expr(self) -> Node:
        parts = [self.and_expr()]
        while self.peek() == "or":
            self.take()
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def and_expr(self) -> Node:
        parts = [self.not_expr()]
        while self.peek() not in (None, "or", "rp"):
            if self.peek() == "and":
                self.take()
            parts.append(self.not_expr())
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def not_expr(self) -> Node:
        if self.peek() in ("not", "minus"):
            self.take()
            return Not(self.not_expr())
        return self.atom()

    def atom(self) -> Node:
        kind = self.peek()
        if kind is None:
            raise QuerySyntaxError("query ends where a term was expected")
        if kind == "lp":
            self.take()
            node = self.or_expr()
            if self.peek() != "rp":
                raise QuerySyntaxError("missing ')'")
            self.take()
            return node
        if kind in ("and", "or", "rp"):
            raise QuerySyntaxError(
                f"unexpected {self.tokens[self.i][1]!r} where a term was expected"
            )
        _, value = self.take()
        if kind == "phrase":
            return Phrase(value.strip()) if value.strip() else MatchAll()
        name, sep, rest = value.partition(":")
        if sep and name.lower() in FIELDS:
            if not rest:
                if self.peek() == "phrase":
                    rest = self.take()[1]
                else:
                    raise QuerySyntaxError(f"field {name!r} needs a value, e.g. {name}:value")
            return FieldMatch(name.lower(), rest)
        return Term(value)


def parse_query(text: str | None) -> Node:
    """Parse query text into an AST; an empty query matches everything."""
    if text is None:
        return MatchAll()
    if len(text) > 2000:
        raise QuerySyntaxError("query is longer than 2000 characters")
    return _Parser(_tokenize(text)).parse()


def positive_terms(node: Node) -> list[str]:
    """Free-text terms and phrases not under a NOT: used for highlighting."""
    if isinstance(node, Term | Phrase):
        return [node.text]
    if isinstance(node, And | Or):
        return [t for p in node.parts for t in positive_terms(p)]
    return []


Sort = Literal["newest", "oldest", "relevance"]
Interval = Literal["minute", "hour", "day", "week", "month"]
Split = Literal["sentiment", "source", "topic"]


class SearchQuery(BaseModel):
    """A query plus structured filters; what every Store search, count and aggregation takes."""

    q: str | None = Field(None, description="query language text; empty matches all")
    sources: list[str] = Field(default_factory=list)
    authors: list[str] = Field(default_factory=list)
    topics: list[str] = Field(default_factory=list)
    sentiments: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)
    since: datetime | None = Field(None, description="created_at >= since")
    until: datetime | None = Field(None, description="created_at < until")
    sort: Sort = "newest"
    limit: int = Field(20, ge=1, le=1000)
    cursor: str | None = Field(None, description="opaque cursor from a previous page")

    @field_validator("q")
    @classmethod
    def _parses(cls, value: str | None) -> str | None:
        parse_query(value)
        return value

    def ast(self) -> Node:
        return parse_query(self.q)
