"""`duluan eval`: accuracy, macro-F1, per-class recall and calibration on every labelled test
split; leave-one-domain-out sentiment; error of the corrected sentiment shares.

Leave-one-domain-out: the sentiment head is retrained without domain X (students, products,
Facebook, news, forum) and tested on X, because the product reads comments from sources none
of the datasets come from. Shares: mean absolute error (points) of the confusion-corrected
shares (nlp.shares) against the truth on random 500-post samples.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.metrics import accuracy_score, f1_score, recall_score

from duluan.core.models import SENTIMENT_LABELS
from nlp import datasets as ds
from nlp.adaptation import AdaptationSet, SentimentAdaptation, simulate, usable
from nlp.analyzer import MODEL_LANGS
from nlp.artifacts import ClassicalModel, default_model_dir
from nlp.features import syllables
from nlp.langid import detect
from nlp.lexicon import ASPECT_IDS, TOPIC_IDS
from nlp.normalize import normalize
from nlp.sections import TEXT_OVERRIDE
from nlp.shares import corrected_points
from nlp.training import (
    ASPECT_CLASSES,
    Corpus,
    confusion_counts,
    leave_one_domain_out,
    pooled_confusion,
    train_topics,
)


@dataclass
class Row:
    task: str
    dataset: str
    split: str
    n: int
    accuracy: float
    macro_f1: float
    note: str = ""
    recall: dict[str, float] | None = None
    ece: float | None = None
    share_mae: tuple[float, float, float] | None = None
    """Points: corrected shares on natural 500-post samples, raw shares there, corrected
    shares on samples with random class mixes."""


def _sentiment_pred(proba: np.ndarray, dataset: str) -> np.ndarray:
    """AIVIVN has no neutral class: pick the better of negative / positive there."""
    labels = np.array(SENTIMENT_LABELS)
    if dataset == "aivivn-2019":
        p = proba.copy()
        p[:, SENTIMENT_LABELS.index("neutral")] = -1.0
        return labels[p.argmax(1)]
    return labels[proba.argmax(1)]


def calibration_error(proba: np.ndarray, gold: Sequence[str], bins: int = 10) -> float:
    """Expected calibration error of the top label: how far "score 0.8" is from 80 % right."""
    labels = np.array(SENTIMENT_LABELS)
    conf = proba.max(1)
    right = labels[proba.argmax(1)] == np.array(gold)
    edges = np.linspace(0.0, 1.0, bins + 1)
    err = 0.0
    for lo, hi in itertools.pairwise(edges):
        inside = (conf > lo) & (conf <= hi)
        if inside.any():
            err += inside.mean() * abs(conf[inside].mean() - right[inside].mean())
    return float(err)


def _row(
    task: str,
    dataset: str,
    split: str,
    y: Sequence[str],
    pred: Sequence[str],
    note: str = "",
    f1_pos: str | None = None,
    labels: Sequence[str] | None = None,
) -> Row:
    """`labels`: the classes macro-F1 averages over (default: those in `y` or `pred`)."""
    if f1_pos is not None:
        f1 = float(f1_score(y, pred, pos_label=f1_pos, average="binary", zero_division=0))
    else:
        f1 = float(f1_score(y, pred, labels=labels, average="macro"))
    return Row(task, dataset, split, len(y), float(accuracy_score(y, pred)), f1, note)


def share_errors(
    proba: np.ndarray,
    gold: Sequence[str],
    confusion: np.ndarray | None,
    size: int = 500,
    trials: int = 300,
    seed: int = 0,
) -> tuple[float, float, float] | None:
    """Mean absolute error (points, over classes and samples) of the corrected shares on
    random `size`-post samples (with replacement): natural samples of the set, their raw
    shares, and samples whose class mix is drawn at random (prior shift)."""
    if confusion is None or len(gold) == 0:
        return None
    labels: list[str] = list(SENTIMENT_LABELS)
    truth = np.array([labels.index(g) for g in gold])
    pred = proba.argmax(1)
    rng = np.random.default_rng(seed)
    k = len(labels)

    def run(idx: np.ndarray) -> tuple[float, float]:
        obs = np.stack([np.bincount(pred[i], minlength=k) for i in idx]).astype(np.float64)
        true = np.stack([np.bincount(truth[i], minlength=k) for i in idx]) / size
        est = corrected_points(obs, confusion)
        return (
            float(np.abs(est - true).mean() * 100),
            float(np.abs(obs / size - true).mean() * 100),
        )

    natural, raw = run(rng.integers(0, len(truth), size=(trials, size)))
    present = [c for c in range(k) if (truth == c).any()]
    shifted_idx = []
    for _ in range(trials):
        mix = rng.dirichlet(np.ones(len(present)))
        cls = rng.choice(present, size=size, p=mix)
        shifted_idx.append(np.array([rng.choice(np.flatnonzero(truth == c)) for c in cls]))
    shifted, _ = run(np.stack(shifted_idx))
    return natural, raw, shifted


def sentiment_row(
    dataset: str,
    proba: np.ndarray,
    gold: Sequence[str],
    note: str = "",
    confusion: np.ndarray | None = None,
    task: str = "sentiment",
) -> Row:
    """Macro-F1, per-class recall, ECE and (with a confusion matrix) corrected-share error."""
    pred = list(_sentiment_pred(proba, dataset))
    row = _row(task, dataset, "test", gold, pred, note)
    present = [c for c in SENTIMENT_LABELS if c in set(gold)]
    rec = recall_score(gold, pred, labels=present, average=None, zero_division=0)
    row.recall = {c: float(r) for c, r in zip(present, rec, strict=True)}
    row.ece = calibration_error(proba, gold)
    row.share_mae = share_errors(proba, gold, confusion)
    return row


def evaluate_model(model: ClassicalModel, corpus: Corpus) -> list[Row]:
    """Shipped-model figures on every test split the data folder has."""
    rows: list[Row] = []
    fz = model.featurizer
    heads = model.heads
    confusion = _shipped_confusion(model)
    for name in ds.SENTIMENT_SETS:
        if not corpus.has(name, "test"):
            continue
        split = corpus.split(name, "test")
        for folded in (False, True):
            x = fz.transform(corpus.features(name, "test", folded))
            proba = heads["sentiment"].proba(x)
            gold = split.labels["sentiment"]
            if folded:
                rows.append(
                    _row(
                        "sentiment",
                        name,
                        "test",
                        gold,
                        list(_sentiment_pred(proba, name)),
                        "no diacritics",
                    )
                )
                continue
            note = {
                "aivivn-2019": "pos/neg only; 20% hash hold-out",
                ds.VSMEC: "Facebook comments, our labels",
            }.get(name, "")
            rows.append(sentiment_row(name, proba, gold, note, confusion))
    if corpus.has("uit-victsd", "test"):
        split = corpus.split("uit-victsd", "test")
        for folded in (False, True):
            docs = corpus.features("uit-victsd", "test", folded)
            x = fz.transform(docs)
            topic = np.array(TOPIC_IDS)[heads["topic"].proba(x).argmax(1)]
            note = "comment text only" + (", no diacritics" if folded else "")
            rows.append(
                _row("topic", "uit-victsd", "test", split.labels["topic"], list(topic), note)
            )
            toxic = toxic_labels(model, x, docs)
            rows.append(
                _row(
                    "toxicity",
                    "uit-victsd",
                    "test",
                    split.labels["toxic"],
                    toxic,
                    "F1 of toxic class" + (", no diacritics" if folded else ""),
                    f1_pos="toxic",
                )
            )
        xt = fz.transform(corpus.features("uit-victsd", "test", field_name="titles"))
        topic = np.array(TOPIC_IDS)[heads["topic"].proba(xt).argmax(1)]
        rows.append(
            _row(
                "topic",
                "uit-victsd",
                "test",
                split.labels["topic"],
                list(topic),
                "article titles (seen in training: optimistic)",
            )
        )
    if corpus.has(ds.VSMEC, "test"):
        rows.extend(toxicity_rows(model, corpus, ds.VSMEC, "Facebook comments, our labels"))
    if "aspects" in heads and corpus.has("uit-visfd", "test"):
        rows.extend(_aspect_rows(model, corpus))
    for name, note in (
        (ds.CHALLENGE, "invented social comments"),
        (ds.PRODUCTS_CHALLENGE, "invented product-forum comments"),
    ):
        if corpus.has(name, "test"):
            rows.extend(challenge_rows(model, corpus, name, note))
    if "topic" in model.heads:
        rows.extend(topic_rows(model, corpus))
    if corpus.has(ds.REAL, "test"):
        rows.extend(real_rows(model, corpus))
    if corpus.has(ds.NEWS, "test"):
        split = corpus.split(ds.NEWS, "test")
        proba = model.heads["sentiment"].proba(
            model.featurizer.transform(corpus.features(ds.NEWS, "test"))
        )
        gold = split.labels["sentiment"]
        rows.append(
            sentiment_row(ds.NEWS, proba, gold, "ViCTSD news comments, our labels", confusion)
        )
    return rows


def toxicity_rows(model: ClassicalModel, corpus: Corpus, name: str, note: str) -> list[Row]:
    """F1 of the toxic class and macro-F1 over toxic/clean (how public toxicity benchmarks
    score), as typed and without diacritics."""
    gold = corpus.split(name, "test").labels["toxic"]
    rows: list[Row] = []
    if not gold:  # labels whose comments this data folder lacks
        return rows
    for folded in (False, True):
        docs = corpus.features(name, "test", folded)
        toxic = toxic_labels(model, model.featurizer.transform(docs), docs)
        suffix = ", no diacritics" if folded else ""
        rows.append(
            _row(
                "toxicity",
                name,
                "test",
                gold,
                toxic,
                note + ", F1 of toxic class" + suffix,
                f1_pos="toxic",
            )
        )
        rows.append(_row("toxicity", name, "test", gold, toxic, note + ", macro-F1" + suffix))
    return rows


def toxic_labels(model: ClassicalModel, x: sp.csr_matrix, docs: Sequence[list[str]]) -> list[str]:
    """ "toxic" / "clean" per row at the model's shipped threshold, as the analyzer decides."""
    thr = float(model.meta.get("thresholds", {}).get("toxic", 0.5))
    return list(np.where(model.predict(x, docs)["toxic"] >= thr, "toxic", "clean"))


