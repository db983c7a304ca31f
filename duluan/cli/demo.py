"""`duluan demo`: the main job (`duluan run`) over a built-in news site that keeps publishing.

The site carries two weeks of invented comments with a planted spike about flooding in the
last hour, so trends, the trending panel, the demo alert (delivered to the site's webhook sink)
and a briefing all have something true to show.
"""

from __future__ import annotations

import time
from typing import Any

import typer

from duluan.cli.common import cli_settings
from duluan.core.logging import get_logger
from duluan.core.settings import Settings

log = get_logger(__name__)

DEMO_WATCHLIST = "demo"
FLOOD_WATCHLIST = "ngập lụt"
FLOOD_QUERY = 'ngập OR "triều cường"'
DEMO_ALERT = "Ngập lụt tăng đột biến"
DEMO_CAMPAIGN = "gop-y"


def _err(msg: str) -> None:
    typer.echo(msg, err=True)


def _progress(label: str) -> Any:
    last = [0.0]

    def show(raw: int, enriched: int, indexed: int) -> None:
        if time.monotonic() - last[0] >= 1.0:
            last[0] = time.monotonic()
            _err(
                f"  {label}: waiting for NLP {raw}, waiting for index {enriched}, indexed {indexed}"
            )

    return show


def demo_settings(settings: Settings) -> Settings:
    """The demo delivers its alert to a webhook sink on this machine, and checks often."""
    return settings.model_copy(
        update={
            "alerts_allow_private_targets": True,
            "alerts_interval_s": min(settings.alerts_interval_s, 15.0),
        }
    )


def ensure_demo_objects(container: Any, sink_url: str) -> None:
    """The demo's watchlists, feedback campaign and flood alert (made once; a rerun keeps them)."""
    from duluan.alerts.models import AlertQuery, Subscription, VolumeRule, WebhookTarget
    from duluan.watchlists.models import WatchlistCreate
    from duluan.watchlists.service import create_watchlist

    for name, query, description in (
        (DEMO_WATCHLIST, None, "Everything the demo site publishes"),
        (FLOOD_WATCHLIST, FLOOD_QUERY, "Flooding: the demo's planted spike"),
    ):
        if container.watchlists.get(name) is None:
            create_watchlist(
                container.watchlists,
                WatchlistCreate(name=name, query=query, description=description),
            )
    if container.campaigns.get(DEMO_CAMPAIGN) is None:
        from duluan.feedback.models import CampaignCreate

        container.feedback.create_campaign(
            CampaignCreate(
                slug=DEMO_CAMPAIGN,
                title="Góp ý về tình trạng ngập lụt",
                categories=["Ngập lụt", "Giao thông", "Khác"],
            )
        )
    alerts = container.alerts
    existing = [s for s in alerts.list_subscriptions() if s.name == DEMO_ALERT]
    target = WebhookTarget(url=sink_url)
    if existing:  # the sink's port changes between runs
        sub = existing[0].model_copy(update={"targets": [target]})
    else:
        sub = Subscription(
            name=DEMO_ALERT,
            query=AlertQuery(q=FLOOD_QUERY),
            rule=VolumeRule(direction="spike"),
            window_s=3600,
            min_volume=10,
            targets=[target],
        )
    alerts.save_subscription(sub)


def demo_read_key(container: Any) -> str:
    """A fresh read-scoped key for the dashboard (reading alerts needs one); older demo keys
    are revoked, since only a key's hash is kept and it cannot be shown again."""
    for key in container.keys.list():
        if key.name == "demo-dashboard":
            container.keys.revoke(key.id)
    _, plain = container.keys.create("demo-dashboard", "read")
    return str(plain)


