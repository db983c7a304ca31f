"""Watchlist operations shared by the API, the CLI, briefings and feedback campaigns."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from duluan.core.logging import get_logger
from duluan.core.query import SearchQuery, parse_query
from duluan.watchlists.models import Watchlist, WatchlistCreate, WatchlistUpdate
from duluan.watchlists.repository import WatchlistRepository

log = get_logger(__name__)


class WatchlistNotFound(LookupError):
    """No watchlist has this id or name (the API answers 404)."""


def combine_queries(*queries: str | None) -> str | None:
    """AND together query texts, each in parentheses; empty parts are dropped."""
    parts = [q.strip() for q in queries if q and q.strip()]
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    return " AND ".join(f"({p})" for p in parts)


def get_watchlist(repo: WatchlistRepository, id_or_name: str) -> Watchlist:
    found = repo.get(id_or_name)
    if found is None:
        raise WatchlistNotFound(f"no watchlist with id or name {id_or_name!r}")
    return found


def watchlist_query(
    watchlist: Watchlist,
    *,
    q: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    **filters: Any,
) -> SearchQuery:
    """The watchlist's SearchQuery, narrowed by extra query text and time span (intersection)."""
    lo = max((d for d in (watchlist.since, since) if d is not None), default=None)
    hi = min((d for d in (watchlist.until, until) if d is not None), default=None)
    text = combine_queries(watchlist.query, q)
    parse_query(text)
    return SearchQuery(q=text, since=lo, until=hi, **filters)


def resolve_query(
    repo: WatchlistRepository,
    *,
    q: str | None,
    watchlist: str | None,
    since: datetime | None = None,
    until: datetime | None = None,
    **filters: Any,
) -> SearchQuery:
    """Watchlist id or name -> its SearchQuery ANDed with `q`; no watchlist: just `q`.

    `since`/`until` intersect with the watchlist's own span; `filters` (sources, topics, ...)
    go to SearchQuery as they are. Raises WatchlistNotFound, or QuerySyntaxError for bad `q`.
    """
    if not watchlist:
        parse_query(q)
        return SearchQuery(q=q, since=since, until=until, **filters)
    found = get_watchlist(repo, watchlist)
    return watchlist_query(found, q=q, since=since, until=until, **filters)


def create_watchlist(repo: WatchlistRepository, data: WatchlistCreate) -> Watchlist:
    saved = repo.save(Watchlist(**data.model_dump()))
    log.info("watchlist.created", id=saved.id, name=saved.name)
    return saved


def update_watchlist(
    repo: WatchlistRepository, id_or_name: str, update: WatchlistUpdate
) -> Watchlist:
    saved = repo.save(get_watchlist(repo, id_or_name).apply(update))
    log.info("watchlist.updated", id=saved.id, name=saved.name)
    return saved


def delete_watchlist(repo: WatchlistRepository, id_or_name: str) -> None:
    if not repo.delete(id_or_name):
        raise WatchlistNotFound(f"no watchlist with id or name {id_or_name!r}")
    log.info("watchlist.deleted", watchlist=id_or_name)
