"""The `duluan` command line: one entry point for every stage and both deployments."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from duluan.cli.alerts import alerts_cmd
from duluan.cli.apikeys import apikey_app
from duluan.cli.briefings import brief_cmd, briefing_app
from duluan.cli.common import cli_settings
from duluan.cli.corrections import correction_app
from duluan.cli.crawl import crawl_cmd
from duluan.cli.db import db_app
from duluan.cli.demo import demo_cmd
from duluan.cli.feedback import feedback_app
from duluan.cli.nlp import adapt_cmd, analyze_cmd, eval_cmd, train_cmd
from duluan.cli.watchlists import watchlist_app
from duluan.core.logging import get_logger
from duluan.core.settings import Settings

if TYPE_CHECKING:
    from duluan.core.query import SearchQuery
    from duluan.meta.sentiment_corrections import SentimentCorrectionRepository
    from duluan.storage.base import Store
    from nlp.analyzer import Analyzer

app = typer.Typer(
    name="duluan",
    help="Monitor Vietnamese public opinion: crawl, analyse, index, search and alert.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
worker_app = typer.Typer(help="Run one pipeline stage as its own process.", no_args_is_help=True)
delete_app = typer.Typer(
    help="Delete posts on request (privacy); deletions are audited.", no_args_is_help=True
)
dead_app = typer.Typer(help="Inspect and replay dead-lettered messages.", no_args_is_help=True)
app.add_typer(worker_app, name="worker")
app.add_typer(delete_app, name="delete")
app.add_typer(dead_app, name="dead")
app.command("crawl")(crawl_cmd)
app.command("demo")(demo_cmd)
app.command("analyze")(analyze_cmd)
app.command("train")(train_cmd)
app.command("eval")(eval_cmd)
app.command("adapt")(adapt_cmd)
app.command("alerts")(alerts_cmd)
app.add_typer(apikey_app, name="apikey")
app.add_typer(watchlist_app, name="watchlist")
app.add_typer(feedback_app, name="feedback")
app.add_typer(briefing_app, name="briefing")
app.add_typer(db_app, name="db")
app.add_typer(correction_app, name="correction")
app.command("brief")(brief_cmd)

log = get_logger("duluan.cli")


def _err(msg: str) -> None:
    typer.echo(msg, err=True)


def _search_query(
    query: str | None, source: list[str], since: str | None, until: str | None, **extra: Any
) -> SearchQuery:
    """The posts --query/--source/--since/--until name; a bad one is a usage error (exit 2)."""
    from pydantic import ValidationError

    from duluan.core.query import QuerySyntaxError, SearchQuery

    fields = {"q": query, "sources": source, "since": since, "until": until, **extra}
    try:
        return SearchQuery.model_validate(fields)
    except (ValidationError, QuerySyntaxError) as exc:
        raise typer.BadParameter(str(exc)) from exc


@contextmanager
def _analysis(
    settings: Settings,
) -> Iterator[tuple[Analyzer, Store, SentimentCorrectionRepository]]:
    """What `import` and `reanalyze` write with: the Analyzer with the deployment's sentiment
    offsets, the store, and analysts' corrections (from the store's metadata database)."""
    from duluan.meta.database import meta_url
    from duluan.meta.sentiment_corrections import SentimentCorrectionRepository
    from duluan.meta.sentiment_offsets import SentimentOffsetsRepository, effective_offsets
    from duluan.storage.factory import make_store
    from nlp import Analyzer

    analyzer = Analyzer.load(settings)
    with (
        make_store(settings) as store,
        SentimentCorrectionRepository(meta_url(settings, store)) as corrections,
    ):
        if settings.nlp_sentiment_adaptation is None:  # else the file, read at load
            offsets = SentimentOffsetsRepository(corrections.db)  # the same database
            analyzer.adaptation = effective_offsets(settings, offsets)
        yield analyzer, store, corrections


def _serve(
    settings: Settings, host: str, port: int, container: Any = None, workers: int = 1
) -> None:
    import uvicorn

    from api.server import uvicorn_options

    options = uvicorn_options(settings)  # no X-Forwarded-For from 127.0.0.1 unless configured
    if workers > 1 and container is None:  # each process builds the app from the same settings
        uvicorn.run(
            "api.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
            **options,
        )
        return
    from api.app import create_app

    app_ = create_app(settings) if container is None else create_app(container=container)
    uvicorn.run(app_, host=host, port=port, log_level="warning", **options)


@app.command()
def api(
    host: str = typer.Option(None, "--host", help="bind address (default DULUAN_API_HOST)"),
    port: int = typer.Option(None, "--port", help="port (default DULUAN_API_PORT)"),
    workers: int = typer.Option(
        None, "--workers", min=1, help="server processes (default DULUAN_API_WORKERS)"
    ),
) -> None:
    """Serve the query API and dashboard over whatever the store holds."""
    settings = cli_settings()
    host, port = host or settings.api_host, port or settings.api_port
    workers = workers or settings.api_workers
    _err(f"duluan API on http://{host}:{port}/  (docs: /docs; {workers} process(es))")
    _serve(settings, host, port, workers=workers)


def _run_worker(stage: str, max_idle: float | None, max_messages: int | None) -> None:
    from duluan.storage.factory import make_store
    from streaming.factory import make_bus
    from streaming.indexer import Indexer
    from streaming.nlp_worker import NlpWorker
    from streaming.worker import Worker

    settings = cli_settings()
    bus = make_bus(settings)
    store = None
    worker: Worker
    if stage == "nlp":
        worker = NlpWorker(bus, settings)
    else:
        store = make_store(settings)
        worker = Indexer(bus, store, settings)
    worker.install_signal_handlers()
    try:
        stats = worker.run(max_idle=max_idle, max_messages=max_messages)
    except Exception as exc:  # logged as `worker.failed`; exit non-zero so a supervisor restarts us
        _err(f"{stage}: stopped by {type(exc).__name__}: {str(exc)[:300]}")
        raise typer.Exit(1) from exc
    finally:
        for part in (bus, store):
            try:
                if part is not None:
                    part.close()
            except Exception as exc:  # a failing close must not hide why the worker stopped
                log.warning("worker.close_failed", stage=stage, error=str(exc)[:300])
    _err(
        f"{stage}: processed {stats.processed}, dead-lettered {stats.dead}, retries {stats.retries}"
    )


MAX_IDLE = typer.Option(None, "--max-idle", help="exit after this many idle seconds")
MAX_MESSAGES = typer.Option(None, "--max-messages", help="exit after this many messages")


@worker_app.command("nlp")
def worker_nlp(max_idle: float | None = MAX_IDLE, max_messages: int | None = MAX_MESSAGES) -> None:
    """posts.raw → NLP → posts.enriched (run several for more throughput on Kafka)."""
    _run_worker("nlp", max_idle, max_messages)


@worker_app.command("index")
def worker_index(
    max_idle: float | None = MAX_IDLE, max_messages: int | None = MAX_MESSAGES
) -> None:
    """posts.enriched → the store (idempotent upsert by post id)."""
    _run_worker("index", max_idle, max_messages)


@app.command()
def run(
    sources: Path | None = typer.Option(None, "--sources", help="YAML list of sources to crawl"),
    host: str = typer.Option(None, "--host", help="API bind address"),
    port: int = typer.Option(None, "--port", help="API port"),
    no_api: bool = typer.Option(False, "--no-api", help="don't serve the API"),
) -> None:
    """Every stage in one process: scheduled crawls, NLP, indexing, alerts, briefings, API."""
    from duluan.cli.crawl import load_sources
    from duluan.cli.stack import run_stack

    settings = cli_settings()
    sources_path = sources or settings.sources_file
    configs = load_sources(sources_path) if sources_path else []
    run_stack(
        settings,
        configs,
        host=host or settings.api_host,
        port=port or settings.api_port,
        serve_api=not no_api,
    )


@app.command("import")
def import_(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="JSONL or CSV of posts"),
    format: str = typer.Option("auto", "--format", help="auto, jsonl or csv"),
    strict: bool = typer.Option(False, "--strict", help="exit 1 if any row is rejected"),
) -> None:
    """Load posts (id, source, text, created_at at least) through NLP into the store."""
    from duluan.importer import import_file

    settings = cli_settings()
    if format not in ("auto", "jsonl", "csv"):
        raise typer.BadParameter("format must be auto, jsonl or csv")
    with _analysis(settings) as (analyzer, store, corrections):
        stats = import_file(
            file,
            store,
            analyzer.analyze,
            fmt=format,
            progress=lambda s: (
                _err(f"  imported {s.imported} of {s.read} read")
                if s.imported % 5000 < 256
                else None
            ),
            corrections=corrections,
        )
    _err(f"imported {stats.imported}, rejected {stats.rejected} of {stats.read} rows")
    if stats.rejects_path:
        _err(f"rejected rows and their errors: {stats.rejects_path}")
        if strict:
            raise typer.Exit(1)


@app.command()
def export(
    query: str = typer.Option(None, "--query", "-q", help="query language text"),
    format: str = typer.Option("jsonl", "--format", help="csv or jsonl"),
    output: Path | None = typer.Option(None, "--output", "-o", help="file (default stdout)"),
    source: list[str] = typer.Option([], "--source", help="only these sources"),
    since: str | None = typer.Option(None, "--since", help="ISO date/time"),
    until: str | None = typer.Option(None, "--until", help="ISO date/time"),
    bom: bool = typer.Option(
        False, "--bom", help="CSV: start with a UTF-8 BOM so Excel shows Vietnamese"
    ),
) -> None:
    """Stream every post matching a query as CSV or JSONL (no row cap)."""
    from duluan.core.export import stream_export
    from duluan.storage.factory import make_store

    settings = cli_settings()
    if format not in ("csv", "jsonl"):
        raise typer.BadParameter("format must be csv or jsonl")
    q = _search_query(query, source, since, until)
    out = output.open("wb") if output else sys.stdout.buffer
    n = 0
    with make_store(settings) as store:
        for chunk in stream_export(store.iter_posts(q), format, bom=bom):
            out.write(chunk)
            n += 1
    out.flush()
    if output:
        out.close()


@app.command()
def reanalyze(
    query: str = typer.Option(None, "--query", "-q", help="query language text"),
    source: list[str] = typer.Option([], "--source", help="only these sources"),
    since: str | None = typer.Option(None, "--since", help="ISO date/time"),
    until: str | None = typer.Option(None, "--until", help="ISO date/time"),
) -> None:
    """Run stored posts through NLP again (after `duluan adapt` or a new model), so past
    shares read the way new posts do; analysts' corrections are kept, contacts masked."""
    from duluan.importer import reanalyze as run_reanalysis

    settings = cli_settings()
    q = _search_query(query, source, since, until)
    with _analysis(settings) as (analyzer, store, corrections):
        n = run_reanalysis(
            store,
            analyzer.analyze,
            q,
            corrections=corrections,
            progress=lambda done: (
                _err(f"  {done} posts analysed again") if done % 5120 == 0 else None
            ),
            mask=settings.redact_contacts,
        )
    _err(f"analysed {n} stored posts again")


