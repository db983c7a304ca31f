"""Sentiment offsets fitted on a deployment's own labels (`nlp.adaptation`, `duluan adapt`):
recovered on synthetic data whose bias we set, refused where the model already fits, applied
by the Analyzer only to the model they were fitted on."""

from __future__ import annotations

import io
import json
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from duluan.cli.nlp import adapt_cmd
from duluan.core.models import SENTIMENT_LABELS, Post
from duluan.core.settings import Settings
from duluan.importer import import_file
from duluan.storage.sqlite.store import SQLiteStore
from nlp import Analyzer
from nlp.adaptation import (
    FORMAT_ONE,
    MIN_LABELLED,
    AdaptationFileError,
    AdaptationSet,
    SentimentAdaptation,
    adapt,
    fit_offsets,
    label_index,
    load_adaptation,
    shift,
    simulate,
)
from streaming.embedded_bus import EmbeddedBus
from streaming.indexer import Indexer
from streaming.nlp_worker import NlpWorker

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
    a = adapt(proba, gold, "m1", fitted_on="synthetic")
    assert a.adopted and a.cv_gain > 0.01 and a.cv_share_gain > 1.0
    np.testing.assert_allclose(a.vector(), -BIAS, atol=0.35)
    before = sum(abs(a.shares_before[c] - a.shares_labelled[c]) for c in SENTIMENT_LABELS)
    after = sum(abs(a.shares_after[c] - a.shares_labelled[c]) for c in SENTIMENT_LABELS)
    assert after < before / 2


def test_calibrated_model_is_left_alone() -> None:
    proba, gold = _synthetic(600, seed=2)
    unbiased = shift(proba, -BIAS)
    a = adapt(unbiased, gold, "m1")
    assert not a.adopted
    assert a.cv_share_gain <= 1.0  # fitted offsets only add noise to a calibrated model
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
    b = adapt(*_synthetic(400, seed=5), "m1")
    path = tmp_path / "a.json"
    AdaptationSet(a, {"voz": b}).save(path)
    assert AdaptationSet.load(path) == AdaptationSet(a, {"voz": b})
    data = json.loads(path.read_text(encoding="utf-8"))
    for bad, match in (
        ({**data, "format": "other"}, "not a"),
        (
            {**data, "sources": {"voz": {**data["sources"]["voz"], "offsets": {"neutral": 40.0}}}},
            "within",
        ),
        ({**data, "sources": ["voz"]}, "map"),
        ({**data, "default": {"offsets": {}}}, "cannot read"),
        ([1, 2], "not a"),
    ):
        path.write_text(json.dumps(bad), encoding="utf-8")
        with pytest.raises(AdaptationFileError, match=match):
            AdaptationSet.load(path)
    path.write_text("{", encoding="utf-8")
    with pytest.raises(AdaptationFileError, match="cannot read"):
        AdaptationSet.load(path)


def test_session_13_file_is_read_as_the_default(tmp_path: Path) -> None:
    """A file written before offsets were kept per source still applies, to every source."""
    a = _neutralising("m1")
    old = {"format": FORMAT_ONE, **{k: v for k, v in a.__dict__.items() if k != "fitted_on"}}
    old["source"] = "forum.tsv"
    path = tmp_path / "old.json"
    path.write_text(json.dumps(old), encoding="utf-8")
    loaded = AdaptationSet.load(path)
    assert loaded.sources == {} and loaded.default is not None
    assert loaded.default.fitted_on == "forum.tsv" and loaded.default.offsets == a.offsets


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
    adaptation = AdaptationSet(_neutralising(version))
    adapted = Analyzer(analyzer.classical, adaptation=adaptation, pos_tags=False)
    result = adapted.analyze([text])[0]
    assert result.sentiment.label == "neutral"
    assert result.model_versions["sentiment_adaptation"] == "neg+0.00,neu+3.00,pos-3.00"


