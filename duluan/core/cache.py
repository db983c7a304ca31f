"""A small TTL cache that serves stale answers while one thread recomputes (single flight)."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from duluan.core.logging import get_logger

log = get_logger(__name__)
T = TypeVar("T")


@dataclass
class Entry(Generic[T]):
    value: T
    at: float


class StaleWhileRevalidate(Generic[T]):
    """`get(key, compute)`: fresh for `ttl_s`; stale up to `max_stale_s`, refreshed behind.

    Concurrent misses for one key wait for a single computation instead of each running it.
    """

    def __init__(self, ttl_s: float, max_stale_s: float, max_entries: int = 256) -> None:
        self.ttl_s = ttl_s
        self.max_stale_s = max_stale_s
        self.max_entries = max_entries
        self._entries: OrderedDict[str, Entry[T]] = OrderedDict()
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def _lock(self, key: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def _put(self, key: str, value: T) -> Entry[T]:
        entry = Entry(value, time.monotonic())
        with self._guard:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                old, _ = self._entries.popitem(last=False)
                self._locks.pop(old, None)
        return entry

    def peek(self, key: str) -> Entry[T] | None:
        with self._guard:
            return self._entries.get(key)

    def get(self, key: str, compute: Callable[[], T]) -> tuple[T, float]:
        """The value and its age in seconds."""
        entry = self.peek(key)
        now = time.monotonic()
        if entry is not None and self.ttl_s > 0:
            age = now - entry.at
            if age <= self.ttl_s:
                return entry.value, age
            if age <= self.max_stale_s:
                self._refresh_behind(key, compute)
                return entry.value, age
        lock = self._lock(key)
        with lock:  # single flight: the first caller computes, the others reuse its answer
            entry = self.peek(key)
            if entry is not None and self.ttl_s > 0 and time.monotonic() - entry.at <= self.ttl_s:
                return entry.value, time.monotonic() - entry.at
            value = compute()
            if self.ttl_s > 0:
                self._put(key, value)
            return value, 0.0

    def _refresh_behind(self, key: str, compute: Callable[[], T]) -> None:
        lock = self._lock(key)
        if not lock.acquire(blocking=False):
            return  # someone is already refreshing it

        def run() -> None:
            try:
                self._put(key, compute())
            except Exception:
                log.exception("cache.refresh_failed", key=key[:200])
            finally:
                lock.release()

        threading.Thread(target=run, name="duluan-cache-refresh", daemon=True).start()
