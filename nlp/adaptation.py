"""Sentiment adapted to one deployment's sources: a class offset per label, fitted on the user's
own labelled sample and kept only when cross-validation on that sample says it helps.

A model trained elsewhere reads a new source with the wrong class balance (our held-out forum:
52 % called neutral, 34 % true). Three numbers fix most of that, and a few hundred labels pin
them down; where the model already fits, the cross-validation turns the offsets down.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import minimize
from sklearn.metrics import f1_score

from duluan.core.logging import get_logger
from duluan.core.models import SENTIMENT_LABELS

log = get_logger(__name__)

FORMAT = "duluan-sentiment-adaptation-1"
MIN_LABELLED = 100
"""Fewer labelled posts than this give offsets that swing with the sample; refused."""
FOLDS = 5
DEFAULT_MARGIN = 0.005
"""Cross-validated macro-F1 gain needed to adopt: at 0 the offsets were adopted on 3 of 10
draws of held-out Facebook comments, whose model already fits, and cost 0.007 there."""
MAX_OFFSET = 3.0
RIDGE = 1e-3
"""Keeps the offsets finite when the sample lacks a class."""


class AdaptationFileError(ValueError):
    """The offsets file named by `nlp_sentiment_adaptation` is missing or not one of ours."""


@dataclass
class SentimentAdaptation:
    """Log-offsets added to the sentiment head's log-probabilities (negative fixed at 0)."""

    offsets: dict[str, float]
    labelled: int
    cv_gain: float
    fold_gains: list[float]
    adopted: bool
    model: str
    source: str = ""
    shares_labelled: dict[str, float] = field(default_factory=dict)
    shares_before: dict[str, float] = field(default_factory=dict)
    shares_after: dict[str, float] = field(default_factory=dict)

    def vector(self) -> np.ndarray:
        return np.array([self.offsets.get(c, 0.0) for c in SENTIMENT_LABELS])

    def apply(self, proba: np.ndarray) -> np.ndarray:
        """Probabilities (rows x SENTIMENT_LABELS) with the offsets applied, renormalised."""
        return shift(proba, self.vector())

    @property
    def tag(self) -> str:
        """Names the offsets in each analysis's `model_versions`."""
        return ",".join(f"{c[:3]}{self.offsets.get(c, 0.0):+.2f}" for c in SENTIMENT_LABELS)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {"format": FORMAT, **asdict(self)}
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> SentimentAdaptation:
        """Raises AdaptationFileError for a missing, unreadable or foreign file."""
        try:
            data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
            if data.pop("format", None) != FORMAT:
                raise AdaptationFileError(f"{path} is not a {FORMAT} file")
            offsets = {str(k): float(v) for k, v in data["offsets"].items()}
            if set(offsets) - set(SENTIMENT_LABELS) or not all(
                abs(v) <= MAX_OFFSET for v in offsets.values()
            ):
                raise AdaptationFileError(
                    f"{path}: offsets must be sentiment labels within ±{MAX_OFFSET}"
                )
            data["offsets"] = offsets
            return cls(**data)
        except AdaptationFileError:
            raise
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise AdaptationFileError(f"cannot read {path}: {exc}") from exc


def load_adaptation(
    path: Path, model_version: str, backend: str | None = None
) -> SentimentAdaptation | None:
    """The deployment's sentiment offsets, or None (logged) when they cannot apply: offsets
    belong to the model they were fitted on, so a retrained model or another backend drops them."""
    adaptation = SentimentAdaptation.load(path)  # a missing or foreign file is a setup error
    reason = ""
    if backend is not None:
        reason = f"fitted on the classical model, sentiment comes from {backend}"
    elif adaptation.model != model_version:
        reason = f"fitted on {adaptation.model}, the model is {model_version}: rerun duluan adapt"
    elif not adaptation.adopted:
        reason = "cross-validation did not adopt these offsets"
    if reason:
        log.warning("nlp.adaptation_ignored", path=str(path), reason=reason)
        return None
    return adaptation


def _log(proba: np.ndarray) -> np.ndarray:
    out: np.ndarray = np.log(np.clip(proba, 1e-12, 1.0))
    return out


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    out: np.ndarray = e / e.sum(axis=1, keepdims=True)
    return out


