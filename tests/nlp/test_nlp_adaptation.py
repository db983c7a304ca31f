"""Sentiment offsets fitted on a deployment's own labels (`nlp.adaptation`, `duluan adapt`):
recovered on synthetic data whose bias we set, refused where the model already fits, applied
by the Analyzer only to the model they were fitted on."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from duluan.cli.nlp import adapt_cmd
from duluan.core.models import SENTIMENT_LABELS
from duluan.core.settings import Settings
from nlp import Analyzer
from nlp.adaptation import (
    MIN_LABELLED,
    SentimentAdaptation,
    adapt,
    fit_offsets,
    label_index,
    load_adaptation,
    shift,
    simulate,
)

REPO = Path(__file__).resolve().parents[2]
PRODUCTS = REPO / "nlp" / "eval" / "products_challenge.tsv"
BIAS = np.array([0.0, -1.0, 0.7])
"""A model that under-reads neutral and over-reads positive, as on a source it never saw."""


def _synthetic(n: int, seed: int = 0) -> tuple[np.ndarray, list[str]]:
    """Calibrated probabilities, labels drawn from them, and the same probabilities with BIAS."""
    rng = np.random.default_rng(seed)
    truth = shift(np.exp(rng.normal(0, 1.5, (n, 3))), np.zeros(3))
    y = [SENTIMENT_LABELS[int(rng.choice(3, p=row))] for row in truth]
    return shift(truth, BIAS), y


def test_fitted_offsets_undo_a_known_bias() -> None:
    proba, gold = _synthetic(6000)
    y = label_index(gold)
    np.testing.assert_allclose(fit_offsets(proba, y), -BIAS, atol=0.15)


def test_biased_model_is_adapted_and_its_shares_move_to_the_labels() -> None:
    proba, gold = _synthetic(600, seed=1)
    a = adapt(proba, gold, "m1", source="synthetic")
    assert a.adopted and a.cv_gain > 0.01
    np.testing.assert_allclose(a.vector(), -BIAS, atol=0.35)
    before = sum(abs(a.shares_before[c] - a.shares_labelled[c]) for c in SENTIMENT_LABELS)
    after = sum(abs(a.shares_after[c] - a.shares_labelled[c]) for c in SENTIMENT_LABELS)
    assert after < before / 2


def test_calibrated_model_is_left_alone() -> None:
    proba, gold = _synthetic(600, seed=2)
    unbiased = shift(proba, -BIAS)
    a = adapt(unbiased, gold, "m1")
    assert not a.adopted
    assert a.cv_gain <= 0.005  # fitted offsets only add noise to a calibrated model
    assert a.vector().tolist() == [0.0, 0.0, 0.0]
    assert a.shares_after == a.shares_before


def test_too_few_labels_are_refused() -> None:
    proba, gold = _synthetic(MIN_LABELLED - 1)
    with pytest.raises(ValueError, match="at least"):
        adapt(proba, gold, "m1")


def test_simulation_reports_gain_on_held_out_posts() -> None:
    proba, gold = _synthetic(900, seed=3)
    f0, f1, e0, e1, adopted = simulate(proba, gold, labelled=300, repeats=3)
    assert adopted == 3
    assert f1 > f0 and e1 < e0


def test_save_load_round_trip_and_bad_files(tmp_path: Path) -> None:
    proba, gold = _synthetic(400, seed=4)
    a = adapt(proba, gold, "m1")
    path = tmp_path / "a.json"
    a.save(path)
    assert SentimentAdaptation.load(path) == a
    data = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**data, "format": "other"}), encoding="utf-8")
    with pytest.raises(ValueError, match="not a"):
        SentimentAdaptation.load(path)
    path.write_text(json.dumps({**data, "offsets": {"neutral": 40.0}}), encoding="utf-8")
    with pytest.raises(ValueError, match="within"):
        SentimentAdaptation.load(path)


def _neutralising(model: str) -> SentimentAdaptation:
    return SentimentAdaptation(
        offsets={"negative": 0.0, "neutral": 3.0, "positive": -3.0},
        labelled=300,
        cv_gain=0.05,
        fold_gains=[0.05] * 5,
        adopted=True,
        model=model,
    )


def test_analyzer_applies_offsets_for_its_own_model(analyzer: Analyzer) -> None:
    text = "Máy dùng ổn"
    assert analyzer.analyze([text])[0].sentiment.label == "positive"
    version = analyzer.model_versions["classical"]
    adapted = Analyzer(analyzer.classical, adaptation=_neutralising(version), pos_tags=False)
    result = adapted.analyze([text])[0]
    assert result.sentiment.label == "neutral"
    assert result.model_versions["sentiment_adaptation"] == "neg+0.00,neu+3.00,pos-3.00"


def test_offsets_for_another_model_are_ignored(tmp_path: Path, analyzer: Analyzer) -> None:
    path = tmp_path / "a.json"
    _neutralising("classical-1999.01.01-a").save(path)
    assert load_adaptation(path, analyzer.model_versions["classical"]) is None
    _neutralising(analyzer.model_versions["classical"]).save(path)
    assert load_adaptation(path, analyzer.model_versions["classical"]) is not None
    settings = Settings(data_dir=tmp_path, nlp_sentiment_adaptation=path, nlp_pos_tags=False)
    loaded = Analyzer.load(settings)
    assert loaded.analyze(["Máy dùng ổn"])[0].sentiment.label == "neutral"


app = typer.Typer()
app.command("adapt")(adapt_cmd)


@app.command("noop")
def _noop() -> None:  # a second command keeps typer from collapsing to a single-command app
    pass


def test_cli_adapts_to_a_team_that_counts_praise_as_neutral(tmp_path: Path) -> None:
    """Our invented product comments relabelled with every positive one called neutral: the
    model's decisions no longer fit, so offsets are adopted and written."""
    rows = [line.split("\t") for line in PRODUCTS.read_text(encoding="utf-8").splitlines()]
    shifted = tmp_path / "team.tsv"
    shifted.write_text(
        "".join(
            "\t".join(["neu" if r[0] == "pos" else r[0], *r[1:]]) + "\n"
            for r in rows
            if r and not r[0].startswith("#")
        ),
        encoding="utf-8",
    )
    out = tmp_path / "adapt.json"
    result = CliRunner().invoke(app, ["adapt", "--labelled", str(shifted), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "adopted" in result.output and "DULUAN_NLP_SENTIMENT_ADAPTATION" in result.output
    saved = SentimentAdaptation.load(out)
    assert saved.offsets["neutral"] > 0.5 > -0.5 > saved.offsets["positive"]


def test_cli_leaves_a_fitting_model_alone_and_rejects_bad_input(tmp_path: Path) -> None:
    out = tmp_path / "adapt.json"
    result = CliRunner().invoke(
        app, ["adapt", "--labelled", str(PRODUCTS), "--out", str(out), "--margin", "0.05"]
    )
    assert result.exit_code == 0, result.output
    assert "not adopted" in result.output and not out.exists()
    missing = CliRunner().invoke(app, ["adapt", "--labelled", str(tmp_path / "nope.tsv")])
    assert missing.exit_code == 2
    few = tmp_path / "few.tsv"
    few.write_text("pos\t0\t-\tMáy đẹp\n" * 20, encoding="utf-8")
    too_few = CliRunner().invoke(app, ["adapt", "--labelled", str(few)])
    assert too_few.exit_code == 2 and "at least" in too_few.output
    bad = tmp_path / "bad.tsv"
    bad.write_text("great\t0\t-\tMáy đẹp\n" * 150, encoding="utf-8")
    assert CliRunner().invoke(app, ["adapt", "--labelled", str(bad)]).exit_code == 2


def test_cli_default_margin_is_the_library_default() -> None:
    import inspect

    from nlp.adaptation import DEFAULT_MARGIN

    assert inspect.signature(adapt_cmd).parameters["margin"].default.default == DEFAULT_MARGIN


def test_eval_labelled_scores_with_the_deployments_offsets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, analyzer: Analyzer
) -> None:
    """With DULUAN_NLP_SENTIMENT_ADAPTATION set, `duluan eval --labelled` adds a row scored
    with the offsets; a file that is not ours exits 2."""
    from duluan.cli.nlp import eval_cmd
    from duluan.core.settings import get_settings

    evaluating = typer.Typer()
    evaluating.command("eval")(eval_cmd)
    evaluating.command("noop")(_noop)
    path = tmp_path / "a.json"
    _neutralising(analyzer.model_versions["classical"]).save(path)
    monkeypatch.setenv("DULUAN_NLP_SENTIMENT_ADAPTATION", str(path))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(evaluating, ["eval", "--labelled", str(PRODUCTS)])
        assert result.exit_code == 0, result.output
        rows = [line for line in result.output.splitlines() if line.startswith("sentiment")]
        expected = [["sentiment", "products_challenge.tsv"], ["sentiment", "adapted"]]
        assert [r.split()[0:2] for r in rows] == expected
        # columns: task (one or two words), dataset, n, acc, macro-F1
        plain, adapted = (float(r.split()[5 if r.startswith("sentiment ad") else 4]) for r in rows)
        assert adapted < plain  # offsets that call praise neutral cost this balanced set
        path.write_text("{}", encoding="utf-8")
        bad = CliRunner().invoke(evaluating, ["eval", "--labelled", str(PRODUCTS)])
        assert bad.exit_code == 2 and "nlp_sentiment_adaptation" in bad.output
    finally:
        get_settings.cache_clear()
