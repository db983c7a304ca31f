"""The public feedback form at /f/{slug}: plain HTML, no JavaScript, checks before publishing."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api import ratelimit
from api.pages import page_lang, read_urlencoded, render_page
from duluan.feedback import i18n
from duluan.feedback.models import Campaign
from duluan.feedback.service import FeedbackService, Rejected, Submission

router = APIRouter(tags=["feedback form"], include_in_schema=False)


def get_feedback(request: Request) -> FeedbackService:
    """The container's feedback service."""
    service: FeedbackService = request.app.state.container.feedback
    return service


ServiceDep = Annotated[FeedbackService, Depends(get_feedback)]


def _not_found(lang: i18n.Lang, slug: str) -> HTMLResponse:
    return render_page(
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
    return render_page(
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


@router.get("/f/{slug}", response_class=HTMLResponse)
def formrender_page(
    slug: str, request: Request, service: ServiceDep, lang: str | None = None
) -> HTMLResponse:
    """The mobile-friendly form (plain HTML, no JavaScript)."""
    chosen = page_lang(request, lang)
    campaign = service.campaigns.get(slug)
    if campaign is None or not campaign.active or campaign.slug != slug:
        return _not_found(chosen, slug)
    return _form(service, campaign, chosen)


def client_address(request: Request, trust_proxy: bool) -> str:
    """For rate limiting only (hashed, never stored): the peer, or the client a trusted proxy
    (`api_trusted_proxies`) names in X-Forwarded-For."""
    proxies: list[str] = request.app.state.settings.api_trusted_proxies
    return ratelimit.client_address(request.scope, trust_proxy=trust_proxy, proxies=proxies)


@router.post("/f/{slug}", response_class=HTMLResponse)
async def submit(slug: str, request: Request, service: ServiceDep) -> Response:
    """Checks (rate, size, honeypot, fill time, duplicates), then publish; a page either way."""
    lang = page_lang(request, request.query_params.get("lang"))
    campaign = service.campaigns.get(slug)
    if campaign is None or not campaign.active or campaign.slug != slug:
        return _not_found(lang, slug)
    address = client_address(request, service.config.trust_proxy)
    fields = await read_urlencoded(request, service.config.max_body_bytes)
    if fields is None:
        try:  # an oversized body still costs a token
            service.check_rate(address)
        except Rejected as exc:
            return _rejected(service, campaign, lang, exc, None)
        too_large = Rejected(413, "too_large", n=service.config.max_chars)
        return _rejected(service, campaign, lang, too_large, None)
    lang = page_lang(request, fields.get("lang") or request.query_params.get("lang"))
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
        response = render_page(
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


@router.get("/f/{slug}/thanks", response_class=HTMLResponse)
def thanks(
    slug: str, request: Request, service: ServiceDep, lang: str | None = None
) -> HTMLResponse:
    chosen = page_lang(request, lang)
    campaign = service.campaigns.get(slug)
    if campaign is None:
        return _not_found(chosen, slug)
    return render_page(
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
