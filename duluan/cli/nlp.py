"""`duluan analyze | train | eval | adapt`: the NLP library from the command line.

`analyze` streams: it reads a batch of lines, writes one JSON object per input line in order,
and never stops on a bad line (that line gets an "error" field instead).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import IO, Any

import typer

from duluan.core.logging import get_logger
from duluan.core.models import Analysis

log = get_logger(__name__)

BATCH_LINES = 256


def _batches(lines: Iterable[str], size: int) -> Iterator[list[str]]:
    it = iter(lines)
    while chunk := list(islice(it, size)):
        yield chunk


def _record(text: str, a: Analysis) -> dict[str, Any]:
    return {
        "text": text,
        "language": a.language,
        "sentiment": {"label": a.sentiment.label, "score": a.sentiment.score},
        "topics": [{"label": t.label, "score": t.score} for t in a.topics],
        "toxic": {"label": a.toxic.label, "score": a.toxic.score},
        "keywords": a.keywords,
        "entities": [{"text": e.text, "type": e.type} for e in a.entities],
        "aspects": [
            {"aspect": x.aspect, "polarity": x.polarity, "score": x.score} for x in a.aspects
        ],
        "rule_topics": a.rule_topics,
    }


def _parse(line: str, fmt: str) -> tuple[str | None, dict[str, Any], str | None]:
    """(text, fields to echo back, error) for one input line."""
    line = line.rstrip("\r\n")
    if fmt != "jsonl":
        return line, {}, None
    if not line.strip():
        return None, {}, "empty line"
    try:
        obj = json.loads(line)
    except ValueError as exc:
        return None, {}, f"invalid JSON: {exc}"
    if not isinstance(obj, dict):
        return None, {}, "JSON line is not an object"
    text = obj.get("text")
    echo = {k: obj[k] for k in ("id", "source") if k in obj}
    if "source" in echo and not isinstance(echo["source"], str):
        return None, echo, "field 'source' must be a string"
    if not isinstance(text, str):
        return None, echo, "missing string field 'text'"
    return text, echo, None


def run_analyze(lines: Iterable[str], out: IO[str], fmt: str = "text", settings: Any = None) -> int:
    """Analyze lines into JSON lines on `out`; returns how many lines were written."""
    from nlp import Analyzer, default_analyzer

    analyzer = Analyzer.load(settings) if settings is not None else default_analyzer()
    written = 0
    for chunk in _batches(lines, BATCH_LINES):
        parsed = [_parse(line, fmt) for line in chunk]
        ok = [(t, echo) for t, echo, err in parsed if err is None and t is not None]
        results = iter(analyzer.analyze([t for t, _ in ok], [e.get("source") for _, e in ok]))
        for text, echo, err in parsed:
            if err is not None or text is None:
                rec: dict[str, Any] = {**echo, "text": None, "error": err}
            else:
                rec = {**echo, **_record(text, next(results))}
            out.write(json.dumps(rec, ensure_ascii=False) + "\n")
            written += 1
        out.flush()
    return written


def analyze_cmd(
    input: Path | None = typer.Option(None, "--input", "-i", help="file to read; default stdin"),
    format: str = typer.Option("text", "--format", "-f", help="text|jsonl"),
) -> None:
    """Analyze posts: one text (or JSON object with "text") per line in, one JSON line out."""
    if format not in ("text", "jsonl"):
        raise typer.BadParameter("format must be text or jsonl", param_hint="--format")
    import structlog

    from duluan.core.logging import configure_logging
    from duluan.core.settings import get_settings

    settings = get_settings()
    if not structlog.is_configured():  # keep stdout for JSON lines only
        configure_logging(settings.log_level, settings.log_format)
    if input is not None:
        if not input.is_file():
            typer.echo(f"no such file: {input}", err=True)
            raise typer.Exit(2)
        with input.open(encoding="utf-8", errors="replace", newline="") as fh:
            run_analyze(fh, sys.stdout, format, settings)
    else:
        stdin = sys.stdin
        if hasattr(stdin, "reconfigure"):
            stdin.reconfigure(errors="replace")
        run_analyze(stdin, sys.stdout, format, settings)


LABELLED_LINES = (
    "each line must be sentiment<TAB>toxic<TAB>topic<TAB>text, sentiment one of neg/neu/pos/-"
    " (docs/labelling.md)"
)


def _require_files(paths: list[Path]) -> None:
    for path in paths:
        if not path.is_file():
            typer.echo(f"no such file: {path}", err=True)
            raise typer.Exit(2)


def _bad_labelled(what: str) -> typer.Exit:
    typer.echo(f"{what}: {LABELLED_LINES}", err=True)
    return typer.Exit(2)


def train_cmd(
    data: Path | None = typer.Option(
        None, "--data", help="dataset root; default ../shared/data/nlp"
    ),
    out: Path | None = typer.Option(None, "--out", help="model folder; default nlp/models"),
) -> None:
    """Retrain every shipped classical model (deterministic) from the research datasets."""
    from nlp.artifacts import default_model_dir
    from nlp.datasets import default_data_dir
    from nlp.training import train_all

    data_dir = data or default_data_dir()
    if not data_dir.is_dir():
        typer.echo(f"no training data at {data_dir}", err=True)
        raise typer.Exit(2)
    model = train_all(data_dir)
    target = out or default_model_dir()
    model.save(target)
    typer.echo(f"saved {', '.join(model.heads)} to {target}")


def eval_cmd(
    data: Path | None = typer.Option(
        None, "--data", help="dataset root; default ../shared/data/nlp"
    ),
    model_dir: Path | None = typer.Option(None, "--model-dir", help="default nlp/models"),
    cross_domain: bool = typer.Option(
        True,
        "--cross-domain/--no-cross-domain",
        help="also retrain sentiment leaving each dataset out",
    ),
    labelled: list[Path] = typer.Option(
        [],
        "--labelled",
        help="your own labelled sample instead (repeatable): sentiment<TAB>toxic<TAB>topic<TAB>"
        "text lines, labels as in docs/labelling.md",
    ),
    source: str | None = typer.Option(
        None,
        "--source",
        help="with --labelled: the source the sample comes from, so its sentiment offsets "
        "(duluan adapt --source) are the ones scored",
    ),
) -> None:
    """Print accuracy and macro-F1 on every labelled test split, and cross-domain sentiment;
    with --labelled, on your own labelled samples only."""
    from duluan.core.settings import get_settings
    from nlp.datasets import default_data_dir
    from nlp.evaluation import evaluate, evaluate_labelled, format_table

    if labelled:
        from nlp.adaptation import AdaptationFileError

        _require_files(labelled)
        try:
            offsets = _deployment_offsets(get_settings())
        except AdaptationFileError as exc:
            typer.echo(f"bad nlp_sentiment_adaptation file: {exc}", err=True)
            raise typer.Exit(2) from exc
        except Exception as exc:  # the metadata database is away: score the model alone
            typer.echo(f"sentiment offsets unavailable, scoring without them: {exc}", err=True)
            offsets = None
        try:
            rows = evaluate_labelled(labelled, model_dir, offsets, source)
        except (ValueError, KeyError) as exc:
            raise _bad_labelled(f"could not read a labelled file ({exc!r})") from exc
        typer.echo(format_table(rows))
        return
    data_dir = data or default_data_dir()
    if not data_dir.is_dir():
        typer.echo(
            f"no research data at {data_dir}: only the bundled challenge set is evaluated", err=True
        )
        cross_domain = False
    typer.echo(format_table(evaluate(data_dir, model_dir, cross_domain)))


def _deployment_offsets(settings: Any) -> Any:
    """Every offsets entry the deployment keeps (file setting, else the metadata database when
    it exists); raises AdaptationFileError for a bad file."""
    from duluan.meta.database import meta_db_path, meta_url
    from duluan.meta.sentiment_offsets import SentimentOffsetsRepository
    from nlp.adaptation import AdaptationSet

    if settings.nlp_sentiment_adaptation is not None:
        return AdaptationSet.load(settings.nlp_sentiment_adaptation)
    if not settings.meta_url and not meta_db_path(settings).exists():
        return None  # nothing adapted yet; do not create a database to find that out
    with SentimentOffsetsRepository(meta_url(settings)) as repo:
        return repo.load() or None


def adapt_cmd(
    labelled: list[Path] = typer.Option(
        [],
        "--labelled",
        help="your labelled sample of one deployment's posts (repeatable; ≥ 100 rows with a "
        "sentiment, 300 or more recommended): sentiment<TAB>toxic<TAB>topic<TAB>text lines",
    ),
    source: str | None = typer.Option(
        None,
        "--source",
        help="the source the sample comes from (a post's `source`, e.g. voz): the offsets apply "
        "to its posts only; without it they apply to every source that has none of its own",
    ),
    out: Path | None = typer.Option(
        None,
        "--out",
        help="keep the offsets in this file instead of the metadata database (updated in "
        "place, other sources' entries kept); default: the file nlp_sentiment_adaptation "
        "names, else the metadata database, which every NLP worker rereads",
    ),
    model_dir: Path | None = typer.Option(None, "--model-dir", help="default nlp/models"),
    margin: float = typer.Option(
        1.0,  # nlp.adaptation.DEFAULT_MARGIN (the CLI module does not import nlp at load)
        "--margin",
        help="adopt only if, cross-validated, the share error falls by more than this (points)",
    ),
    f1_tolerance: float = typer.Option(
        0.01,  # nlp.adaptation.F1_TOLERANCE
        "--f1-tolerance",
        help="... and macro-F1 falls by no more than this",
    ),
    remove: bool = typer.Option(
        False,
        "--remove",
        help="drop the offsets of --source (or the default ones) from the file instead",
    ),
) -> None:
    """Fit sentiment class offsets to your own labelled posts; kept only when 5-fold
    cross-validation on them says they bring the shares closer (docs/nlp.md, "Adapting...")."""
    import numpy as np

    from duluan.cli.common import cli_settings
    from nlp.adaptation import adapt
    from nlp.artifacts import ClassicalModel, default_model_dir
    from nlp.datasets import default_data_dir
    from nlp.evaluation import labelled_sentiment
    from nlp.training import Corpus

    if not labelled and not remove:
        typer.echo("name a labelled sample with --labelled (or use --remove)", err=True)
        raise typer.Exit(2)
    _require_files(labelled)
    settings = cli_settings()
    scope = f"source {source!r}" if source else "every source without its own offsets"
    if remove:
        target = OffsetsTarget.open(out or settings.nlp_sentiment_adaptation, settings)
        target.remove(source)
        typer.echo(f"removed the offsets for {scope} from {target.where}")
        return
    model = ClassicalModel.load(model_dir or default_model_dir())
    corpus = Corpus(default_data_dir())
    probas: list[np.ndarray] = []
    gold: list[str] = []
    try:
        for path in labelled:
            p, g = labelled_sentiment(model, corpus, path)
            probas.append(p)
            gold += g
        result = adapt(
            np.vstack(probas),
            gold,
            str(model.meta.get("version", "unknown")),
            fitted_on=", ".join(p.name for p in labelled),
            margin=margin,
            f1_tolerance=f1_tolerance,
        )
    except (ValueError, KeyError) as exc:
        raise _bad_labelled(f"cannot adapt ({exc})") from exc
    shares = " | ".join(
        f"{c}: labelled {result.shares_labelled[c]:.0%}, model {result.shares_before[c]:.0%}"
        + (f", adapted {result.shares_after[c]:.0%}" if result.adopted else "")
        for c in result.offsets
    )
    typer.echo(f"{result.labelled} labelled posts; {shares}")
    folds = ", ".join(f"{g:+.1f}" for g in result.fold_share_gains)
    typer.echo(
        f"cross-validated: share error {result.cv_share_gain:+.1f} points removed (folds: "
        f"{folds}), macro-F1 {result.cv_gain:+.3f}"
    )
    target = OffsetsTarget.open(out or settings.nlp_sentiment_adaptation, settings)
    if not result.adopted:
        kept = target.current.sources.get(source) if source else target.current.default
        typer.echo(
            f"not adopted for {scope}: the share error does not fall by more than {margin:g} "
            f"points without costing more than {f1_tolerance:g} macro-F1, so the model's own "
            "decisions serve this sample as well; nothing written"
            + (f" ({target.where} keeps its earlier offsets {kept.tag} for it)" if kept else "")
        )
        return
    target.save(source, result)
    offsets = ", ".join(f"{c} {v:+.2f}" for c, v in result.offsets.items())
    typer.echo(f"adopted for {scope}: offsets {offsets}; written to {target.where}")
    typer.echo(target.next_step)


class OffsetsTarget:
    """Where `duluan adapt` keeps offsets: a file (`--out`, or the one the deployment's
    `nlp_sentiment_adaptation` names), else the metadata database every worker rereads."""

    def __init__(
        self, where: str, current: Any, file: Path | None, settings: Any, url: str = ""
    ) -> None:
        self.where, self.current, self.file, self.settings = where, current, file, settings
        self.url = url  # the metadata database, when there is no file

    @classmethod
    def open(cls, file: Path | None, settings: Any) -> OffsetsTarget:
        from duluan.meta.database import meta_url, redact
        from duluan.meta.sentiment_offsets import SentimentOffsetsRepository
        from nlp.adaptation import AdaptationFileError, AdaptationSet

        if file is None:
            url = meta_url(settings)
            with SentimentOffsetsRepository(url) as repo:
                where = f"the metadata database ({redact(url)})"
                return cls(where, repo.load(), None, settings, url)
        try:
            current = AdaptationSet.load(file) if file.exists() else AdaptationSet()
        except AdaptationFileError as exc:
            typer.echo(f"{exc}; move it aside or name another --out", err=True)
            raise typer.Exit(2) from exc
        return cls(str(file), current, file, settings)

    def save(self, source: str | None, entry: Any) -> None:
        if self.file is not None:
            self.current.with_entry(source, entry).save(self.file)
            return
        with self._repo() as repo:
            repo.save(source, entry)

    def remove(self, source: str | None) -> None:
        if self.file is not None:
            self.current.without(source).save(self.file)
            return
        with self._repo() as repo:
            repo.remove(source)

    def _repo(self) -> Any:
        from duluan.meta.sentiment_offsets import SentimentOffsetsRepository

        return SentimentOffsetsRepository(self.url)

    @property
    def next_step(self) -> str:
        if self.file is None:
            return (
                "NLP workers apply them within nlp_offsets_refresh_s "
                f"({self.settings.nlp_offsets_refresh_s:g} s), no restart needed"
            )
        if self.settings.nlp_sentiment_adaptation == self.file:
            return "the deployment reads this file: restart the NLP worker to apply them"
        return (
            f"use them: DULUAN_NLP_SENTIMENT_ADAPTATION={self.file} (then restart the NLP worker)"
        )
