"""`duluan feedback`: open, list and close feedback campaigns (public forms at /f/<slug>)."""

from __future__ import annotations

import json

import typer
from pydantic import ValidationError

from duluan.cli.common import cli_settings
from duluan.container import Container
from duluan.core.settings import Settings
from duluan.feedback.models import Campaign, CampaignCreate, CampaignUpdate
from duluan.feedback.repository import SlugTaken

feedback_app = typer.Typer(
    help="Feedback campaigns: a public form at /f/<slug> whose answers are a watchlist.",
    no_args_is_help=True,
)


def _link(settings: Settings, slug: str) -> str:
    """The form's public address: public_base_url, else api_public_url, else host:port."""
    base = settings.public_base_url or settings.api_public_url
    base = base or f"http://{settings.api_host}:{settings.api_port}"
    return base.rstrip("/") + f"/f/{slug}"


def _row(settings: Settings, c: Campaign) -> dict[str, object]:
    return {
        "slug": c.slug,
        "title": c.title,
        "active": c.active,
        "url": _link(settings, c.slug),
        "watchlist_id": c.watchlist_id,
        "created_at": c.created_at.isoformat(),
        "id": c.id,
    }


@feedback_app.command("create")
def feedback_create(
    slug: str = typer.Argument(..., help="the link /f/<slug>: lower-case letters, digits, dashes"),
    title: str = typer.Option(..., "--title", help="shown at the top of the form"),
    question: str | None = typer.Option(None, "--question", help="prompt above the text box"),
    description: str | None = typer.Option(None, "--description", help="text under the title"),
    category: list[str] = typer.Option([], "--category", help="a choice on the form (repeat)"),
    owner: str | None = typer.Option(None, "--owner", help="who runs it"),
) -> None:
    """Open a campaign: its public form and a watchlist of what it collects."""
    try:
        data = CampaignCreate(
            slug=slug,
            title=title,
            question=question,
            description=description,
            categories=category,
            owner=owner,
        )
    except ValidationError as exc:
        raise typer.BadParameter("; ".join(e["msg"] for e in exc.errors())) from exc
    settings = cli_settings()
    with Container(settings) as c:
        try:
            made = c.feedback.create_campaign(data)
        except SlugTaken as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(1) from exc
    typer.echo(f"opened campaign {made.slug!r}; its form:", err=True)
    typer.echo(_link(settings, made.slug))


@feedback_app.command("list")
def feedback_list(
    as_json: bool = typer.Option(False, "--json", help="one JSON object per line"),
) -> None:
    """Campaigns, open and closed: slug, state, title, public link."""
    settings = cli_settings()
    with Container(settings) as c:
        campaigns = c.campaigns.list()
    for camp in campaigns:
        if as_json:
            typer.echo(json.dumps(_row(settings, camp), ensure_ascii=False))
        else:
            state = "open" if camp.active else "closed"
            typer.echo(f"{camp.slug}  {state:<6}  {camp.title}  {_link(settings, camp.slug)}")
    if not campaigns and not as_json:
        typer.echo("no campaigns yet: duluan feedback create SLUG --title ...", err=True)


@feedback_app.command("close")
def feedback_close(
    slug: str = typer.Argument(..., help="the campaign's slug or id"),
    delete: bool = typer.Option(
        False, "--delete", help="remove the campaign itself (its link then says not found)"
    ),
    drop_watchlist: bool = typer.Option(
        False, "--drop-watchlist", help="with --delete: also delete its watchlist"
    ),
) -> None:
    """Stop taking answers; collected posts and the watchlist stay (reopen with `reopen`)."""
    with Container(cli_settings()) as c:
        found = c.campaigns.get(slug)
        if found is None:
            typer.echo(f"no feedback campaign {slug!r}", err=True)
            raise typer.Exit(1)
        if delete:
            c.feedback.delete_campaign(found.id, keep_watchlist=not drop_watchlist)
            typer.echo(f"deleted campaign {found.slug!r}", err=True)
            return
        c.feedback.update_campaign(found, CampaignUpdate(active=False))
    typer.echo(f"closed campaign {found.slug!r}: its form refuses new answers", err=True)


@feedback_app.command("reopen")
def feedback_reopen(slug: str = typer.Argument(..., help="the campaign's slug or id")) -> None:
    """Take answers again on a closed campaign."""
    with Container(cli_settings()) as c:
        found = c.campaigns.get(slug)
        if found is None:
            typer.echo(f"no feedback campaign {slug!r}", err=True)
            raise typer.Exit(1)
        c.feedback.update_campaign(found, CampaignUpdate(active=True))
    typer.echo(f"reopened campaign {found.slug!r}", err=True)
