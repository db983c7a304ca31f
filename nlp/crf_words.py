"""underthesea's word-segmentation CRF, scored in Python straight from its weights.

underthesea's Rust featurizer writes 43 feature strings for every syllable, and its tagger
reads them back: 65 % of the NLP path's time. Only ~50k of those strings carry a weight, and a
syllable's, pair's or triple's share of a position's score never changes, so we sum cached
per-syllable, per-pair and per-triple weights and decode the two labels (B-W, I-W) with
Viterbi. Same model, same answers (tests compare with underthesea's featurizer and tagger).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

BOS, EOS = "BOS", "EOS"
EDGES = (BOS, EOS)
UNI_OFFSETS = (-2, -1, 0, 1, 2)
BI_OFFSETS = (-2, -1, 0, 1)  # pair (i, i + 1)
TRI_OFFSETS = (-2, -1, 0)  # triple (i, i + 2)
TEMPLATES = (
    *(f"T[{k}]" for k in UNI_OFFSETS),
    *(f"T[{i},{i + 1}]" for i in BI_OFFSETS),
    *(f"T[{i},{i + 2}]" for i in TRI_OFFSETS),
    *(f"T[{k}].lower" for k in UNI_OFFSETS),
    *(f"T[{i},{i + 1}].lower" for i in BI_OFFSETS),
    *(f"T[{k}].isdigit" for k in (-1, 0, 1)),
    *(f"T[{k}].istitle" for k in UNI_OFFSETS),
    "T[0,1].istitle",
    "T[0,2].istitle",
    *(f"T[{k}].is_in_dict" for k in UNI_OFFSETS),
    *(f"T[{i},{i + 1}].is_in_dict" for i in BI_OFFSETS),
    *(f"T[{i},{i + 2}].is_in_dict" for i in TRI_OFFSETS),
)
"""The model's feature templates (`features.bin`), which this scorer implements."""

UNI_CACHE_LIMIT = 50_000
BI_CACHE_LIMIT = 100_000
"""Cached syllables and pairs before a cache is emptied (a flood of new ones must not grow
memory; ~25 MB at most together). Triples are not cached: few repeat."""


_GROUPS = ((UNI_OFFSETS, 0), (BI_OFFSETS, 1), (TRI_OFFSETS, 2))
"""Template groups: offsets, and how many syllables past the offset they reach."""


def _name(k: int, width: int) -> str:
    """A template group's name: "T[-1]", "T[0,1]", "T[-2,0]"."""
    return f"T[{k}]" if width == 0 else f"T[{k},{k + width}]"


_ZERO5 = (0j,) * 5
_ZERO4 = (0j,) * 4


class ModelFormatError(ValueError):
    """The file is not a CRFsuite model this reader understands."""


@dataclass(frozen=True)
class CRFWeights:
    labels: tuple[str, ...]
    state: dict[str, tuple[float, ...]]
    """Attribute string -> weight per label (attributes with no weight are absent)."""
    transition: tuple[tuple[float, ...], ...]
    """transition[a][b]: weight of label b following label a."""


def _cqdb_strings(data: bytes, off: int) -> list[str]:
    """Every key of a CRFsuite constant quark database chunk, by id."""
    chunk, _size, _flag, _order, count, bwd = struct.unpack_from("<4sIIIII", data, off)
    if chunk != b"CQDB":
        raise ModelFormatError(f"expected a CQDB chunk at {off}")
    out = [""] * count
    for i, rec in enumerate(struct.unpack_from(f"<{count}I", data, off + bwd)):
        key_id, size = struct.unpack_from("<II", data, off + rec)
        out[key_id] = data[off + rec + 8 : off + rec + 7 + size].decode("utf-8")
        if key_id != i:
            raise ModelFormatError("CQDB ids out of order")
    return out


def read_crfsuite_raw(path: Path) -> tuple[list[str], list[str], bytes]:
    """A CRFsuite first-order model file's labels, attribute strings (by id) and its feature
    records, packed `<IIId` (kind: 0 state / 1 transition, source, destination, weight)."""
    data = path.read_bytes()
    magic, _size, kind, _version, _nf, n_labels, n_attrs, off_feats, off_labels, off_attrs = (
        struct.unpack_from("<4sI4sIIIIIII", data, 0)
    )
    if magic != b"lCRF" or kind != b"FOMC":
        raise ModelFormatError(f"{path} is not a CRFsuite first-order model")
    labels = _cqdb_strings(data, off_labels)
    attrs = _cqdb_strings(data, off_attrs)
    if len(labels) != n_labels or len(attrs) != n_attrs:
        raise ModelFormatError("label or attribute count does not match the header")
    chunk, _chunk_size, n_feats = struct.unpack_from("<4sII", data, off_feats)
    if chunk != b"FEAT":
        raise ModelFormatError("expected the FEAT chunk")
    return labels, attrs, data[off_feats + 12 : off_feats + 12 + 20 * n_feats]


