"""Watchlists: CRUD for named, saved queries (`/v1/watchlists`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from pydantic import BaseModel, Field, ValidationError

from api.deps import get_store
from api.security import ADMIN, READ
from duluan.core.query import QuerySyntaxError
from duluan.storage.base import Store
from duluan.watchlists.models import Watchlist, WatchlistCreate, WatchlistUpdate
from duluan.watchlists.repository import DuplicateName, WatchlistRepository
from duluan.watchlists.service import (
    WatchlistNotFound,
    create_watchlist,
    delete_watchlist,
    get_watchlist,
    update_watchlist,
    watchlist_query,
)

router = APIRouter(prefix="/v1", tags=["watchlists"], dependencies=READ)


def get_watchlists(request: Request) -> WatchlistRepository:
    """The container's watchlist repository (opened on first use)."""
    repo: WatchlistRepository = request.app.state.container.watchlists
    return repo


RepoDep = Annotated[WatchlistRepository, Depends(get_watchlists)]
StoreDep = Annotated[Store, Depends(get_store)]


class WatchlistOut(Watchlist):
    matches: int | None = Field(None, description="posts matching now (with ?count=true)")


class WatchlistList(BaseModel):
    items: list[Watchlist]


def _found(repo: WatchlistRepository, id_or_name: str) -> Watchlist:
    try:
        return get_watchlist(repo, id_or_name)
    except WatchlistNotFound as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc


@router.post(
    "/watchlists",
    status_code=201,
    response_model=Watchlist,
    summary="Save a query",
    dependencies=ADMIN,
)
def create(body: WatchlistCreate, repo: RepoDep) -> Watchlist:
    """Save a named query (name unique; 409 if taken)."""
    try:
        return create_watchlist(repo, body)
    except DuplicateName as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from exc


@router.get("/watchlists", response_model=WatchlistList, summary="List watchlists")
def list_(
    repo: RepoDep, owner: Annotated[str | None, Query(description="only this owner's")] = None
) -> WatchlistList:
    return WatchlistList(items=repo.list(owner=owner))


@router.get("/watchlists/{watchlist_id}", response_model=WatchlistOut, summary="One watchlist")
def show(
    watchlist_id: str,
    repo: RepoDep,
    store: StoreDep,
    count: Annotated[bool, Query(description="also count matching posts")] = False,
) -> WatchlistOut:
    """By id or name; `count=true` adds how many posts match now."""
    found = _found(repo, watchlist_id)
    out = WatchlistOut(**found.model_dump())
    if count:
        try:
            out.matches = store.count(watchlist_query(found))
        except QuerySyntaxError as exc:  # saved before a grammar change
            raise HTTPException(status_code=400, detail=f"invalid query: {exc}") from exc
    return out


@router.patch(
    "/watchlists/{watchlist_id}", response_model=Watchlist, summary="Change one", dependencies=ADMIN
)
def update(watchlist_id: str, body: WatchlistUpdate, repo: RepoDep) -> Watchlist:
    try:
        return update_watchlist(repo, watchlist_id, body)
    except WatchlistNotFound as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc
    except DuplicateName as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from exc
    except ValidationError as exc:  # the changes against what is stored: `since` after `until`
        problem = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in problem["loc"])
        detail = f"invalid watchlist: {where + ': ' if where else ''}{problem['msg']}"
        raise HTTPException(status_code=400, detail=detail) from exc


@router.delete(
    "/watchlists/{watchlist_id}", status_code=204, summary="Delete one", dependencies=ADMIN
)
def delete(watchlist_id: str, repo: RepoDep) -> Response:
    try:
        delete_watchlist(repo, watchlist_id)
    except WatchlistNotFound as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc
    return Response(status_code=204)