def test_offsets_apply_to_their_own_source_only(analyzer: Analyzer) -> None:
    """Per-source offsets move that source's posts; others keep the model's decisions (and no
    adaptation tag); a default entry covers every source without one of its own."""
    text = "Máy dùng ổn"
    version = analyzer.model_versions["classical"]
    per_source = AdaptationSet(sources={"voz": _neutralising(version)})
    adapted = Analyzer(analyzer.classical, adaptation=per_source, pos_tags=False)
    out = adapted.analyze([text] * 3, ["voz", "tinhte", None])
    assert [a.sentiment.label for a in out] == ["neutral", "positive", "positive"]
    assert [a.model_versions.get("sentiment_adaptation") for a in out] == [
        "neg+0.00,neu+3.00,pos-3.00",
        None,
        None,
    ]
    mild = SentimentAdaptation(
        offsets={"negative": 0.0, "neutral": 0.0, "positive": 0.0},
        labelled=300,
        cv_gain=0.01,
        fold_gains=[0.01] * 5,
        adopted=True,
        model=version,
    )
    both = Analyzer(
        analyzer.classical,
        adaptation=AdaptationSet(_neutralising(version), {"tinhte": mild}),
        pos_tags=False,
    )
    out = both.analyze([text] * 3, ["voz", "tinhte", None])
    assert [a.sentiment.label for a in out] == ["neutral", "positive", "neutral"]
    with pytest.raises(ValueError, match="sources"):
        both.analyze([text], ["voz", "tinhte"])


def test_offsets_for_another_model_are_ignored(tmp_path: Path, analyzer: Analyzer) -> None:
    path = tmp_path / "a.json"
    version = analyzer.model_versions["classical"]
    AdaptationSet(_neutralising("classical-1999.01.01-a")).save(path)
    assert load_adaptation(path, version) is None
    AdaptationSet(_neutralising("classical-1999.01.01-a"), {"voz": _neutralising(version)}).save(
        path
    )
    kept = load_adaptation(path, version)
    assert kept is not None and kept.default is None and list(kept.sources) == ["voz"]
    assert load_adaptation(path, version, backend="transformers") is None
    AdaptationSet(_neutralising(version)).save(path)
    assert load_adaptation(path, version) is not None
    settings = Settings(data_dir=tmp_path, nlp_sentiment_adaptation=path, nlp_pos_tags=False)
    loaded = Analyzer.load(settings)
    assert loaded.analyze(["Máy dùng ổn"])[0].sentiment.label == "neutral"


app = typer.Typer()
app.command("adapt")(adapt_cmd)


@app.command("noop")
def _noop() -> None:  # a second command keeps typer from collapsing to a single-command app
    pass


def _praise_as_neutral(tmp_path: Path) -> Path:
    """Our invented product comments, labelled by a team that calls every positive one neutral."""
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
    return shifted


