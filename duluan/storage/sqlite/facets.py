"""Facet tokens: a post's source, sentiment, language and topics as words in its FTS5 row.

With them a text query filtered or split by those fields is an FTS5 doclist intersection (no
lookup into `posts` per match), which is what makes timelines of very common terms cheap. Values
are hex-encoded so any value is one token that equals it exactly, behind "đ" and a kind letter:
query text is folded (đ→d) before it reaches FTS5, so no search can ever match a facet token.
"""

from __future__ import annotations

from duluan.core.models import Post

# query-language field / Split name -> token prefix
PREFIX = {"source": "đo", "sentiment": "đs", "lang": "đl", "topic": "đt"}
# Split / top_values name -> the facet kind it counts
KIND_OF = {"source": "source", "sentiment": "sentiment", "language": "lang", "topic": "topic"}


def token(kind: str, value: str) -> str:
    """The one token standing for `kind = value` (case and bytes kept, like SQL's `=`)."""
    return PREFIX[kind] + value.encode().hex()


def fts_any(kind: str, values: list[str] | set[str]) -> str:
    """An FTS5 expression on the facets column: the post has any of these values."""
    toks = " OR ".join(f'"{token(kind, v)}"' for v in sorted(values))
    return f"facets : ({toks})"


def facets_of(post: Post) -> str:
    """The facets column of a post being written (mirrors the columns the filters read)."""
    a = post.analysis
    toks = [token("source", post.source)]
    if a is not None:
        toks += [token("sentiment", a.sentiment.label), token("lang", a.language)]
        toks.extend(token("topic", t) for t in dict.fromkeys(a.topic_labels()))
    return " ".join(toks)


# The same column computed in SQL from a stored post (`posts p`), for migrating old stores.
FACETS_SQL = (
    "'đo' || lower(hex(p.source))"
    " || CASE WHEN p.sentiment IS NULL THEN '' ELSE ' đs' || lower(hex(p.sentiment)) END"
    " || CASE WHEN p.language IS NULL THEN '' ELSE ' đl' || lower(hex(p.language)) END"
    " || COALESCE((SELECT group_concat(' đt' || lower(hex(t.topic)), '') FROM post_topics t"
    " WHERE t.post = p.rowid), '')"
)