@app.command()
def sample(
    output: Path = typer.Option(
        ..., "--output", "-o", help="the sheet to write; with --per-source, a folder"
    ),
    size: int = typer.Option(300, "--size", min=1, help="posts per sheet (300 recommended)"),
    query: str = typer.Option(None, "--query", "-q", help="query language text"),
    source: list[str] = typer.Option([], "--source", help="only these sources"),
    since: str | None = typer.Option(None, "--since", help="ISO date/time"),
    until: str | None = typer.Option(None, "--until", help="ISO date/time"),
    language: list[str] = typer.Option(
        ["vi", "unknown"],
        "--language",
        help="detected languages to draw from (default: those the sentiment model reads)",
    ),
    per_source: bool = typer.Option(
        False, "--per-source", help="one sheet per source, OUTPUT/<source>.tsv"
    ),
    seed: int = typer.Option(0, "--seed", help="another seed draws another sample"),
    force: bool = typer.Option(False, "--force", help="overwrite existing sheets"),
) -> None:
    """Draw stored posts at random into a sheet to label (docs/labelling.md), for
    `duluan eval --labelled` and `duluan adapt`."""
    from duluan.core.label_sample import draw, write_sheet
    from duluan.storage.factory import make_store

    settings = cli_settings()
    q = _search_query(query, source, since, until, languages=language, sort="oldest")
    with make_store(settings) as store:
        pool = draw(
            store.iter_posts(q),
            size,
            seed,
            key=(lambda p: p.source) if per_source else None,
            progress=lambda n: log.info("sample.progress", read=n),
        )
    if not pool.kept:
        _err("no stored post with text matches; nothing written")
        raise typer.Exit(1)
    described = ", ".join(
        f"{k} {v}"
        for k, v in (
            ("query", query),
            ("sources", ",".join(source)),
            ("since", since),
            ("until", until),
            ("languages", ",".join(language)),
        )
        if v
    )
    sheets: dict[Path, str] = {}
    for k in sorted(pool.kept):
        path, n = (output / f"{_safe_name(k)}.tsv" if per_source else output), 2
        while path in sheets:  # two sources that clean up to one file name
            path, n = output / f"{_safe_name(k)}-{n}.tsv", n + 1
        sheets[path] = k
    clobbered = [str(path) for path in sheets if path.exists()]
    if clobbered and not force:
        _err(
            f"would overwrite {', '.join(clobbered)} (labels typed there would be lost); "
            "use --force or another --output"
        )
        raise typer.Exit(2)
    for path, key in sheets.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        scope = (
            f"source {key}" + (f", {described}" if described else "") if per_source else described
        )
        with path.open("w", encoding="utf-8") as fh:
            write_sheet(fh, pool.kept[key], pool.seen[key], scope or "every post", seed)
        _err(f"{path}: {len(pool.kept[key])} of {pool.seen[key]} posts")


