"""The default backend: hashed n-gram features and calibrated linear heads (nlp/models)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from nlp.artifacts import ClassicalModel, default_model_dir
from nlp.backends.base import Backend
from nlp.preprocess import Prepared


class ClassicalBackend(Backend):
    name = "classical"

    def __init__(self, model: ClassicalModel) -> None:
        self.model = model

    @classmethod
    def load(cls, model_dir: Path | None = None) -> ClassicalBackend:
        return cls(ClassicalModel.load(model_dir or default_model_dir()))

    @property
    def tasks(self) -> frozenset[str]:
        return frozenset(self.model.heads)

    def predict(self, texts: Sequence[str], prepared: Sequence[Prepared]) -> dict[str, np.ndarray]:
        if not prepared:
            return {}
        docs = [p.features for p in prepared]
        return self.model.predict(self.model.featurizer.transform(docs), docs)

    def versions(self) -> dict[str, str]:
        return {"classical": str(self.model.meta.get("version", "unknown"))}
