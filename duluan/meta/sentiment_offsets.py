"""The deployment's sentiment offsets (`duluan adapt`) in the metadata database: one row per
source and one for the default, so every NLP worker and API replica applies the same ones and
picks up a new fit without a restart or a file copied to each machine.

A file named by `nlp_sentiment_adaptation` still wins when set (session 13's way, one machine).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import asdict
from typing import Any

import sqlalchemy as sa

from duluan.core.logging import get_logger
from duluan.core.settings import Settings
from duluan.meta.database import MetaRepository
from duluan.meta.tables import sentiment_offsets as _T
from nlp.adaptation import AdaptationFileError, AdaptationSet, SentimentAdaptation, usable
from nlp.model_meta import adaptation_for, sentiment_model

__all__ = ["DEFAULT_SCOPE", "SentimentOffsetsRepository", "effective_offsets"]
log = get_logger(__name__)

DEFAULT_SCOPE = "*"
"""The row of the default entry (a source name is never "*": sources are spider names)."""


def _scope(source: str | None) -> str:
    return DEFAULT_SCOPE if source is None else source


class SentimentOffsetsRepository(MetaRepository):
    """`save` or `remove` one source's entry (None: the default); `load` them all."""

    def save(self, source: str | None, entry: SentimentAdaptation) -> None:
        body = json.dumps(asdict(entry), ensure_ascii=False, sort_keys=True)
        with self.db.write() as conn:
            self.db.upsert(
                conn,
                _T,
                {"scope": _scope(source), "body": body, "updated_at": time.time()},
                keys=["scope"],
                update=["body", "updated_at"],
            )

    def remove(self, source: str | None) -> bool:
        return self.db.run(_T.delete().where(_T.c.scope == _scope(source))).rowcount > 0

    def load(self) -> AdaptationSet:
        """Every entry; a row that no longer parses is skipped and logged."""
        found = AdaptationSet()
        for row in self.db.rows(sa.select(_T.c.scope, _T.c.body)):
            try:
                body: Any = json.loads(row.body)
                entry = SentimentAdaptation.from_dict(body, f"sentiment_offsets[{row.scope}]")
            except (ValueError, TypeError, AdaptationFileError) as exc:
                log.warning("nlp.offsets_row_unreadable", scope=row.scope, error=str(exc))
                continue
            found = found.with_entry(None if row.scope == DEFAULT_SCOPE else row.scope, entry)
        return found


def effective_offsets(
    settings: Settings, repo: SentimentOffsetsRepository | None
) -> AdaptationSet | None:
    """The offsets the NLP stage applies: the `nlp_sentiment_adaptation` file when set, else the
    metadata database's entries that fit the shipped model (None when there are none)."""
    if settings.nlp_sentiment_adaptation is not None:
        return adaptation_for(settings)
    if repo is None:
        return None
    version, backend = sentiment_model(settings)
    raw = repo.load()
    key = repr((raw, version, backend))
    with _lock:
        if key not in _judged:  # judged (and a stale entry logged) once, not on every read
            if len(_judged) > 16:
                _judged.clear()
            _judged[key] = usable(raw, version, backend, "metadata database")
        return _judged[key]


_judged: dict[str, AdaptationSet | None] = {}
_lock = threading.Lock()
