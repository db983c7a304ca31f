"""Read the NLP model's measured accuracy from nlp/MODEL_CARD.md for the caveats section."""

from __future__ import annotations

import re
from pathlib import Path

DEFAULT_MODEL_CARD = Path(__file__).resolve().parents[2] / "nlp" / "MODEL_CARD.md"
_METRIC = re.compile(r"(accuracy|macro[- ]?f1|f1|độ chính xác)", re.IGNORECASE)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?\s*%|0[.,]\d{2,}|\d{2}[.,]\d")


def _clean(line: str) -> str:
    line = line.strip().strip("|").strip()
    line = re.sub(r"\s*\|\s*", " · ", line)
    line = re.sub(r"[*_`#>]", "", line)
    return " ".join(line.split())


def accuracy_lines(path: Path | None = None, limit: int = 6) -> list[str]:
    """Lines of the model card that state an accuracy or F1 figure (empty if no card).

    Table rows keep their header, so '| sentiment | 0.81 |' reads as 'task · macro-F1 …'.
    """
    card = path or DEFAULT_MODEL_CARD
    try:
        text = card.read_text(encoding="utf-8")
    except OSError:
        return []
    found: list[str] = []
    header: str | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("|"):
            if re.fullmatch(r"\|?[\s:|-]+\|?", line):
                continue
            if header is None:
                header = _clean(line)
                if _METRIC.search(line):
                    continue
            if _NUMBER.search(line) and header and _METRIC.search(header + line):
                found.append(_clean(line) + (f"  ({header})" if header else ""))
        else:
            header = None
            if _METRIC.search(line) and _NUMBER.search(line):
                found.append(_clean(line))
        if len(found) >= limit:
            break
    return [f[:220] for f in found]
