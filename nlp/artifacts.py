"""The shipped classical model: one compressed .npz of arrays plus a small JSON of metadata.

No pickles: loading cannot run code, and the files diff sanely between versions.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import scipy.sparse as sp

from nlp.features import N_FEATURES, Featurizer
from nlp.heads import CommitteeHead, Head, LinearHead, Mode

ARRAYS_FILE = "classical.npz"
META_FILE = "classical.json"


def toxic_stack_inputs(
    toxic_scores: np.ndarray, sentiment: np.ndarray, docs: Sequence[list[str]]
) -> np.ndarray:
    """What the toxicity stacker reads: the toxic-vs-clean margin, log sentiment
    probabilities (negativity learnt from far more data) and insult-lexicon hits."""
    margin = toxic_scores[:, 1] - toxic_scores[:, 0]
    harsh = np.array(
        [min(3, sum(1 for t in d if t.startswith("<lex_harsh"))) for d in docs], dtype=np.float64
    )
    out: np.ndarray = np.column_stack([margin, np.log(sentiment + 1e-6), harsh])
    return out


def stacker_sentiment(head: Head) -> Head:
    """The sentiment head whose probabilities the toxicity stacker reads: a committee's
    all-domain member (the stacker was fitted to it; the committee's average, which leans on
    domains that never saw insults, flagged 2.5x more clean comments)."""
    return head.members[0] if isinstance(head, CommitteeHead) else head


def default_model_dir() -> Path:
    return Path(__file__).resolve().parent / "models"


@dataclass
class ClassicalModel:
    """Featurizer IDF, every head, thresholds and versions, as trained by `duluan train`."""

    featurizer: Featurizer
    heads: dict[str, Head]
    meta: dict[str, Any] = field(default_factory=dict)

    def all_scores(self, x: sp.csr_matrix) -> dict[str, np.ndarray]:
        """Raw scores of every head (one sparse product each: cheap next to segmentation;
        stacking the heads into one product saved ~6 µs a post but held 96 MB more)."""
        return {name: head.scores(x) for name, head in self.heads.items()}

    def predict(self, x: sp.csr_matrix, docs: Sequence[list[str]]) -> dict[str, np.ndarray]:
        """Probabilities per task: see nlp.backends.base.TASKS for the shapes."""
        out: dict[str, np.ndarray] = {}
        scores = self.all_scores(x)
        for name, s in scores.items():
            proba = self.heads[name].proba_from_scores(s)
            if name == "toxic":
                stacker = self.meta.get("toxic_stacker")
                sentiment = None
                if stacker and "sentiment" in self.heads:
                    member = stacker_sentiment(self.heads["sentiment"])
                    # a committee's scores start with its all-domain member's columns
                    member_scores = scores["sentiment"][:, : len(member.classes)]
                    sentiment = member.proba_from_scores(member_scores)
                if stacker and sentiment is not None:
                    z = toxic_stack_inputs(s, sentiment, docs) @ np.asarray(stacker["weights"])
                    proba = 1.0 / (1.0 + np.exp(-(z + float(stacker["intercept"]))))
                else:
                    proba = proba[:, 1]
            elif name == "domain":
                proba = proba[:, 1]
            elif name == "aspects":
                proba = proba.reshape(len(docs), -1, 4)
            out[name] = proba
        return out

    def save(self, out_dir: Path) -> None:
        out_dir.mkdir(parents=True, exist_ok=True)
        assert self.featurizer.idf is not None
        nz = np.flatnonzero(self.featurizer.idf).astype(np.int32)
        arrays: dict[str, np.ndarray] = {
            "idf.rows": nz,
            "idf.values": self.featurizer.idf[nz].astype(np.float16),
        }
        heads_meta: dict[str, Any] = {}
        for name, head in self.heads.items():
            heads_meta[name] = {"classes": head.classes, "mode": head.mode, "groups": head.groups}
            if isinstance(head, CommitteeHead):
                heads_meta[name]["members"] = [m.name for m in head.members]
                heads_meta[name]["member_weights"] = [float(w) for w in head.member_weights]
                for m in head.members:
                    arrays.update(m.to_arrays())
            else:
                arrays.update(head.to_arrays())
        np.savez_compressed(out_dir / ARRAYS_FILE, allow_pickle=False, **arrays)
        meta = dict(self.meta)
        meta["heads"] = heads_meta
        meta["n_features"] = N_FEATURES
        (out_dir / META_FILE).write_text(
            json.dumps(meta, indent=2, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8"
        )

    @classmethod
    def load(cls, model_dir: Path) -> ClassicalModel:
        meta = json.loads((model_dir / META_FILE).read_text(encoding="utf-8"))
        n_features = int(meta["n_features"])
        with np.load(model_dir / ARRAYS_FILE, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
        idf = np.zeros(n_features, dtype=np.float32)
        idf[arrays["idf.rows"]] = arrays["idf.values"].astype(np.float32)
        heads: dict[str, Head] = {}
        for name, h in meta["heads"].items():
            classes, mode, groups = (
                list(h["classes"]),
                cast(Mode, h["mode"]),
                int(h.get("groups", 1)),
            )
            if "members" in h:  # a committee: its members' arrays are stored under their names
                members = [
                    LinearHead.from_arrays(m, classes, mode, arrays, n_features, groups=groups)
                    for m in h["members"]
                ]
                weights = np.asarray(h["member_weights"], dtype=np.float64)
                heads[name] = CommitteeHead(name, members, weights)
            else:
                heads[name] = LinearHead.from_arrays(
                    name, classes, mode, arrays, n_features, groups=groups
                )
        return cls(featurizer=Featurizer(idf), heads=heads, meta=meta)
