"""Server-rendered HTML pages (the public feedback form): templates, headers, form bodies.

The form works without JavaScript, so pages are rendered here from Jinja templates in
api/templates with strict security headers, and urlencoded bodies are read with a size cap.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from duluan.feedback import i18n

TEMPLATES = Path(__file__).resolve().parent / "templates"
_env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]))
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
}


def page_lang(request: Request, explicit: str | None = None) -> i18n.Lang:
    return i18n.pick_lang(explicit, request.headers.get("accept-language"))


def render_page(
    template: str, status: int, lang: i18n.Lang, slug: str, **context: Any
) -> HTMLResponse:
    """A form page in `lang`, with a link to the same page in the other language."""
    other: i18n.Lang = "en" if lang == "vi" else "vi"
    html = _env.get_template(template).render(
        lang=lang,
        t=lambda key, **v: i18n.t(key, lang, **v),
        other_lang=other,
        other_lang_label=i18n.t("other_lang", lang),
        other_lang_url=f"/f/{slug}?{urlencode({'lang': other})}",
        **context,
    )
    return HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)


async def read_urlencoded(request: Request, limit: int) -> dict[str, str] | None:
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
