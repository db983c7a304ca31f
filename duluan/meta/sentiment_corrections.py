"""Analysts' corrections of a post's sentiment, kept in the metadata database by post id.

A dashboard's shares are only as right as its labels, and an analyst who reads a post knows
better than the model. The correction is stored apart from the post so that it outlives the
post being analysed and indexed again (a re-crawl, a replayed message, an import): the
indexer and the importer apply it to every copy they write.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from duluan.core.models import SENTIMENT_LABELS, Post, Sentiment, SentimentCorrection
from duluan.meta.database import MetaRepository
from duluan.meta.tables import sentiment_corrections as _T

__all__ = ["Correction", "SentimentCorrectionRepository", "apply_corrections", "undo_correction"]

_CHUNK = 500
"""Ids per lookup: one indexer batch."""


@dataclass(frozen=True)
class Correction:
    post_id: str
    label: str
    by: str
    at: datetime


class SentimentCorrectionRepository(MetaRepository):
    """`save` or `remove` a post's correction; `for_posts` looks a batch of ids up at once."""

    def save(self, post_id: str, label: str, by: str) -> Correction:
        if label not in SENTIMENT_LABELS:
            raise ValueError(f"sentiment must be one of {', '.join(SENTIMENT_LABELS)}")
        at = datetime.now(UTC)
        with self.db.write() as conn:
            self.db.upsert(
                conn,
                _T,
                {"post_id": post_id, "label": label, "by": by, "at": at.timestamp()},
                keys=["post_id"],
                update=["label", "by", "at"],
            )
        return Correction(post_id, label, by, at)

    def remove(self, post_id: str) -> bool:
        return self.remove_many([post_id]) > 0

    def remove_many(self, ids: Iterable[str]) -> int:
        wanted = list(dict.fromkeys(ids))
        removed = 0
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            removed += self.db.run(_T.delete().where(_T.c.post_id.in_(chunk))).rowcount
        return removed

    def for_posts(self, ids: Iterable[str]) -> dict[str, Correction]:
        wanted = list(dict.fromkeys(ids))
        out: dict[str, Correction] = {}
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            for row in self.db.rows(sa.select(_T).where(_T.c.post_id.in_(chunk))):
                out[row.post_id] = Correction(
                    row.post_id, row.label, row.by, datetime.fromtimestamp(row.at, UTC)
                )
        return out

    def recent(self, limit: int = 100) -> list[Correction]:
        """The newest corrections first."""
        stmt = sa.select(_T).order_by(_T.c.at.desc(), _T.c.post_id).limit(limit)
        return [
            Correction(r.post_id, r.label, r.by, datetime.fromtimestamp(r.at, UTC))
            for r in self.db.rows(stmt)
        ]

    def count(self) -> int:
        return int(self.db.rows(sa.select(sa.func.count()).select_from(_T))[0][0])


def apply_corrections(posts: Sequence[Post], corrections: dict[str, Correction]) -> list[Post]:
    """The posts with their analysts' labels; the model's reading goes to
    `sentiment_correction` (kept from an earlier correction when the post already carries one)."""
    out: list[Post] = []
    for post in posts:
        c = corrections.get(post.id)
        a = post.analysis
        if c is None or a is None:
            out.append(post)
            continue
        model = a.sentiment_correction
        kept = (
            (model.model_label, model.model_score)
            if model
            else (a.sentiment.label, a.sentiment.score)
        )
        analysis = a.model_copy(
            update={
                "sentiment": Sentiment(label=c.label, score=1.0),
                "sentiment_correction": SentimentCorrection(
                    model_label=kept[0], model_score=kept[1], by=c.by, at=c.at
                ),
            }
        )
        out.append(post.model_copy(update={"analysis": analysis}))
    return out


def undo_correction(post: Post) -> Post:
    """The post with the model's own sentiment back."""
    a = post.analysis
    if a is None or a.sentiment_correction is None:
        return post
    m = a.sentiment_correction
    analysis = a.model_copy(
        update={
            "sentiment": Sentiment(label=m.model_label, score=m.model_score),
            "sentiment_correction": None,
        }
    )
    return post.model_copy(update={"analysis": analysis})
