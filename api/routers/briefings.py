"""Briefings: a watchlist's report for a period (HTML/PDF), and scheduled deliveries."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from pydantic import BaseModel

from api.deps import get_store
from api.routers.watchlists import RepoDep
from api.security import ADMIN, KEYED, READ, AnyKey, is_admin
from duluan.alerts.delivery import DeliveryConfig, TargetRefused, validate_webhook_url
from duluan.alerts.models import WebhookTarget
from duluan.briefings.builder import build_briefing
from duluan.briefings.models import Briefing
from duluan.briefings.period import PeriodError, make_period
from duluan.briefings.scheduler import BriefingScheduler
from duluan.briefings.schedules import Schedule, ScheduleCreate, ScheduleRepository
from duluan.briefings.service import briefing_options, briefing_timezone, render_briefing
from duluan.core.settings import Settings
from duluan.storage.base import Store
from duluan.watchlists.service import WatchlistNotFound, get_watchlist

router = APIRouter(prefix="/v1", tags=["briefings"], dependencies=READ)
StoreDep = Annotated[Store, Depends(get_store)]


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_schedules(request: Request) -> ScheduleRepository:
    """The container's schedule repository (opened on first use)."""
    repo: ScheduleRepository = request.app.state.container.schedules
    return repo


SchedulesDep = Annotated[ScheduleRepository, Depends(get_schedules)]


@router.get(
    "/watchlists/{watchlist_id}/brief",
    summary="A watchlist's briefing for a period",
    responses={200: {"content": {"text/html": {}, "application/pdf": {}, "application/json": {}}}},
)
def brief(
    watchlist_id: str,
    request: Request,
    store: StoreDep,
    repo: RepoDep,
    from_: Annotated[str, Query(alias="from", description="first day (YYYY-MM-DD) or ISO time")],
    to: Annotated[str, Query(description="last day, inclusive (YYYY-MM-DD), or ISO end time")],
    format: Annotated[Literal["html", "pdf", "json"], Query()] = "html",
    lang: Annotated[Literal["vi", "en"], Query()] = "vi",
    tz: Annotated[
        str | None, Query(description="IANA time zone (default Asia/Ho_Chi_Minh)")
    ] = None,
) -> Response:
    """Volume and sentiment over time, changes against the previous period, topics, emerging
    terms, sources, negative spikes and caveats; HTML (self-contained), PDF or the JSON figures."""
    settings = _settings(request)
    try:
        watchlist = get_watchlist(repo, watchlist_id)
        period = make_period(from_, to, tz or briefing_timezone(settings))
    except WatchlistNotFound as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc
    except PeriodError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from exc
    runs = request.app.state.container.source_runs  # crawl runs: failed runs per source
    if format == "json":
        b: Briefing = build_briefing(
            store, watchlist, period, lang=lang, options=briefing_options(settings), runs=runs
        )
        return Response(b.model_dump_json(), media_type="application/json")
    doc = render_briefing(
        store, watchlist, period, fmt=format, lang=lang, settings=settings, runs=runs
    )
    disposition = "attachment" if format == "pdf" else "inline"
    return Response(
        doc.content,
        media_type=doc.content_type,
        headers={"Content-Disposition": f'{disposition}; filename="{doc.filename}"'},
    )


class ScheduleList(BaseModel):
    items: list[dict[str, Any]]


@router.post(
    "/briefings/schedules", status_code=201, summary="Schedule a briefing", dependencies=ADMIN
)
def create_schedule(
    body: ScheduleCreate, request: Request, repo: RepoDep, schedules: SchedulesDep
) -> dict[str, Any]:
    """Send a watchlist's briefing daily, weekly or monthly to webhooks or email addresses.

    Webhook secrets are masked (`***`) as for alerts; a secret the server generated is returned
    once, in `secrets` (by target index), so the receiver can be configured."""
    try:
        watchlist = get_watchlist(repo, body.watchlist)
        make_period("2026-01-01", "2026-01-02", body.timezone)
    except WatchlistNotFound as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc
    except PeriodError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from exc
    # stored as the plain (lax) models; the webhook secrets generated for the body are kept
    schedule = Schedule.model_validate(
        {"watchlist_id": watchlist.id, **body.model_dump(exclude={"watchlist"})}
    )
    try:  # the same outbound-address check as alerts, now at creation too (and at delivery)
        for target in schedule.targets:
            if isinstance(target, WebhookTarget):
                validate_webhook_url(
                    target.url, allow_private=_settings(request).alerts_allow_private_targets
                )
    except TargetRefused as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from exc
    generated = {
        str(i): target.secret
        for i, target in enumerate(body.targets)
        if isinstance(target, WebhookTarget) and "secret" not in target.model_fields_set
    }
    return {**schedules.save(schedule).redacted(), "secrets": generated}


@router.get("/briefings/schedules", response_model=ScheduleList, summary="List schedules (a key)")
def list_schedules(
    schedules: SchedulesDep, key: AnyKey, watchlist: str | None = None
) -> ScheduleList:
    """Webhook URLs show scheme and host only, recipients their domain, unless the key is admin."""
    admin = is_admin(key)
    return ScheduleList(
        items=[s.redacted(admin=admin) for s in schedules.list(watchlist_id=watchlist)]
    )


def _schedule(schedules: ScheduleRepository, schedule_id: str) -> Schedule:
    found = schedules.get(schedule_id)
    if found is None:
        raise HTTPException(status_code=404, detail=f"no briefing schedule {schedule_id!r}")
    return found


@router.get("/briefings/schedules/{schedule_id}", summary="One schedule (a key)")
def show_schedule(schedule_id: str, schedules: SchedulesDep, key: AnyKey) -> dict[str, Any]:
    return _schedule(schedules, schedule_id).redacted(admin=is_admin(key))


@router.delete(
    "/briefings/schedules/{schedule_id}", status_code=204, summary="Delete one", dependencies=ADMIN
)
def delete_schedule(schedule_id: str, schedules: SchedulesDep) -> Response:
    if not schedules.delete(schedule_id):
        raise HTTPException(status_code=404, detail=f"no briefing schedule {schedule_id!r}")
    return Response(status_code=204)


@router.post(
    "/briefings/schedules/{schedule_id}/send",
    summary="Send the latest period now",
    dependencies=ADMIN,
)
def send_now(
    schedule_id: str, request: Request, store: StoreDep, repo: RepoDep, schedules: SchedulesDep
) -> dict[str, Any]:
    """Deliver the schedule's most recent whole period now, to check the wiring."""
    schedule = _schedule(schedules, schedule_id)
    settings = _settings(request)
    config: DeliveryConfig = request.app.state.container.delivery_config
    runs = request.app.state.container.source_runs
    scheduler = BriefingScheduler(
        store, schedules, repo, config=config, settings=settings, runs=runs
    )
    results = scheduler.send(schedule)
    return {"deliveries": [r.model_dump(mode="json") for r in results]}


@router.get(
    "/briefings/schedules/{schedule_id}/deliveries",
    summary="Delivery log (a key)",
    dependencies=KEYED,
)
def deliveries(
    schedule_id: str, schedules: SchedulesDep, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> dict[str, Any]:
    _schedule(schedules, schedule_id)
    return {"items": schedules.deliveries(schedule_id, limit)}
