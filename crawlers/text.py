"""HTML-to-text and time helpers shared by the spiders: cleaned text, timezone-aware datetimes."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import lxml.html
from w3lib.html import remove_tags, replace_entities

from duluan.core.text import clean_control

VN_TZ = timezone(timedelta(hours=7), "+07:00")

_WS = re.compile(r"[ \t\r\f\v\u00a0\u200b]+")
_NL = re.compile(r"\s*\n\s*")
_BLOCK_TAGS = re.compile(r"<\s*(br|/p|/div|/li|/blockquote|/h[1-6])\b[^>]*>", re.IGNORECASE)
_REPLY_NAME = re.compile(
    r"^\s*<span[^>]*class=[\"'][^\"']*reply_name[^\"']*[\"'][^>]*>(?P<name>.*?)</span>\s*:?(?:&nbsp;|\s)*",
    re.IGNORECASE | re.DOTALL,
)
_JSONP = re.compile(r"^\s*[\w$.]+\s*\((?P<body>.*)\)\s*;?\s*$", re.DOTALL)


def squash(text: str) -> str:
    """Collapse runs of spaces (keeping single newlines between paragraphs) and trim."""
    text = clean_control(text.replace("\r\n", "\n"))
    lines = [_WS.sub(" ", line).strip() for line in _NL.split(text)]
    return "\n".join(line for line in lines if line)


def html_to_text(fragment: str | None) -> str:
    """Tags dropped, entities decoded, block boundaries kept as newlines."""
    if not fragment:
        return ""
    marked = _BLOCK_TAGS.sub("\n", fragment)
    return squash(replace_entities(remove_tags(marked)))


def element_text(element: lxml.html.HtmlElement) -> str:
    """Visible text of an lxml element, paragraphs and <br> kept as newlines."""
    return html_to_text(lxml.html.tostring(element, encoding="unicode", with_tail=False))


def split_reply_name(content: str) -> tuple[str | None, str]:
    """VnExpress replies start with `<span class="reply_name">@name</span>:&nbsp;`; split it off."""
    match = _REPLY_NAME.match(content or "")
    if not match:
        return None, content or ""
    name = html_to_text(match.group("name")).lstrip("@").strip() or None
    return name, content[match.end() :]


def loads_json_or_jsonp(body: str | bytes) -> Any:
    """Parse JSON, or JSONP (`cb({...});`) when the server wrapped it in a callback."""
    text = body.decode("utf-8-sig") if isinstance(body, bytes) else body
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        match = _JSONP.match(text)
        if not match:
            raise
        return json.loads(match.group("body"))


def from_unix(seconds: int | float | str, tz: timezone = VN_TZ) -> datetime:
    """Unix seconds (or milliseconds) as an aware datetime in the source's timezone."""
    value = float(seconds)
    if value > 1e11:  # milliseconds
        value /= 1000.0
    return datetime.fromtimestamp(value, tz=tz)


_VN_DATE = re.compile(
    r"(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<y>\d{4})(?:\D+(?P<H>\d{1,2}):(?P<M>\d{2}))?"
)


def parse_time(value: str | None, default_tz: timezone = VN_TZ) -> datetime | None:
    """ISO 8601 (any offset, `Z`, `+0700`), RFC 822 (RSS), or `d/m/yyyy, HH:MM`; naive = local."""
    if not value:
        return None
    text = value.strip()
    parsed: datetime | None = None
    iso = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", text.replace("Z", "+00:00"))
    try:
        parsed = datetime.fromisoformat(iso)
    except ValueError:
        parsed = None
    if parsed is None:
        from email.utils import parsedate_to_datetime

        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            parsed = None
    if parsed is None:
        match = _VN_DATE.search(text)
        if match:
            try:
                parsed = datetime(
                    int(match["y"]),
                    int(match["m"]),
                    int(match["d"]),
                    int(match["H"] or 0),
                    int(match["M"] or 0),
                )
            except ValueError:
                parsed = None
    if parsed is None:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=default_tz)


def utc_now() -> datetime:
    return datetime.now(UTC)
