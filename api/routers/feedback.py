"""Feedback campaigns under /v1/feedback (admin); the public form is in feedback_form.py."""

from __future__ import annotations

import io
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response
from pydantic import BaseModel

from api.routers.feedback_form import ServiceDep
from api.routers.feedback_form import router as form_router
from api.security import ADMIN
from duluan.feedback.models import Campaign, CampaignCreate, CampaignUpdate
from duluan.feedback.repository import SlugTaken
from duluan.feedback.service import FeedbackService

admin = APIRouter(prefix="/v1/feedback", tags=["feedback"], dependencies=ADMIN)


def public_url(request: Request, service: FeedbackService, slug: str) -> str:
    base = service.config.public_base_url or str(request.base_url)
    return base.rstrip("/") + f"/f/{slug}"


# -- admin ------------------------------------------------------------------------------------


class CampaignOut(Campaign):
    url: str
    watchlist_query: str


class CampaignList(BaseModel):
    items: list[CampaignOut]


def _out(request: Request, service: FeedbackService, c: Campaign) -> CampaignOut:
    return CampaignOut(
        **c.model_dump(),
        url=public_url(request, service, c.slug),
        watchlist_query=f'thread:"{c.thread_id}"',
    )


def _campaign(service: FeedbackService, id_or_slug: str) -> Campaign:
    found = service.campaigns.get(id_or_slug)
    if found is None:
        raise HTTPException(status_code=404, detail=f"no feedback campaign {id_or_slug!r}")
    return found


@admin.post("/campaigns", status_code=201, response_model=CampaignOut, summary="Open a campaign")
def create_campaign(body: CampaignCreate, request: Request, service: ServiceDep) -> CampaignOut:
    """A public form at /f/{slug}, and a watchlist of its submissions."""
    try:
        return _out(request, service, service.create_campaign(body))
    except SlugTaken as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from exc


@admin.get("/campaigns", response_model=CampaignList, summary="List campaigns")
def list_campaigns(request: Request, service: ServiceDep) -> CampaignList:
    return CampaignList(items=[_out(request, service, c) for c in service.campaigns.list()])


@admin.get("/campaigns/{campaign}", response_model=CampaignOut, summary="One campaign")
def show_campaign(campaign: str, request: Request, service: ServiceDep) -> CampaignOut:
    return _out(request, service, _campaign(service, campaign))


@admin.patch("/campaigns/{campaign}", response_model=CampaignOut, summary="Change a campaign")
def update_campaign(
    campaign: str, body: CampaignUpdate, request: Request, service: ServiceDep
) -> CampaignOut:
    return _out(request, service, service.update_campaign(_campaign(service, campaign), body))


@admin.delete("/campaigns/{campaign}", status_code=204, summary="Close a campaign")
def delete_campaign(
    campaign: str,
    service: ServiceDep,
    keep_watchlist: Annotated[bool, Query(description="keep its watchlist")] = True,
) -> Response:
    """The public link stops working; collected posts stay in the store."""
    if service.delete_campaign(campaign, keep_watchlist=keep_watchlist) is None:
        raise HTTPException(status_code=404, detail=f"no feedback campaign {campaign!r}")
    return Response(status_code=204)


@admin.get(
    "/campaigns/{campaign}/qr.{kind}",
    summary="QR code of the public link (PNG or SVG)",
    responses={200: {"content": {"image/png": {}, "image/svg+xml": {}}}},
)
def qr_code(
    campaign: str,
    kind: str,
    request: Request,
    service: ServiceDep,
    scale: Annotated[int, Query(ge=1, le=40)] = 10,
) -> Response:
    import segno

    if kind not in ("png", "svg"):
        raise HTTPException(status_code=404, detail="QR codes are qr.png or qr.svg")
    found = _campaign(service, campaign)
    qr = segno.make(public_url(request, service, found.slug), error="m")
    buf = io.BytesIO()
    if kind == "png":
        qr.save(buf, kind="png", scale=scale, border=4)
        media = "image/png"
    else:
        qr.save(buf, kind="svg", scale=scale, border=4, xmldecl=False, title=found.title)
        media = "image/svg+xml"
    return Response(
        buf.getvalue(),
        media_type=media,
        headers={"Content-Disposition": f'inline; filename="feedback-{found.slug}.{kind}"'},
    )


router = APIRouter()
router.include_router(admin)
router.include_router(form_router)
