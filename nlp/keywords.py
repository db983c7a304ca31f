"""Keyphrases per post: the segmented content words that carry the most information.

Words are ranked by the TF-IDF weight the classical featurizer already learned, so
trend detection gets distinctive words ("giá xăng", "bão") rather than chat filler.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from nlp.lexicon import STOPWORDS

_CONTENT = re.compile(r"^[^\W\d_][\w ]*$", re.UNICODE)
MAX_KEYWORDS = 8


def keywords(words: list[str], weight: Callable[[str], float] | None = None,
             limit: int = MAX_KEYWORDS) -> list[str]:
    """Lower-case content words and compounds, best first, no stopwords or punctuation."""
    seen: dict[str, float] = {}
    for pos, w in enumerate(words):
        lw = w.lower().strip()
        if len(lw) < 2 or lw in STOPWORDS or not _CONTENT.match(lw):
            continue
        if lw in seen:
            seen[lw] += 0.1
            continue
        base = weight(lw) if weight is not None else 1.0
        if base <= 0:
            continue
        # compounds ("bác sĩ") say more than single syllables; earlier words slightly favoured
        seen[lw] = base * (1.3 if " " in lw else 1.0) - pos * 1e-4
    ranked = sorted(seen.items(), key=lambda kv: -kv[1])
    return [w for w, _ in ranked[:limit]]