def test_cli_adapts_to_a_team_that_counts_praise_as_neutral(tmp_path: Path) -> None:
    """Our invented product comments relabelled with every positive one called neutral: the
    model's decisions no longer fit, so offsets are adopted and written."""
    shifted = _praise_as_neutral(tmp_path)
    out = tmp_path / "adapt.json"
    result = CliRunner().invoke(app, ["adapt", "--labelled", str(shifted), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "adopted" in result.output and "DULUAN_NLP_SENTIMENT_ADAPTATION" in result.output
    saved = AdaptationSet.load(out)
    assert saved.default is not None and not saved.sources
    assert saved.default.offsets["neutral"] > 0.5 > -0.5 > saved.default.offsets["positive"]
    # a second source's sample adds its own entry and keeps the default
    result = CliRunner().invoke(
        app, ["adapt", "--labelled", str(shifted), "--source", "voz", "--out", str(out)]
    )
    assert result.exit_code == 0 and "source 'voz'" in result.output, result.output
    saved = AdaptationSet.load(out)
    assert saved.default is not None and list(saved.sources) == ["voz"]
    # not adopted for another source (a 5-point margin): nothing written for it
    result = CliRunner().invoke(
        app,
        [
            "adapt",
            "--labelled",
            str(PRODUCTS),
            "--source",
            "tinhte",
            "--out",
            str(out),
            "--margin",
            "5",
        ],
    )
    assert result.exit_code == 0 and "not adopted" in result.output, result.output
    assert list(AdaptationSet.load(out).sources) == ["voz"]
    result = CliRunner().invoke(app, ["adapt", "--remove", "--source", "voz", "--out", str(out)])
    assert result.exit_code == 0, result.output
    saved = AdaptationSet.load(out)
    assert saved.default is not None and not saved.sources
    assert CliRunner().invoke(app, ["adapt", "--out", str(out)]).exit_code == 2
    out.write_text("{}", encoding="utf-8")  # not ours: never overwritten
    foreign = CliRunner().invoke(app, ["adapt", "--labelled", str(shifted), "--out", str(out)])
    assert foreign.exit_code == 2 and out.read_text(encoding="utf-8") == "{}"


def test_cli_writes_nothing_below_the_margin_and_rejects_bad_input(tmp_path: Path) -> None:
    out = tmp_path / "adapt.json"
    result = CliRunner().invoke(
        app, ["adapt", "--labelled", str(PRODUCTS), "--out", str(out), "--margin", "5"]
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


def test_cli_defaults_are_the_library_defaults() -> None:
    import inspect

    from nlp.adaptation import DEFAULT_MARGIN, F1_TOLERANCE

    params = inspect.signature(adapt_cmd).parameters
    assert params["margin"].default.default == DEFAULT_MARGIN
    assert params["f1_tolerance"].default.default == F1_TOLERANCE


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
    AdaptationSet(_neutralising(analyzer.model_versions["classical"])).save(path)
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
        version = analyzer.model_versions["classical"]
        AdaptationSet(sources={"voz": _neutralising(version)}).save(path)
        for args, n in (([], 1), (["--source", "tinhte"], 1), (["--source", "voz"], 2)):
            result = CliRunner().invoke(evaluating, ["eval", "--labelled", str(PRODUCTS), *args])
            assert result.exit_code == 0, result.output
            rows = [line for line in result.output.splitlines() if line.startswith("sentiment")]
            assert len(rows) == n, (args, result.output)
        path.write_text("{}", encoding="utf-8")
        bad = CliRunner().invoke(evaluating, ["eval", "--labelled", str(PRODUCTS)])
        assert bad.exit_code == 2 and "nlp_sentiment_adaptation" in bad.output
    finally:
        get_settings.cache_clear()


def _forum_post(n: int, source: str) -> Post:
    return Post(
        id=f"{source}:comment:{n}",
        source=source,
        text="Máy dùng ổn",
        created_at=datetime(2026, 12, 1, tzinfo=UTC),
    )


def test_worker_and_import_pass_each_posts_source(settings: Settings, analyzer: Analyzer) -> None:
    """The NLP worker and `duluan import` tell the Analyzer each post's source, so offsets
    fitted for one forum change that forum's posts only."""
    version = analyzer.model_versions["classical"]
    adapted = Analyzer(
        analyzer.classical,
        adaptation=AdaptationSet(sources={"voz": _neutralising(version)}),
        pos_tags=False,
    )
    bus = EmbeddedBus(settings.resolved_bus_path)
    posts = [_forum_post(n, s) for n, s in enumerate(["voz", "tinhte"] * 3)]
    bus.publish_many(settings.raw_topic, [(p.id, p.to_json()) for p in posts])
    NlpWorker(bus, settings, analyze=adapted.analyze).run(max_idle=0.5)
    store = SQLiteStore(settings.resolved_store_path)
    Indexer(EmbeddedBus(settings.resolved_bus_path), store, settings).run(max_idle=0.5)
    rows = [store.get(p.id) for p in posts]
    got = {(r.source, r.analysis.sentiment.label) for r in rows if r and r.analysis}
    assert got == {("voz", "neutral"), ("tinhte", "positive")}

    path = settings.data_dir / "import.jsonl"
    path.write_text(
        "".join(
            json.dumps({**p.model_dump(mode="json"), "id": p.id.replace("comment", "imp")}) + "\n"
            for p in posts
        ),
        encoding="utf-8",
    )
    stats = import_file(path, store, adapted.analyze)
    assert stats.imported == 6
    for p in posts:
        r = store.get(p.id.replace("comment", "imp"))
        assert r is not None and r.analysis is not None
        assert r.analysis.sentiment.label == ("neutral" if p.source == "voz" else "positive")


def test_analyze_jsonl_reads_a_source_field(tmp_path: Path, analyzer: Analyzer) -> None:
    from duluan.cli.nlp import run_analyze

    path = tmp_path / "a.json"
    AdaptationSet(sources={"voz": _neutralising(analyzer.model_versions["classical"])}).save(path)
    settings = Settings(data_dir=tmp_path, nlp_sentiment_adaptation=path, nlp_pos_tags=False)
    lines = [
        json.dumps({"id": "1", "source": "voz", "text": "Máy dùng ổn"}),
        json.dumps({"id": "2", "source": "tinhte", "text": "Máy dùng ổn"}),
        json.dumps({"id": "3", "text": "Máy dùng ổn"}),
        json.dumps({"id": "4", "source": 7, "text": "Máy dùng ổn"}),
    ]
    out = io.StringIO()
    assert run_analyze(lines, out, "jsonl", settings) == 4
    recs = [json.loads(x) for x in out.getvalue().splitlines()]
    assert [r.get("sentiment", {}).get("label") for r in recs[:3]] == [
        "neutral",
        "positive",
        "positive",
    ]
    assert recs[0]["source"] == "voz" and "error" in recs[3] and recs[3]["id"] == "4"


def test_workers_pick_up_offsets_from_the_metadata_database(
    settings: Settings, analyzer: Analyzer
) -> None:
    """`duluan adapt` writes to the metadata database; a running NLP worker applies a new fit,
    or drops a removed one, within nlp_offsets_refresh_s, without a restart."""
    from duluan.meta.database import meta_url
    from duluan.meta.sentiment_offsets import SentimentOffsetsRepository

    s = settings.model_copy(update={"nlp_offsets_refresh_s": 0.2, "nlp_pos_tags": False})
    bus = EmbeddedBus(s.resolved_bus_path)
    worker = NlpWorker(bus, s)  # loads its own Analyzer, as `duluan worker nlp` does
    assert worker.offsets is not None
    store = SQLiteStore(s.resolved_store_path)
    indexer = Indexer(EmbeddedBus(s.resolved_bus_path), store, s)

    def labels(first: int) -> dict[str, str]:
        posts = [_forum_post(first + n, src) for n, src in enumerate(["voz", "tinhte"])]
        bus.publish_many(s.raw_topic, [(p.id, p.to_json()) for p in posts])
        worker.run(max_idle=0.3)
        indexer.run(max_idle=0.3)
        got = {p.source: store.get(p.id) for p in posts}
        return {k: v.analysis.sentiment.label for k, v in got.items() if v and v.analysis}

    assert labels(0) == {"voz": "positive", "tinhte": "positive"}
    with SentimentOffsetsRepository(meta_url(s)) as repo:
        repo.save("voz", _neutralising(analyzer.model_versions["classical"]))
        time.sleep(0.3)
        assert labels(10) == {"voz": "neutral", "tinhte": "positive"}
        repo.remove("voz")
        time.sleep(0.3)
        assert labels(20) == {"voz": "positive", "tinhte": "positive"}
    store.close()


def test_cli_adapt_writes_the_metadata_database_and_import_applies_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, restore_logging: None
) -> None:
    """Without --out or a file setting, `duluan adapt` keeps the offsets in the metadata
    database; `duluan import` applies them to that source's posts."""
    from duluan.cli.main import app as duluan_app
    from duluan.core.settings import get_settings
    from duluan.meta.database import meta_url
    from duluan.meta.sentiment_offsets import SentimentOffsetsRepository

    monkeypatch.setenv("DULUAN_DATA_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    try:
        team = _praise_as_neutral(tmp_path)
        r = CliRunner().invoke(duluan_app, ["adapt", "--labelled", str(team), "--source", "voz"])
        assert r.exit_code == 0 and "metadata database" in r.output, r.output
        assert "no restart" in r.output
        with SentimentOffsetsRepository(meta_url(get_settings())) as repo:
            assert list(repo.load().sources) == ["voz"]
        posts = tmp_path / "posts.jsonl"
        posts.write_text(
            "".join(
                json.dumps(_forum_post(n, src).model_dump(mode="json"), ensure_ascii=False) + "\n"
                for n, src in enumerate(["voz", "tinhte"])
            ),
            encoding="utf-8",
        )
        r = CliRunner().invoke(duluan_app, ["import", str(posts)])
        assert r.exit_code == 0, r.output
        with SQLiteStore(get_settings().resolved_store_path) as store:
            voz, tinhte = store.get("voz:comment:0"), store.get("tinhte:comment:1")
        assert voz is not None and voz.analysis is not None
        assert tinhte is not None and tinhte.analysis is not None
        assert (voz.analysis.sentiment.label, tinhte.analysis.sentiment.label) == (
            "neutral",
            "positive",
        )
        scored = CliRunner().invoke(
            duluan_app, ["eval", "--labelled", str(PRODUCTS), "--source", "voz"]
        )
        assert scored.exit_code == 0, scored.output
        assert "sentiment adapted" in scored.output  # the database's voz offsets are scored
        r = CliRunner().invoke(duluan_app, ["adapt", "--remove", "--source", "voz"])
        assert r.exit_code == 0, r.output
        with SentimentOffsetsRepository(meta_url(get_settings())) as repo:
            assert not repo.load()
    finally:
        get_settings.cache_clear()


def test_cli_reanalyze_brings_history_in_line_with_a_new_fit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, restore_logging: None
) -> None:
    """Posts stored before `duluan adapt` keep the old reading until `duluan reanalyze`; it
    rewrites the matching ones only, and keeps an analyst's correction."""
    from duluan.cli.main import app as duluan_app
    from duluan.core.settings import get_settings

    monkeypatch.setenv("DULUAN_DATA_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    try:
        posts = tmp_path / "posts.jsonl"
        posts.write_text(
            "".join(
                json.dumps(_forum_post(n, src).model_dump(mode="json"), ensure_ascii=False) + "\n"
                for n, src in enumerate(["voz", "tinhte", "voz"])
            ),
            encoding="utf-8",
        )
        run = CliRunner().invoke
        assert run(duluan_app, ["import", str(posts)]).exit_code == 0
        r = run(duluan_app, ["correction", "set", "voz:comment:2", "negative"])
        assert r.exit_code == 0, r.output
        team = _praise_as_neutral(tmp_path)
        assert run(duluan_app, ["adapt", "--labelled", str(team), "--source", "voz"]).exit_code == 0

        def labels() -> list[str]:
            with SQLiteStore(get_settings().resolved_store_path) as store:
                got = [store.get(i) for i in ("voz:comment:0", "tinhte:comment:1", "voz:comment:2")]
            return [p.analysis.sentiment.label for p in got if p and p.analysis]

        assert labels() == ["positive", "positive", "negative"]  # stored before the fit
        r = run(duluan_app, ["reanalyze", "--source", "voz"])
        assert r.exit_code == 0 and "analysed 2 stored posts again" in r.output, r.output
        assert labels() == ["neutral", "positive", "negative"]  # the correction holds
    finally:
        get_settings.cache_clear()