def _shipped_confusion(model: ClassicalModel) -> np.ndarray | None:
    found = model.meta.get("sentiment_confusion")
    if not isinstance(found, dict):
        return None
    return np.asarray(found["counts"], dtype=np.float64)


def real_rows(model: ClassicalModel, corpus: Corpus) -> list[Row]:
    """Real comments from sources no training set comes from (voz, YouTube, VnExpress),
    labelled by us: the most honest figure here for "social text it has never seen"."""
    name = ds.REAL
    split = corpus.split(name, "test")
    docs = corpus.features(name, "test")
    x = model.featurizer.transform(docs)
    proba = model.heads["sentiment"].proba(x)
    pred = list(_sentiment_pred(proba, name))
    gold = split.labels["sentiment"]
    rows = [
        sentiment_row(name, proba, gold, "real comments, all sources", _shipped_confusion(model))
    ]
    for source in sorted(set(split.labels["source"])):
        idx = [i for i, s in enumerate(split.labels["source"]) if s == source]
        if len(idx) >= 50:
            rows.append(
                _row(
                    "sentiment",
                    name,
                    "test",
                    [gold[i] for i in idx],
                    [pred[i] for i in idx],
                    f"real comments: {source}",
                )
            )
    toxic = toxic_labels(model, x, docs)
    flagged = np.array(toxic) == "toxic"
    clean = np.array(split.labels["toxic"]) == "clean"
    if clean.sum() < len(clean) - 20:  # enough toxic comments for an F1
        rows.append(
            _row(
                "toxicity",
                name,
                "test",
                split.labels["toxic"],
                toxic,
                "F1 of toxic class, real comments",
                f1_pos="toxic",
            )
        )
    rate = float(flagged[clean].mean()) if clean.any() else 0.0
    rows.append(
        Row(
            "toxic false alarms",
            name,
            "test",
            int(clean.sum()),
            rate,
            float("nan"),
            "acc column = share of clean real comments flagged toxic",
        )
    )
    return rows


