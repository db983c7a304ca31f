"""Direct feedback: campaign admin under /v1/feedback, the public no-JavaScript form at /f/{slug}."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import BaseModel

from api.security import ADMIN
from duluan.feedback import i18n
from duluan.feedback.models import Campaign, CampaignCreate, CampaignUpdate
from duluan.feedback.repository import SlugTaken
from duluan.feedback.service import FeedbackService, Rejected, Submission

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
_env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]))
admin = APIRouter(prefix="/v1/feedback", tags=["feedback"], dependencies=ADMIN)
public = APIRouter(tags=["feedback form"], include_in_schema=False)
router = APIRouter()


def get_feedback(request: Request) -> FeedbackService:
    """The container's feedback service."""
    service: FeedbackService = request.app.state.container.feedback
    return service


ServiceDep = Annotated[FeedbackService, Depends(get_feedback)]


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


# -- public form ------------------------------------------------------------------------------


def _lang(request: Request, explicit: str | None = None) -> i18n.Lang:
    return i18n.pick_lang(explicit, request.headers.get("accept-language"))


def _page(template: str, status: int, lang: i18n.Lang, slug: str, **context: Any) -> HTMLResponse:
    other: i18n.Lang = "en" if lang == "vi" else "vi"
    html = _env.get_template(template).render(
        lang=lang,
        t=lambda key, **v: i18n.t(key, lang, **v),
        other_lang=other,
        other_lang_label=i18n.t("other_lang", lang),
        other_lang_url=f"/f/{slug}?{urlencode({'lang': other})}",
        **context,
    )
    headers = {
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    }
    return HTMLResponse(html, status_code=status, headers=headers)


def _not_found(lang: i18n.Lang, slug: str) -> HTMLResponse:
    return _page(
        "feedback_message.html",
        404,
        lang,
        slug,
        kind="error",
        heading=i18n.t("error_title", lang),
        message=i18n.t("not_found", lang),
        campaign_title="duluan",
        link=None,
    )


def _form(
    service: FeedbackService,
    campaign: Campaign,
    lang: i18n.Lang,
    *,
    status: int = 200,
    error: str | None = None,
    form: Submission | None = None,
) -> HTMLResponse:
    max_chars = service.config.max_chars
    return _page(
        "feedback_form.html",
        status,
        lang,
        campaign.slug,
        campaign=campaign,
        campaign_title=campaign.title,
        action=f"/f/{campaign.slug}",
        stamp=service.stamps.issue(campaign.slug),
        max_chars=max_chars,
        max_chars_label=f"{max_chars:,}".replace(",", "." if lang == "vi" else ","),
        error=error,
        text=form.text if form else "",
        category=form.category or "" if form else "",
        contact=form.contact or "" if form else "",
    )


@public.get("/f/{slug}", response_class=HTMLResponse)
def form_page(
    slug: str, request: Request, service: ServiceDep, lang: str | None = None
) -> HTMLResponse:
    """The mobile-friendly form (plain HTML, no JavaScript)."""
    chosen = _lang(request, lang)
    campaign = service.campaigns.get(slug)
    if campaign is None or not campaign.active or campaign.slug != slug:
        return _not_found(chosen, slug)
    return _form(service, campaign, chosen)


def client_address(request: Request, trust_proxy: bool) -> str:
    """For rate limiting only (hashed, never stored): the peer, or X-Forwarded-For's first hop."""
    if trust_proxy:
        forwarded = request.headers.get("x-forwarded-for", "").split(",")[0].strip()
        if forwarded:
            return forwarded
    return request.client.host if request.client else "unknown"


async def _read_form(request: Request, limit: int) -> dict[str, str] | None:
    """The urlencoded body as a dict, or None when larger than `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            return None
    try:
        parsed = parse_qs(bytes(body).decode("utf-8"), keep_blank_values=True, max_num_fields=20)
    except (UnicodeDecodeError, ValueError):
        return {}
    return {k: v[0] for k, v in parsed.items() if v}


@public.post("/f/{slug}", response_class=HTMLResponse)
async def submit(slug: str, request: Request, service: ServiceDep) -> Response:
    """Checks (rate, size, honeypot, fill time, duplicates), then publish; a page either way."""
    lang = _lang(request, request.query_params.get("lang"))
    campaign = service.campaigns.get(slug)
    if campaign is None or not campaign.active or campaign.slug != slug:
        return _not_found(lang, slug)
    address = client_address(request, service.config.trust_proxy)
    fields = await _read_form(request, service.config.max_body_bytes)
    if fields is None:
        try:  # an oversized body still costs a token
            service.check_rate(address)
        except Rejected as exc:
            return _rejected(service, campaign, lang, exc, None)
        too_large = Rejected(413, "too_large", n=service.config.max_chars)
        return _rejected(service, campaign, lang, too_large, None)
    lang = _lang(request, fields.get("lang") or request.query_params.get("lang"))
    form = Submission(
        text=fields.get("text", ""),
        category=fields.get("category"),
        contact=fields.get("contact"),
        honeypot=fields.get("website"),
        stamp=fields.get("t"),
    )
    try:
        await run_in_threadpool(service.submit, campaign, form, client_address=address)
    except Rejected as exc:
        return _rejected(service, campaign, lang, exc, form)
    return RedirectResponse(f"/f/{slug}/thanks?{urlencode({'lang': lang})}", status_code=303)


def _rejected(
    service: FeedbackService,
    campaign: Campaign,
    lang: i18n.Lang,
    exc: Rejected,
    form: Submission | None,
) -> HTMLResponse:
    message = i18n.t(exc.reason, lang, **exc.values)
    if exc.status in (409, 404):
        response = _page(
            "feedback_message.html",
            exc.status,
            lang,
            campaign.slug,
            kind="error",
            heading=i18n.t("error_title", lang),
            message=message,
            campaign_title=campaign.title,
            link=f"/f/{campaign.slug}?{urlencode({'lang': lang})}",
            link_label=i18n.t("back", lang),
        )
    else:
        response = _form(service, campaign, lang, status=exc.status, error=message, form=form)
    if exc.status == 429:
        response.headers["Retry-After"] = str(exc.values.get("seconds", 60))
    return response


@public.get("/f/{slug}/thanks", response_class=HTMLResponse)
def thanks(
    slug: str, request: Request, service: ServiceDep, lang: str | None = None
) -> HTMLResponse:
    chosen = _lang(request, lang)
    campaign = service.campaigns.get(slug)
    if campaign is None:
        return _not_found(chosen, slug)
    return _page(
        "feedback_message.html",
        200,
        chosen,
        slug,
        kind="ok",
        heading=i18n.t("thanks_title", chosen),
        message=i18n.t("thanks_body", chosen),
        campaign_title=campaign.title,
        link=f"/f/{slug}?{urlencode({'lang': chosen})}",
        link_label=i18n.t("send_another", chosen),
    )


router.include_router(admin)
router.include_router(public)
