"""The main job on one machine, shared by `duluan run` and `duluan demo`: scheduled crawls,
the NLP worker and indexer, alert and briefing rounds, and the API, until stopped."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Mapping
from typing import Any

import typer

from duluan.cli.crawl import SourceConfig, run_source
from duluan.container import Container
from duluan.core.logging import get_logger
from duluan.core.settings import Settings
from duluan.pipeline import Pipeline

log = get_logger(__name__)


def _err(msg: str) -> None:
    typer.echo(msg, err=True)


def crawl_loop(
    configs: list[SourceConfig],
    stop: threading.Event,
    *,
    overrides: Mapping[str, object] | None = None,
    first_run_at: float = 0.0,
) -> None:
    """Crawl each source every `interval_s` until `stop`; a broken source never stops others."""
    next_run = {c.name: first_run_at for c in configs}
    while not stop.is_set():
        for c in configs:
            if stop.is_set():
                break
            if time.monotonic() >= next_run[c.name]:
                try:
                    result = run_source(c, overrides=dict(overrides or {}))
                    log.info(
                        "crawl.done",
                        source=c.name,
                        items=result.get("items", 0),
                        errors=result.get("errors", 0),
                    )
                except Exception as exc:
                    log.error("crawl.failed", source=c.name, error=str(exc)[:500])
                next_run[c.name] = time.monotonic() + (c.interval_s or 600)
        stop.wait(1.0)


def run_stack(
    settings: Settings,
    configs: list[SourceConfig],
    *,
    host: str,
    port: int,
    serve_api: bool = True,
    pipeline: Pipeline | None = None,
    crawl_overrides: Mapping[str, object] | None = None,
    first_crawl_in_s: float = 0.0,
) -> None:
    """Run every stage until Ctrl+C / SIGTERM (or the API server stops); then stop them all.

    `pipeline` may be one already started (the demo's first ingest); it is stopped here.
    """
    from api.app import create_app

    stop = threading.Event()
    if pipeline is None:
        pipeline = Pipeline(settings)
        pipeline.start()
    container = Container(settings, store=pipeline.store)  # the pipeline owns the store

    def briefings_loop() -> None:
        while not stop.wait(settings.briefing_interval_s):
            try:
                container.briefing_scheduler.run_due()
            except Exception as exc:  # a failed delivery must not stop the pipeline
                log.error("briefings.failed", error=str(exc)[:500])

    if configs:
        threading.Thread(
            target=crawl_loop,
            args=(configs, stop),
            kwargs={
                "overrides": crawl_overrides,
                "first_run_at": time.monotonic() + first_crawl_in_s,
            },
            name="duluan-scheduler",
            daemon=True,
        ).start()
    threading.Thread(target=briefings_loop, name="duluan-briefings", daemon=True).start()
    runner: Any = None
    if settings.alerts_in_run:
        from duluan.cli.alerts import make_alert_runner

        runner = make_alert_runner(settings, pipeline.store)
        runner.start()
    _err(
        f"duluan: {len(configs)} sources scheduled; NLP worker, indexer"
        + (f" and alerts (every {runner.interval_s:g} s)" if runner else "")
        + " running"
    )
    try:
        if not serve_api:
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
            while not stop.is_set():
                stop.wait(1.0)
        else:
            import uvicorn

            from api.server import uvicorn_options

            _err(f"dashboard: http://{host}:{port}/   API docs: http://{host}:{port}/docs")
            uvicorn.run(
                create_app(container=container),
                host=host,
                port=port,
                log_level="warning",
                **uvicorn_options(container.settings),
            )
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        if runner is not None:
            runner.stop()
        container.close()
        pipeline.stop()
