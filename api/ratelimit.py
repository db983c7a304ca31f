"""In-memory token buckets per API key or client address (one process; not shared).

Deliberate: the embedded deployment runs one API process, and a shared bucket in the meta
SQLite file would add a write per request to the file the indexer writes. Several replicas each
allow the full rate; put the limit in the proxy in front (docs/api.md, "Rate limiting").
"""

from __future__ import annotations

import ipaddress
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from starlette.types import Scope


class RateLimiter:
    """`per_minute` sustained, `burst` at once; `take(who)` returns 0 or seconds to wait."""

    def __init__(
        self,
        per_minute: float,
        burst: int,
        *,
        max_clients: int = 50_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.max_clients = max_clients
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def take(self, who: str) -> float:
        """Spend one token for `who`; 0.0 if allowed, else the wait until the next token."""
        if not self.enabled:
            return 0.0
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.pop(who, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            wait = 0.0
            if tokens >= 1.0:
                tokens -= 1.0
            else:
                wait = (1.0 - tokens) / self.rate
            self._buckets[who] = (tokens, now)
            while len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)
        return wait


def retry_after(wait: float) -> str:
    """Whole seconds for the Retry-After header (at least 1)."""
    return str(max(1, math.ceil(wait)))


def _networks(proxies: list[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    out = []
    for p in proxies:
        try:
            out.append(ipaddress.ip_network(p.strip(), strict=False))
        except ValueError:
            continue
    return out


def _in(host: str, nets: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(addr in n for n in nets)


def client_address(scope: Scope, *, trust_proxy: bool, proxies: list[str]) -> str:
    """The client's address for rate limits: the TCP peer, unless `trust_proxy` and the peer is
    one of `proxies`; then the right-most X-Forwarded-For hop that is not a proxy itself.

    Anyone can send X-Forwarded-For; only a proxy we run appends a hop we can believe, so a
    header from any other peer is ignored (it let a rotating header skip every limit).
    """
    client = scope.get("client")
    peer = str(client[0]) if client else "unknown"
    if not trust_proxy:
        return peer
    nets = _networks(proxies)
    if not _in(peer, nets):
        return peer
    values = [
        v.decode("latin-1") for k, v in scope.get("headers", []) if k.lower() == b"x-forwarded-for"
    ]
    hops = [h.strip() for h in ",".join(values).split(",") if h.strip()]
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return peer  # garbage from the client side of the chain: the proxy is who we know
        if not _in(hop, nets):
            return hop
    return hops[0] if hops else peer
