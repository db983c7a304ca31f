"""The search query language shared by every Store and the API.

`giá xăng AND (tăng OR "lên giá") NOT source:voz sentiment:negative`: AND / OR / NOT (or `-`),
implicit AND between terms, "phrases", parentheses and field filters. Both stores compile the
same AST, so a query means the same thing on SQLite and on Elasticsearch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, field_validator

from duluan.core.settings import setting_default
from duluan.core.text import fold

if TYPE_CHECKING:
    from duluan.core.settings import Settings

FIELDS = ("source", "author", "topic", "sentiment", "lang", "kind", "rule", "thread", "parent")


class QuerySyntaxError(ValueError):
    """The query text cannot be parsed; the message says where and why."""


class QueryTooCostly(QuerySyntaxError):
    """The query is over a budget (length, nesting, terms, wildcards): refused before any store
    sees it, so one request cannot hold the store for others. The message names the limit."""


class QueryTimedOut(QueryTooCostly):
    """The store stopped the query at its time limit (`store_query_timeout_ms`)."""


@dataclass(frozen=True)
class QueryBudget:
    """What one query may ask of a store; defaults are the `query_*` settings' defaults."""

    max_chars: int = setting_default("query_max_chars")
    max_depth: int = setting_default("query_max_depth")
    max_terms: int = setting_default("query_max_terms")
    max_wildcards: int = setting_default("query_max_wildcards")
    min_prefix_chars: int = setting_default("query_min_prefix_chars")

    @classmethod
    def from_settings(cls, settings: Settings) -> QueryBudget:
        return cls(
            max_chars=settings.query_max_chars,
            max_depth=settings.query_max_depth,
            max_terms=settings.query_max_terms,
            max_wildcards=settings.query_max_wildcards,
            min_prefix_chars=settings.query_min_prefix_chars,
        )


_budget = QueryBudget()


def set_query_budget(budget: QueryBudget) -> None:
    """The process's budget (the container sets it from settings); stores enforce it."""
    global _budget
    _budget = budget


def query_budget() -> QueryBudget:
    return _budget


_naive_zone: tzinfo = ZoneInfo(setting_default("timezone"))


def set_naive_zone(name: str) -> None:
    """The zone a date-time without an offset is read in (the `timezone` setting); an unknown
    zone is UTC (the API's /v1/config logs it)."""
    global _naive_zone
    try:
        _naive_zone = ZoneInfo(name)
    except (ValueError, KeyError):  # ZoneInfoNotFoundError is a KeyError
        _naive_zone = UTC


def as_utc(value: datetime) -> datetime:
    """`value` in UTC; naive ones are taken in the `timezone` setting's zone, so naive and
    aware bounds always compare. ValueError (a 4xx) when it leaves the representable range."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=_naive_zone)
    try:
        out = value.astimezone(UTC)
        out.timestamp()
    except (OverflowError, ValueError, OSError) as exc:
        raise ValueError(f"{value.isoformat()} is out of range (years 1-9999 in UTC)") from exc
    return out


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
    """Recursive descent with an explicit depth bound (parentheses and NOT each add a level), so
    hostile nesting is a QueryTooCostly, never a RecursionError."""

    def __init__(self, tokens: list[tuple[str, str]], max_depth: int) -> None:
        self.tokens = tokens
        self.i = 0
        self.depth = 0
        self.max_depth = max_depth

    def _deeper(self, levels: int = 1) -> None:
        self.depth += levels
        if self.depth > self.max_depth:
            raise QueryTooCostly(
                f"query nests deeper than {self.max_depth} levels of parentheses and NOT "
                "(query_max_depth)"
            )

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
        nots = 0
        while self.peek() in ("not", "minus"):  # a loop, not recursion: `- - - ... x`
            self.take()
            nots += 1
            self._deeper()
        node = self.atom()
        for _ in range(nots):
            node = Not(node)
        self.depth -= nots
        return node

    def atom(self) -> Node:
        kind = self.peek()
        if kind is None:
            raise QuerySyntaxError("query ends where a term was expected")
        if kind == "lp":
            self.take()
            self._deeper()
            node = self.or_expr()
            if self.peek() != "rp":
                raise QuerySyntaxError("missing ')'")
            self.take()
            self.depth -= 1
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


def parse_query(text: str | None, budget: QueryBudget | None = None) -> Node:
    """Parse query text into an AST; an empty query matches everything. Length and nesting are
    bounded here (the process's budget unless one is given); terms and wildcards by
    `check_budget`, which stores call before they run a query."""
    if text is None:
        return MatchAll()
    budget = budget or _budget
    if len(text) > budget.max_chars:
        raise QueryTooCostly(
            f"query is longer than {budget.max_chars} characters (query_max_chars)"
        )
    return _Parser(_tokenize(text), budget.max_depth).parse()


def _leaves(node: Node) -> list[Node]:
    out: list[Node] = []
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, And | Or):
            stack.extend(n.parts)
        elif isinstance(n, Not):
            stack.append(n.part)
        else:
            out.append(n)
    return out


def check_budget(node: Node, budget: QueryBudget | None = None) -> Node:
    """`node` if it is within the budget, else QueryTooCostly naming the limit it passes.

    A prefix term (`xă*`) expands to every indexed word it starts; one letter starts tens of
    thousands, so prefixes need `min_prefix_chars` letters and a query at most
    `max_wildcards` of them.
    """
    budget = budget or _budget
    leaves = [n for n in _leaves(node) if not isinstance(n, MatchAll)]
    if len(leaves) > budget.max_terms:
        raise QueryTooCostly(
            f"query has {len(leaves)} terms; at most {budget.max_terms} (query_max_terms)"
        )
    wildcards = [n.text for n in leaves if isinstance(n, Term) and is_prefix(n.text)]
    if len(wildcards) > budget.max_wildcards:
        raise QueryTooCostly(
            f"query has {len(wildcards)} wildcard terms; at most {budget.max_wildcards} "
            "(query_max_wildcards)"
        )
    for w in wildcards:
        if len(_WORD.findall(fold(w.rstrip("*")))) < budget.min_prefix_chars:
            raise QueryTooCostly(
                f"wildcard {w[:40]!r} needs at least {budget.min_prefix_chars} letters before "
                "'*' (query_min_prefix_chars)"
            )
    return node


_WORD = re.compile(r"\w", re.UNICODE)


def is_prefix(text: str) -> bool:
    """A prefix term: text ending in `*` with something before it (as the stores read it)."""
    return text.endswith("*") and len(text) > 1


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

    @field_validator("since", "until")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return as_utc(value) if value is not None else None

    def ast(self) -> Node:
        return parse_query(self.q)
