"""`duluan correction`: an analyst's sentiment for a post, withdrawn, or listed."""

from __future__ import annotations

import os

import typer

from duluan.cli.common import cli_settings

correction_app = typer.Typer(
    help="Analysts' sentiment corrections of single posts.", no_args_is_help=True
)
POST_ID = typer.Argument(..., help="e.g. voz:comment:123")


def _actor() -> str:
    return f"cli:{os.environ.get('USER', 'unknown')}"


@correction_app.command("set")
def correction_set(
    post_id: str = POST_ID,
    label: str = typer.Argument(..., help="negative, neutral or positive"),
) -> None:
    """Give a post the analyst's sentiment; it counts everywhere and survives re-indexing."""
    from duluan.container import Container
    from duluan.corrections import NotAnalysed, correct

    if label not in ("negative", "neutral", "positive"):
        raise typer.BadParameter("label must be negative, neutral or positive")
    with Container(cli_settings()) as c:
        try:
            post = correct(c.store, c.sentiment_corrections, post_id, label, _actor())
        except (LookupError, NotAnalysed) as exc:
            typer.echo(str(exc).strip("'\""), err=True)
            raise typer.Exit(1) from exc
    model = post.analysis.sentiment_correction if post.analysis else None
    was = f" (the model read {model.model_label})" if model else ""
    typer.echo(f"{post_id}: {label}{was}", err=True)


@correction_app.command("undo")
def correction_undo(post_id: str = POST_ID) -> None:
    """Withdraw a correction: the model's reading comes back."""
    from duluan.container import Container
    from duluan.corrections import withdraw

    with Container(cli_settings()) as c:
        try:
            post = withdraw(c.store, c.sentiment_corrections, post_id)
        except LookupError as exc:
            typer.echo(str(exc).strip("'\""), err=True)
            raise typer.Exit(1) from exc
    label = post.analysis.sentiment.label if post.analysis else "none"
    typer.echo(f"{post_id}: back to the model's {label}", err=True)


@correction_app.command("list")
def correction_list(
    limit: int = typer.Option(100, "--limit", min=1, help="how many, newest first"),
) -> None:
    """Who corrected which post to what, and when."""
    from duluan.container import Container

    with Container(cli_settings()) as c:
        rows = c.sentiment_corrections.recent(limit)
    for r in rows:
        typer.echo(f"{r.at.isoformat(timespec='seconds')}  {r.label:<8}  {r.post_id}  {r.by}")
