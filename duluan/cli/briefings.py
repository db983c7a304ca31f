"""`duluan brief WATCHLIST --from --to --format --lang -o FILE`, and `duluan briefing` schedules."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Literal, cast

import typer

from duluan.briefings.locale import Lang
from duluan.cli.common import cli_settings

briefing_app = typer.Typer(help="Scheduled briefings (daily/weekly/monthly).", no_args_is_help=True)


def brief_cmd(
    watchlist: str = typer.Argument(..., help="watchlist id or name"),
    from_: str = typer.Option(
        ..., "--from", help="first day: YYYY-MM-DD, today, yesterday, 7d (days ago) or ISO time"
    ),
    to: str = typer.Option(
        ..., "--to", help="last day, inclusive: YYYY-MM-DD, today, yesterday, 7d or ISO time"
    ),
    format: str = typer.Option("html", "--format", help="html, pdf or json"),
    lang: str = typer.Option("vi", "--lang", help="vi or en"),
    tz: str | None = typer.Option(None, "--tz", help="IANA time zone (default Asia/Ho_Chi_Minh)"),
    output: Path | None = typer.Option(None, "--output", "-o", help="file (default stdout)"),
) -> None:
    """Write a watchlist's briefing for a period (HTML, PDF or the JSON figures)."""
    from duluan.briefings.builder import build_briefing
    from duluan.briefings.period import PeriodError, make_period
    from duluan.briefings.service import briefing_options, briefing_timezone, render_briefing
    from duluan.container import Container
    from duluan.watchlists.service import WatchlistNotFound, get_watchlist

    settings = cli_settings()
    if format not in ("html", "pdf", "json"):
        raise typer.BadParameter("format must be html, pdf or json")
    if lang not in ("vi", "en"):
        raise typer.BadParameter("lang must be vi or en")
    try:
        period = make_period(from_, to, tz or briefing_timezone(settings))
    except PeriodError as exc:
        raise typer.BadParameter(str(exc)) from exc
    with Container(settings) as container:
        store = container.store
        try:
            found = get_watchlist(container.watchlists, watchlist)
        except WatchlistNotFound as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(1) from exc
        if format == "json":
            b = build_briefing(
                store,
                found,
                period,
                lang=cast(Lang, lang),
                options=briefing_options(settings),
                runs=container.source_runs,
            )
            content = b.model_dump_json(indent=2).encode("utf-8")
        else:
            content = render_briefing(
                store,
                found,
                period,
                fmt=cast(Literal["html", "pdf"], format),
                lang=cast(Lang, lang),
                settings=settings,
                runs=container.source_runs,
            ).content
    if output:
        output.write_bytes(content)
        typer.echo(f"wrote {output} ({len(content):,} bytes)", err=True)
    else:
        sys.stdout.buffer.write(content)
        sys.stdout.buffer.flush()


@briefing_app.command("list")
def schedule_list() -> None:
    """One JSON line per schedule (webhook secrets masked)."""
    from duluan.container import Container

    with Container(cli_settings()) as container:
        schedules = container.schedules.list()
    for s in schedules:
        typer.echo(json.dumps(s.redacted(), ensure_ascii=False))


@briefing_app.command("run-due")
def run_due() -> None:
    """Send every briefing that is due now (what `duluan run` does periodically)."""
    from duluan.container import Container

    with Container(cli_settings()) as container:
        results = container.briefing_scheduler.run_due()
    for r in results:
        typer.echo(r.model_dump_json())
    typer.echo(f"{len(results)} deliveries", err=True)