def challenge_rows(model: ClassicalModel, corpus: Corpus, name: str, note: str) -> list[Row]:
    """Our invented comments (never trained on): the closest stand-in we have for the unseen
    sources the product reads, but written like our training comments, so optimistic.
    Small (180-300), so read ±0.03."""
    split = corpus.split(name, "test")
    rows: list[Row] = []
    for folded in (False, True):
        docs = corpus.features(name, "test", folded)
        x = model.featurizer.transform(docs)
        suffix = ", no diacritics" if folded else ""
        pred = _sentiment_pred(model.heads["sentiment"].proba(x), name)
        rows.append(
            _row(
                "sentiment",
                name,
                "test",
                split.labels["sentiment"],
                list(pred),
                note + suffix,
            )
        )
        toxic = toxic_labels(model, x, docs)
        rows.append(
            _row(
                "toxicity",
                name,
                "test",
                split.labels["toxic"],
                toxic,
                "F1 of toxic class" + suffix,
                f1_pos="toxic",
            )
        )
        keep = [i for i, t in enumerate(split.labels["topic"]) if t != "-"]
        topic = np.array(TOPIC_IDS)[model.heads["topic"].proba(x[keep]).argmax(1)]
        rows.append(
            _row(
                "topic",
                name,
                "test",
                [split.labels["topic"][i] for i in keep],
                list(topic),
                "rows with a topic" + suffix,
            )
        )
    return rows


