"""Watchlists: named, saved queries (query language + optional time span + owner).

Every view can be scoped to one with `resolve_query(..., watchlist=...)`; briefings and
feedback campaigns build on them.
"""

from duluan.watchlists.models import Watchlist, WatchlistCreate, WatchlistUpdate
from duluan.watchlists.repository import WatchlistRepository, meta_db_path
from duluan.watchlists.service import WatchlistNotFound, combine_queries, resolve_query

__all__ = [
    "Watchlist",
    "WatchlistCreate",
    "WatchlistNotFound",
    "WatchlistRepository",
    "WatchlistUpdate",
    "combine_queries",
    "meta_db_path",
    "resolve_query",
]
