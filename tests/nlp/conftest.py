"""One Analyzer for the whole nlp test session (loading models is the slow part), and the
invented texts committed with the project."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlp import Analyzer

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def analyzer() -> Analyzer:
    return Analyzer.load()


@pytest.fixture(scope="session")
def committed_texts() -> list[str]:
    """Every invented text the project ships: social comments (nlp/data) and news articles."""
    texts: list[str] = []
    for path in sorted((REPO / "nlp" / "data").glob("social_*.tsv")):
        texts += [line.rstrip("\n").split("\t")[-1] for line in path.open(encoding="utf-8")]
    texts += (REPO / "nlp" / "eval" / "news_articles.tsv").read_text(encoding="utf-8").splitlines()
    return texts