def labelled_sentiment(
    model: ClassicalModel, corpus: Corpus, path: Path, x: sp.csr_matrix | None = None
) -> tuple[np.ndarray, list[str]]:
    """Sentiment probabilities and labels of a user's labelled file's rows that have one."""
    name = ds.LABELLED_FILE + str(path)
    labels = corpus.split(name, "test").labels["sentiment"]
    keep = [i for i, v in enumerate(labels) if v != "-"]
    if not keep:
        return np.zeros((0, len(SENTIMENT_LABELS))), []
    if x is None:
        x = model.featurizer.transform(corpus.features(name, "test"))
    return model.heads["sentiment"].proba(x[keep]), [labels[i] for i in keep]


def labelled_file_rows(
    model: ClassicalModel,
    corpus: Corpus,
    path: Path,
    adaptation: SentimentAdaptation | None = None,
) -> list[Row]:
    """A user's own labelled sample (docs/labelling.md): how the shipped models read *their*
    sources. Sentiment rows add the predicted against the true share of each class, the
    error a dashboard would show on that sample."""
    name = ds.LABELLED_FILE + str(path)
    split = corpus.split(name, "test")
    docs = corpus.features(name, "test")
    x = model.featurizer.transform(docs)
    rows: list[Row] = []
    proba, gold = labelled_sentiment(model, corpus, path, x)
    if gold:
        pred = _sentiment_pred(proba, path.name)
        shares = ", ".join(
            f"{c[:3]} {np.mean(pred == c) * 100:.0f}/{np.mean(np.array(gold) == c) * 100:.0f}"
            for c in SENTIMENT_LABELS
        )
        rows.append(sentiment_row(path.name, proba, gold, f"share % predicted/true: {shares}"))
        if adaptation is not None:
            adapted = adaptation.apply(proba)
            rows.append(
                sentiment_row(
                    path.name,
                    adapted,
                    gold,
                    f"with the offsets fitted on {adaptation.fitted_on or 'your labels'} "
                    f"({adaptation.tag}); judge them on posts they were not fitted on",
                    task="sentiment adapted",
                )
            )
    judged = [i for i, t in enumerate(split.labels["toxic"]) if t != "-"]
    if judged:
        toxic = toxic_labels(model, x[judged], [docs[i] for i in judged])
        gold_toxic = [split.labels["toxic"][i] for i in judged]
        for note, f1_pos in (("F1 of toxic class", "toxic"), ("macro-F1", None)):
            rows.append(_row("toxicity", path.name, "test", gold_toxic, toxic, note, f1_pos=f1_pos))
    topical = [i for i, t in enumerate(split.labels["topic"]) if t != "-"]
    if topical:
        topic = np.array(TOPIC_IDS)[model.heads["topic"].proba(x[topical]).argmax(1)]
        gold_topics = [split.labels["topic"][i] for i in topical]
        rows.append(_row("topic", path.name, "test", gold_topics, list(topic), "rows with a topic"))
    return rows


