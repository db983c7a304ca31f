"""Corrected sentiment shares on synthetic data whose true shares we set (no data files needed)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from nlp.shares import (
    confusion_rates,
    corrected_share_dict,
    corrected_shares,
    sampling_interval,
    sampling_share_dict,
)

# P(predicted | true) shaped like the old model on unseen forum text: neutral mostly missed
RATES = np.array([[0.78, 0.10, 0.12], [0.38, 0.32, 0.30], [0.15, 0.10, 0.75]])
# a classifier that holds its neutral class
BETTER = np.array([[0.75, 0.15, 0.10], [0.15, 0.65, 0.20], [0.08, 0.17, 0.75]])


def test_exact_counts_recover_the_true_shares() -> None:
    confusion = RATES * 1000
    for truth in ([1 / 3, 1 / 3, 1 / 3], [0.1, 0.8, 0.1], [0.6, 0.0, 0.4], [0.0, 0.0, 1.0]):
        observed = np.array(truth) @ RATES * 900
        est = corrected_shares(observed, confusion, n_boot=50)
        assert [e.share for e in est] == pytest.approx(truth, abs=2e-3)
        assert sum(e.share for e in est) == pytest.approx(1.0)
        assert all(0.0 <= e.low <= e.share <= e.high <= 1.0 for e in est)


@pytest.mark.parametrize(("rates", "max_mae"), [(RATES, 0.07), (BETTER, 0.045)])
def test_corrected_shares_are_close_and_intervals_cover_at_about_90_percent(
    rates: np.ndarray, max_mae: float
) -> None:
    rng = np.random.default_rng(7)
    trials, covered, errors, raw_errors = 150, 0, [], []
    cells = 0
    for t in range(trials):
        truth = rng.dirichlet([2.0, 2.0, 2.0])
        # a fresh held-out set (300 per true class) and a fresh sample of 500 posts each trial
        held_out = np.stack([rng.multinomial(300, rates[i]) for i in range(3)])
        labels = rng.choice(3, size=500, p=truth)
        predicted = (rng.random(500)[:, None] > rates[labels].cumsum(axis=1)).sum(axis=1)
        observed = np.bincount(predicted, minlength=3)
        real = np.bincount(labels, minlength=3) / 500
        est = corrected_shares(observed, held_out, level=0.9, n_boot=300, seed=t)
        for i, e in enumerate(est):
            errors.append(abs(e.share - real[i]))
            raw_errors.append(abs(observed[i] / 500 - real[i]))
            covered += e.low <= real[i] <= e.high
            cells += 1
    assert np.mean(errors) < max_mae  # 500 posts: sampling noise alone is ~2 points
    assert np.mean(errors) < 0.5 * np.mean(raw_errors)  # the correction is what helps
    assert 0.82 <= covered / cells <= 0.98


@pytest.mark.parametrize("n", [10, 40, 500])
def test_sampling_intervals_cover_raw_shares_at_about_90_percent(n: int) -> None:
    """Raw shares of n posts drawn with a set true share (the classifier's share, not the
    truth): the Wilson interval holds its coverage down to 10 posts and near 0 or 1."""
    rng = np.random.default_rng(3)
    for p in (0.05, 0.3, 0.7):
        counts = rng.binomial(n, p, size=2000)
        found = [sampling_interval(float(k), float(n)) for k in counts]
        coverage = np.mean([e.low <= p <= e.high for e in found])
        assert 0.85 <= coverage <= 0.97, (n, p, coverage)
        assert all(0.0 <= e.low <= e.share <= e.high <= 1.0 for e in found)
    wide, narrow = sampling_interval(7, 10), sampling_interval(280, 400)
    assert wide.high - wide.low > 3 * (narrow.high - narrow.low)
    assert sampling_interval(0, 0).high == 0.0


def test_sampling_dict_for_the_app() -> None:
    found = sampling_share_dict({"negative": 3, "neutral": 0}, ["negative", "neutral", "positive"])
    assert found is not None and found["negative"]["share"] == 1.0
    assert found["neutral"] == found["positive"] and found["neutral"]["low"] == 0.0
    assert sampling_share_dict({}, ["negative"]) is None


def test_confusion_rows_are_probabilities() -> None:
    rates = confusion_rates(np.array([[8, 2, 0], [0, 0, 0], [1, 1, 8]]))
    assert rates.sum(axis=1) == pytest.approx([1.0, 1.0, 1.0])
    assert rates[1].tolist() == [0.0, 1.0, 0.0]  # an empty row: assume that class is read right


def test_dict_form_for_the_app() -> None:
    labels = ["negative", "neutral", "positive"]
    counts = {"negative": 46, "neutral": 17, "positive": 37}
    out = corrected_share_dict(counts, labels, RATES * 500)
    assert out is not None and set(out) == set(labels)
    assert out["neutral"]["share"] > 0.17  # neutral was under-read: the correction raises it
    assert out["negative"]["share"] < 0.46
    assert corrected_share_dict(counts, labels, None) is None
    assert corrected_share_dict({}, labels, RATES) is None
    with pytest.raises(ValueError):
        corrected_shares([1, 2], RATES)


def test_model_meta_reads_only_an_enabled_matrix(tmp_path: Path) -> None:
    from duluan.core.settings import Settings
    from nlp.model_meta import confusion_for, sentiment_confusion

    meta = {
        "sentiment_confusion": {
            "enabled": True,
            "labels": ["negative", "neutral", "positive"],
            "counts": (RATES * 100).tolist(),
        }
    }
    (tmp_path / "classical.json").write_text(json.dumps(meta), encoding="utf-8")
    found = sentiment_confusion(tmp_path)
    assert found is not None and found.shape == (3, 3)
    assert confusion_for(Settings(nlp_model_dir=tmp_path)) is not None
    assert confusion_for(Settings(nlp_model_dir=tmp_path, nlp_backend="transformers")) is None
    meta["sentiment_confusion"]["enabled"] = False
    (tmp_path / "classical.json").write_text(json.dumps(meta), encoding="utf-8")
    assert sentiment_confusion(tmp_path) is None
    assert sentiment_confusion(tmp_path / "missing") is None
