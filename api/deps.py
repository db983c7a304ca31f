"""Request-scoped helpers: the Store, and query parameters parsed into a SearchQuery."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import HTTPException, Query, Request
from pydantic import ValidationError

from core.models import SENTIMENT_LABELS
from core.query import QuerySyntaxError, SearchQuery, parse_query
from storage.base import Store


def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def search_query(
    q: Annotated[
        str | None,
        Query(
            description='query language, e.g. `xăng AND (tăng OR "lên giá") -source:voz`',
            max_length=2000,
        ),
    ] = None,
    source: Annotated[list[str] | None, Query(description="only these sources")] = None,
    author: Annotated[list[str] | None, Query(description="only these authors")] = None,
    topic: Annotated[list[str] | None, Query(description="only these topics")] = None,
    sentiment: Annotated[list[str] | None, Query(description="positive, neutral, negative")] = None,
    lang: Annotated[list[str] | None, Query(description="language codes, e.g. vi")] = None,
    since: Annotated[datetime | None, Query(description="created_at >= since (ISO 8601)")] = None,
    until: Annotated[datetime | None, Query(description="created_at < until (ISO 8601)")] = None,
) -> SearchQuery:
    """Build the SearchQuery every read endpoint shares; bad input is a 400 that says why."""
    bad = [s for s in sentiment or [] if s not in SENTIMENT_LABELS]
    if bad:
        raise HTTPException(
            status_code=400,
            detail=f"unknown sentiment {bad[0]!r}: use " + ", ".join(SENTIMENT_LABELS),
        )
    if since and until and since >= until:
        raise HTTPException(status_code=400, detail="`since` must be before `until`")
    try:
        parse_query(q)
        return SearchQuery(
            q=q,
            sources=source or [],
            authors=author or [],
            topics=topic or [],
            sentiments=sentiment or [],
            languages=lang or [],
            since=since,
            until=until,
        )
    except QuerySyntaxError as exc:
        raise HTTPException(status_code=400, detail=f"invalid query: {exc}") from exc
    except ValidationError as exc:
        raise HTTPException(
            status_code=400, detail=f"invalid parameters: {exc.errors()[0]['msg']}"
        ) from exc
