"""What every backend provides: per-task probability arrays for a batch of prepared posts."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np

from nlp.preprocess import Prepared

TASKS = ("sentiment", "topic", "toxic", "aspects", "domain")
"""sentiment: (n, 3) in SENTIMENT_LABELS order; topic: (n, 10) in TOPIC_IDS order;
toxic: (n,) probability of toxic; aspects: (n, 10, 4) none/positive/negative/neutral;
domain: (n,) probability that the post is product talk (gates aspects)."""


class Backend(ABC):
    """Scores prepared posts; returns only the tasks it covers (others fall back to classical)."""

    name: str = "base"

    @property
    @abstractmethod
    def tasks(self) -> frozenset[str]: ...

    @abstractmethod
    def predict(self, texts: Sequence[str], prepared: Sequence[Prepared]) -> dict[str, np.ndarray]:
        """Probabilities per task for the batch, rows in input order."""

    @abstractmethod
    def versions(self) -> dict[str, str]: ...
