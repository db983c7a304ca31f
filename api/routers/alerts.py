"""Alert subscriptions: CRUD, dry-run / explain, test sends, fired events and the delivery log."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Response
from pydantic import BaseModel, Field, ValidationError

from api.deps import get_alert_repo, get_delivery_config, get_settings, get_store, public_url
from api.routers.ops import RunsDep
from api.routers.watchlists import get_watchlists
from api.security import ADMIN, KEYED, READ, AnyKey, is_admin
from duluan.alerts import service
from duluan.alerts.delivery import DeliveryConfig, DeliveryResult, TargetRefused
from duluan.alerts.evaluate import AlertEvent, EvalOptions, Evaluation, explain
from duluan.alerts.repository import AlertRepository
from duluan.core.settings import Settings
from duluan.storage.base import Store
from duluan.watchlists.repository import WatchlistRepository
from duluan.watchlists.service import WatchlistNotFound

router = APIRouter(prefix="/v1/alerts", tags=["alerts"])
RepoDep = Annotated[AlertRepository, Depends(get_alert_repo)]
StoreDep = Annotated[Store, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
ConfigDep = Annotated[DeliveryConfig, Depends(get_delivery_config)]
WatchlistsDep = Annotated[WatchlistRepository, Depends(get_watchlists)]
Limit = Annotated[int, Query(ge=1, le=500, description="how many, newest first")]


class AlertList(BaseModel):
    items: list[service.AlertOut]


class EventList(BaseModel):
    items: list[AlertEvent] = Field(description="fired alerts, newest first")


class DeliveryList(BaseModel):
    items: list[DeliveryResult] = Field(description="delivery attempts, newest first")


def _options(settings: Settings) -> EvalOptions:
    return EvalOptions(base_url=public_url(settings))


def _found(repo: AlertRepository, alert_id: str) -> service.Subscription:
    try:
        return service.get_alert(repo, alert_id=alert_id)
    except service.AlertNotFound as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc


@router.post(
    "",
    status_code=201,
    response_model=service.AlertCreated,
    dependencies=ADMIN,
    summary="Create an alert (admin)",
)
def create(
    body: service.AlertIn, repo: RepoDep, settings: SettingsDep, watchlists: WatchlistsDep
) -> service.AlertCreated:
    """Webhook targets must resolve to public addresses (unless allowed by settings); a webhook
    sent without a secret gets one, returned once in `secrets`. `query.watchlist` (id or name)
    watches that watchlist's query ANDed with `query.q`; an unknown one is a 404."""
    try:
        return service.create_alert(
            repo,
            body=body,
            allow_private=settings.alerts_allow_private_targets,
            watchlists=watchlists,
        )
    except WatchlistNotFound as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc
    except TargetRefused as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from exc


@router.get("", response_model=AlertList, summary="List alerts (a key)")
def list_alerts(repo: RepoDep, key: AnyKey) -> AlertList:
    """Webhook URLs show scheme and host only, recipients their domain, unless the key is admin."""
    admin = is_admin(key)
    return AlertList(items=[service.view(repo, s, admin=admin) for s in repo.list_subscriptions()])


@router.get("/events", response_model=EventList, dependencies=KEYED, summary="Recent firings")
def all_events(repo: RepoDep, limit: Limit = 50) -> EventList:
    """Every alert's events, newest first (test sends included, marked `test`)."""
    return EventList(items=repo.list_events(limit=limit))


@router.post(
    "/dry-run", response_model=Evaluation, dependencies=READ, summary="Evaluate without saving"
)
def dry_run(
    body: service.AlertIn,
    store: StoreDep,
    settings: SettingsDep,
    watchlists: WatchlistsDep,
    runs: RunsDep,
) -> Evaluation:
    """What this alert would say now: status, numbers and the event it would fire."""
    try:
        return service.dry_run(
            store,
            body=body,
            now=datetime.now(UTC),
            options=_options(settings),
            watchlists=watchlists,
            runs=runs,
        )
    except WatchlistNotFound as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc


@router.get("/{alert_id}", response_model=service.AlertOut, summary="One alert (a key)")
def show(alert_id: str, repo: RepoDep, key: AnyKey) -> service.AlertOut:
    return service.view(repo, _found(repo, alert_id), admin=is_admin(key))


@router.patch(
    "/{alert_id}",
    response_model=service.AlertOut,
    dependencies=ADMIN,
    summary="Change an alert (admin)",
)
def update(
    alert_id: str,
    body: service.AlertPatch,
    repo: RepoDep,
    settings: SettingsDep,
    watchlists: WatchlistsDep,
) -> service.AlertOut:
    """Only the fields sent change; webhook secrets sent as `***` (or left out) are kept. A
    watchlist's query is copied again on every change (send `{}` to refresh it)."""
    try:
        return service.update_alert(
            repo,
            alert_id=alert_id,
            patch=body,
            allow_private=settings.alerts_allow_private_targets,
            watchlists=watchlists,
        )
    except (service.AlertNotFound, WatchlistNotFound) as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc
    except TargetRefused as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from exc
    except ValidationError as exc:  # the merged subscription; inputs left out: kept secrets
        problems = "; ".join(
            f"{'.'.join(str(part) for part in e['loc'])}: {e['msg']}"
            for e in exc.errors(include_input=False, include_url=False)
        )
        raise HTTPException(status_code=422, detail=f"invalid alert: {problems}") from exc


@router.delete(
    "/{alert_id}", status_code=204, dependencies=ADMIN, summary="Delete an alert (admin)"
)
def delete(alert_id: str, repo: RepoDep) -> Response:
    """Its events and delivery log stay, for audit."""
    if not repo.delete_subscription(alert_id):
        raise HTTPException(status_code=404, detail=f"no alert with id {alert_id!r}")
    return Response(status_code=204)


@router.post(
    "/{alert_id}/test",
    response_model=DeliveryList,
    dependencies=ADMIN,
    summary="Send a test alert to every target (admin)",
)
def test_send(alert_id: str, repo: RepoDep, config: ConfigDep) -> DeliveryList:
    """A clearly marked test event, delivered and logged like a real one."""
    _found(repo, alert_id)
    return DeliveryList(items=service.send_test(repo, alert_id=alert_id, config=config))


@router.get(
    "/{alert_id}/explain",
    response_model=Evaluation,
    dependencies=KEYED,
    summary="Evaluate a saved alert now",
)
def explain_now(
    alert_id: str, repo: RepoDep, store: StoreDep, settings: SettingsDep, runs: RunsDep
) -> Evaluation:
    """The status the runner would record now and why (nothing is recorded or sent)."""
    sub = _found(repo, alert_id)
    return explain(sub, store, datetime.now(UTC), options=_options(settings), runs=runs)


@router.get(
    "/{alert_id}/events", response_model=EventList, dependencies=KEYED, summary="Alert history"
)
def events(alert_id: str, repo: RepoDep, limit: Limit = 50) -> EventList:
    _found(repo, alert_id)
    return EventList(items=repo.list_events(alert_id, limit=limit))


@router.get(
    "/{alert_id}/deliveries",
    response_model=DeliveryList,
    summary="Delivery log (a key)",
)
def deliveries(alert_id: str, repo: RepoDep, key: AnyKey, limit: Limit = 100) -> DeliveryList:
    _found(repo, alert_id)
    items = repo.list_deliveries(alert_id, limit=limit)
    return DeliveryList(items=[service.view_delivery(d, admin=is_admin(key)) for d in items])