def _safe_name(source: str) -> str:
    """A source name as a file name (sources are free text)."""
    cleaned = "".join(c if c.isalnum() or c in "-_." else "_" for c in source).strip("._")
    return cleaned or "source"


@delete_app.command("post")
def delete_post(post_id: str = typer.Argument(..., help="e.g. vnexpress:comment:123")) -> None:
    """Delete one post (and an analyst's sentiment correction of it)."""
    from duluan.container import Container
    from duluan.corrections import delete_post as delete_with_correction

    with Container(cli_settings()) as c:
        actor = os.environ.get("USER", "cli")
        ok = delete_with_correction(c.store, c.sentiment_corrections, post_id, actor)
    _err("deleted" if ok else f"no post with id {post_id!r}")
    if not ok:
        raise typer.Exit(1)


@delete_app.command("author")
def delete_author(
    author: str = typer.Argument(..., help="author handle as collected"),
    source: str | None = typer.Option(None, "--source", help="only this source"),
) -> None:
    """Delete every post of an author (and analysts' sentiment corrections of them)."""
    from duluan.container import Container
    from duluan.corrections import delete_author as delete_with_corrections

    with Container(cli_settings()) as c:
        actor = os.environ.get("USER", "cli")
        n = delete_with_corrections(c.store, c.sentiment_corrections, author, source, actor)
    _err(f"deleted {n} posts")


