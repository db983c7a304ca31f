"""One Analyzer for the whole nlp test session (loading models is the slow part), and the
invented texts committed with the project."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from nlp import Analyzer

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "data" / "nlp"


@pytest.fixture(scope="session")
def analyzer() -> Analyzer:
    return Analyzer.load()


@pytest.fixture(scope="session")
def committed_texts() -> list[str]:
    """Invented texts the project ships: social comments (nlp/data) and the evaluation news
    articles (nlp/eval)."""
    texts: list[str] = []
    for path in sorted((REPO / "nlp" / "data").glob("social_*.tsv")):
        texts += [line.rstrip("\n").split("\t")[-1] for line in path.open(encoding="utf-8")]
    texts += (REPO / "nlp" / "eval" / "news_articles.tsv").read_text(encoding="utf-8").splitlines()
    return texts


@pytest.fixture(scope="session")
def real_comments() -> list[str]:
    """Real comments from ../shared (ViCTSD and VSMEC test splits, never copied here); the
    test is skipped on a clone without them."""
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} not present")
    texts: list[str] = []
    with (SHARED / "uit-victsd" / "ViCTSD_test.csv").open(encoding="utf-8", newline="") as fh:
        texts += [row["Comment"] for row in csv.DictReader(fh)]
    with (SHARED / "uit-vsmec" / "test.csv").open(encoding="utf-8", newline="") as fh:
        texts += [row["sentence"] for row in csv.DictReader(fh)]
    return texts
