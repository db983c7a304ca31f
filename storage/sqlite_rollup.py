"""Hourly counts kept beside the posts, so dashboards' timelines never scan a million rows.

A query can be answered from the rollup when it filters only by source, sentiment, language and
at most one topic; anything else (free text, authors, NOT, OR) goes to the posts table.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.query import And, FieldMatch, MatchAll, Node, SearchQuery

HOUR = 3600
_COLUMN = {"source": "source", "sentiment": "sentiment", "lang": "language", "topic": "topic"}


@dataclass
class RollupFilter:
    """Allowed values per column (None = any); `topic` None means the per-post row ('')."""

    source: set[str] | None = None
    sentiment: set[str] | None = None
    language: set[str] | None = None
    topic: str | None = None

    def value_clauses(self) -> tuple[list[str], list[str]]:
        """SQL conditions on post_counts for source / sentiment / language, with parameters."""
        clauses: list[str] = []
        params: list[str] = []
        for column, values in (
            ("source", self.source),
            ("sentiment", self.sentiment),
            ("language", self.language),
        ):
            if values is not None:
                clauses.append(f"{column} IN ({','.join('?' * len(values))})")
                params.extend(sorted(values))
        return clauses, params


def _restrict(current: set[str] | None, values: set[str]) -> set[str]:
    return set(values) if current is None else current & values


def rollup_filter(query: SearchQuery) -> RollupFilter | None:
    """The rollup equivalent of the query's filters, or None when it cannot say the same thing."""
    if query.authors:
        return None
    node: Node = query.ast()
    parts: tuple[Node, ...]
    if isinstance(node, MatchAll):
        parts = ()
    elif isinstance(node, FieldMatch):
        parts = (node,)
    elif isinstance(node, And) and all(isinstance(p, FieldMatch) for p in node.parts):
        parts = node.parts
    else:
        return None
    f = RollupFilter()
    topics: set[str] | None = set(query.topics) if query.topics else None
    if query.sources:
        f.source = set(query.sources)
    if query.sentiments:
        f.sentiment = set(query.sentiments)
    if query.languages:
        f.language = set(query.languages)
    for part in parts:
        assert isinstance(part, FieldMatch)
        if part.name not in _COLUMN:
            return None
        if part.name == "topic":
            topics = _restrict(topics, {part.value})
        elif part.name == "source":
            f.source = _restrict(f.source, {part.value})
        elif part.name == "sentiment":
            f.sentiment = _restrict(f.sentiment, {part.value})
        else:
            f.language = _restrict(f.language, {part.value})
    if topics is not None:
        if len(topics) != 1:
            return None if len(topics) > 1 else RollupFilter(source=set(), topic="")
        f.topic = next(iter(topics))
    return f


def floor_hour(ts: float) -> int:
    return int(ts // HOUR) * HOUR


def ceil_hour(ts: float) -> int:
    return -int(-ts // HOUR) * HOUR
