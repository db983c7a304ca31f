"""In-memory token buckets per API key or client address (one process; not shared).

Deliberate: the embedded deployment runs one API process, and a shared bucket in the meta
SQLite file would add a write per request to the file the indexer writes. Several replicas each
allow the full rate; put the limit in the proxy in front (docs/api.md, "Rate limiting").
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable


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