def shift(proba: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    return _softmax(_log(proba) + offsets)


def label_index(gold: Sequence[str]) -> np.ndarray:
    labels: list[str] = list(SENTIMENT_LABELS)
    return np.array([labels.index(g) for g in gold], dtype=int)


def fit_offsets(proba: np.ndarray, gold: np.ndarray) -> np.ndarray:
    """The offsets that maximise the labelled posts' likelihood (convex in the offsets)."""
    logp = _log(proba)
    rows = np.arange(len(gold))

    def loss(free: np.ndarray) -> tuple[float, np.ndarray]:
        p = _softmax(logp + np.concatenate([[0.0], free]))
        nll = -float(np.log(p[rows, gold]).mean())
        onehot = np.zeros_like(p)
        onehot[rows, gold] = 1.0
        grad = (p - onehot).mean(axis=0)[1:] + 2 * RIDGE * free
        return nll + RIDGE * float(free @ free), grad

    k = proba.shape[1]
    res = minimize(
        loss,
        np.zeros(k - 1),
        jac=True,
        method="L-BFGS-B",
        bounds=[(-MAX_OFFSET, MAX_OFFSET)] * (k - 1),
    )
    return np.concatenate([[0.0], np.asarray(res.x, dtype=float)])


def macro_f1(gold: np.ndarray, proba: np.ndarray) -> float:
    labels = list(range(proba.shape[1]))
    return float(f1_score(gold, proba.argmax(1), labels=labels, average="macro", zero_division=0))


def fold_gains(
    proba: np.ndarray, gold: np.ndarray, folds: int = FOLDS, seed: int = 0
) -> list[float]:
    """Macro-F1 with offsets fitted on the other folds minus without, per held-out fold."""
    order = np.random.default_rng(seed).permutation(len(gold))
    parts = np.array_split(order, folds)
    out: list[float] = []
    for i, test in enumerate(parts):
        train = np.concatenate([p for j, p in enumerate(parts) if j != i])
        o = fit_offsets(proba[train], gold[train])
        out.append(macro_f1(gold[test], shift(proba[test], o)) - macro_f1(gold[test], proba[test]))
    return out


def _fractions(labels: np.ndarray, k: int) -> np.ndarray:
    out: np.ndarray = np.bincount(labels, minlength=k) / max(1, len(labels))
    return out


def _shares(labels: np.ndarray, k: int) -> dict[str, float]:
    f = _fractions(labels, k)
    return {c: round(float(f[i]), 4) for i, c in enumerate(SENTIMENT_LABELS)}


def adapt(
    proba: np.ndarray,
    gold: Sequence[str],
    model: str,
    source: str = "",
    margin: float = DEFAULT_MARGIN,
) -> SentimentAdaptation:
    """Fit offsets on every labelled post; `adopted` when the mean cross-validated macro-F1
    gain exceeds `margin`. Raises ValueError below MIN_LABELLED posts."""
    if len(gold) < MIN_LABELLED:
        raise ValueError(f"{len(gold)} labelled posts; adapting needs at least {MIN_LABELLED}")
    y = label_index(gold)
    gains = fold_gains(proba, y)
    gain = float(np.mean(gains))
    adopted = gain > margin
    o = fit_offsets(proba, y) if adopted else np.zeros(proba.shape[1])
    k = proba.shape[1]
    return SentimentAdaptation(
        offsets={c: round(float(o[i]), 4) for i, c in enumerate(SENTIMENT_LABELS)},
        labelled=len(gold),
        cv_gain=round(gain, 4),
        fold_gains=[round(g, 4) for g in gains],
        adopted=adopted,
        model=model,
        source=source,
        shares_labelled=_shares(y, k),
        shares_before=_shares(proba.argmax(1), k),
        shares_after=_shares((shift(proba, o) if adopted else proba).argmax(1), k),
    )


def simulate(
    proba: np.ndarray,
    gold: Sequence[str],
    labelled: int = 300,
    repeats: int = 10,
    seed: int = 0,
) -> tuple[float, float, float, float, int]:
    """What adapting on `labelled` random posts of a set does to the rest of it: mean macro-F1
    before and after, mean absolute share error (points) before and after, and how often the
    cross-validation adopted the offsets."""
    y = label_index(gold)
    k = proba.shape[1]
    rng = np.random.default_rng(seed)
    f0: list[float] = []
    f1: list[float] = []
    e0: list[float] = []
    e1: list[float] = []
    adopted = 0
    for _ in range(repeats):
        order = rng.permutation(len(y))
        sample, rest = order[:labelled], order[labelled:]
        a = adapt(proba[sample], [SENTIMENT_LABELS[i] for i in y[sample]], "simulated")
        adopted += a.adopted
        after = a.apply(proba[rest])
        truth = _fractions(y[rest], k)
        for p, fs, es in ((proba[rest], f0, e0), (after, f1, e1)):
            fs.append(macro_f1(y[rest], p))
            es.append(float(np.abs(_fractions(p.argmax(1), k) - truth).mean()) * 100)
    return (
        float(np.mean(f0)),
        float(np.mean(f1)),
        float(np.mean(e0)),
        float(np.mean(e1)),
        adopted,
    )