def evaluate_labelled(
    paths: Sequence[Path],
    model_dir: Path | None = None,
    offsets: AdaptationSet | None = None,
    source: str | None = None,
) -> list[Row]:
    """Figures on the user's labelled files only (no research data needed); with the
    deployment's sentiment offsets (`duluan adapt`) as well, when they fit this model: those of
    `source`, else the default entry."""
    corpus = Corpus(ds.default_data_dir())
    model = ClassicalModel.load(model_dir or default_model_dir())
    found = (
        usable(offsets, str(model.meta.get("version", "")), None, "your offsets")
        if offsets is not None
        else None
    )
    adaptation = found.entry(source) if found is not None else None
    return [row for path in paths for row in labelled_file_rows(model, corpus, path, adaptation)]


def _topical(text: str) -> bool:
    norm = normalize(text)
    return norm.has_letters and detect(norm.plain)[0] in MODEL_LANGS


def topic_decisions(
    model: ClassicalModel,
    proba: np.ndarray,
    docs: Sequence[list[str]],
    texts: Sequence[str] | None = None,
) -> list[str]:
    """The analyzer's answer per row: its best topic, or "none" below the abstention
    threshold (`thresholds.topic_top`, `topic_top_long` for long posts), for text without
    letters (emoji only) and for other languages, as `Analyzer` does."""
    thresholds = model.meta.get("thresholds", {})
    top = float(thresholds.get("topic_top", 0.12))
    top_long = float(thresholds.get("topic_top_long", top))
    long = int(thresholds.get("topic_long_syllables", 10**9))
    best = proba.argmax(1)
    letters = [True] * len(best) if texts is None else [_topical(t) for t in texts]
    floors = [top_long if syllables(d) > long else top for d in docs]
    return [
        TOPIC_IDS[k] if proba[i, k] >= floors[i] and letters[i] else "none"
        for i, k in enumerate(best)
    ]


def _abstaining_row(dataset: str, gold: Sequence[str], pred: Sequence[str], note: str) -> Row:
    """Macro-F1 over the real topics with "no topic" counted as a miss; acc = coverage."""
    labels = sorted(set(gold))
    f1 = float(f1_score(gold, pred, labels=labels, average="macro"))
    coverage = float(np.mean([p != "none" for p in pred]))
    return Row(
        "topic, abstaining",
        dataset,
        "test",
        len(gold),
        coverage,
        f1,
        note + "; acc column = share given a topic",
    )


def topic_rows(model: ClassicalModel, corpus: Corpus) -> list[Row]:
    """Abstention (contentless comments), comments with and without abstention, inherited
    thread topics, and article-register text (our invented articles)."""
    rows: list[Row] = []
    head = model.heads["topic"]
    fz = model.featurizer
    if corpus.has(ds.CONTENTLESS, "test"):
        docs = corpus.features(ds.CONTENTLESS, "test")
        proba = head.proba(fz.transform(docs))
        texts = corpus.split(ds.CONTENTLESS, "test").texts
        quiet = float(np.mean([p == "none" for p in topic_decisions(model, proba, docs, texts)]))
        rows.append(
            Row(
                "topic abstention",
                ds.CONTENTLESS,
                "test",
                len(proba),
                quiet,
                float("nan"),
                "acc column = share with no topic (target >= 0.80)",
            )
        )
    if corpus.has("uit-victsd", "test"):
        split = corpus.split("uit-victsd", "test")
        gold = split.labels["topic"]
        docs = corpus.features("uit-victsd", "test")
        proba = head.proba(fz.transform(docs))
        rows.append(
            _abstaining_row(
                "uit-victsd", gold, topic_decisions(model, proba, docs), "comment text only"
            )
        )
        best = proba.argmax(1)
        own = [TOPIC_IDS[k] if proba[i, k] >= TEXT_OVERRIDE else "" for i, k in enumerate(best)]
        inherited = [o if o and o != g else g for o, g in zip(own, gold, strict=True)]
        rows.append(
            _row(
                "topic, in thread",
                "uit-victsd",
                "test",
                gold,
                inherited,
                "article topic inherited unless the text is confident; acc = share kept",
            )
        )
    for name, body in (
        (ds.ARTICLES, "title + lead"),
        (ds.ARTICLES_LONG, "title + full body"),
        (ds.ARTICLES_C, "third writer, title + lead"),
        (ds.ARTICLES_D, "fourth writer, world and foreign names, title + lead"),
        (ds.ARTICLES_E, "fifth writer, events abroad and at home, title + lead"),
        (ds.ARTICLES_F, "seventh writer, subjects abroad by section, title + lead"),
    ):
        if not corpus.has(name, "test"):
            continue
        split = corpus.split(name, "test")
        gold = split.labels["topic"]
        for field, note in (("texts", body), ("titles", "title only")):
            docs = corpus.features(name, "test", field_name=field)
            proba = head.proba(fz.transform(docs))
            rows.append(
                _row(
                    "topic",
                    name,
                    "test",
                    gold,
                    [TOPIC_IDS[k] for k in proba.argmax(1)],
                    f"invented news articles, {note}",
                    labels=sorted(set(gold)),  # a set of a few sections: over its topics
                )
            )
            rows.append(
                _abstaining_row(
                    name,
                    gold,
                    topic_decisions(model, proba, docs),
                    f"invented news articles, {note}",
                )
            )
    return rows


