"""Posts as CSV or JSONL rows, streamed: shared by the API's export and `duluan export`."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from duluan.core.models import Post

CSV_FIELDS = [
    "id",
    "source",
    "kind",
    "url",
    "author",
    "created_at",
    "title",
    "text",
    "language",
    "sentiment",
    "sentiment_score",
    "topics",
    "toxic",
    "keywords",
    "thread_id",
    "parent_id",
]


def csv_row(post: Post) -> list[str]:
    a = post.analysis
    return [
        post.id,
        post.source,
        post.kind,
        post.url or "",
        post.author or "",
        post.created_at.isoformat(),
        post.title or "",
        post.text,
        a.language if a else "",
        a.sentiment.label if a else "",
        f"{a.sentiment.score:.3f}" if a else "",
        "|".join(a.topic_labels()) if a else "",
        str(a.toxic.label).lower() if a else "",
        "|".join(a.keywords) if a else "",
        post.thread_id or "",
        post.parent_id or "",
    ]


UTF8_BOM = b"\xef\xbb\xbf"


def stream_export(posts: Iterator[Post], fmt: str, *, bom: bool = False) -> Iterator[bytes]:
    """Rows as they come from the store: memory stays flat whatever the result size.

    `bom` starts a CSV with a UTF-8 byte-order mark: Excel reads the file as UTF-8 then, instead
    of the system code page that garbles Vietnamese (other CSV readers may keep it in `id`).
    """
    if fmt == "jsonl":
        for post in posts:
            yield post.model_dump_json().encode() + b"\n"
        return
    if bom:
        yield UTF8_BOM
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(CSV_FIELDS)
    for i, post in enumerate(posts):
        writer.writerow(csv_row(post))
        if i % 200 == 0:
            yield buf.getvalue().encode()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue().encode()
