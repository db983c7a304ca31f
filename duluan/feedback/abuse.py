"""Abuse resistance for the public form, all in memory and nothing personal kept.

- `ClientKeys`: a client address becomes a salted hash; the salt is random, never stored,
  and rotates (default hourly), so no IP address or stable device identifier exists anywhere.
- `RateLimiter`: a token bucket per hashed client.
- `DuplicateGuard`: the same normalized text in the same campaign within a window is refused.
- `FormStamp`: a signed issue time in the form, for a minimum fill time and an expiry.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from duluan.core.text import fold

Clock = Callable[[], float]
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


class ClientKeys:
    """Salted, rotating hashes of client addresses (for rate limiting only)."""

    def __init__(self, rotate_s: float = 3600.0, clock: Clock = time.monotonic) -> None:
        self.rotate_s = rotate_s
        self.clock = clock
        self._salt = secrets.token_bytes(16)
        self._since = clock()
        self._lock = threading.Lock()

    def key(self, address: str) -> str:
        with self._lock:
            if self.clock() - self._since >= self.rotate_s:
                self._salt, self._since = secrets.token_bytes(16), self.clock()
            salt = self._salt
        return hashlib.blake2b(address.encode(), key=salt, digest_size=12).hexdigest()


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    """Token bucket per key: `burst` submissions at once, then `per_minute` on average."""

    def __init__(
        self,
        per_minute: float = 6.0,
        burst: int = 5,
        *,
        max_keys: int = 100_000,
        clock: Clock = time.monotonic,
    ) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.max_keys = max_keys
        self.clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """0.0 if a token was taken, else the seconds until one is available."""
        now = self.clock()
        with self._lock:
            bucket = self._buckets.pop(key, None) or _Bucket(self.burst, now)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.rate)
            bucket.at = now
            self._buckets[key] = bucket
            while len(self._buckets) > self.max_keys:  # the least recently seen go first
                self._buckets.popitem(last=False)
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0.0
            return (1.0 - bucket.tokens) / self.rate if self.rate > 0 else 3600.0


def normalized_text(text: str) -> str:
    """Diacritics, case, punctuation and spacing folded away: what counts as 'the same text'."""
    return " ".join(_NON_WORD.sub(" ", fold(text)).split())


class DuplicateGuard:
    """Remembers (campaign, hash of normalized text) for `window_s`; hashes only, no text."""

    def __init__(
        self,
        window_s: float = 86400.0,
        *,
        max_entries: int = 200_000,
        clock: Clock = time.monotonic,
    ) -> None:
        self.window_s = window_s
        self.max_entries = max_entries
        self.clock = clock
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _key(campaign: str, text: str) -> str:
        digest = hashlib.blake2b(normalized_text(text).encode(), digest_size=16).hexdigest()
        return f"{campaign}:{digest}"

    def reserve(self, campaign: str, text: str) -> str | None:
        """A reservation key if the text is new in the window, None if it is a duplicate."""
        now = self.clock()
        key = self._key(campaign, text)
        with self._lock:
            while self._seen:
                oldest, at = next(iter(self._seen.items()))
                if now - at < self.window_s and len(self._seen) < self.max_entries:
                    break
                del self._seen[oldest]
            if key in self._seen:
                return None
            self._seen[key] = now
            return key

    def release(self, key: str) -> None:
        """Forget a reservation whose submission could not be published."""
        with self._lock:
            self._seen.pop(key, None)


class StampError(ValueError):
    def __init__(self, reason: str) -> None:  # reason: invalid | too_fast | expired
        super().__init__(reason)
        self.reason = reason


class FormStamp:
    """`<issued unix time>.<hmac>` in a hidden field: proves when the form was served."""

    def __init__(
        self,
        secret: bytes | None = None,
        *,
        min_fill_s: float = 3.0,
        max_age_s: float = 86400.0,
        clock: Clock = time.time,
    ) -> None:
        self.secret = secret or secrets.token_bytes(32)
        self.min_fill_s = min_fill_s
        self.max_age_s = max_age_s
        self.clock = clock

    def _mac(self, slug: str, issued: str) -> str:
        msg = f"{slug}.{issued}".encode()
        return hmac.new(self.secret, msg, hashlib.sha256).hexdigest()[:32]

    def issue(self, slug: str) -> str:
        issued = f"{self.clock():.3f}"
        return f"{issued}.{self._mac(slug, issued)}"

    def check(self, slug: str, stamp: str | None) -> None:
        """Raise StampError unless the stamp is genuine, old enough and not expired."""
        issued, _, mac = (stamp or "").rpartition(".")
        if not issued or not hmac.compare_digest(mac, self._mac(slug, issued)):
            raise StampError("invalid")
        try:
            age = self.clock() - float(issued)
        except ValueError as exc:
            raise StampError("invalid") from exc
        if age < self.min_fill_s:
            raise StampError("too_fast")
        if age > self.max_age_s:
            raise StampError("expired")
