"""Normalize -> segment -> feature tokens: the shared front half of training and analysis."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from nlp.features import doc_tokens_counted
from nlp.normalize import Normalized, normalize
from nlp.segment import Segmenter


@dataclass
class Prepared:
    normalized: Normalized
    words: list[str]
    features: list[str]
    syllables: int
    """How many syllables the post has (what `nlp.features.syllables(features)` counts)."""


def prepare(texts: Sequence[str], segmenter: Segmenter) -> list[Prepared]:
    """Run the text front end for a batch; the order of the output matches the input."""
    norms = [normalize(t) for t in texts]
    words = segmenter.segment_many([n.text for n in norms])
    return [
        Prepared(n, w, *doc_tokens_counted(w, n.features, n.text))
        for n, w in zip(norms, words, strict=True)
    ]
