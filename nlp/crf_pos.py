"""underthesea's part-of-speech CRF (VLSP 2013 tags), scored with numpy straight from its weights.

underthesea writes 20 feature strings per word for its tagger to read back, one post at a time.
As with the segmenter (`nlp.crf_words`), what a word, pair or triple adds to a position's score
never changes: we look up their weight rows for a whole batch at once (one sparse product), then
decode each post with a Viterbi over the few labels that can still win at each position. Same
model, same tags (tests compare with underthesea's featurizer and tagger).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import chain, pairwise
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix

from duluan.core.logging import get_logger
from nlp import crf_words
from nlp.crf_words import BOS, EOS, ModelFormatError, read_crfsuite_raw, word_istitle
from nlp.underthesea_light import import_light

log = get_logger(__name__)

UNI_OFFSETS = (-2, -1, 0, 1, 2)
BI_OFFSETS = (-2, -1, 0, 1)  # pair (i, i + 1)
TRI_OFFSETS = (-2, -1, 0)  # triple (i, i + 2)
TITLE_OFFSETS = (0, -1, 1)
TEMPLATES = (
    *(f"T[{k}]" for k in UNI_OFFSETS),
    *(f"T[{i},{i + 1}]" for i in BI_OFFSETS),
    *(f"T[{i},{i + 2}]" for i in TRI_OFFSETS),
    *(f"T[{k}].lower" for k in UNI_OFFSETS),
    *(f"T[{k}].istitle" for k in TITLE_OFFSETS),
)
"""The POS model's feature templates (`features.bin`), which this scorer implements."""

MAX_WORDS = 200
"""Tag at most this many words of a post: keywords come from its opening, and the cost grows
with the length."""

WORD_CACHE_LIMIT = 30_000
"""Cached words (their attribute ids) before the cache is emptied (~10 MB at most)."""

_RECORD = np.dtype([("kind", "<u4"), ("src", "<u4"), ("dst", "<u4"), ("weight", "<f8")])


def reference_features(tokens: Sequence[str]) -> list[list[str]]:
    """The feature strings underthesea's featurizer writes for these templates (the tests'
    yardstick; slow)."""
    return crf_words.reference_features(tokens, frozenset(), TEMPLATES)


def _leading_runs(texts: Iterable[str]) -> frozenset[str]:
    """Every proper run of leading syllables of the texts ("a b c": "a", "a b")."""
    runs: set[str] = set()
    for text in texts:
        parts = text.split(" ")
        runs.update(" ".join(parts[:i]) for i in range(1, len(parts)))
    return frozenset(runs)


