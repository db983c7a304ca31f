"""How uvicorn serves the app: the options `duluan api` / `duluan run` and the tests share."""

from __future__ import annotations

from typing import Any

from duluan.core.settings import Settings


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """uvicorn keyword arguments from settings.

    `proxy_headers=False`: uvicorn's default believes X-Forwarded-For from 127.0.0.1 whatever
    the settings say; the app reads it itself, only from `api_trusted_proxies`
    (`api.ratelimit.client_address`). Header bytes are capped by h11 when it parses (and by the
    app's middleware for httptools); an idle keep-alive connection closes after
    `api_keep_alive_s`. A slow client still holding a connection mid-headers is for the proxy
    in front to cut (docs/scaleout.md).
    """
    return {
        "proxy_headers": False,
        "forwarded_allow_ips": settings.api_trusted_proxies if settings.api_trust_proxy else [],
        "timeout_keep_alive": settings.api_keep_alive_s,
        "h11_max_incomplete_event_size": settings.api_header_max_bytes,
        "server_header": False,
    }
