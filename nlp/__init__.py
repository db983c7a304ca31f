"""Vietnamese text analysis usable as a library: `from nlp import analyze`.

    >>> from nlp import analyze
    >>> analyze(["Sản phẩm tốt, giao hàng nhanh"])[0].sentiment.label
    'positive'

Imports nothing of the pipeline (only `core`), so it works on its own. The Analyzer (and with
it underthesea and scikit-learn, ~1-4 s) is imported on first use, so light modules such as
`nlp.shares` can be used by the API without that cost.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from nlp.lexicon import ASPECT_IDS, TOPIC_IDS, TOPIC_NAMES

if TYPE_CHECKING:
    from duluan.core.models import Analysis
    from nlp.analyzer import Analyzer

__all__ = ["ASPECT_IDS", "TOPIC_IDS", "TOPIC_NAMES", "Analyzer", "analyze", "default_analyzer"]

_default: Analyzer | None = None
_lock = threading.Lock()


def __getattr__(name: str) -> Any:
    """`nlp.Analyzer` on first use (PEP 562)."""
    if name == "Analyzer":
        from nlp.analyzer import Analyzer

        return Analyzer
    raise AttributeError(f"module 'nlp' has no attribute {name!r}")


def default_analyzer() -> Analyzer:
    """The process-wide Analyzer, created on first use from `core.settings.get_settings()`
    (environment / duluan.toml), or from defaults if those settings cannot be read."""
    global _default
    if _default is None:
        with _lock:
            if _default is None:
                from duluan.core.settings import Settings, get_settings
                from nlp.analyzer import Analyzer

                settings: Settings | None
                try:
                    settings = get_settings()
                except Exception:  # a broken config must not stop library use
                    settings = None
                _default = Analyzer.load(settings)
    return _default


def analyze(texts: Sequence[str]) -> list[Analysis]:
    """Analyze texts with the default Analyzer: one Analysis per text, same order."""
    return default_analyzer().analyze(texts)