class CRFPosTagger:
    """Tags words with underthesea's POS CRF ("N", "V", "Np", ...; the model's "B-" dropped).

    Every (template, value) with a weight is a row of one sparse matrix. A batch of posts
    becomes one stream of words, each post between two BOS and two EOS pads (what a template
    reaching past the text reads), so every position's state scores are one product: the rows
    its templates read (at their offsets) times the weights.
    """

    def __init__(self, path: Path) -> None:
        labels, attrs, records = read_crfsuite_raw(path)
        if not labels or not all(label.startswith("B-") for label in labels):
            raise ModelFormatError(f"unexpected labels {labels[:5]}")
        self.labels = tuple(label[2:] for label in labels)
        n_labels = len(labels)
        rec = np.frombuffer(records, dtype=_RECORD)
        if np.any(rec["kind"] > 1):
            raise ModelFormatError("unknown feature type")
        state, trans = rec[rec["kind"] == 0], rec[rec["kind"] == 1]
        # row 0: no weight; attribute id a: row a + 1. Sparse: 5 % of the entries carry a weight
        dense = np.zeros((len(attrs) + 1, n_labels))
        np.add.at(
            dense, (state["src"].astype(np.intp) + 1, state["dst"].astype(np.intp)), state["weight"]
        )
        self._w = csr_matrix(dense)
        del dense
        trans_w = np.zeros((n_labels, n_labels))
        np.add.at(
            trans_w,
            (trans["src"].astype(np.intp), trans["dst"].astype(np.intp)),
            trans["weight"],
        )
        self._trans_rows: list[list[float]] = trans_w.tolist()
        self._trans_cols: list[list[float]] = trans_w.T.tolist()
        # _margin[l, s]: the most that the transitions in and out can favour label l over s;
        # the transposed copy is indexed by a position's best label
        margin = (trans_w[:, :, None] - trans_w[:, None, :]).max(axis=0) + (
            trans_w[:, None, :] - trans_w[None, :, :]
        ).max(axis=2)
        self._margin_t = margin.T.copy()
        row = {a: i + 1 for i, a in enumerate(attrs)}

        def ids(names: list[str], value: str) -> tuple[int, ...]:
            return tuple(row.get(f"{name}={value}", 0) for name in names)

        # a word's templates: by its text, its lower case, its title case (in this order)
        self._text_keys = [f"T[{k}]=" for k in UNI_OFFSETS]
        self._lower_keys = [f"T[{k}].lower=" for k in UNI_OFFSETS]
        self._title_keys = [f"T[{k}].istitle=" for k in TITLE_OFFSETS]
        self._uni_offsets = (*UNI_OFFSETS, *UNI_OFFSETS, *TITLE_OFFSETS)
        uni_names = [key[:-1] for key in self._text_keys + self._lower_keys + self._title_keys]
        bi_names = [f"T[{i},{i + 1}]" for i in BI_OFFSETS]
        tri_names = [f"T[{i},{i + 2}]" for i in TRI_OFFSETS]
        self._pad_uni = {v: ids(uni_names, v) for v in (BOS, EOS)}
        self._pad_bi = {v: ids(bi_names, v) for v in (BOS, EOS)}
        self._pad_tri = {v: ids(tri_names, v) for v in (BOS, EOS)}
        self._bi = self._span_ids(row, bi_names)
        self._tri = self._span_ids(row, tri_names)
        # what a weighted pair or triple can start with (any run of its leading syllables, as
        # words hold spaces): most pairs then need no string built to be looked up
        self._opens_bi = _leading_runs(self._bi)
        self._opens_tri = _leading_runs(self._tri)
        self._row = row
        self._zero_bi = (0,) * len(BI_OFFSETS)
        self._zero_tri = (0,) * len(TRI_OFFSETS)
        self._words: dict[str, tuple[int, ...]] = {}

    @staticmethod
    def _span_ids(row: dict[str, int], names: list[str]) -> dict[str, tuple[int, ...]]:
        """Joined words -> their attribute row under each name, for spans with any weight."""
        out: dict[str, list[int]] = {}
        for slot, name in enumerate(names):
            prefix = name + "="
            for attr, r in row.items():
                if attr.startswith(prefix) and attr[len(prefix) :] not in (BOS, EOS):
                    out.setdefault(attr[len(prefix) :], [0] * len(names))[slot] = r
        return {k: tuple(v) for k, v in out.items()}

    def _word_ids(self, tok: str) -> tuple[int, ...]:
        found = self._words.get(tok)
        if found is None:
            if len(self._words) >= WORD_CACHE_LIMIT:
                self._words.clear()
            row, low, title = self._row, tok.lower(), str(word_istitle(tok))
            found = (
                *(row.get(key + tok, 0) for key in self._text_keys),
                *(row.get(key + low, 0) for key in self._lower_keys),
                *(row.get(key + title, 0) for key in self._title_keys),
            )
            self._words[tok] = found
        return found

    def _stream(self, seqs: list[list[str]]) -> tuple[np.ndarray, list[int]]:
        """State scores of every word of every sequence, stacked, and where each one starts."""
        uni: list[int] = []
        bi: list[int] = []
        tri: list[int] = []
        starts: list[int] = []
        head_uni, tail_uni = self._pad_uni[BOS] * 2, self._pad_uni[EOS] * 2
        head_bi, tail_bi = self._pad_bi[BOS] * 2, self._pad_bi[EOS] * 3
        head_tri, eos_tri = self._pad_tri[BOS] * 2, self._pad_tri[EOS]
        bi_ids, tri_ids, word_ids = self._bi, self._tri, self._word_ids
        zero_bi, zero_tri = self._zero_bi, self._zero_tri
        opens_bi, opens_tri = self._opens_bi, self._opens_tri
        words = 0
        for seq in seqs:
            n = len(seq)
            starts.append(words + 2)
            words += n + 4
            uni += head_uni
            uni += chain.from_iterable(map(word_ids, seq))
            uni += tail_uni
            # a span starting at a BOS pad reads BOS; one reaching an EOS pad reads EOS
            bi += head_bi
            bi += chain.from_iterable(
                bi_ids.get(f"{a} {b}", zero_bi) if a in opens_bi else zero_bi
                for a, b in pairwise(seq)
            )
            bi += tail_bi
            tri += head_tri
            tri += chain.from_iterable(
                tri_ids.get(f"{a} {b} {c}", zero_tri) if a in opens_tri else zero_tri
                for a, b, c in zip(seq, seq[1:], seq[2:], strict=False)
            )
            tri += eos_tri * min(n + 2, 4)
        total = words
        # one column per template: the attribute row that position g reads (at g + offset)
        columns: list[np.ndarray] = []
        for flat, offsets in ((uni, self._uni_offsets), (bi, BI_OFFSETS), (tri, TRI_OFFSETS)):
            ids = np.array(flat, dtype=np.int32).reshape(total, len(offsets))
            columns += [ids[2 + k : total - 2 + k, col] for col, k in enumerate(offsets)]
        reads = np.stack(columns, axis=1)
        hit = reads != 0
        rows = csr_matrix(
            (
                np.ones(int(hit.sum())),
                reads[hit],
                np.concatenate(([0], np.cumsum(hit.sum(axis=1)))),
            ),
            shape=(total - 4, self._w.shape[0]),
        )
        scores = np.zeros((total, self._w.shape[1]))
        scores[2 : total - 2] = (rows @ self._w).toarray()
        return scores, starts

    def tag_many(self, sentences: Sequence[Sequence[str]]) -> list[list[str]]:
        """Tags for each sentence (a post's words, at most MAX_WORDS of them).

        Viterbi runs over the labels that can still win at each position: label l is dropped
        where the position's best label s beats it by more than any neighbours could make up
        (`_margin[l, s]`), so no path through l can score as high as the same path through s.
        That leaves ~3 of 31 labels per position, and the same answer as the full search;
        ties go to the lower label id, as in CRFsuite.
        """
        seqs = [list(s[:MAX_WORDS]) for s in sentences]
        present = [s for s in seqs if s]
        out: list[list[str]] = [[] for _ in seqs]
        if not present:
            return out
        scores, starts = self._stream(present)
        best = scores.argmax(axis=1)
        gap = scores[np.arange(len(scores)), best][:, None] - scores
        position, label = np.nonzero(gap <= self._margin_t[best])
        bounds = np.searchsorted(position, np.arange(len(scores) + 1)).tolist()
        labels_at = label.tolist()
        values_at = scores[position, label].tolist()
        trans, incoming, names = self._trans_rows, self._trans_cols, self.labels
        where = [i for i, s in enumerate(seqs) if s]
        for i, seq, start in zip(where, present, starts, strict=True):
            a, b = bounds[start], bounds[start + 1]
            prev, prev_score = labels_at[a:b], values_at[a:b]
            back: list[tuple[list[int], list[int]]] = []
            for g in range(start + 1, start + len(seq)):
                a, b = bounds[g], bounds[g + 1]
                cur = labels_at[a:b]
                if len(prev) == 1:  # one way in: no choice to make
                    p0, s0 = prev[0], prev_score[0]
                    score = [
                        s0 + trans[p0][lab] + v for lab, v in zip(cur, values_at[a:b], strict=True)
                    ]
                    back.append((prev, [0] * len(cur)))
                else:
                    score, came = [], []
                    for lab, v in zip(cur, values_at[a:b], strict=True):
                        into = incoming[lab]
                        cands = [ps + into[pl] for pl, ps in zip(prev, prev_score, strict=True)]
                        top = max(cands)
                        score.append(top + v)
                        came.append(cands.index(top))  # the first best: the lower label id
                    back.append((prev, came))
                prev, prev_score = cur, score
            k = max(range(len(prev_score)), key=prev_score.__getitem__)
            path = [prev[k]]
            for came_from, came in reversed(back):
                k = came[k]
                path.append(came_from[k])
            path.reverse()
            out[i] = [names[lab] for lab in path]
        return out


def load_pos_tagger() -> CRFPosTagger | None:
    """underthesea's VLSP 2013 POS model, when the installed one has the templates this scorer
    implements; None otherwise (keywords then go without POS tags)."""
    try:
        import joblib

        import_light()
        import underthesea.pipeline.pos_tag as pos_pkg

        base = Path(pos_pkg.__file__).parent / "models" / "pos_crf_vlsp2013_20230303"
        if tuple(joblib.load(base / "features.bin")) != TEMPLATES:
            log.warning("pos.templates_changed", path=str(base))
            return None
        return CRFPosTagger(base / "models.bin")
    except (OSError, ImportError, ModelFormatError, ValueError) as exc:
        log.warning("pos.unavailable", error=str(exc))
        return None