def heldout_article_rows(model: ClassicalModel, corpus: Corpus, folds: int = 4) -> list[Row]:
    """News text from articles never trained on: ViCTSD's 825 articles in `folds` groups;
    the topic head is retrained without one group (its comments and titles) and reads that
    group's titles, and each title with its first 8 comments (a long document)."""
    if not corpus.has("uit-victsd", "dev"):
        return []
    labels: dict[str, str] = {}
    feats: dict[str, list[str]] = {}
    comments: dict[str, list[list[str]]] = {}
    for split in ("train", "dev", "test"):
        sp_ = corpus.split("uit-victsd", split)
        title_feats = corpus.features("uit-victsd", split, field_name="titles")
        docs = corpus.features("uit-victsd", split)
        for i, title in enumerate(sp_.titles):
            labels.setdefault(title, sp_.labels["topic"][i])
            feats.setdefault(title, title_feats[i])
            comments.setdefault(title, []).append(docs[i])
    titles = sorted(labels)
    pred_title: dict[str, str] = {}
    pred_long: dict[str, str] = {}
    for k in range(folds):
        held = [t for i, t in enumerate(titles) if i % folds == k]
        head, _ = train_topics(corpus, model.featurizer, refit=False, exclude=frozenset(held))
        short = head.scores(model.featurizer.transform([feats[t] for t in held])).argmax(1)
        long_docs = [feats[t] + [f for d in comments[t][:8] for f in d] for t in held]
        long = head.scores(model.featurizer.transform(long_docs)).argmax(1)
        for t, a, b in zip(held, short, long, strict=True):
            pred_title[t], pred_long[t] = TOPIC_IDS[a], TOPIC_IDS[b]
    gold = [labels[t] for t in titles]
    return [
        _row(
            "topic x-article",
            "uit-victsd",
            "all",
            gold,
            [pred_title[t] for t in titles],
            f"titles of held-out articles ({folds} folds)",
        ),
        _row(
            "topic x-article",
            "uit-victsd",
            "all",
            gold,
            [pred_long[t] for t in titles],
            "held-out title + first 8 comments",
        ),
    ]


def _aspect_rows(model: ClassicalModel, corpus: Corpus) -> list[Row]:
    split = corpus.split("uit-visfd", "test")
    x = model.featurizer.transform(corpus.features("uit-visfd", "test"))
    proba = model.heads["aspects"].proba(x).reshape(len(split), len(ASPECT_IDS), 4)
    thr = float(model.meta.get("thresholds", {}).get("aspect", 0.6))
    tp = fp = fn = 0
    pol_true: list[str] = []
    pol_pred: list[str] = []
    for i, gold in enumerate(split.aspects):
        for j, aspect in enumerate(ASPECT_IDS):
            present = 1.0 - proba[i, j, 0] >= thr
            if present and aspect in gold:
                tp += 1
                pol_true.append(gold[aspect])
                pol_pred.append(ASPECT_CLASSES[1 + int(np.argmax(proba[i, j, 1:]))])
            elif present:
                fp += 1
            elif aspect in gold:
                fn += 1
    prec = tp / max(1, tp + fp)
    rec = tp / max(1, tp + fn)
    f1 = 2 * prec * rec / max(1e-9, prec + rec)
    rows = [
        Row(
            "aspect detection",
            "uit-visfd",
            "test",
            tp + fn,
            prec,
            f1,
            "accuracy column = precision; micro-F1",
        )
    ]
    if pol_true:
        rows.append(
            _row(
                "aspect polarity",
                "uit-visfd",
                "test",
                pol_true,
                pol_pred,
                "on correctly detected aspects",
            )
        )
    return rows


