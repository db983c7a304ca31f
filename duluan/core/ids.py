"""Stable, source-scoped post ids: a re-crawl of the same item maps to the same id."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_TRACKING = re.compile(r"^(utm_|fbclid$|gclid$|ref$|ref_src$|zarsrc$)")


def post_id(source: str, kind: str, native_id: str | int) -> str:
    """Build `source:kind:native_id`; colons inside parts are kept (only the first two split)."""
    if not source or not kind or native_id in ("", None):
        raise ValueError("source, kind and native_id are all required")
    return f"{source}:{kind}:{native_id}"


def normalize_url(url: str) -> str:
    """Canonical form for dedup: lower host, no fragment, no tracking params, sorted query."""
    parts = urlsplit(url.strip())
    query = sorted((k, v) for k, v in parse_qsl(parts.query) if not _TRACKING.match(k))
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, urlencode(query), ""))


def content_hash(text: str) -> str:
    """Hash of whitespace-collapsed, case-folded text, to spot the same content posted twice."""
    collapsed = " ".join(text.split()).casefold()
    return hashlib.blake2b(collapsed.encode("utf-8"), digest_size=12).hexdigest()
