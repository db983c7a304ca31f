"""The live feed: new posts matching a query, found by polling the store newest-first."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from duluan.core.models import Post
from duluan.core.query import SearchQuery
from duluan.storage.base import Store


@dataclass
class LiveCursor:
    """What the feed has already shown: posts created since `since` that were seen.

    Each poll reads the newest `page` matches created in the last `lookback` (so a post indexed
    a little after it was written still shows up) and keeps the ids it has seen in that span.
    """

    since: datetime
    lookback: timedelta
    seen: dict[str, datetime] = field(default_factory=dict)


def start_cursor(
    store: Store, *, query: SearchQuery, lookback: timedelta, backfill: int, page: int = 200
) -> tuple[LiveCursor, list[Post]]:
    """A cursor at now; the newest `backfill` matches are returned to send first (oldest first)."""
    now = datetime.now(UTC)
    cursor = LiveCursor(since=now - lookback, lookback=lookback)
    current = _newest(store, query, cursor.since, page)
    for post in current:
        cursor.seen[post.id] = post.created_at
    return cursor, list(reversed(current[:backfill]))


def _newest(store: Store, query: SearchQuery, since: datetime, limit: int) -> list[Post]:
    q = query.model_copy(update={"since": since, "sort": "newest", "limit": limit, "cursor": None})
    return [h.post for h in store.search(q).hits]


def poll(store: Store, cursor: LiveCursor, *, query: SearchQuery, page: int = 200) -> list[Post]:
    """Matches not shown yet, oldest first; the cursor moves on."""
    now = datetime.now(UTC)
    cursor.since = now - cursor.lookback
    if query.since and query.since > cursor.since:
        cursor.since = query.since
    new = [p for p in _newest(store, query, cursor.since, page) if p.id not in cursor.seen]
    for post in new:
        cursor.seen[post.id] = post.created_at
    floor = now - cursor.lookback
    cursor.seen = {k: v for k, v in cursor.seen.items() if v >= floor}
    return sorted(new, key=lambda p: (p.created_at, p.id))


def sse(event: str, data: str, event_id: str | None = None) -> str:
    """One Server-Sent Event (data on one line: JSON has no raw newlines)."""
    head = f"id: {event_id}\n" if event_id else ""
    return f"{head}event: {event}\ndata: {data}\n\n"
