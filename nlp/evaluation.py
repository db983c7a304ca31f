"""`duluan eval`: accuracy and macro-F1 on every labelled test split, plus cross-domain sentiment.

Cross-domain: the sentiment head is retrained without dataset X and tested on X, for each X,
because the product reads comments from sources none of the datasets come from.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.metrics import accuracy_score, f1_score

from duluan.core.models import SENTIMENT_LABELS
from nlp import datasets as ds
from nlp.artifacts import ClassicalModel, default_model_dir
from nlp.lexicon import ASPECT_IDS, TOPIC_IDS
from nlp.training import ASPECT_CLASSES, Corpus, fit_featurizer, train_sentiment


@dataclass
class Row:
    task: str
    dataset: str
    split: str
    n: int
    accuracy: float
    macro_f1: float
    note: str = ""


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


def _row(task: str, dataset: str, split: str, y: Sequence[str], pred: Sequence[str],
         note: str = "", f1_pos: str | None = None) -> Row:
    if f1_pos is not None:
        f1 = float(f1_score(y, pred, pos_label=f1_pos, average="binary"))
    else:
        f1 = float(f1_score(y, pred, average="macro"))
    return Row(task, dataset, split, len(y), float(accuracy_score(y, pred)), f1, note)


def evaluate_model(model: ClassicalModel, corpus: Corpus) -> list[Row]:
    """Shipped-model figures on every test split the data folder has."""
    rows: list[Row] = []
    fz = model.featurizer
    heads = model.heads
    for name in ds.SENTIMENT_SETS:
        if not corpus.has(name, "test"):
            continue
        split = corpus.split(name, "test")
        for folded in (False, True):
            x = fz.transform(corpus.features(name, "test", folded))
            proba = heads["sentiment"].proba(x)
            pred = _sentiment_pred(proba, name)
            note = "no diacritics" if folded else ""
            if name != "aivivn-2019" and not folded:
                note = f"ECE {calibration_error(proba, split.labels['sentiment']):.3f}"
            if name == "aivivn-2019":
                note = ("pos/neg only; 20% hash hold-out " + note).strip()
            rows.append(_row("sentiment", name, "test", split.labels["sentiment"], list(pred),
                             note))
    if corpus.has("uit-victsd", "test"):
        split = corpus.split("uit-victsd", "test")
        for folded in (False, True):
            docs = corpus.features("uit-victsd", "test", folded)
            x = fz.transform(docs)
            topic = np.array(TOPIC_IDS)[heads["topic"].proba(x).argmax(1)]
            note = "comment text only" + (", no diacritics" if folded else "")
            rows.append(_row("topic", "uit-victsd", "test", split.labels["topic"], list(topic),
                             note))
            thr = float(model.meta.get("thresholds", {}).get("toxic", 0.5))
            toxic = np.where(model.predict(x, docs)["toxic"] >= thr, "toxic", "clean")
            rows.append(_row("toxicity", "uit-victsd", "test", split.labels["toxic"],
                             list(toxic), "F1 of toxic class" + (", no diacritics" if folded
                                                                 else ""), f1_pos="toxic"))
        xt = fz.transform(corpus.features("uit-victsd", "test", field_name="titles"))
        topic = np.array(TOPIC_IDS)[heads["topic"].proba(xt).argmax(1)]
        rows.append(_row("topic", "uit-victsd", "test", split.labels["topic"], list(topic),
                         "article titles (seen in training: optimistic)"))
    if "aspects" in heads and corpus.has("uit-visfd", "test"):
        rows.extend(_aspect_rows(model, corpus))
    if corpus.has(ds.CHALLENGE, "test"):
        rows.extend(challenge_rows(model, corpus))
    if corpus.has(ds.REAL, "test"):
        rows.extend(real_rows(model, corpus))
    if corpus.has(ds.NEWS, "test"):
        split = corpus.split(ds.NEWS, "test")
        proba = model.heads["sentiment"].proba(model.featurizer.transform(
            corpus.features(ds.NEWS, "test")))
        gold = split.labels["sentiment"]
        rows.append(_row("sentiment", ds.NEWS, "test", gold, list(_sentiment_pred(proba, ds.NEWS)),
                         f"ViCTSD news comments, our labels; ECE {calibration_error(proba, gold):.3f}"))
    return rows


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
    rows = [_row("sentiment", name, "test", gold, pred, "real comments, all sources; "
                 f"ECE {calibration_error(proba, gold):.3f}")]
    for source in sorted(set(split.labels["source"])):
        idx = [i for i, s in enumerate(split.labels["source"]) if s == source]
        if len(idx) >= 50:
            rows.append(_row("sentiment", name, "test", [gold[i] for i in idx],
                             [pred[i] for i in idx], f"real comments: {source}"))
    thr = float(model.meta.get("thresholds", {}).get("toxic", 0.5))
    flagged = model.predict(x, docs)["toxic"] >= thr
    clean = np.array(split.labels["toxic"]) == "clean"
    if clean.sum() < len(clean) - 20:  # enough toxic comments for an F1
        toxic = np.where(flagged, "toxic", "clean")
        rows.append(_row("toxicity", name, "test", split.labels["toxic"], list(toxic),
                         "F1 of toxic class, real comments", f1_pos="toxic"))
    rate = float(flagged[clean].mean()) if clean.any() else 0.0
    rows.append(Row("toxic false alarms", name, "test", int(clean.sum()), rate, float("nan"),
                    "acc column = share of clean real comments flagged toxic"))
    return rows


def challenge_rows(model: ClassicalModel, corpus: Corpus) -> list[Row]:
    """Our invented social comments (never trained on): the closest stand-in we have for
    the unseen sources the product reads. Small (≈180), so read ±0.03."""
    name = ds.CHALLENGE
    split = corpus.split(name, "test")
    rows: list[Row] = []
    for folded in (False, True):
        docs = corpus.features(name, "test", folded)
        x = model.featurizer.transform(docs)
        suffix = ", no diacritics" if folded else ""
        pred = _sentiment_pred(model.heads["sentiment"].proba(x), name)
        rows.append(_row("sentiment", name, "test", split.labels["sentiment"], list(pred),
                         "invented social comments" + suffix))
        thr = float(model.meta.get("thresholds", {}).get("toxic", 0.5))
        toxic = np.where(model.predict(x, docs)["toxic"] >= thr, "toxic", "clean")
        rows.append(_row("toxicity", name, "test", split.labels["toxic"], list(toxic),
                         "F1 of toxic class" + suffix, f1_pos="toxic"))
        keep = [i for i, t in enumerate(split.labels["topic"]) if t != "-"]
        topic = np.array(TOPIC_IDS)[model.heads["topic"].proba(x[keep]).argmax(1)]
        rows.append(_row("topic", name, "test", [split.labels["topic"][i] for i in keep],
                         list(topic), "rows with a topic" + suffix))
    return rows


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
    rows = [Row("aspect detection", "uit-visfd", "test", tp + fn, prec, f1,
                "accuracy column = precision; micro-F1")]
    if pol_true:
        rows.append(_row("aspect polarity", "uit-visfd", "test", pol_true, pol_pred,
                         "on correctly detected aspects"))
    return rows


def cross_domain(corpus: Corpus) -> list[Row]:
    """Train sentiment without dataset X (IDF too), test on X; for each sentiment dataset."""
    rows: list[Row] = []
    present = [n for n in ds.SENTIMENT_SETS if corpus.has(n, "train")]
    for held in present:
        names = [n for n in present if n != held]
        if not names:
            continue
        fz = fit_featurizer(corpus, names)
        head = train_sentiment(corpus, fz, names, names)
        split = corpus.split(held, "test")
        pred = _sentiment_pred(head.proba(fz.transform(corpus.features(held, "test"))), held)
        rows.append(_row("sentiment x-domain", held, "test", split.labels["sentiment"],
                         list(pred), "trained on " + " + ".join(names)))
    return rows


def evaluate(data_dir: Path | None = None, model_dir: Path | None = None,
             with_cross_domain: bool = True) -> list[Row]:
    corpus = Corpus(data_dir or ds.default_data_dir())
    model = ClassicalModel.load(model_dir or default_model_dir())
    rows = evaluate_model(model, corpus)
    if with_cross_domain:
        rows.extend(cross_domain(corpus))
    return rows


def format_table(rows: Sequence[Row]) -> str:
    head = f"{'task':<20} {'dataset':<12} {'split':<5} {'n':>6} {'acc':>7} {'F1':>7}  note"
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(f"{r.task:<20} {r.dataset:<12} {r.split:<5} {r.n:>6} {r.accuracy:>7.4f} "
                     f"{r.macro_f1:>7.4f}  {r.note}")
    xd = [r.macro_f1 for r in rows if r.task == "sentiment x-domain"]
    if xd:
        lines.append(f"cross-domain sentiment macro-F1, mean of {len(xd)}: {np.mean(xd):.4f}")
    return "\n".join(lines)
