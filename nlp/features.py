"""One shared sparse feature matrix for every classical head: computed once per post.

Features: segmented words and word bigrams (diacritics kept), syllable uni/bigrams of the
diacritic-folded text (so unaccented typing still matches), opinion-lexicon hits with negation,
the emoji / URL / price tokens from normalization, and topic seed words (nlp.topic_lexicon).
Hashed (no vocabulary to ship), then sublinear TF-IDF. (Char n-grams were tried: slower,
bigger, and no better on any task.)
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction import FeatureHasher

from duluan.core.text import fold
from nlp.opinion import opinion_features
from nlp.topic_lexicon import foreign_name_features, topic_seed_features

N_FEATURES = 2**20
_WORDLIKE = re.compile(r"\w", re.UNICODE)
_FOLD_SYL = re.compile(r"\w+", re.UNICODE)


_LENGTH_BUCKETS = (3, 6, 10, 20, 40)


def _length_bucket(n: int) -> str:
    """Short fragments lean neutral; length is a cheap, domain-independent cue."""
    for i, edge in enumerate(_LENGTH_BUCKETS):
        if n <= edge:
            return f"<len{i}>"
    return f"<len{len(_LENGTH_BUCKETS)}>"


def syllables(feats: Sequence[str]) -> int:
    """Syllables of a post, from its feature tokens (one `f` token per folded syllable)."""
    return sum(1 for f in feats if f[:1] == "f" and f[1:2] != "~")  # not negated "f~word" marks


def doc_tokens(words: Sequence[str], extras: Sequence[str], text: str) -> list[str]:
    """Feature strings for one post from its segmented words, extra tokens and normalized text."""
    return doc_tokens_counted(words, extras, text)[0]


def doc_tokens_counted(
    words: Sequence[str], extras: Sequence[str], text: str
) -> tuple[list[str], int]:
    """`doc_tokens` and the post's syllable count (`syllables` of them, without a second pass)."""
    feats: list[str] = []
    prev = "<s>"
    for w in words:
        if not _WORDLIKE.search(w):
            if w in "!?":
                feats.append("p" + w)
            prev = "<s>"
            continue
        lw = w.lower()
        feats.append("w" + lw)
        feats.append("b" + prev + "|" + lw)
        prev = lw
    folded = fold(text)
    syls = _FOLD_SYL.findall(folded)
    prev = "<s>"
    for s in syls:
        feats.append("f" + s)
        feats.append("g" + prev + "|" + s)
        prev = s
    opinion = opinion_features(text)
    feats.extend(opinion if opinion else ["<no_opinion>"])
    feats.append(_length_bucket(len(syls)))
    feats.extend(topic_seed_features(words))
    feats.extend(foreign_name_features(words))
    feats.extend(extras)
    return feats, len(syls)


class Featurizer:
    """Hashing + sublinear TF-IDF with a fitted IDF vector (stored sparse in the model file)."""

    def __init__(self, idf: np.ndarray | None = None) -> None:
        self.hasher = FeatureHasher(
            n_features=N_FEATURES, input_type="string", alternate_sign=False, dtype=np.float32
        )
        self.idf = idf

    def counts(self, docs: Sequence[list[str]]) -> sp.csr_matrix:
        return sp.csr_matrix(self.hasher.transform(docs))

    def fit_idf(self, counts: sp.csr_matrix, min_df: int = 2) -> np.ndarray:
        """Smooth IDF; features seen in fewer than `min_df` training posts get weight 0."""
        df = np.bincount(counts.indices, minlength=N_FEATURES).astype(np.float64)
        n = counts.shape[0]
        idf = np.log((1 + n) / (1 + df)) + 1.0
        idf[df < min_df] = 0.0
        self.idf = idf.astype(np.float32)
        return self.idf

    def weight(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        """Sublinear TF times IDF, rows L2-normalized."""
        if self.idf is None:
            raise RuntimeError("featurizer has no IDF; fit or load one first")
        x = counts.copy()
        x.data = 1.0 + np.log(x.data)
        x.data *= self.idf[x.indices]
        x.eliminate_zeros()
        norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        x = sp.csr_matrix(sp.diags(1.0 / norms) @ x)
        return x.astype(np.float32)

    def transform(self, docs: Sequence[list[str]]) -> sp.csr_matrix:
        return self.weight(self.counts(docs))