def read_crfsuite(path: Path) -> CRFWeights:
    """Labels, state weights and transitions of a CRFsuite first-order model file."""
    labels, attrs, records = read_crfsuite_raw(path)
    n_labels = len(labels)
    state: dict[str, list[float]] = {}
    trans = [[0.0] * n_labels for _ in range(n_labels)]
    for kind_id, src, dst, weight in struct.iter_unpack("<IIId", records):
        if kind_id == 0:
            state.setdefault(attrs[src], [0.0] * n_labels)[dst] += weight
        elif kind_id == 1:
            trans[src][dst] += weight
        else:
            raise ModelFormatError(f"unknown feature type {kind_id}")
    return CRFWeights(
        tuple(labels),
        {a: tuple(w) for a, w in state.items()},
        tuple(tuple(r) for r in trans),
    )


def isdigit(token: str) -> bool:
    return token.isascii() and token.isdigit()


def istitle(token: str) -> bool:
    """underthesea's sense: the first character is its own upper case ("GIÁ", "½" too)."""
    return token[:1].upper() == token[:1]


def word_istitle(word: str) -> bool:
    """underthesea's sense for a word of several syllables: each of them is title case."""
    return all(map(istitle, word.split(" ")))


def reference_features(
    tokens: Sequence[str], dictionary: frozenset[str], templates: Sequence[str] = TEMPLATES
) -> list[list[str]]:
    """The feature strings underthesea's featurizer writes (slow; the tests' yardstick)."""
    n = len(tokens)
    out: list[list[str]] = []
    for p in range(n):
        feats: list[str] = []
        for name in templates:
            inner, _, attr = name[2:].partition("].")
            idx = [int(x) for x in inner.rstrip("]").split(",")]
            i, j = idx[0], idx[-1]
            if p + i < 0:
                feats.append(f"{name}={BOS}")
                continue
            if p + j >= n:
                feats.append(f"{name}={EOS}")
                continue
            words = list(tokens[p + i : p + j + 1])
            joined = " ".join(words)
            if not attr:
                value = joined
            elif attr == "lower":
                value = joined.lower()
            elif attr == "isdigit":
                value = str(isdigit(joined))
            elif attr == "istitle":
                value = str(all(map(word_istitle, words)))
            else:
                value = str(joined.lower() in dictionary)
            feats.append(f"{name}={value}")
        out.append(feats)
    return out


