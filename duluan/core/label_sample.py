"""A uniform random sample of stored posts written as a labelling sheet (docs/labelling.md): the
file `duluan eval --labelled` and `duluan adapt` read once a person has filled in its labels.

Uniform, because the sample stands for the shares a dashboard shows: posts an analyst happened
to notice, or the model's least certain ones, would skew both the measured error and the
fitted offsets.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TextIO

from duluan.core.models import Post

HEADER = "sentiment\ttoxic\ttopic\ttext"
UNLABELLED = "-\t-\t-\t"


@dataclass
class Reservoirs:
    """One reservoir per key (Vitter's algorithm R): each of the n items seen is kept with
    probability size / n, in one pass and bounded memory, whatever the store holds."""

    size: int
    seed: int = 0
    seen: dict[str, int] = field(default_factory=dict)
    kept: dict[str, list[Post]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.size < 1:
            raise ValueError("a sample needs at least one post")
        self._rng = random.Random(self.seed)

    def offer(self, key: str, post: Post) -> None:
        n = self.seen.get(key, 0) + 1
        self.seen[key] = n
        kept = self.kept.setdefault(key, [])
        if len(kept) < self.size:
            kept.append(post)
            return
        j = self._rng.randrange(n)
        if j < self.size:
            kept[j] = post


def sheet_text(post: Post) -> str:
    """What the analyzer reads (title and text), on one line: tabs and newlines become spaces."""
    return " ".join(" ".join(x for x in (post.title, post.text) if x).split())


def draw(
    posts: Iterable[Post],
    size: int,
    seed: int = 0,
    key: Callable[[Post], str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> Reservoirs:
    """`size` posts at random per key (one key, "", by default) from posts with any text."""
    pool = Reservoirs(size, seed)
    for i, post in enumerate(posts, 1):
        if sheet_text(post):
            pool.offer(key(post) if key else "", post)
        if progress and i % 100_000 == 0:
            progress(i)
    return pool


def write_sheet(out: TextIO, posts: list[Post], matching: int, described: str, seed: int) -> None:
    """Header comments (how the sheet was drawn, how to fill it), then one unlabelled row a post
    in random order."""
    order = list(posts)
    random.Random(seed).shuffle(order)  # a reservoir's first slots hold the earliest posts
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    out.write(
        f"# duluan label sheet: {len(order)} posts drawn at random from {matching} with text"
        f" ({described}; seed {seed}; {stamp})\n"
        "# replace each '-' you judge: sentiment neg/neu/pos, toxic 0/1, topic an id; leave"
        " '-' to skip that task (docs/labelling.md). Then: duluan eval --labelled FILE,"
        " duluan adapt --labelled FILE\n"
        f"# {HEADER}\n"
    )
    for post in order:
        out.write(UNLABELLED + sheet_text(post) + "\n")
