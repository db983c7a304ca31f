"""Every stage in one process (the embedded default): NLP worker and indexer as threads."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

from core.logging import get_logger
from core.models import Analysis
from core.settings import Settings
from storage.base import Store
from storage.factory import make_store
from streaming.bus import Bus
from streaming.factory import make_bus
from streaming.indexer import Indexer
from streaming.nlp_worker import NlpWorker

log = get_logger(__name__)


class Pipeline:
    """Owns one Bus and one Store; runs the NLP worker and the indexer in background threads."""

    def __init__(
        self,
        settings: Settings,
        *,
        analyze: Callable[[Sequence[str]], list[Analysis]] | None = None,
        store: Store | None = None,
    ) -> None:
        self.settings = settings
        self.bus: Bus = make_bus(settings)
        self.store: Store = store or make_store(settings)
        self._own_store = store is None
        # each worker gets its own bus handle so their publishes and reads never share a lock
        self.nlp = NlpWorker(make_bus(settings), settings, analyze=analyze)
        self.indexer = Indexer(make_bus(settings), self.store, settings)
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for worker in (self.nlp, self.indexer):
            t = threading.Thread(target=worker.run, name=f"duluan-{worker.stage}", daemon=True)
            t.start()
            self._threads.append(t)

    def lag(self) -> tuple[int, int]:
        """Messages waiting for NLP, and for indexing."""
        s = self.settings
        return (
            self.bus.group_lag(s.raw_topic, self.nlp.group),
            self.bus.group_lag(s.enriched_topic, self.indexer.group),
        )

    def wait_drained(
        self,
        timeout: float = 600.0,
        settle: float = 1.0,
        progress: Callable[[int, int, int], None] | None = None,
    ) -> bool:
        """Block until both stages have committed everything published so far."""
        deadline = time.monotonic() + timeout
        quiet_since: float | None = None
        while time.monotonic() < deadline:
            raw, enriched = self.lag()
            if progress:
                progress(raw, enriched, self.indexer.stats.processed)
            if raw == 0 and enriched == 0:
                quiet_since = quiet_since or time.monotonic()
                if time.monotonic() - quiet_since >= settle:
                    self.store.refresh()
                    return True
            else:
                quiet_since = None
            time.sleep(0.25)
        return False

    def stop(self) -> None:
        for worker in (self.nlp, self.indexer):
            worker.stop_event.set()
        for t in self._threads:
            t.join(timeout=30)
        self.nlp.bus.close()
        self.indexer.bus.close()
        self.bus.close()
        if self._own_store:
            self.store.close()
