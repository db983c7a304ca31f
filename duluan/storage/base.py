"""The Store interface every backend implements (and the one contract suite tests)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from duluan.core.models import Post
from duluan.core.query import Interval, SearchQuery, Split
from duluan.storage.keywords import KeywordScore, rank_keywords


class StoreError(RuntimeError):
    """Anything a Store could not do; backends raise only this family, never their own errors.

    Raise a subclass: `StoreUnavailable` (retry later) or `StoreRejected` (never retry). A bare
    StoreError is treated as retryable by the workers (the retries are capped).
    """


class StoreUnavailable(StoreError):
    """The store is away or overloaded (connection, timeout, 429/5xx, a locked file): retry."""


class StoreRejected(StoreError):
    """The store refused this request for good (4xx, a mapping conflict): retrying cannot help."""


class QueryRejected(StoreRejected):
    """The query itself is malformed for this backend (the caller's fault: HTTP 400)."""


class RejectedPosts(StoreRejected):
    """Some posts can never be written (e.g. a mapping conflict): dead-letter them, keep the rest."""

    def __init__(self, rejected: dict[str, str], written: int = 0) -> None:
        super().__init__(
            f"{len(rejected)} posts rejected: "
            + "; ".join(f"{k}: {v}" for k, v in list(rejected.items())[:5])
        )
        self.rejected = rejected
        self.written = written


@dataclass
class SearchHit:
    post: Post
    score: float | None = None
    snippet: str | None = None


@dataclass
class SearchPage:
    hits: list[SearchHit]
    total: int
    next_cursor: str | None = None
    total_exact: bool = True  # False: `total` is a lower bound (very common terms), like ES's 10k


@dataclass
class Bucket:
    """Count of posts in one time bucket, optionally split by sentiment/source/topic."""

    start: datetime
    count: int
    split: dict[str, int] = field(default_factory=dict)


class Store(ABC):
    """Upsert by post id (idempotent), query with the shared language, aggregate, delete."""

    @abstractmethod
    def upsert(self, posts: Sequence[Post]) -> int:
        """Insert or replace by `post.id`; returns how many were written."""

    @abstractmethod
    def get(self, post_id: str) -> Post | None: ...

    @abstractmethod
    def delete(self, post_id: str, actor: str | None = None) -> bool:
        """Delete one post (recorded in the audit log); True if it existed."""

    @abstractmethod
    def delete_by_author(
        self, author: str, source: str | None = None, actor: str | None = None
    ) -> int:
        """Delete every post of an author (optionally one source only), audited; returns count."""

    @abstractmethod
    def author_post_ids(self, author: str, source: str | None = None) -> list[str]:
        """Ids of the posts `delete_by_author` would delete (the author in any case)."""

    @abstractmethod
    def audit_log(self, limit: int = 100) -> list[dict[str, Any]]:
        """Most recent deletions first: at, action, target, count, actor."""

    @abstractmethod
    def search(self, query: SearchQuery) -> SearchPage: ...

    @abstractmethod
    def count(self, query: SearchQuery) -> int: ...

    @abstractmethod
    def iter_posts(self, query: SearchQuery, batch_size: int = 1000) -> Iterator[Post]:
        """Every match, in the query's sort order, with no row cap (for exports)."""

    @abstractmethod
    def timeline(
        self, query: SearchQuery, interval: Interval = "day", split: Split | None = None
    ) -> list[Bucket]:
        """Counts per time bucket (buckets with no posts are omitted)."""

    @abstractmethod
    def top_topics(self, query: SearchQuery, limit: int = 10) -> list[tuple[str, int]]: ...

    @abstractmethod
    def top_keywords(self, query: SearchQuery, limit: int = 20) -> list[tuple[str, int]]:
        """Most frequent keywords among matches, by raw post count (filler included)."""

    def keyword_counts(self, query: SearchQuery, terms: Sequence[str]) -> dict[str, int]:
        """Posts among matches that carry each of `terms` (absent terms may be left out)."""
        raise NotImplementedError

    def distinctive_keywords(self, query: SearchQuery, limit: int = 20) -> list[KeywordScore]:
        """Keywords that set the matches apart from a background (log-odds score, best first)."""
        return rank_keywords(self, query, limit)

    @abstractmethod
    def top_values(self, field: str, query: SearchQuery, limit: int = 10) -> list[tuple[str, int]]:
        """Most frequent `source`, `author`, `sentiment` or `language` among matches."""

    def top_entities(
        self, query: SearchQuery, limit: int = 10, sample: int = 5000
    ) -> list[tuple[str, str, int]]:
        """Most frequent named entities (text, type, posts) among the newest `sample` matches.
        A name is counted once per post whatever type each mention got ("ông Trump" is PER,
        a bare "Trump" MISC), and shown with the type most of its mentions had."""
        posts: dict[str, int] = {}
        kinds: dict[tuple[str, str], int] = {}
        newest = query.model_copy(update={"sort": "newest", "cursor": None})
        for i, post in enumerate(self.iter_posts(newest, batch_size=min(sample, 1000))):
            if i >= sample:
                break
            found = post.analysis.entities if post.analysis else []
            for text in {e.text for e in found}:
                posts[text] = posts.get(text, 0) + 1
            for key in {(e.text, e.type) for e in found}:
                kinds[key] = kinds.get(key, 0) + 1
        return [
            (text, entity_type(text, kinds), n)
            for text, n in sorted(posts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
        ]

    def data_version(self) -> int | None:
        """A number that changes whenever stored data may have changed (for answer caches);
        None where the backend cannot tell cheaply (then nothing is cached)."""
        return None

    def refresh(self) -> None:
        """Make every completed write visible to search (a no-op where writes are immediate)."""

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def entity_type(text: str, kinds: dict[tuple[str, str], int]) -> str:
    """The type most posts gave a name (ties: the first in alphabetical order)."""
    return min((-n, kind) for (t, kind), n in kinds.items() if t == text)[1]
