"""The shipped model's metadata (classical.json) without loading its arrays or scikit-learn.

The API, briefings and alerts need only the held-out sentiment confusion matrix to correct
the shares they show, and the deployment's sentiment offsets to say which sources they adapt;
reading them must stay cheap (JSON only, cached by file mtime).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from duluan.core.logging import get_logger
from duluan.core.models import SENTIMENT_LABELS
from nlp.adaptation import AdaptationFileError, AdaptationSet, load_adaptation

if TYPE_CHECKING:
    from duluan.core.settings import Settings

log = get_logger(__name__)

META_FILE = "classical.json"


_MODEL_DIR = Path(__file__).resolve().parent / "models"


def default_model_dir() -> Path:
    """nlp/models (resolved once: `Path.resolve` walks the path with a syscall per part, and
    the API asks on every sentiment view; it was 3.6 % of a timeline under load)."""
    return _MODEL_DIR


@lru_cache(maxsize=8)
def _read(path: str, mtime_ns: int) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
    return data


def read_meta(model_dir: Path | None = None) -> dict[str, Any]:
    """classical.json of `model_dir` (default nlp/models); {} when it is missing or unreadable."""
    path = (model_dir or default_model_dir()) / META_FILE
    try:
        return _read(str(path), path.stat().st_mtime_ns)
    except (OSError, ValueError):
        return {}


def sentiment_confusion(model_dir: Path | None = None) -> np.ndarray | None:
    """Held-out sentiment confusion counts (rows true, columns predicted, SENTIMENT_LABELS
    order) shipped with the classical model, or None when it has none or ships it disabled."""
    found = read_meta(model_dir).get("sentiment_confusion")
    if not isinstance(found, dict) or list(found.get("labels", [])) != list(SENTIMENT_LABELS):
        return None
    if found.get("enabled") is False:  # shipped for evaluation, not trusted for the views
        return None
    try:
        counts = np.asarray(found["counts"], dtype=np.float64)
    except (KeyError, TypeError, ValueError):
        return None
    k = len(SENTIMENT_LABELS)
    if counts.shape != (k, k) or not np.all(np.isfinite(counts)) or np.any(counts < 0):
        return None
    return counts


def confusion_for(settings: Settings | None) -> np.ndarray | None:
    """The confusion matrix that describes the labels this deployment writes: the classical
    model's, or None under the transformers backend (its errors were never measured here)."""
    if settings is not None and settings.nlp_backend == "transformers":
        return None
    return sentiment_confusion(settings.nlp_model_dir if settings is not None else None)


@lru_cache(maxsize=8)
def _adaptation(
    path: str, mtime_ns: int, version: str, backend: str | None
) -> AdaptationSet | None:
    try:
        return load_adaptation(Path(path), version, backend)
    except AdaptationFileError as exc:  # the NLP worker refuses to start on it; views go on
        log.warning("nlp.adaptation_unreadable", path=path, error=str(exc))
        return None


def adaptation_for(settings: Settings) -> AdaptationSet | None:
    """The sentiment offsets the NLP stage applies (`nlp_sentiment_adaptation`, only entries it
    would use), or None; read from JSON and cached by file mtime."""
    path = settings.nlp_sentiment_adaptation
    if path is None:
        return None
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        return _adaptation(str(path), -1, "", None)
    return _adaptation(str(path), mtime, *sentiment_model(settings))


def sentiment_model(settings: Settings) -> tuple[str, str | None]:
    """(classical model version, other backend or None): what sentiment offsets must have been
    fitted on to apply."""
    backend = settings.nlp_backend if settings.nlp_backend != "classical" else None
    return str(read_meta(settings.nlp_model_dir).get("version", "")), backend
