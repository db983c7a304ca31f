"""Send a rendered briefing the way alerts are sent (insights.delivery): signed webhook or email.

Webhooks get JSON (summary figures plus the document, base64) signed exactly like alert
webhooks (`X-Duluan-Signature: v1=HMAC(timestamp.body)`), so one receiver verifies both;
email gets the summary as text, the HTML briefing as the HTML part, and the file attached.
Target checks (no internal hosts), redaction, SMTP settings and the result record are the
alert delivery's own.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage

import httpx

from duluan.alerts.delivery import (
    DeliveryConfig,
    DeliveryResult,
    post_signed,
    redact_url,
    send_smtp,
)
from duluan.alerts.models import EmailTarget, Target, WebhookTarget
from duluan.briefings import locale as L
from duluan.briefings.models import Briefing
from duluan.briefings.render_html import lang_of, last_local_day
from duluan.core.logging import get_logger

log = get_logger(__name__)
EVENT_TYPE = "briefing"


@dataclass(frozen=True)
class RenderedBriefing:
    """A briefing with its rendered document, ready to deliver."""

    briefing: Briefing
    content: bytes
    format: str  # html | pdf
    html: str | None = None  # the HTML rendering, for the email's HTML part
    schedule_id: str | None = None

    @property
    def filename(self) -> str:
        slug = "".join(c if c.isalnum() else "-" for c in self.briefing.watchlist_name.lower())
        return f"duluan-{slug.strip('-') or 'briefing'}-{self.briefing.start:%Y%m%d}.{self.format}"

    @property
    def content_type(self) -> str:
        return "application/pdf" if self.format == "pdf" else "text/html; charset=utf-8"

    def subject(self) -> str:
        b = self.briefing
        lang = lang_of(b)
        span = f"{L.fmt_date(b.start, lang)} – {L.fmt_date(last_local_day(b), lang)}"
        return f"[duluan] {L.t('title', lang)}: {b.watchlist_name} · {span}"

    def payload(self, delivery_id: str) -> bytes:
        b = self.briefing
        return json.dumps(
            {
                "type": EVENT_TYPE,
                "id": delivery_id,
                "schedule_id": self.schedule_id,
                "watchlist": {"id": b.watchlist_id, "name": b.watchlist_name, "query": b.query},
                "period": {"start": b.start.isoformat(), "end": b.end.isoformat()},
                "lang": b.lang,
                "subject": self.subject(),
                "summary": b.highlights,
                "figures": {
                    "posts": b.current.total,
                    "previous_posts": b.previous.total,
                    "negative_share": round(b.current.negative_share, 4),
                    "previous_negative_share": round(b.previous.negative_share, 4),
                    "sentiment": b.current.counts,
                },
                "format": self.format,
                "filename": self.filename,
                "content_type": self.content_type,
                "content_base64": base64.b64encode(self.content).decode("ascii"),
            },
            ensure_ascii=False,
        ).encode("utf-8")


class BriefingSender:
    """Deliver one rendered briefing to one target with the alert senders' retries."""

    def __init__(
        self,
        config: DeliveryConfig,
        *,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.config = config
        self._sleep = sleep
        self._transport = transport

    def send(self, doc: RenderedBriefing, target: Target) -> DeliveryResult:
        if isinstance(target, WebhookTarget):
            return self._webhook(doc, target)
        return self._email(doc, target)

    def _webhook(self, doc: RenderedBriefing, target: WebhookTarget) -> DeliveryResult:
        delivery_id = uuid.uuid4().hex
        result = DeliveryResult(
            channel="webhook",
            target=redact_url(target.url),
            status="failed",
            event_id=delivery_id,
            subscription_id=doc.schedule_id,
        )
        return post_signed(
            self.config,
            target.url,
            target.secret,
            doc.payload(delivery_id),
            result,
            event_id=EVENT_TYPE,
            delivery_id=delivery_id,
            sleep=self._sleep,
            transport=self._transport,
        )

    def _email(self, doc: RenderedBriefing, target: EmailTarget) -> DeliveryResult:
        result = DeliveryResult(
            channel="email",
            target=", ".join(target.to),
            status="failed",
            subscription_id=doc.schedule_id,
        )
        return send_smtp(
            self.config,
            lambda sender: render_email(doc, sender, target.to),
            result,
            sleep=self._sleep,
        )


def render_email(doc: RenderedBriefing, sender: str, to: list[str]) -> EmailMessage:
    """Text summary, the HTML briefing as the HTML alternative, and the document attached."""
    msg = EmailMessage()
    msg["Subject"] = doc.subject()[:200].replace("\r", " ").replace("\n", " ")
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg["Message-ID"] = f"<{uuid.uuid4().hex}@duluan>"
    lines = [doc.subject(), "", *[f"- {h}" for h in doc.briefing.highlights]]
    msg.set_content("\n".join(lines) + "\n")
    if doc.html:
        msg.add_alternative(doc.html, subtype="html")
    maintype, subtype = ("application", "pdf") if doc.format == "pdf" else ("text", "html")
    msg.add_attachment(doc.content, maintype=maintype, subtype=subtype, filename=doc.filename)
    return msg
