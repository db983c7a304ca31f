"""`duluan watchlist create|list|show|delete`: named, saved queries."""

from __future__ import annotations

import atexit
import json

import typer
from pydantic import ValidationError

from duluan.cli.common import cli_settings
from duluan.core.settings import Settings
from duluan.watchlists.repository import WatchlistRepository

watchlist_app = typer.Typer(help="Named, saved queries (watchlists).", no_args_is_help=True)


def _repo(settings: Settings) -> WatchlistRepository:
    """The watchlist table; the container (and its connection) closes when the command ends."""
    from duluan.container import Container

    container = Container(settings)
    atexit.register(container.close)
    return container.watchlists


@watchlist_app.command("create")
def create(
    name: str = typer.Argument(..., help="unique name"),
    query: str | None = typer.Option(None, "--query", "-q", help="query language text"),
    since: str | None = typer.Option(None, "--since", help="ISO date/time: posts from"),
    until: str | None = typer.Option(None, "--until", help="ISO date/time: posts before"),
    owner: str | None = typer.Option(None, "--owner", help="who it belongs to"),
) -> None:
    """Save a query under a name."""
    from duluan.watchlists.models import WatchlistCreate
    from duluan.watchlists.repository import DuplicateName
    from duluan.watchlists.service import create_watchlist

    settings = cli_settings()
    try:
        data = WatchlistCreate.model_validate(
            {"name": name, "query": query, "since": since, "until": until, "owner": owner}
        )
        saved = create_watchlist(_repo(settings), data)
    except ValidationError as exc:
        raise typer.BadParameter(exc.errors()[0]["msg"]) from exc
    except DuplicateName as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    typer.echo(saved.model_dump_json())


@watchlist_app.command("list")
def list_(owner: str | None = typer.Option(None, "--owner", help="only this owner's")) -> None:
    """One JSON line per watchlist."""
    for w in _repo(cli_settings()).list(owner=owner):
        typer.echo(w.model_dump_json())


@watchlist_app.command("show")
def show(
    watchlist: str = typer.Argument(..., help="id or name"),
    count: bool = typer.Option(False, "--count", help="also count matching posts"),
) -> None:
    """Print one watchlist (and how many posts match it now)."""
    from duluan.watchlists.service import WatchlistNotFound, get_watchlist, watchlist_query

    settings = cli_settings()
    try:
        found = get_watchlist(_repo(settings), watchlist)
    except WatchlistNotFound as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    data = found.model_dump(mode="json")
    if count:
        from duluan.storage.factory import make_store

        with make_store(settings) as store:
            data["matches"] = store.count(watchlist_query(found))
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


@watchlist_app.command("delete")
def delete(watchlist: str = typer.Argument(..., help="id or name")) -> None:
    """Delete a watchlist (posts are untouched)."""
    from duluan.watchlists.service import WatchlistNotFound, delete_watchlist

    try:
        delete_watchlist(_repo(cli_settings()), watchlist)
    except WatchlistNotFound as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    typer.echo("deleted", err=True)