@dead_app.command("list")
def dead_list(limit: int = typer.Option(20, "--limit", help="how many to show")) -> None:
    """Print dead-lettered messages (error, stage, origin) as JSON lines."""
    from streaming.factory import make_bus

    settings = cli_settings()
    with (
        make_bus(settings) as bus,
        bus.consumer(
            settings.dead_letter_topic, f"{settings.consumer_group_prefix}-dead-list"
        ) as c,
    ):
        shown = 0
        while shown < limit:
            batch = c.poll(min(100, limit - shown), timeout=1.0)
            if not batch:
                break
            for m in batch:
                env = json.loads(m.value)
                env.pop("value_b64", None)
                typer.echo(json.dumps(env, ensure_ascii=False))
                shown += 1


@dead_app.command("replay")
def dead_replay() -> None:
    """Publish every dead-lettered message back to its original topic (after a fix)."""
    import base64

    from streaming.factory import make_bus

    settings = cli_settings()
    n = 0
    with (
        make_bus(settings) as bus,
        bus.consumer(
            settings.dead_letter_topic, f"{settings.consumer_group_prefix}-dead-replay"
        ) as c,
    ):
        while batch := c.poll(500, timeout=1.0):
            for m in batch:
                env = json.loads(m.value)
                bus.publish(env["topic"], base64.b64decode(env["value_b64"]), key=env.get("key"))
                n += 1
            bus.flush()
            c.commit(batch)
    _err(f"replayed {n} messages")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
