"""Optional backend: any Hugging Face sequence-classification checkpoint (`pip install
duluan[transformers]`). Its labels are mapped onto one of our tasks by name (config.id2label);
tasks it does not cover keep the classical heads. transformers/torch are imported lazily.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from duluan.core.logging import get_logger
from duluan.core.models import SENTIMENT_LABELS
from nlp.backends.base import Backend
from nlp.lexicon import TOPIC_IDS, VICTSD_TOPICS
from nlp.preprocess import Prepared

log = get_logger(__name__)

MAX_LENGTH = 256
BATCH_SIZE = 32

_SENTIMENT_NAMES: dict[str, str] = {
    "negative": "negative",
    "neg": "negative",
    "tieu cuc": "negative",
    "tiêu cực": "negative",
    "neutral": "neutral",
    "neu": "neutral",
    "trung tinh": "neutral",
    "trung tính": "neutral",
    "positive": "positive",
    "pos": "positive",
    "tich cuc": "positive",
    "tích cực": "positive",
}
_TOXIC_NAMES: dict[str, str] = {
    "toxic": "toxic",
    "offensive": "toxic",
    "hate": "toxic",
    "hateful": "toxic",
    "clean": "clean",
    "non-toxic": "clean",
    "non_toxic": "clean",
    "nontoxic": "clean",
    "not toxic": "clean",
    "normal": "clean",
    "none": "clean",
}
_TOPIC_NAMES: dict[str, str] = {
    **{t: t for t in TOPIC_IDS},
    **{k.lower(): v for k, v in VICTSD_TOPICS.items()},
}


def _norm(label: str) -> str:
    return re.sub(r"\s+", " ", str(label).strip().lower().replace("label_", "label "))


def map_labels(id2label: dict[int, str]) -> tuple[str, list[str]]:
    """Which task a checkpoint's labels describe, and our label for each output index."""
    names = [_norm(id2label[i]) for i in sorted(id2label)]
    for task, table in (
        ("sentiment", _SENTIMENT_NAMES),
        ("toxic", _TOXIC_NAMES),
        ("topic", _TOPIC_NAMES),
    ):
        if all(n in table for n in names):
            return task, [table[n] for n in names]
    raise ValueError(
        f"cannot map checkpoint labels {names} to sentiment, toxicity or topics; set "
        "config.id2label to e.g. negative/neutral/positive"
    )


def _max_length(model: Any, tokenizer: Any) -> int:
    """MAX_LENGTH, or less when the checkpoint has fewer positions (RoBERTa-style models such
    as PhoBERT reserve 2 of them): longer inputs would crash the embedding lookup."""
    limit = MAX_LENGTH
    positions = getattr(model.config, "max_position_embeddings", None)
    if isinstance(positions, int) and positions > 2:
        limit = min(limit, positions - 2)
    tok_max = getattr(tokenizer, "model_max_length", None)
    if isinstance(tok_max, int) and 0 < tok_max < limit:
        limit = tok_max
    return limit


class TransformersBackend(Backend):
    """Runs one fine-tuned checkpoint in batches on GPU if present, else CPU."""

    name = "transformers"

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        task: str,
        labels: list[str],
        source: str,
        multi_label: bool,
    ) -> None:
        import torch

        self._torch = torch
        self.device = "cuda" if torch.cuda.is_available() else "cpu"
        self.model = model.to(self.device).eval()
        self.tokenizer = tokenizer
        self.task = task
        self.labels = labels
        self.source = source
        self.multi_label = multi_label
        self.max_length = _max_length(model, tokenizer)

    @classmethod
    def load(cls, name_or_path: str) -> TransformersBackend:
        try:
            from transformers import AutoModelForSequenceClassification, AutoTokenizer
        except ImportError as exc:  # pragma: no cover - depends on the optional extra
            raise RuntimeError(
                "the transformers backend needs `pip install duluan[transformers]`"
            ) from exc
        tokenizer = AutoTokenizer.from_pretrained(name_or_path)
        model = AutoModelForSequenceClassification.from_pretrained(name_or_path)
        task, labels = map_labels({int(k): v for k, v in model.config.id2label.items()})
        multi = getattr(model.config, "problem_type", None) == "multi_label_classification"
        log.info("transformers.loaded", model=name_or_path, task=task, labels=labels)
        return cls(model, tokenizer, task, labels, name_or_path, multi)

    @property
    def tasks(self) -> frozenset[str]:
        return frozenset({self.task})

    def _logits(self, texts: Sequence[str]) -> np.ndarray:
        torch = self._torch
        chunks: list[np.ndarray] = []
        for start in range(0, len(texts), BATCH_SIZE):
            batch = [t if t.strip() else "." for t in texts[start : start + BATCH_SIZE]]
            enc = self.tokenizer(
                batch,
                padding=True,
                truncation=True,
                max_length=self.max_length,
                return_tensors="pt",
            )
            enc = {k: v.to(self.device) for k, v in enc.items()}
            with torch.no_grad():
                logits = self.model(**enc).logits
            chunks.append(logits.float().cpu().numpy())
        return np.concatenate(chunks) if chunks else np.zeros((0, len(self.labels)))

    def predict(self, texts: Sequence[str], prepared: Sequence[Prepared]) -> dict[str, np.ndarray]:
        if not prepared:
            return {}
        logits = self._logits([p.normalized.text for p in prepared])
        if self.multi_label:
            proba: np.ndarray = 1.0 / (1.0 + np.exp(-logits))
        else:
            z = logits - logits.max(axis=1, keepdims=True)
            proba = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        if self.task == "toxic":
            toxic = np.zeros(len(prepared))
            for j, label in enumerate(self.labels):
                if label == "toxic":
                    toxic = np.maximum(toxic, proba[:, j])
            return {"toxic": toxic}
        order: list[str] = list(SENTIMENT_LABELS) if self.task == "sentiment" else list(TOPIC_IDS)
        out = np.zeros((len(prepared), len(order)))
        for j, label in enumerate(self.labels):
            out[:, order.index(label)] += proba[:, j]
        return {self.task: out}

    def versions(self) -> dict[str, str]:
        return {"transformers": f"{self.source}#{self.task}"}
