"""Liveness, readiness, Prometheus metrics and per-source health."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.deps import get_settings, get_store, search_query
from api.schemas import Health, SentimentOffsets, SourceHealth
from api.security import READ
from duluan.core.health import STAGES, StageHealth
from duluan.core.logging import get_logger
from duluan.core.query import And, FieldMatch, Node, Or, SearchQuery
from duluan.core.settings import Settings
from duluan.meta.sentiment_offsets import effective_offsets
from duluan.meta.source_runs import SourceRunRepository
from duluan.storage.base import Store
from nlp.adaptation import AdaptationSet


def get_source_runs(request: Request) -> SourceRunRepository:
    """Crawl runs in the metadata database, as every crawler replica records them (opened on
    first use: on the thread pool)."""
    runs: SourceRunRepository = request.app.state.container.source_runs
    return runs


log = get_logger(__name__)
router = APIRouter(tags=["ops"])
StoreDep = Annotated[Store, Depends(get_store)]
QueryDep = Annotated[SearchQuery, Depends(search_query)]
RunsDep = Annotated[SourceRunRepository, Depends(get_source_runs)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def _applied_offsets(request: Request, settings: Settings) -> AdaptationSet | None:
    """The offsets NLP workers apply (file, else metadata database); None if unreadable: source
    health must answer even then."""
    try:
        return effective_offsets(settings, request.app.state.container.sentiment_offsets)
    except Exception as exc:
        log.warning("api.offsets_unavailable", error=str(exc)[:300])
        return None


def _offsets(adaptation: AdaptationSet | None, source: str) -> SentimentOffsets | None:
    entry = adaptation.entry(source) if adaptation is not None else None
    if adaptation is None or entry is None:
        return None
    return SentimentOffsets(
        scope="source" if source in adaptation.sources else "default",
        offsets=entry.offsets,
        labelled=entry.labelled,
        cv_gain=entry.cv_gain,
        cv_share_gain=entry.cv_share_gain,
        shares_labelled=entry.shares_labelled,
        shares_model=entry.shares_before,
        shares_adapted=entry.shares_after,
    )


@router.get("/healthz", response_model=Health, summary="The process is up")
def healthz() -> Health:
    return Health(status="ok")


@router.get("/readyz", response_model=Health, summary="The store answers and no stage is down")
def readyz(store: StoreDep) -> Response:
    """503 while a pipeline stage of this process (`duluan run`) is down, naming it, or while the
    store does not answer."""
    stages = STAGES.snapshot()
    down = sorted(name for name, s in stages.items() if not s.up)
    if down:
        return JSONResponse(
            status_code=503,
            content={
                "status": "unavailable",
                "detail": f"stage down: {', '.join(down)}",
                "stages": {name: _stage_json(s) for name, s in sorted(stages.items())},
            },
        )
    try:
        n = store.count(SearchQuery())
    except Exception as exc:  # any store failure means not ready
        return JSONResponse(
            status_code=503, content={"status": "unavailable", "detail": str(exc)[:300]}
        )
    return JSONResponse(content={"status": "ok", "posts": n})


def _stage_json(stage: StageHealth) -> dict[str, object]:
    return {
        "up": stage.up,
        "restarts": stage.restarts,
        "last_error": stage.last_error,
        "last_error_at": (
            datetime.fromtimestamp(stage.last_error_at, UTC).isoformat()
            if stage.last_error_at
            else None
        ),
    }


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=PlainTextResponse,
    responses={
        200: {
            "description": "Prometheus text exposition format 0.0.4",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        }
    },
)
def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


@router.get(
    "/v1/sources",
    response_model=list[SourceHealth],
    dependencies=READ,
    summary="Health of every source",
)
def sources(
    request: Request, store: StoreDep, runs: RunsDep, query: QueryDep, settings: SettingsDep
) -> list[SourceHealth]:
    """Last success, recent items and errors per source: spot a crawler that went silent.

    Crawl runs come from the metadata database, so every API replica sees the runs of every
    crawler replica. With a query, filters or `watchlist` (a dashboard view), only the sources
    of that view are listed: those with matching posts plus those it names (`source:` terms,
    `source=`), so a silent source the view depends on still shows. The health figures stay
    per source. `sentiment_offsets` says which of the deployment's sentiment offsets (`duluan
    adapt`) the NLP stage applies to a source's posts, and what they did on its labelled sample.
    """
    now = datetime.now(UTC)
    adaptation = _applied_offsets(request, settings)
    day_ago, hour_ago = now - timedelta(days=1), now - timedelta(hours=1)
    summaries = {s.source: s for s in runs.summaries(day_ago)}
    if _is_view(query):
        names = {k for k, _ in store.top_values("source", query, 100)}
        names |= set(query.sources) | _named_sources(query.ast())
    else:
        names = set(summaries) | {k for k, _ in store.top_values("source", SearchQuery(), 100)}
    out: list[SourceHealth] = []
    for name in sorted(names):
        run = summaries.get(name)
        posts_day = store.count(SearchQuery(sources=[name], since=day_ago))
        posts_hour = store.count(SearchQuery(sources=[name], since=hour_ago))
        if run is not None and not run.last_run.ok:
            status = "failing"
        elif posts_day == 0 and (run is None or run.items == 0):
            status = "silent"
        else:
            status = "ok"
        out.append(
            SourceHealth(
                source=name,
                last_run_at=run.last_run.finished_at if run else None,
                last_success_at=run.last_success_at if run else None,
                last_items=run.last_run.items if run else 0,
                errors_last_day=run.errors if run else 0,
                runs_last_day=run.runs if run else 0,
                posts_last_hour=posts_hour,
                posts_last_day=posts_day,
                status=status,
                sentiment_offsets=_offsets(adaptation, name),
            )
        )
    return out


def _is_view(query: SearchQuery) -> bool:
    """True when the request narrows the posts (query text, a filter or a watchlist)."""
    narrowed = [query.sources, query.authors, query.topics, query.sentiments, query.languages]
    return bool((query.q or "").strip() or any(narrowed) or query.since or query.until)


def _named_sources(node: Node) -> set[str]:
    """`source:` values of a query that are not under a NOT: sources a view is about."""
    if isinstance(node, FieldMatch):
        return {node.value} if node.name == "source" else set()
    if isinstance(node, And | Or):
        return {name for part in node.parts for name in _named_sources(part)}
    return set()