class CRFWordSegmenter:
    """Tags syllables B-W / I-W with underthesea's CRF weights.

    A position's score is the sum of what its syllables (offsets -2..2), pairs and triples
    contribute at their offsets. Each contribution is looked up, not written out as feature
    strings: by the text itself, by its lower case, and by its flags (digit, title, in the
    dictionary). A score for (B-W, I-W) is kept as one complex number, real part B-W, so
    one addition sums both labels exactly as two float additions would.
    """

    def __init__(self, weights: CRFWeights, dictionary: frozenset[str]) -> None:
        if weights.labels != ("B-W", "I-W"):
            raise ModelFormatError(f"unexpected labels {weights.labels}")
        self.dictionary = dictionary
        (self._t00, self._t01), (self._t10, self._t11) = weights.transition
        w = {a: complex(v[0], v[1]) for a, v in weights.state.items()}
        self._uni_text = self._table(w, [f"T[{k}]=" for k in UNI_OFFSETS])
        self._uni_low = self._table(w, [f"T[{k}].lower=" for k in UNI_OFFSETS])
        self._bi_text = self._table(w, [f"T[{i},{i + 1}]=" for i in BI_OFFSETS])
        self._bi_low = self._table(w, [f"T[{i},{i + 1}].lower=" for i in BI_OFFSETS])
        self._tri_text = self._table(w, [f"T[{i},{i + 2}]=" for i in TRI_OFFSETS])
        bools = (False, True)
        self._uni_flags = {
            (d, t, n): tuple(
                w.get(f"T[{k}].isdigit={d}", 0j) * (-1 <= k <= 1)
                + w.get(f"T[{k}].istitle={t}", 0j)
                + w.get(f"T[{k}].is_in_dict={n}", 0j)
                for k in UNI_OFFSETS
            )
            for d in bools
            for t in bools
            for n in bools
        }
        self._bi_flags = self._span_flags(w, BI_OFFSETS, 1)
        self._tri_flags = self._span_flags(w, TRI_OFFSETS, 2)
        # per template group and offset, what it adds when it reaches past the text: BOS before
        # its start (checked first), EOS after its end
        self._edges = [
            [
                tuple(
                    sum(
                        (w.get(f"{t}={v}", 0j) for t in TEMPLATES if t.startswith(_name(k, width))),
                        0j,
                    )
                    for v in EDGES
                )
                for k in offsets
            ]
            for offsets, width in _GROUPS
        ]
        self._uni: dict[str, tuple[complex, ...]] = {}
        self._bi: dict[tuple[str, str], tuple[complex, ...]] = {}

    @staticmethod
    def _span_flags(
        w: dict[str, complex], offsets: tuple[int, ...], width: int
    ) -> dict[tuple[bool, bool], tuple[complex, ...]]:
        """(in the dictionary, all title case) -> a pair's or triple's flag weights per offset
        (title case counts only at offset 0, the one template that has it)."""
        return {
            (n, t): tuple(
                w.get(f"{_name(i, width)}.is_in_dict={n}", 0j)
                + (w.get(f"{_name(0, width)}.istitle={t}", 0j) if i == 0 else 0j)
                for i in offsets
            )
            for n in (False, True)
            for t in (False, True)
        }

    @staticmethod
    def _table(w: dict[str, complex], prefixes: list[str]) -> dict[str, tuple[complex, ...]]:
        """value -> its weight under each prefix (offset), for values with any weight."""
        out: dict[str, list[complex]] = {}
        for slot, prefix in enumerate(prefixes):
            for attr, weight in w.items():
                if attr.startswith(prefix):
                    out.setdefault(attr[len(prefix) :], [0j] * len(prefixes))[slot] += weight
        return {k: tuple(v) for k, v in out.items()}

    def _uni_scores(self, tok: str) -> tuple[complex, ...]:
        low = tok.lower()
        flags = self._uni_flags[isdigit(tok), istitle(tok), low in self.dictionary]
        text = self._uni_text.get(tok, _ZERO5)
        lower = self._uni_low.get(low, _ZERO5)
        return tuple(a + b + c for a, b, c in zip(text, lower, flags, strict=True))

    def _bi_scores(self, a: str, b: str) -> tuple[complex, ...]:
        joined = f"{a} {b}"
        low = joined.lower()
        flags = self._bi_flags[low in self.dictionary, istitle(a) and istitle(b)]
        text = self._bi_text.get(joined, _ZERO4)
        lower = self._bi_low.get(low, _ZERO4)
        return tuple(x + y + z for x, y, z in zip(text, lower, flags, strict=True))

    def emissions(self, tokens: Sequence[str]) -> list[complex]:
        """Per position, the state score: real part B-W, imaginary part I-W."""
        n = len(tokens)
        uni_c, bi_c = self._uni, self._bi
        uni: list[tuple[complex, ...]] = []
        for tok in tokens:
            u = uni_c.get(tok)
            if u is None:
                if len(uni_c) >= UNI_CACHE_LIMIT:
                    uni_c.clear()
                u = uni_c[tok] = self._uni_scores(tok)
            uni.append(u)
        bi: list[tuple[complex, ...]] = []
        for p in range(n - 1):
            key = (tokens[p], tokens[p + 1])
            v = bi_c.get(key)
            if v is None:
                if len(bi_c) >= BI_CACHE_LIMIT:
                    bi_c.clear()
                v = bi_c[key] = self._bi_scores(*key)
            bi.append(v)
        tri: list[tuple[complex, ...]] = []
        tri_text, tri_flags, dictionary = self._tri_text, self._tri_flags, self.dictionary
        for p in range(n - 2):
            a, b, c = tokens[p], tokens[p + 1], tokens[p + 2]
            joined = f"{a} {b} {c}"
            flags = tri_flags[
                joined.lower() in dictionary, istitle(a) and istitle(b) and istitle(c)
            ]
            text = tri_text.get(joined)
            tri.append(
                flags if text is None else tuple(x + y for x, y in zip(text, flags, strict=True))
            )
        out = [0j] * n
        for rows, (offsets, width), edges in zip((uni, bi, tri), _GROUPS, self._edges, strict=True):
            end = n - width  # rows[q] exists for 0 <= q < end
            for slot, k in enumerate(offsets):
                bos, eos = edges[slot]
                for p in range(n):
                    q = p + k
                    out[p] += rows[q][slot] if 0 <= q < end else (bos if q < 0 else eos)
        return out

    def tag(self, tokens: Sequence[str]) -> list[bool]:
        """Viterbi over B-W / I-W: True where a syllable continues the previous word (I-W);
        ties go to B-W, as in CRFsuite."""
        if not tokens:
            return []
        em = self.emissions(tokens)
        t00, t01, t10, t11 = self._t00, self._t01, self._t10, self._t11
        sb, si = em[0].real, em[0].imag
        back: list[tuple[bool, bool]] = []  # per step: did the best path to B / to I come from I?
        for z in em[1:]:
            from_b_to_b, from_i_to_b = sb + t00, si + t10
            from_b_to_i, from_i_to_i = sb + t01, si + t11
            b_from_i = from_i_to_b > from_b_to_b
            i_from_i = from_i_to_i > from_b_to_i
            sb = (from_i_to_b if b_from_i else from_b_to_b) + z.real
            si = (from_i_to_i if i_from_i else from_b_to_i) + z.imag
            back.append((b_from_i, i_from_i))
        state = si > sb
        path = [state]
        for b_from_i, i_from_i in reversed(back):
            state = i_from_i if state else b_from_i
            path.append(state)
        path.reverse()
        return path