def cross_domain(corpus: Corpus) -> list[Row]:
    """Leave one domain out: train sentiment (IDF too) without it, test on its test sets; the
    corrected shares there use a confusion matrix pooled from the *other* held-out domains,
    as a deployment meets a source its matrix never saw."""
    lodo = leave_one_domain_out(corpus)
    counts = {
        d: sum(
            (confusion_counts(p, g) for p, g in sets.values()),
            np.zeros((len(SENTIMENT_LABELS),) * 2),
        )
        for d, sets in lodo.items()
    }
    rows: list[Row] = []
    for domain, sets in lodo.items():
        others = {d: c for d, c in counts.items() if d != domain}
        confusion = pooled_confusion(others) if others else None
        for name, (proba, gold) in sets.items():
            rows.append(
                sentiment_row(
                    name, proba, gold, f"{domain} held out", confusion, task="sentiment x-domain"
                )
            )
            if len(set(gold)) == len(SENTIMENT_LABELS) and len(gold) >= ADAPT_LABELLED + 50:
                rows.append(adapted_row(name, proba, gold, domain))
    return rows


ADAPT_LABELLED = 300
ADAPT_DRAWS = 10


def adapted_row(name: str, proba: np.ndarray, gold: Sequence[str], domain: str) -> Row:
    """`duluan adapt` on a held-out domain: offsets fitted on 300 of its labelled posts (when
    cross-validation adopts them), scored on the rest; the mean of 10 random draws."""
    f0, f1, e0, e1, adopted = simulate(proba, gold, ADAPT_LABELLED, ADAPT_DRAWS)
    return Row(
        "sentiment adapted",
        name,
        "test",
        len(gold) - ADAPT_LABELLED,
        adopted / ADAPT_DRAWS,
        f1,
        f"{domain} held out, {ADAPT_LABELLED} labelled: macro-F1 {f0:.3f} -> {f1:.3f}, raw "
        f"share error {e0:.1f} -> {e1:.1f} points; acc column = share of draws adopted",
    )


def evaluate(
    data_dir: Path | None = None, model_dir: Path | None = None, with_cross_domain: bool = True
) -> list[Row]:
    corpus = Corpus(data_dir or ds.default_data_dir())
    model = ClassicalModel.load(model_dir or default_model_dir())
    rows = evaluate_model(model, corpus)
    if with_cross_domain:
        rows.extend(heldout_article_rows(model, corpus))
        rows.extend(cross_domain(corpus))
    return rows


def _recall(r: Row) -> str:
    if not r.recall:
        return ""
    return "/".join(f"{r.recall[c]:.2f}" if c in r.recall else "-" for c in SENTIMENT_LABELS)


def format_table(rows: Sequence[Row]) -> str:
    head = (
        f"{'task':<20} {'dataset':<16} {'n':>5} {'acc':>6} {'F1':>6} {'recall n/n/p':>14} "
        f"{'ECE':>5} {'share MAE':>15}  note"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        ece = f"{r.ece:.3f}" if r.ece is not None else ""
        mae = "{:.1f} ({:.1f}) {:.1f}".format(*r.share_mae) if r.share_mae else ""
        lines.append(
            f"{r.task:<20} {r.dataset:<16} {r.n:>5} {r.accuracy:>6.3f} "
            f"{r.macro_f1:>6.3f} {_recall(r):>14} {ece:>5} {mae:>15}  {r.note}"
        )
    lines.append(
        "recall: negative/neutral/positive; share MAE: points, corrected shares on "
        "random 500-post samples (raw shares in brackets), then on samples with a "
        "random class mix"
    )
    xd = [r.macro_f1 for r in rows if r.task == "sentiment x-domain" and r.dataset != "aivivn-2019"]
    if xd:
        lines.append(
            f"leave-one-domain-out sentiment macro-F1 (3-class sets), mean of "
            f"{len(xd)}: {np.mean(xd):.4f}"
        )
    return "\n".join(lines)
