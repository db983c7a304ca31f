"""Correct a stored post's sentiment, withdraw the correction, or delete posts with their
corrections: what the API (`PUT/DELETE /v1/posts/{id}/sentiment`, `DELETE /v1/posts/{id}`,
`DELETE /v1/authors/{author}`) and the CLI (`duluan correction`, `duluan delete`) both do, so
the two cannot drift apart."""

from __future__ import annotations

from duluan.core.models import Post
from duluan.meta.sentiment_corrections import (
    SentimentCorrectionRepository,
    apply_corrections,
    undo_correction,
)
from duluan.storage.base import Store


class NotAnalysed(ValueError):
    """The post has no analysis yet, so there is no model reading to keep beside a correction."""


def correct(
    store: Store, repo: SentimentCorrectionRepository, post_id: str, label: str, by: str
) -> Post:
    """Save the analyst's label and rewrite the stored post with it. Raises LookupError for an
    unknown post, NotAnalysed, or ValueError for a label that is not a sentiment."""
    post = store.get(post_id)
    if post is None:
        raise LookupError(f"no post with id {post_id!r}")
    if post.analysis is None:
        raise NotAnalysed("the post has not been analysed yet")
    correction = repo.save(post_id, label, by)
    fixed = apply_corrections([post], {post_id: correction})[0]
    store.upsert([fixed])
    return fixed


def withdraw(store: Store, repo: SentimentCorrectionRepository, post_id: str) -> Post:
    """Drop the correction and put the model's reading back. Raises LookupError for an unknown
    post or one without a correction."""
    post = store.get(post_id)
    if post is None:
        raise LookupError(f"no post with id {post_id!r}")
    removed = repo.remove(post_id)
    if not removed and (post.analysis is None or post.analysis.sentiment_correction is None):
        raise LookupError(f"post {post_id!r} has no correction")
    restored = undo_correction(post)
    store.upsert([restored])
    return restored


def delete_post(
    store: Store, repo: SentimentCorrectionRepository, post_id: str, actor: str
) -> bool:
    """Delete a post and its correction: nothing of a deleted post stays behind."""
    if not store.delete(post_id, actor=actor):
        return False
    repo.remove(post_id)
    return True


def delete_author(
    store: Store,
    repo: SentimentCorrectionRepository,
    author: str,
    source: str | None,
    actor: str,
) -> int:
    """Delete every post of an author (of one source, or all) and the analysts' corrections of
    them, as a deletion request asks; returns how many posts went."""
    ids = store.author_post_ids(author, source)
    deleted = store.delete_by_author(author, source=source, actor=actor)
    repo.remove_many(ids)
    return deleted
