"""`duluan alerts`: evaluate alert subscriptions in their own process (scale-out)."""

from __future__ import annotations

import signal
import threading
from typing import Any

import typer

from duluan.cli.common import cli_settings
from duluan.core.settings import Settings


def make_alert_runner(settings: Settings, store: Any, *, interval_s: float | None = None) -> Any:
    """An AlertRunner over `store`, its tables in the metadata file, delivering per settings."""
    from api.deps import public_url
    from duluan.alerts.delivery import DeliveryConfig, Notifier
    from duluan.alerts.evaluate import EvalOptions
    from duluan.alerts.runner import AlertRunner
    from duluan.container import Container

    container = Container(settings, store=store)
    repo = container.alerts
    notifier = Notifier(DeliveryConfig.from_settings(settings), repo)
    return AlertRunner(
        store,
        repo,
        notifier,
        interval_s=interval_s or settings.alerts_interval_s,
        options=EvalOptions(base_url=public_url(settings)),
        runs=container.source_runs,
    )


def alerts_cmd(
    interval: float | None = typer.Option(
        None, "--interval", help="seconds between rounds (default DULUAN_ALERTS_INTERVAL_S)"
    ),
    once: bool = typer.Option(False, "--once", help="evaluate every alert once and exit"),
) -> None:
    """Evaluate every enabled alert each round, record firings, deliver webhooks and email."""
    from duluan.storage.factory import make_store

    settings = cli_settings()
    store = make_store(settings)
    runner = make_alert_runner(settings, store, interval_s=interval)
    try:
        if once:
            fired = runner.run_once()
            typer.echo(f"alerts: {len(fired)} fired", err=True)
            return
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        typer.echo(f"duluan alerts: every {runner.interval_s:g} s (Ctrl+C stops)", err=True)
        runner.run_forever(stop)
    finally:
        runner.repo.close()
        store.close()
