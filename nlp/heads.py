"""A linear classification head over the shared features, with calibrated probabilities.

Trained as a linear SVM (fast, strong on sparse text), then calibrated on held-out data:
softmax(a * score + offset) for single-label heads, sigmoid per class for multi-label ones.
Only weight rows of features seen in training are stored, which keeps the files small.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import scipy.sparse as sp

Mode = Literal["softmax", "sigmoid"]
"""softmax: one label per block of classes (`groups` blocks side by side); sigmoid: independent."""


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    out: np.ndarray = e / e.sum(axis=1, keepdims=True)
    return out


def _sigmoid(z: np.ndarray) -> np.ndarray:
    out: np.ndarray = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
    return out


@dataclass
class LinearHead:
    """Weights of the features seen in training (`rows`: sorted feature ids, `w`: one dense
    row of class weights each), bias, and calibration for one task."""

    name: str
    classes: list[str]
    rows: np.ndarray
    w: np.ndarray
    n_features: int
    bias: np.ndarray
    mode: Mode = "softmax"
    scale: float = 1.0
    offsets: np.ndarray | None = None
    groups: int = 1
    _slot: np.ndarray | None = field(default=None, init=False, repr=False, compare=False)

    def _softmax_groups(self, z: np.ndarray) -> np.ndarray:
        if self.groups == 1:
            return _softmax(z)
        n, k = z.shape
        out: np.ndarray = _softmax(z.reshape(n * self.groups, k // self.groups)).reshape(n, k)
        return out

    def scores(self, x: sp.csr_matrix) -> np.ndarray:
        """x's features with a weight row, remapped onto those rows, times the rows: a
        feature -> row table (4 MB) instead of a 2^20-row sparse matrix with an index per
        weight (half the resident model)."""
        if self._slot is None:
            slot = np.full(self.n_features, -1, dtype=np.int32)
            slot[self.rows] = np.arange(len(self.rows), dtype=np.int32)
            self._slot = slot
        x = sp.csr_matrix(x)
        cols = self._slot[x.indices]
        keep = cols >= 0
        indptr = np.concatenate([[0], np.cumsum(keep)])[x.indptr]
        kept = sp.csr_matrix((x.data[keep], cols[keep], indptr), shape=(x.shape[0], len(self.rows)))
        out: np.ndarray = np.asarray(kept @ self.w) + self.bias
        return out

    def proba_from_scores(self, s: np.ndarray) -> np.ndarray:
        offsets = self.offsets if self.offsets is not None else np.zeros(len(self.classes))
        z = self.scale * s + offsets
        return self._softmax_groups(z) if self.mode == "softmax" else _sigmoid(z)

    def proba(self, x: sp.csr_matrix) -> np.ndarray:
        return self.proba_from_scores(self.scores(x))

    def calibrate(self, s: np.ndarray, onehot: np.ndarray, fit_offsets: bool = True) -> None:
        """Fit scale (and per-class offsets) minimising log-loss on held-out scores `s`;
        `onehot` is (samples x classes) with 1 where the class is true."""
        from scipy.optimize import minimize  # training-time only: keep it out of inference

        k = len(self.classes)
        n = max(1, len(s))

        def loss(params: np.ndarray) -> float:
            a = params[0]
            off = params[1:] if fit_offsets else np.zeros(k)
            z = a * s + off
            if self.mode == "softmax":
                g = self.groups
                zz = z.reshape(len(z) * g, k // g)
                zz = zz - zz.max(axis=1, keepdims=True)
                logp = zz - np.log(np.exp(zz).sum(axis=1, keepdims=True))
                return float(-(onehot.reshape(len(z) * g, k // g) * logp).sum() / n)
            p = np.clip(_sigmoid(z), 1e-7, 1 - 1e-7)
            return float(-(onehot * np.log(p) + (1 - onehot) * np.log(1 - p)).sum() / n)

        x0 = np.concatenate([[1.0], np.zeros(k if fit_offsets else 0)])
        res = minimize(loss, x0, method="L-BFGS-B")
        self.scale = float(res.x[0])
        self.offsets = np.asarray(res.x[1:], dtype=np.float64) if fit_offsets else np.zeros(k)

    def onehot(self, y: list[str]) -> np.ndarray:
        """Targets for `calibrate`: 1 where y equals a class (labels outside classes -> all 0)."""
        index = {c: i for i, c in enumerate(self.classes)}
        out = np.zeros((len(y), len(self.classes)))
        for i, v in enumerate(y):
            if v in index:
                out[i, index[v]] = 1.0
        return out

    @classmethod
    def from_dense(
        cls,
        name: str,
        classes: list[str],
        coef: np.ndarray,
        bias: np.ndarray,
        mode: Mode,
        groups: int = 1,
    ) -> LinearHead:
        """Build from sklearn's (classes x features) coef; drops all-zero feature rows."""
        wt = np.asarray(coef, dtype=np.float32).T
        rows = np.flatnonzero((wt != 0).any(axis=1)).astype(np.int32)
        return cls(
            name=name,
            classes=list(classes),
            rows=rows,
            w=np.ascontiguousarray(wt[rows]),
            n_features=wt.shape[0],
            bias=np.asarray(bias, dtype=np.float64),
            mode=mode,
            groups=groups,
        )

    def to_arrays(self) -> dict[str, np.ndarray]:
        p = f"{self.name}."
        return {
            p + "rows": self.rows.astype(np.int32),
            p + "w": self.w.astype(np.float16),
            p + "bias": self.bias,
            p + "scale": np.array([self.scale]),
            p + "offsets": self.offsets
            if self.offsets is not None
            else np.zeros(len(self.classes)),
        }

    @classmethod
    def from_arrays(
        cls,
        name: str,
        classes: list[str],
        mode: Mode,
        arrays: dict[str, np.ndarray],
        n_features: int,
        groups: int = 1,
    ) -> LinearHead:
        p = f"{name}."
        return cls(
            name=name,
            classes=classes,
            rows=arrays[p + "rows"].astype(np.int32),
            w=arrays[p + "w"].astype(np.float32),
            n_features=n_features,
            bias=arrays[p + "bias"],
            mode=mode,
            scale=float(arrays[p + "scale"][0]),
            offsets=arrays[p + "offsets"],
            groups=groups,
        )


@dataclass
class CommitteeHead:
    """Several single-label heads over the same features whose probabilities are averaged
    with fixed weights (sentiment: the all-domain head beside one head per training domain).

    A word that carries sentiment in one domain only sways one member, so text from a domain
    none was trained on leans less on any one domain's vocabulary."""

    name: str
    members: list[LinearHead]
    member_weights: np.ndarray

    @property
    def classes(self) -> list[str]:
        return self.members[0].classes

    @property
    def mode(self) -> Mode:
        return "softmax"

    @property
    def groups(self) -> int:
        return 1

    def scores(self, x: sp.csr_matrix) -> np.ndarray:
        """Every member's raw scores side by side (members x classes columns)."""
        return np.hstack([m.scores(x) for m in self.members])

    def proba_from_scores(self, s: np.ndarray) -> np.ndarray:
        k = len(self.classes)
        out = np.zeros((len(s), k))
        for i, (m, w) in enumerate(zip(self.members, self.member_weights, strict=True)):
            out += w * m.proba_from_scores(s[:, i * k : (i + 1) * k])
        return out

    def proba(self, x: sp.csr_matrix) -> np.ndarray:
        return self.proba_from_scores(self.scores(x))


Head = LinearHead | CommitteeHead
"""What a model holds per task."""
