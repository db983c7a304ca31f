"""A committee head averages its members' probabilities and survives a save and load."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.sparse as sp

from nlp.artifacts import ClassicalModel, default_model_dir
from nlp.features import N_FEATURES, Featurizer
from nlp.heads import CommitteeHead, LinearHead

CLASSES = ["negative", "neutral", "positive"]


def _head(name: str, seed: int) -> LinearHead:
    rng = np.random.default_rng(seed)
    coef = np.zeros((3, N_FEATURES))
    coef[:, :50] = rng.normal(size=(3, 50))
    head = LinearHead.from_dense(name, CLASSES, coef, rng.normal(size=3), "softmax")
    head.scale, head.offsets = 1.5, rng.normal(size=3)
    return head


def test_committee_is_the_weighted_mean_and_round_trips(tmp_path: Path) -> None:
    members = [_head("sentiment@all", 1), _head("sentiment@a", 2), _head("sentiment@b", 3)]
    committee = CommitteeHead("sentiment", members, np.array([0.5, 0.25, 0.25]))
    x = sp.csr_matrix(
        np.random.default_rng(4).random((6, N_FEATURES)) * (np.arange(N_FEATURES) < 50)
    )
    expected = sum(w * m.proba(x) for w, m in zip([0.5, 0.25, 0.25], members, strict=True))
    np.testing.assert_allclose(committee.proba(x), expected)
    np.testing.assert_allclose(committee.proba(x).sum(axis=1), 1.0)

    idf = np.ones(N_FEATURES, dtype=np.float32)
    ClassicalModel(Featurizer(idf), {"sentiment": committee}, {"version": "t"}).save(tmp_path)
    loaded = ClassicalModel.load(tmp_path).heads["sentiment"]
    assert isinstance(loaded, CommitteeHead)
    assert [m.name for m in loaded.members] == [m.name for m in members]
    # weights are stored as float16: equal to that precision
    np.testing.assert_allclose(loaded.proba(x), committee.proba(x), atol=2e-3)


def test_shipped_sentiment_is_a_committee() -> None:
    model = ClassicalModel.load(Path(default_model_dir()))
    head = model.heads["sentiment"]
    assert isinstance(head, CommitteeHead)
    assert head.members[0].name == "sentiment@all" and len(head.members) >= 2
    assert abs(float(head.member_weights.sum()) - 1.0) < 1e-9
