"""The neutral offset is taken where macro-F1 stays high, not at one noisy step."""

from __future__ import annotations

import numpy as np

from nlp.training import NEUTRAL_STEP, smoothed_best


def test_a_broad_plateau_beats_a_one_step_spike() -> None:
    shifts = np.round(np.arange(-1.0, 2.0 + 1e-9, NEUTRAL_STEP), 6)
    curve = np.full(len(shifts), 0.70)
    curve[(shifts >= 0.2) & (shifts <= 0.6)] = 0.727  # the plateau, centred on 0.4
    curve[np.argmin(np.abs(shifts - 1.3))] = 0.729  # one step of noise, higher still
    assert int(curve.argmax()) == int(np.argmin(np.abs(shifts - 1.3)))  # what argmax took
    assert abs(smoothed_best(shifts, curve) - 0.4) < 1e-9


def test_a_small_wobble_does_not_move_the_choice() -> None:
    shifts = np.round(np.arange(-1.0, 2.0 + 1e-9, NEUTRAL_STEP), 6)
    base = 0.73 - 0.02 * (shifts - 0.35) ** 2  # a flat top near 0.35
    rng = np.random.default_rng(0)
    picks = [smoothed_best(shifts, base + rng.normal(0, 0.001, len(shifts))) for _ in range(20)]
    raw = [float(shifts[(base + rng.normal(0, 0.001, len(shifts))).argmax()]) for _ in range(20)]
    assert max(picks) - min(picks) <= 0.25 < max(raw) - min(raw)
