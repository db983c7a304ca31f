"""Honest class shares: classify-and-count corrected for the classifier's known confusion.

A dashboard reads shares, not single posts. If the classifier calls a third of the neutral
posts negative, the raw negative share is inflated by that much on every chart. Given the
confusion matrix C[i, j] = P(predicted j | true i), measured on held-out data, the observed
prediction shares q satisfy q = C^T p for the true shares p. We estimate p by maximum
likelihood on the simplex (EM, no clipping), and give an interval from a parametric bootstrap
that redraws both the observed counts (multinomial) and every row of C (Dirichlet from the
held-out counts). Pure numpy: the app calls it on every sentiment view.

Assumption (documented in docs/nlp.md): C transfers to the new posts, i.e. within each true
class the classifier errs on the new data as it did on the held-out data. Shares may shift
freely (that is what is being estimated); the error pattern per class may not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np

METHOD = (
    "adjusted classify-and-count: maximum-likelihood true shares given the held-out "
    "confusion matrix (EM on the simplex); interval from a parametric bootstrap "
    "redrawing the counts (multinomial) and the confusion matrix (Dirichlet)"
)
DEFAULT_LEVEL = 0.9
DEFAULT_BOOT = 400
_EM_ITER = 2000
_PRIOR = 0.5
"""Jeffreys pseudo-count per cell when redrawing confusion rows: a zero cell stays possible."""


@dataclass(frozen=True)
class ShareEstimate:
    """Corrected share of one class with its bootstrap interval (all in [0, 1])."""

    share: float
    low: float
    high: float


def confusion_rates(counts: np.ndarray, prior: float = 0.0) -> np.ndarray:
    """Row-normalise held-out counts (true x predicted) into P(predicted | true)."""
    c = np.asarray(counts, dtype=np.float64) + prior
    rows = c.sum(axis=1, keepdims=True)
    k = c.shape[0]
    out: np.ndarray = np.where(rows > 0, c / np.where(rows > 0, rows, 1.0), np.eye(k))
    return out


def _em(observed: np.ndarray, rates: np.ndarray, iters: int = _EM_ITER) -> np.ndarray:
    """MLE of true shares for a batch: observed (B, k) counts, rates (B, k, k) P(pred|true).

    Where the plain inverse of q = C^T p lies inside the simplex it is the MLE; elsewhere EM
    for mixture weights with known components (p_i <- sum_j n_j p_i C_ij / q_j / N), started
    from the inverse projected inside: each step stays on the simplex and never lowers the
    likelihood."""
    n = observed / np.maximum(observed.sum(axis=1, keepdims=True), 1e-12)
    b, k = observed.shape
    p = np.full((b, k), 1.0 / k)
    try:
        direct = np.linalg.solve(np.transpose(rates, (0, 2, 1)), n[:, :, None])[:, :, 0]
    except np.linalg.LinAlgError:  # a singular matrix somewhere: EM for every row
        direct = np.full((b, k), -1.0)
    ok = np.all(np.isfinite(direct), axis=1) & np.all(direct >= 0, axis=1)
    p[ok] = direct[ok] / direct[ok].sum(axis=1, keepdims=True)
    todo = np.flatnonzero(~ok)
    if len(todo) == 0:
        return p
    start = np.where(np.isfinite(direct[todo]), direct[todo], 1.0 / k)
    start = np.maximum(start, 0.02)
    q_rows, r = n[todo], rates[todo]
    cur = start / start.sum(axis=1, keepdims=True)
    for _ in range(iters):
        q = np.einsum("bi,bij->bj", cur, r)
        ratio = q_rows / np.maximum(q, 1e-300)
        new = cur * np.einsum("bij,bj->bi", r, ratio)
        new /= np.maximum(new.sum(axis=1, keepdims=True), 1e-300)
        done = np.max(np.abs(new - cur)) < 1e-10
        cur = new
        if done:
            break
    p[todo] = cur
    return p


def corrected_shares(
    observed: Sequence[float] | np.ndarray,
    confusion: np.ndarray,
    level: float = DEFAULT_LEVEL,
    n_boot: int = DEFAULT_BOOT,
    seed: int = 0,
) -> list[ShareEstimate]:
    """Corrected shares (in the confusion matrix's class order) with `level` intervals.

    `observed`: predicted-label counts of the posts; `confusion`: held-out counts, rows =
    true class, columns = predicted class. Deterministic for a given seed."""
    obs = np.asarray(observed, dtype=np.float64)
    conf = np.asarray(confusion, dtype=np.float64)
    k = len(obs)
    if conf.shape != (k, k):
        raise ValueError(f"confusion must be {k}x{k}, got {conf.shape}")
    total = float(obs.sum())
    if total <= 0:
        return [ShareEstimate(0.0, 0.0, 0.0) for _ in range(k)]
    point = _em(obs[None, :], confusion_rates(conf)[None, :, :])[0]
    rng = np.random.default_rng(seed)
    n = round(total)
    boot_obs = rng.multinomial(n, obs / total, size=n_boot).astype(np.float64)
    boot_rates = np.stack(
        [rng.dirichlet(conf[i] + _PRIOR, size=n_boot) for i in range(k)], axis=1
    )  # (B, k true, k predicted)
    boot = _em(boot_obs, boot_rates)
    alpha = (1.0 - level) / 2.0
    lo = np.quantile(boot, alpha, axis=0)
    hi = np.quantile(boot, 1.0 - alpha, axis=0)
    return [
        ShareEstimate(float(point[i]), float(min(lo[i], point[i])), float(max(hi[i], point[i])))
        for i in range(k)
    ]


def _share_dict(
    labels: Sequence[str], est: Sequence[ShareEstimate], digits: int
) -> dict[str, dict[str, float]]:
    """{label: {share, low, high}}, rounded, as the app's views show them."""
    return {
        label: {
            "share": round(e.share, digits),
            "low": round(e.low, digits),
            "high": round(e.high, digits),
        }
        for label, e in zip(labels, est, strict=True)
    }


def sampling_bounds(
    counts: np.ndarray | Sequence[float], totals: np.ndarray | Sequence[float], level: float
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of raw shares counts / totals, elementwise (0, 0 where total is 0):
    how far a share can move by the luck of which posts came in, not the classifier's errors.
    Keeps its coverage for small counts and shares near 0 or 1, where the normal
    approximation does not."""
    k = np.asarray(counts, dtype=np.float64)
    n = np.asarray(totals, dtype=np.float64)
    safe = np.where(n > 0, n, 1.0)
    p = np.where(n > 0, k / safe, 0.0)
    z = NormalDist().inv_cdf(0.5 + level / 2.0)
    z2n = z * z / safe
    centre = (p + z2n / 2.0) / (1.0 + z2n)
    half = z * np.sqrt((p * (1.0 - p) + z2n / 4.0) / safe) / (1.0 + z2n)
    low = np.where(n > 0, np.clip(np.minimum(p, centre - half), 0.0, 1.0), 0.0)
    high = np.where(n > 0, np.clip(np.maximum(p, centre + half), 0.0, 1.0), 0.0)
    return low, high


def sampling_interval(count: float, total: float, level: float = DEFAULT_LEVEL) -> ShareEstimate:
    """The raw share count / total with its sampling interval (`sampling_bounds`)."""
    low, high = sampling_bounds([count], [total], level)
    return ShareEstimate(count / total if total > 0 else 0.0, float(low[0]), float(high[0]))


def sampling_share_dict(
    counts: Mapping[str, int] | Mapping[Any, int],
    labels: Sequence[str],
    level: float = DEFAULT_LEVEL,
    digits: int = 4,
) -> dict[str, dict[str, float]] | None:
    """{label: {share, low, high}}: raw shares with their sampling intervals; None without
    posts."""
    found = [float(counts.get(label, 0)) for label in labels]
    total = sum(found)
    if total <= 0:
        return None
    low, high = sampling_bounds(found, [total] * len(found), level)
    est = [
        ShareEstimate(k / total, float(lo), float(hi))
        for k, lo, hi in zip(found, low, high, strict=True)
    ]
    return _share_dict(labels, est, digits)


def corrected_points(
    observed: np.ndarray | Sequence[Sequence[float]], confusion: np.ndarray
) -> np.ndarray:
    """Corrected shares (no interval) for many count vectors at once, e.g. timeline buckets:
    observed (n, k) counts -> (n, k) shares; rows without posts stay 0."""
    obs = np.asarray(observed, dtype=np.float64).reshape(-1, np.asarray(confusion).shape[0])
    out = np.zeros_like(obs)
    has = obs.sum(axis=1) > 0
    if has.any():
        rates = confusion_rates(np.asarray(confusion, dtype=np.float64))
        out[has] = _em(obs[has], np.broadcast_to(rates, (int(has.sum()), *rates.shape)))
    return out


def corrected_share_dict(
    counts: Mapping[str, int] | Mapping[Any, int],
    labels: Sequence[str],
    confusion: np.ndarray | None,
    level: float = DEFAULT_LEVEL,
    n_boot: int = DEFAULT_BOOT,
    digits: int = 4,
) -> dict[str, dict[str, float]] | None:
    """{label: {share, low, high}} for the app's views, or None without a confusion matrix
    (e.g. the transformers backend) or without posts."""
    if confusion is None:
        return None
    obs = [float(counts.get(label, 0)) for label in labels]
    if sum(obs) <= 0:
        return None
    est = corrected_shares(obs, confusion, level=level, n_boot=n_boot)
    return _share_dict(labels, est, digits)
