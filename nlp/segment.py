"""Word segmentation with underthesea's offline CRF model ("bác sĩ" is one word, not two).

We feed the CRF our own syllable split of already-normalized text (underthesea's regex
tokenizer and token normalizer would redo work normalize() did) and tag whole batches.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from duluan.core.logging import get_logger
from nlp.crf_words import TEMPLATES, CRFWordSegmenter, ModelFormatError, read_crfsuite
from nlp.underthesea_light import import_light

log = get_logger(__name__)

MAX_SEGMENT_CHARS = 4000
"""Segment at most this much of a post; the rest adds cost, not meaning."""

CRF_BATCH = 32
"""The CRF featurizer materialises every feature string of a batch: keep batches small."""

_SYLLABLE = re.compile(r"\d+(?:[.,]\d+)+|\w+|[^\w\s]", re.UNICODE)


def syllables(text: str) -> list[str]:
    """Split normalized text into syllables and punctuation marks."""
    return _SYLLABLE.findall(text)


class Segmenter:
    """Wraps underthesea's word-segmentation CRF; falls back to `word_tokenize` if it moves."""

    def __init__(self, fast: bool = True) -> None:
        """`fast`: score the CRF in Python from its weights (`nlp.crf_words`, same answers,
        ~5x faster) when the installed model is the one it implements; else underthesea's."""
        self._featurizer: Any = None
        self._tagger: Any = None
        self._fast: CRFWordSegmenter | None = None
        self.dictionary: frozenset[str] = frozenset()
        """The CRF's word list; keyword rules use it to tell words from glued phrases."""
        try:
            import joblib

            import_light()
            import underthesea.pipeline.word_tokenize as wt
            from underthesea_core import CRFFeaturizer, CRFTagger

            base = Path(wt.__file__).parent / "models" / "ws_crf_vlsp2013_20230727"
            features = joblib.load(base / "features.bin")
            dictionary = joblib.load(base / "dictionary.bin")
            self.dictionary = frozenset(w for w in dictionary if isinstance(w, str))
            if fast and tuple(features) == TEMPLATES:
                try:
                    weights = read_crfsuite(base / "models.bin")
                    self._fast = CRFWordSegmenter(weights, self.dictionary)
                    return
                except ModelFormatError as exc:  # pragma: no cover - a changed model file
                    log.warning("segmenter.python_scorer_unavailable", error=str(exc))
            tagger = CRFTagger()
            tagger.load(str(base / "models.bin"))
            self._featurizer = CRFFeaturizer(features, dictionary)
            self._tagger = tagger
        except Exception as exc:  # pragma: no cover - depends on underthesea internals
            log.warning("segmenter.fallback", error=str(exc))

    @property
    def engine(self) -> str:
        """Which scorer runs: "python" (nlp.crf_words), "underthesea", or "fallback"."""
        if self._fast is not None:
            return "python"
        return "underthesea" if self._featurizer is not None else "fallback"

    def segment_many(self, texts: Sequence[str]) -> list[list[str]]:
        """Word-segment normalized texts: returns words with syllables joined by spaces."""
        out: list[list[str]] = []
        for start in range(0, len(texts), CRF_BATCH):
            out.extend(self._segment_chunk(texts[start : start + CRF_BATCH]))
        return out

    def _segment_chunk(self, texts: Sequence[str]) -> list[list[str]]:
        sylls = [syllables(t[:MAX_SEGMENT_CHARS]) for t in texts]
        if self._fast is not None:
            return [self._join(s, self._fast.tag(s)) for s in sylls]
        if self._featurizer is None:
            return [self._fallback(s) for s in sylls]
        out: list[list[str]] = []
        nonempty = [s for s in sylls if s]
        feats = (
            self._featurizer.process([[[tok] for tok in s] for s in nonempty]) if nonempty else []
        )
        it = iter(feats)
        for s in sylls:
            if not s:
                out.append([])
                continue
            out.append(self._join(s, [tag == "I-W" for tag in self._tagger.tag(next(it))]))
        return out

    @staticmethod
    def _join(sylls: list[str], inside: list[bool]) -> list[str]:
        """Syllables to words: each syllable tagged as inside a word joins the one before."""
        words: list[str] = []
        for tok, cont in zip(sylls, inside, strict=False):
            if cont and words:
                words[-1] = words[-1] + " " + tok
            else:
                words.append(tok)
        return words

    @staticmethod
    def _fallback(sylls: list[str]) -> list[str]:
        if not sylls:
            return []
        from underthesea import word_tokenize

        return list(word_tokenize(" ".join(sylls)))