def demo_cmd(
    host: str = typer.Option("127.0.0.1", "--host", help="API bind address"),
    port: int = typer.Option(8000, "--port", help="API port"),
    exit_after_ingest: bool = typer.Option(
        False, "--exit-after-ingest", help="stop after the first ingest instead of serving"
    ),
    publish_every: float = typer.Option(
        4.0, "--publish-every", help="seconds between new items on the demo site (0: off)"
    ),
    crawl_every: float = typer.Option(
        10.0, "--crawl-every", help="seconds between crawls of the demo site"
    ),
) -> None:
    """Crawl a built-in demo news site with the real vnexpress spider, analyse, index, serve,
    and keep doing it: the site publishes every few seconds and the dashboard follows."""
    from crawlers.demo_site import start_demo_site
    from crawlers.runner import crawl
    from duluan.cli.crawl import SourceConfig
    from duluan.cli.stack import run_stack
    from duluan.container import Container
    from duluan.core.query import SearchQuery
    from duluan.pipeline import Pipeline

    settings = demo_settings(cli_settings())
    _err(f"duluan demo · data in {settings.data_dir.resolve()}")
    site = start_demo_site(comments=1000, history_days=14, spike=120, busy_hours=30)
    pipeline = Pipeline(settings)
    pipeline.start()
    _err("[1/4] NLP worker (its own process) and indexer started")
    overrides: dict[str, object] = {"VNEXPRESS_API_BASE": site.base_url, "DULUAN_POLITE": False}
    env = {
        f"DULUAN_{k.upper()}": str(v)
        for k, v in {
            "data_dir": settings.data_dir.resolve(),
            "bus": settings.bus,
            "store": settings.store,
        }.items()
    }
    serving = False
    try:
        before = pipeline.store.count(SearchQuery())
        _err(f"[2/4] crawling the demo site {site.base_url} with the vnexpress spider …")
        result = crawl(
            "vnexpress",
            start_urls=[f"{site.base_url}/rss/tin-moi-nhat.rss"],
            overrides=overrides,
            env=env,
            timeout=600,
        )
        items, errors = result.get("items", 0), result.get("errors", 0)
        if items == 0 and errors == 0 and before:
            _err(
                f"      nothing new: the {before} posts of an earlier run are already in the "
                f"store (the crawl is incremental); the site publishes new ones from now on"
            )
        else:
            _err(f"      crawled {items} posts ({errors} errors)")
        _err("[3/4] analysing and indexing …")
        if not pipeline.wait_drained(timeout=600, progress=_progress("pipeline")):
            _err("      the pipeline did not drain within 10 minutes")
            raise typer.Exit(1)
        total = pipeline.store.count(SearchQuery())
        sentiments = dict(pipeline.store.top_values("sentiment", SearchQuery()))
        _err(
            f"      store holds {total} posts; sentiment {sentiments}; "
            f"dead-lettered {pipeline.nlp.stats.dead + pipeline.indexer.stats.dead}"
        )
        with Container(settings, store=pipeline.store) as container:
            ensure_demo_objects(container, f"{site.base_url}/hooks/alerts")
            dashboard_key = demo_read_key(container)
        if exit_after_ingest:
            _err("[4/4] done (--exit-after-ingest)")
            return
        if publish_every > 0:
            site.site.start_publishing(publish_every)
        _err(
            f"[4/4] serving; the demo site publishes every {publish_every:g} s and is crawled "
            f"every {crawl_every:g} s. Alerts it receives: {site.base_url}/hooks   (Ctrl+C stops)"
        )
        _err(
            f"      a read API key for the dashboard's alert panels (its key button): {dashboard_key}"
        )
        source = SourceConfig(
            name="vnexpress",
            start_urls=[f"{site.base_url}/rss/tin-moi-nhat.rss"],
            every=f"{crawl_every:g}s",
        )
        serving = True
        run_stack(
            settings,
            [source],
            host=host,
            port=port,
            pipeline=pipeline,
            crawl_overrides=overrides,
            first_crawl_in_s=crawl_every,
        )
    finally:
        if not serving:
            pipeline.stop()
        site.stop()
