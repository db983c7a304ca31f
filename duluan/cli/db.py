"""`duluan db`: the metadata database's migrations (upgrade, current)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from duluan.cli.common import cli_settings

if TYPE_CHECKING:
    from duluan.meta.database import MetaDB

db_app = typer.Typer(
    help="The metadata database (keys, alerts, watchlists, ...): migrations.",
    no_args_is_help=True,
)


def _open() -> MetaDB:
    from duluan.meta.database import MetaDB, meta_url

    settings = cli_settings()
    return MetaDB(
        meta_url(settings), upgrade=False, check=False, key_base=settings.data_dir / "meta-secrets"
    )


@db_app.command("upgrade")
def db_upgrade(
    revision: str = typer.Argument("head", help="target revision (default: the newest)"),
) -> None:
    """Migrate the metadata database to this version's schema (safe to run again; replicas
    wait for each other)."""
    from duluan.meta.database import redact

    db = _open()
    with db:
        before, after = db.upgrade(revision)
        typer.echo(f"{redact(str(db.url))}: {before or 'none'} -> {after or 'none'}")


@db_app.command("current")
def db_current() -> None:
    """Print the database's revision and this code's; exit 1 when it is behind."""
    from duluan.meta.database import redact

    db = _open()
    with db:
        current, head = db.current(), db.head()
    state = "up to date" if current == head else "behind: run `duluan db upgrade`"
    typer.echo(f"{redact(str(db.url))}: current {current or 'none'}, head {head} ({state})")
    if current != head:
        raise typer.Exit(1)
