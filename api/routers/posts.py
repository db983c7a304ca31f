"""One post with its thread context, and privacy deletions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request

from api.deps import get_store
from api.schemas import CorrectionOut, DeleteResponse, PostDetail, SentimentCorrectionRequest
from api.security import READ, AdminKey, ReadKey, is_admin
from duluan import corrections as edits
from duluan.core.models import Post
from duluan.core.query import SearchQuery
from duluan.corrections import NotAnalysed, correct, withdraw
from duluan.feedback.models import without_private
from duluan.meta.sentiment_corrections import SentimentCorrectionRepository
from duluan.storage.base import Store

router = APIRouter(prefix="/v1", tags=["posts"])
StoreDep = Annotated[Store, Depends(get_store)]


def get_corrections(request: Request) -> SentimentCorrectionRepository:
    repo: SentimentCorrectionRepository = request.app.state.container.sentiment_corrections
    return repo


CorrectionsDep = Annotated[SentimentCorrectionRepository, Depends(get_corrections)]


@router.get(
    "/posts/{post_id}",
    response_model=PostDetail,
    dependencies=READ,
    summary="A post, its analysis, its thread",
)
def get_post(post_id: str, store: StoreDep, key: ReadKey) -> PostDetail:
    post = store.get(post_id)
    if post is None:
        raise HTTPException(status_code=404, detail=f"no post with id {post_id!r}")
    parent = store.get(post.parent_id) if post.parent_id else None
    thread = store.get(post.thread_id) if post.thread_id and post.thread_id != post.id else None
    field = "thread" if post.kind in ("article", "thread") else "parent"
    page = store.search(SearchQuery(q=f'{field}:"{post.id}"', limit=100, sort="oldest"))
    replies = [h.post for h in page.hits if h.post.id != post.id]
    if not is_admin(key):  # a feedback submitter's contact details: admins only
        post, replies = without_private(post), [without_private(r) for r in replies]
        parent = without_private(parent) if parent else None
        thread = without_private(thread) if thread else None
    return PostDetail(post=post, parent=parent, thread=thread, replies=replies)


@router.delete(
    "/posts/{post_id}", response_model=DeleteResponse, summary="Delete a post (admin; audited)"
)
def delete_post(
    post_id: str, store: StoreDep, key: AdminKey, corrections: CorrectionsDep
) -> DeleteResponse:
    if not edits.delete_post(store, corrections, post_id, f"api:{key.name}"):
        raise HTTPException(status_code=404, detail=f"no post with id {post_id!r}")
    return DeleteResponse(deleted=1)


@router.put(
    "/posts/{post_id}/sentiment",
    response_model=Post,
    summary="Correct a post's sentiment (admin)",
)
def correct_sentiment(
    post_id: str,
    body: SentimentCorrectionRequest,
    store: StoreDep,
    key: AdminKey,
    corrections: CorrectionsDep,
) -> Post:
    """The analyst's label replaces the model's in every count, share and alert from now on,
    and survives the post being analysed and indexed again; the model's own reading stays in
    `analysis.sentiment_correction`."""
    try:
        return correct(store, corrections, post_id, body.label, f"api:{key.name}")
    except LookupError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc
    except NotAnalysed as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from exc


@router.delete(
    "/posts/{post_id}/sentiment",
    response_model=Post,
    summary="Withdraw a sentiment correction (admin)",
)
def undo_sentiment(
    post_id: str, store: StoreDep, key: AdminKey, corrections: CorrectionsDep
) -> Post:
    """The model's own reading comes back."""
    try:
        return withdraw(store, corrections, post_id)
    except LookupError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc


@router.get(
    "/corrections",
    response_model=list[CorrectionOut],
    summary="Analysts' sentiment corrections, newest first (admin)",
)
def list_corrections(
    corrections: CorrectionsDep,
    key: AdminKey,
    limit: Annotated[int, Query(ge=1, le=1000, description="how many")] = 100,
) -> list[CorrectionOut]:
    """Who changed which post's sentiment to what, and when: the audit trail of manual edits."""
    return [
        CorrectionOut(post_id=c.post_id, label=c.label, by=c.by, at=c.at)
        for c in corrections.recent(limit)
    ]


@router.delete(
    "/authors/{author}",
    response_model=DeleteResponse,
    summary="Delete every post of an author (admin; audited)",
)
def delete_author(
    author: str,
    store: StoreDep,
    key: AdminKey,
    corrections: CorrectionsDep,
    source: Annotated[str | None, Query(description="only this source")] = None,
) -> DeleteResponse:
    """The author's posts and the analysts' corrections of them: nothing stays behind."""
    deleted = edits.delete_author(store, corrections, author, source, f"api:{key.name}")
    return DeleteResponse(deleted=deleted)
