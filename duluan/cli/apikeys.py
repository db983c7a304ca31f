"""`duluan apikey`: create, list and revoke API keys."""

from __future__ import annotations

import typer

from duluan.cli.common import cli_settings

apikey_app = typer.Typer(help="API keys (read / admin scopes).", no_args_is_help=True)


@apikey_app.command("create")
def apikey_create(
    name: str = typer.Option("default", "--name", help="who or what uses it"),
    scope: str = typer.Option("read", "--scope", help="read or admin"),
) -> None:
    """Create a key; it is printed once (only its hash is stored)."""
    if scope not in ("read", "admin"):
        raise typer.BadParameter("scope must be read or admin")
    from duluan.container import Container

    with Container(cli_settings()) as c:
        key, plain = c.keys.create(name, "admin" if scope == "admin" else "read")
    typer.echo(
        f"created {key.scope} key {key.id} ({key.name}); store it now, it is not kept:", err=True
    )
    typer.echo(plain)


@apikey_app.command("list")
def apikey_list(
    all_: bool = typer.Option(False, "--all", help="include revoked keys"),
) -> None:
    """Keys (id, scope, name, created, last used); never the secrets."""
    from duluan.container import Container

    with Container(cli_settings()) as c:
        keys = c.keys.list(include_revoked=all_)
    for k in keys:
        revoked = f"  revoked {k.revoked_at}" if k.revoked_at else ""
        typer.echo(
            f"{k.id}  {k.scope:<5}  {k.name}  created {k.created_at}  "
            f"last used {k.last_used_at or 'never'}{revoked}"
        )


@apikey_app.command("revoke")
def apikey_revoke(key_id: str = typer.Argument(..., help="the key's id (from `list`)")) -> None:
    """Revoke a key at once."""
    from duluan.container import Container

    with Container(cli_settings()) as c:
        revoked = c.keys.revoke(key_id)
    if not revoked:
        typer.echo(f"no live key {key_id!r}", err=True)
        raise typer.Exit(1)
    typer.echo(f"revoked {key_id}", err=True)
