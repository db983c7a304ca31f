"""Checks against the research datasets in ../shared/data/nlp; skipped where it is absent."""

from __future__ import annotations

from pathlib import Path

import pytest
from sklearn.metrics import f1_score

from nlp import Analyzer
from nlp.datasets import available, default_data_dir, label_rows, load

DATA = default_data_dir()
pytestmark = [
    pytest.mark.shared_data,
    pytest.mark.skipif(not DATA.is_dir(), reason=f"{DATA} not present"),
]


SPLITS = ("train", "dev", "test")


def test_loaders_read_every_split() -> None:
    names = available(DATA)
    assert names
    for name in names:
        for split in ("train", "test"):
            data = load(DATA, name, split)
            assert len(data) > 500
            for labels in data.labels.values():
                assert len(labels) == len(data.texts)


def test_aivivn_holdout_is_deterministic_and_disjoint() -> None:
    if "aivivn-2019" not in available(DATA):
        pytest.skip("aivivn-2019 absent")
    train = load(DATA, "aivivn-2019", "train")
    test = load(DATA, "aivivn-2019", "test")
    assert load(DATA, "aivivn-2019", "test").texts == test.texts
    assert 0.15 < len(test) / (len(train) + len(test)) < 0.25


def test_sentiment_and_topics_on_a_test_sample(analyzer: Analyzer) -> None:
    """A quick regression guard on 400 test items per task (full figures: `duluan eval`)."""
    if not {"uit-vsfc", "uit-victsd"} <= set(available(DATA)):
        pytest.skip("datasets absent")
    vsfc = load(DATA, "uit-vsfc", "test")
    got = [a.sentiment.label for a in analyzer.analyze(vsfc.texts[:400])]
    assert f1_score(vsfc.labels["sentiment"][:400], got, average="macro") > 0.6
    victsd = load(DATA, "uit-victsd", "test")
    topics = [
        a.topics[0].label if a.topics else "none" for a in analyzer.analyze(victsd.texts[:400])
    ]
    assert f1_score(victsd.labels["topic"][:400], topics, average="macro") > 0.6


def test_default_data_dir_is_next_to_the_repo() -> None:
    assert default_data_dir() == Path(__file__).resolve().parents[3] / "shared" / "data" / "nlp"


def test_every_real_comment_label_finds_its_comment() -> None:
    """The labels (nlp/eval/real_labels.tsv) are keyed by a hash of text kept in ../shared."""
    from nlp.datasets import REAL, real_labels_file

    keys = [
        line.split("\t")[1]
        for line in real_labels_file().read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    got = load(DATA, REAL, "test")
    assert len(got) == len(keys) == len(set(keys)) > 300
    assert set(got.labels["sentiment"]) == {"positive", "neutral", "negative"}


def label_keys(paths: list[Path]) -> list[str]:
    """The keys of our hash-keyed label files (`source<TAB>key<TAB>label...`)."""
    return [row[1] for row in label_rows(paths)]


def test_every_news_comment_label_finds_its_comment() -> None:
    """Our sentiment labels for ViCTSD comments are keyed by a hash of its text; train and dev
    share label files, each comment in one split only, none in test."""
    from nlp.datasets import NEWS, news_label_files, text_key

    found = {split: {text_key(t) for t in load(DATA, NEWS, split).texts} for split in SPLITS}
    for split, seen in (("train", found["train"] | found["dev"]), ("test", found["test"])):
        keys = label_keys(news_label_files(split))
        assert len(keys) == len(set(keys)) > 300
        assert set(keys) == seen
    assert len(found["dev"]) > 1000
    assert not found["train"] & found["dev"]
    assert not (found["train"] | found["dev"]) & found["test"]


def test_every_facebook_label_finds_its_comment() -> None:
    """Our labels for UIT-VSMEC are keyed by a hash of its text; a text in its test split is
    labelled only there, so it never reaches training."""
    from nlp.datasets import VSMEC, text_key, vsmec_label_files

    found: dict[str, set[str]] = {}
    for split in ("train", "dev", "test"):
        got = load(DATA, VSMEC, split)
        assert len(got) > 600
        assert set(got.labels["toxic"]) == {"toxic", "clean"}
        assert set(got.labels["sentiment"]) == {"positive", "neutral", "negative"}
        found[split] = {text_key(t) for t in got.texts}
    for split, seen in (("train", found["train"] | found["dev"]), ("test", found["test"])):
        keys = set(label_keys(vsmec_label_files(split)))
        assert keys == seen
    assert not found["test"] & (found["train"] | found["dev"])


def test_every_product_review_label_finds_its_review() -> None:
    """Our sentiment labels for UIT-ViSFD cover every review; a review also in its test split
    is labelled only there and left out of train and dev (its aspects included)."""
    from nlp.datasets import text_key, visfd_label_files

    found = {split: {text_key(t) for t in load(DATA, "uit-visfd", split).texts} for split in SPLITS}
    for split, seen in (("train", found["train"] | found["dev"]), ("test", found["test"])):
        keys = set(label_keys(visfd_label_files(split)))
        assert keys == seen
    assert not found["test"] & (found["train"] | found["dev"])


def test_shipped_model_flags_toxic_facebook_comments(analyzer: Analyzer) -> None:
    """Held-out Facebook comments (our labels for UIT-VSMEC's test split): vulgar words,
    insults and threats. The model before these labels scored 0.67 macro-F1."""
    from nlp.datasets import VSMEC

    data = load(DATA, VSMEC, "test")
    got = ["toxic" if a.toxic.label else "clean" for a in analyzer.analyze(data.texts)]
    assert f1_score(data.labels["toxic"], got, average="macro") >= 0.8


@pytest.mark.parametrize(
    ("name", "floor", "least_recall"),
    [
        ("uit-vsmec", 0.6, 0.5),
        ("victsd-sentiment", 0.65, 0.55),
        ("real-social", 0.58, 0.5),
        ("uit-visfd", 0.62, 0.2),
    ],
)
def test_shipped_model_reads_sentiment_on_real_social_comments(
    analyzer: Analyzer, name: str, floor: float, least_recall: float
) -> None:
    """Held-out Facebook, news and forum/YouTube comments and product reviews with our
    sentiment labels (two labellers agree on 86-96 %, a third decided the rest): macro-F1 and
    every class's recall, neutral included. `classical-2026.12.08-b` measured 0.634 / 0.684 /
    0.605 / 0.671 macro-F1, lowest class recall 0.51 / 0.61 / 0.55 / 0.30 (the issue's target
    on real comments: 0.55 for every class; Facebook's neutral recall is below it; reviews
    are opinions, 6 % neutral)."""
    from sklearn.metrics import recall_score

    data = load(DATA, name, "test")
    got = [a.sentiment.label for a in analyzer.analyze(data.texts)]
    assert f1_score(data.labels["sentiment"], got, average="macro") >= floor
    assert min(recall_score(data.labels["sentiment"], got, average=None)) >= least_recall
