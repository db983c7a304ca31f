"""Every stage on one machine (the embedded default): NLP worker and indexer run side by side.

The NLP worker is CPU-bound, so by default it runs in a child process (its own core, its own
GIL); the indexer runs as a thread next to the API. Passing `analyze=` keeps NLP in-process
(tests and tools that bring their own analysis function).
"""

from __future__ import annotations

import multiprocessing as mp
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from duluan.core.logging import configure_logging, get_logger
from duluan.core.models import Analysis
from duluan.core.settings import Settings
from duluan.storage.base import Store
from duluan.storage.factory import make_store
from streaming.bus import Bus
from streaming.factory import make_bus
from streaming.indexer import Indexer
from streaming.nlp_worker import NlpWorker
from streaming.worker import WorkerStats

log = get_logger(__name__)
NLP_GROUP = "duluan-nlp"


def _nlp_child(settings_data: dict[str, Any], stop: Any, processed: Any, dead: Any) -> None:
    """Entry point of the NLP child process: run the worker until the parent says stop."""
    settings = Settings(**settings_data)
    configure_logging(settings.log_level, settings.log_format)
    bus = make_bus(settings)
    worker = NlpWorker(bus, settings)

    def watch() -> None:
        stop.wait()
        worker.stop_event.set()

    threading.Thread(target=watch, daemon=True).start()

    def publish_stats(stats: WorkerStats) -> None:
        processed.value, dead.value = stats.processed, stats.dead

    try:
        publish_stats(worker.run(on_batch=publish_stats))
    finally:
        bus.close()


class NlpProcess:
    """The NLP worker in a child process, with the parts of a Worker the pipeline uses."""

    group = NLP_GROUP

    def __init__(self, settings: Settings) -> None:
        ctx = mp.get_context("spawn")
        self._stop = ctx.Event()
        self._processed = ctx.Value("q", 0)
        self._dead = ctx.Value("q", 0)
        self.process = ctx.Process(
            target=_nlp_child,
            args=(settings.model_dump(), self._stop, self._processed, self._dead),
            name="duluan-nlp",
            daemon=True,
        )

    @property
    def stats(self) -> WorkerStats:
        return WorkerStats(processed=int(self._processed.value), dead=int(self._dead.value))

    def start(self) -> None:
        self.process.start()

    def stop(self) -> None:
        self._stop.set()
        self.process.join(60)
        if self.process.is_alive():
            log.warning("pipeline.nlp_child_killed")
            self.process.kill()
            self.process.join(5)


class Pipeline:
    """Owns one Bus and one Store; runs the NLP worker and the indexer in the background."""

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
        self.nlp: NlpWorker | NlpProcess
        if analyze is None:
            self.nlp = NlpProcess(settings)
        else:
            self.nlp = NlpWorker(make_bus(settings), settings, analyze=analyze)
        self.indexer = Indexer(make_bus(settings), self.store, settings)
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        if isinstance(self.nlp, NlpProcess):
            self.nlp.start()
        else:
            self._spawn(self.nlp.run, "duluan-nlp")
        self._spawn(self.indexer.run, "duluan-index")

    def _spawn(self, target: Callable[[], object], name: str) -> None:
        t = threading.Thread(target=target, name=name, daemon=True)
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
        if isinstance(self.nlp, NlpProcess):
            self.nlp.stop()
        else:
            self.nlp.stop_event.set()
        self.indexer.stop_event.set()
        for t in self._threads:
            t.join(timeout=30)
        if isinstance(self.nlp, NlpWorker):
            self.nlp.bus.close()
        self.indexer.bus.close()
        self.bus.close()
        if self._own_store:
            self.store.close()
