"""`duluan import`: posts from JSONL or CSV through NLP into the store, rejects kept aside;
`duluan reanalyze`: stored posts through NLP again."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from duluan.core.admission import PostLimits, admit, mask_contacts
from duluan.core.models import AnalyzeFn, Post
from duluan.core.query import SearchQuery
from duluan.core.settings import get_settings
from duluan.core.text import clean_control
from duluan.meta.sentiment_corrections import SentimentCorrectionRepository, apply_corrections
from duluan.storage.base import Store
from nlp.sections import apply_context

POST_FIELDS = set(Post.model_fields) - {"analysis"}


@dataclass
class ImportStats:
    read: int = 0
    imported: int = 0
    rejected: int = 0
    rejects_path: Path | None = None


def _rows(path: Path, fmt: str) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    """(line number, row or None, error) for every input record."""
    if fmt == "auto":
        fmt = "csv" if path.suffix.lower() == ".csv" else "jsonl"
    with path.open("r", encoding="utf-8", errors="replace", newline="") as fh:
        if fmt == "csv":
            for i, row in enumerate(csv.DictReader(fh), start=2):
                yield (
                    i,
                    {k: v for k, v in row.items() if k is not None and v not in (None, "")},
                    None,
                )
            return
        for i, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                yield i, None, f"invalid JSON: {exc.msg} at column {exc.colno}"
                continue
            if not isinstance(obj, dict):
                yield i, None, "each line must be a JSON object"
                continue
            yield i, obj, None


def row_to_post(row: dict[str, Any], limits: PostLimits | None = None) -> Post:
    """Known fields become Post fields; anything else is kept in `raw`. Bounded as on the bus:
    an oversize text is cut, impossible times or counts raise (the row is rejected)."""
    data = {k: v for k, v in row.items() if k in POST_FIELDS}
    extra = {k: v for k, v in row.items() if k not in POST_FIELDS and k != "analysis"}
    for key in ("id", "source", "text", "created_at"):
        if data.get(key) in (None, ""):
            raise ValueError(f"missing required field {key!r}")
    if ":" not in str(data["id"]):
        data["id"] = f"{data['source']}:post:{data['id']}"
    if isinstance(data.get("engagement"), str):
        data["engagement"] = json.loads(data["engagement"])
    for k in ("likes", "replies", "shares", "views"):
        if k in extra and str(extra[k]).isdigit():
            data.setdefault("engagement", {})[k] = int(extra.pop(k))
    if extra:
        data["raw"] = {**(data.get("raw") or {}), **extra}
    data["text"] = clean_control(str(data["text"]))
    return admit(Post.model_validate(data), limits or PostLimits.from_settings(get_settings()))


def analyse_into(
    store: Store,
    analyze: AnalyzeFn,
    posts: list[Post],
    corrections: SentimentCorrectionRepository | None = None,
) -> None:
    """Analyse posts as the NLP worker does (title and text, by source; section context), keep
    analysts' corrections, and write them."""
    analyses = analyze([p.analysis_text() for p in posts], [p.source for p in posts])
    done = [
        p.model_copy(update={"analysis": apply_context(a, p)})
        for p, a in zip(posts, analyses, strict=True)
    ]
    if corrections is not None:
        done = apply_corrections(done, corrections.for_posts(p.id for p in done))
    store.upsert(done)


def reanalyze(
    store: Store,
    analyze: AnalyzeFn,
    query: SearchQuery,
    *,
    batch_size: int = 256,
    corrections: SentimentCorrectionRepository | None = None,
    progress: Callable[[int], None] | None = None,
    mask: bool = True,
) -> int:
    """Every stored post matching `query` analysed again, so history reads the way new posts
    do after `duluan adapt` or a retrained model (else a share would jump at the change, and
    a negative-share alert could fire on it); with `mask`, contact details stored before they
    were masked at the door are masked too. Returns how many posts were rewritten."""
    done = 0
    batch: list[Post] = []
    for post in store.iter_posts(query.model_copy(update={"sort": "oldest"})):
        batch.append(mask_contacts(post) if mask else post)
        if len(batch) >= batch_size:
            analyse_into(store, analyze, batch, corrections)
            done += len(batch)
            batch = []
            if progress:
                progress(done)
    if batch:
        analyse_into(store, analyze, batch, corrections)
        done += len(batch)
    return done


def import_file(
    path: Path,
    store: Store,
    analyze: AnalyzeFn,
    *,
    fmt: str = "auto",
    batch_size: int = 256,
    progress: Callable[[ImportStats], None] | None = None,
    limits: PostLimits | None = None,
    corrections: SentimentCorrectionRepository | None = None,
) -> ImportStats:
    """`corrections`: analysts' sentiment corrections to apply to posts already corrected."""
    limits = limits or PostLimits.from_settings(get_settings())
    stats = ImportStats(rejects_path=path.with_name(path.name + ".rejected.jsonl"))
    rejects = None
    batch: list[Post] = []

    def flush() -> None:
        if not batch:
            return
        analyse_into(store, analyze, batch, corrections)
        stats.imported += len(batch)
        batch.clear()
        if progress:
            progress(stats)

    try:
        for line_no, row, error in _rows(path, fmt):
            stats.read += 1
            if row is not None:
                try:
                    batch.append(row_to_post(row, limits))
                except (ValidationError, ValueError) as exc:
                    error = _explain(exc)
            if error is not None:
                stats.rejected += 1
                if rejects is None:
                    rejects = stats.rejects_path.open("w", encoding="utf-8")  # type: ignore[union-attr]
                rejects.write(
                    json.dumps(
                        {"line": line_no, "error": error, "row": row},
                        ensure_ascii=False,
                        default=str,
                    )
                    + "\n"
                )
            if len(batch) >= batch_size:
                flush()
        flush()
    finally:
        if rejects is not None:
            rejects.close()
    store.refresh()
    if stats.rejected == 0:
        stats.rejects_path = None
    return stats


def _explain(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        e = exc.errors()[0]
        return f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
    return str(exc)
