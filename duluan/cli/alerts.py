"""`duluan alerts`: evaluate alert subscriptions in their own process (scale-out), and
`duluan apikey create|list|revoke`: the API keys that guard write endpoints."""

from __future__ import annotations

import signal
import threading
from typing import Any

import typer

from duluan.core.logging import configure_logging
from duluan.core.settings import Settings, get_settings

apikey_app = typer.Typer(help="API keys (read / admin scopes).", no_args_is_help=True)


def _settings() -> Settings:
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    return settings


def make_alert_runner(settings: Settings, store: Any, *, interval_s: float | None = None) -> Any:
    """An AlertRunner over `store`, its tables in the metadata file, delivering per settings."""
    from api.deps import public_url
    from duluan.alerts.delivery import DeliveryConfig, Notifier
    from duluan.alerts.evaluate import EvalOptions
    from duluan.alerts.repository import AlertRepository
    from duluan.alerts.runner import AlertRunner
    from duluan.meta.database import meta_db_path

    repo = AlertRepository(meta_db_path(settings, store), secret_key=settings.secret_key)
    notifier = Notifier(DeliveryConfig.from_settings(settings), repo)
    return AlertRunner(
        store,
        repo,
        notifier,
        interval_s=interval_s or settings.alerts_interval_s,
        options=EvalOptions(base_url=public_url(settings)),
    )


def alerts_cmd(
    interval: float | None = typer.Option(
        None, "--interval", help="seconds between rounds (default DULUAN_ALERTS_INTERVAL_S)"
    ),
    once: bool = typer.Option(False, "--once", help="evaluate every alert once and exit"),
) -> None:
    """Evaluate every enabled alert each round, record firings, deliver webhooks and email."""
    from duluan.storage.factory import make_store

    settings = _settings()
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


def _keys(settings: Settings) -> Any:
    from duluan.apikeys.repository import ApiKeyRepository
    from duluan.meta.database import meta_db_path

    pepper = settings.api_key_pepper.get_secret_value() if settings.api_key_pepper else ""
    return ApiKeyRepository(meta_db_path(settings), pepper=pepper)


@apikey_app.command("create")
def apikey_create(
    name: str = typer.Option("default", "--name", help="who or what uses it"),
    scope: str = typer.Option("read", "--scope", help="read or admin"),
) -> None:
    """Create a key; it is printed once (only its hash is stored)."""
    if scope not in ("read", "admin"):
        raise typer.BadParameter("scope must be read or admin")
    key, plain = _keys(_settings()).create(name, scope)
    typer.echo(
        f"created {key.scope} key {key.id} ({key.name}); store it now, it is not kept:", err=True
    )
    typer.echo(plain)


@apikey_app.command("list")
def apikey_list(
    all_: bool = typer.Option(False, "--all", help="include revoked keys"),
) -> None:
    """Keys (id, scope, name, created, last used); never the secrets."""
    for k in _keys(_settings()).list(include_revoked=all_):
        revoked = f"  revoked {k.revoked_at}" if k.revoked_at else ""
        typer.echo(
            f"{k.id}  {k.scope:<5}  {k.name}  created {k.created_at}  "
            f"last used {k.last_used_at or 'never'}{revoked}"
        )


@apikey_app.command("revoke")
def apikey_revoke(key_id: str = typer.Argument(..., help="the key's id (from `list`)")) -> None:
    """Revoke a key at once."""
    if not _keys(_settings()).revoke(key_id):
        typer.echo(f"no live key {key_id!r}", err=True)
        raise typer.Exit(1)
    typer.echo(f"revoked {key_id}", err=True)
