"""Every stage on one machine (the embedded default): NLP worker and indexer run side by side.

The NLP worker is CPU-bound, so by default it runs in a child process (its own core, its own
GIL); the indexer runs as a thread next to the API. Passing `analyze=` keeps NLP in-process
(tests and tools that bring their own analysis function).

No stage dies silently: a supervisor restarts a stage that died (the worker raised, the child
exited) after a capped exponential backoff, and records it in `duluan.core.health.STAGES`, which
/readyz and /metrics read (not ready while a stage is down; restarts and last failure).
"""

from __future__ import annotations

import multiprocessing as mp
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import REGISTRY
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from duluan.core.health import STAGES, HealthRegistry
from duluan.core.logging import configure_logging, get_logger
from duluan.core.models import AnalyzeFn
from duluan.core.settings import Settings
from duluan.storage.base import Store
from duluan.storage.factory import make_store
from streaming.bus import Bus
from streaming.factory import make_bus
from streaming.indexer import Indexer
from streaming.nlp_worker import NlpWorker
from streaming.worker import Worker, WorkerStats

log = get_logger(__name__)
_ERROR_BYTES = 500


def _nlp_child(
    settings_data: dict[str, Any], stop: Any, processed: Any, dead: Any, error: Any
) -> None:
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
    except BaseException as exc:  # tell the parent why, then exit non-zero
        error.value = f"{type(exc).__name__}: {exc}".encode("utf-8", "replace")[: _ERROR_BYTES - 1]
        raise
    finally:
        bus.close()


class NlpProcess:
    """The NLP worker in a child process, with the parts of a Worker the pipeline uses."""

    def __init__(self, settings: Settings) -> None:
        self._ctx = mp.get_context("spawn")
        self._settings = settings
        self.group = settings.nlp_group
        self._stop = self._ctx.Event()
        self._processed = self._ctx.Value("q", 0)
        self._dead = self._ctx.Value("q", 0)
        self._error: Any = self._ctx.Array("c", _ERROR_BYTES)  # a char array: has .value
        self._base = WorkerStats()  # counts of children that exited before this one
        self.process = self._new_process()

    def _new_process(self) -> Any:
        return self._ctx.Process(
            target=_nlp_child,
            args=(
                self._settings.model_dump(),
                self._stop,
                self._processed,
                self._dead,
                self._error,
            ),
            name="duluan-nlp",
            daemon=True,
        )

    @property
    def stats(self) -> WorkerStats:
        return WorkerStats(processed=int(self._processed.value), dead=int(self._dead.value))

    def start(self) -> None:
        self.process.start()

    def failure(self) -> str | None:
        """Why the child stopped, when it died (None while it runs or after a clean stop)."""
        if self.process.is_alive() or self.process.exitcode is None or self._stop.is_set():
            return None
        why = self._error.value.decode("utf-8", "replace")
        return f"exit code {self.process.exitcode}" + (f": {why}" if why else "")

    def restart(self) -> None:
        """Start a fresh child (the dead one's counts carry on: the shared values persist)."""
        self.process.join(1)
        self._error.value = b""
        self.process = self._new_process()
        self.process.start()

    def stop(self) -> None:
        self._stop.set()
        if self.process.pid is None:
            return
        self.process.join(60)
        if self.process.is_alive():
            log.warning("pipeline.nlp_child_killed")
            self.process.kill()
            self.process.join(5)


class StageSupervisor:
    """Restarts dead stages with capped exponential backoff and keeps their health current."""

    def __init__(self, settings: Settings, health: HealthRegistry) -> None:
        self.initial_s = settings.pipeline_restart_initial_s
        self.max_s = settings.pipeline_restart_max_s
        self.health = health
        self.stop_event = threading.Event()
        self._threads: list[threading.Thread] = []
        self.stages: list[str] = []

    def _delay(self, failures: int) -> float:
        return float(min(self.max_s, self.initial_s * 2 ** max(0, failures - 1)))

    def _died(self, stage: str, error: BaseException | str, failures: int) -> bool:
        """Record a death and wait before the restart; False when told to stop meanwhile."""
        self.health.mark_down(stage, error)
        delay = self._delay(failures)
        log.error(
            "pipeline.stage_died",
            stage=stage,
            error=str(error)[:500],
            error_type=type(error).__name__ if isinstance(error, BaseException) else "exit",
            restart_in_s=delay,
            failures=failures,
        )
        if self.stop_event.wait(delay):
            return False
        self.health.count_restart(stage)
        log.warning("pipeline.stage_restarting", stage=stage, failures=failures)
        return True

    def _healthy_for(self, started: float) -> bool:
        """A stage that ran a while before dying starts its backoff over."""
        return time.monotonic() - started >= self.max_s

    def supervise_worker(self, stage: str, worker: Worker) -> None:
        """Run `worker` in a thread; when its loop raises, restart it after a backoff."""

        def loop() -> None:
            failures = 0
            while not self.stop_event.is_set():
                started = time.monotonic()
                self.health.mark_up(stage)
                try:
                    worker.run()
                    if self.stop_event.is_set() or worker.stop_event.is_set():
                        return
                    error: BaseException | str = "the worker loop returned"
                except Exception as exc:  # the worker already logged `worker.failed`
                    error = exc
                failures = 1 if self._healthy_for(started) else failures + 1
                if not self._died(stage, error, failures):
                    return

        self._spawn(stage, loop)

    def supervise_process(self, stage: str, child: NlpProcess) -> None:
        """Watch a child process; when it exits uninvited, start a new one after a backoff."""

        def loop() -> None:
            failures = 0
            started = time.monotonic()
            self.health.mark_up(stage)
            while not self.stop_event.wait(0.2):
                why = child.failure()
                if why is None:
                    continue
                failures = 1 if self._healthy_for(started) else failures + 1
                if not self._died(stage, why, failures):
                    return
                child.restart()
                started = time.monotonic()
                self.health.mark_up(stage)

        self._spawn(stage, loop)

    def _spawn(self, stage: str, target: Callable[[], None]) -> None:
        self.stages.append(stage)
        t = threading.Thread(target=target, name=f"duluan-{stage}", daemon=True)
        t.start()
        self._threads.append(t)

    def stop(self, timeout: float = 30.0) -> None:
        self.stop_event.set()
        for t in self._threads:
            t.join(timeout)
        for stage in self.stages:
            self.health.remove(stage)


class PipelineCollector(Collector):
    """Scrape-time metrics of the stages this process runs, whichever process they run in: the
    NLP child's counters live in its own registry, so the API's /metrics reads them here."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline

    def collect(self) -> Iterator[Metric]:
        lag = GaugeMetricFamily(
            "duluan_pipeline_lag",
            "Messages waiting for a stage (read at scrape time)",
            labels=["stage"],
        )
        try:
            raw, enriched = self.pipeline.lag()
            lag.add_metric(["nlp"], raw)
            lag.add_metric(["index"], enriched)
        except Exception as exc:  # an unreachable bus shows as a missing sample, not a 500
            log.warning("pipeline.lag_unreadable", error=str(exc)[:200])
        yield lag
        done = CounterMetricFamily(
            "duluan_pipeline_messages",
            "Messages a stage finished, by outcome",
            labels=["stage", "outcome"],
        )
        for stage, worker in (("nlp", self.pipeline.nlp), ("index", self.pipeline.indexer)):
            stats = worker.stats
            done.add_metric([stage, "ok"], stats.processed)
            done.add_metric([stage, "dead"], stats.dead)
        yield done


class Pipeline:
    """Owns one Bus and one Store; runs the NLP worker and the indexer in the background."""

    def __init__(
        self,
        settings: Settings,
        *,
        analyze: AnalyzeFn | None = None,
        store: Store | None = None,
        health: HealthRegistry | None = None,
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
        self.supervisor = StageSupervisor(settings, health or STAGES)
        self._collector: PipelineCollector | None = None

    def start(self) -> None:
        if isinstance(self.nlp, NlpProcess):
            self.nlp.start()
            self.supervisor.supervise_process("nlp", self.nlp)
        else:
            self.supervisor.supervise_worker("nlp", self.nlp)
        self.supervisor.supervise_worker("index", self.indexer)
        self._collector = PipelineCollector(self)
        REGISTRY.register(self._collector)

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
        if self._collector is not None:
            REGISTRY.unregister(self._collector)
            self._collector = None
        self.supervisor.stop_event.set()
        if isinstance(self.nlp, NlpProcess):
            self.nlp.stop()
        else:
            self.nlp.stop_event.set()
        self.indexer.stop_event.set()
        self.supervisor.stop()
        if isinstance(self.nlp, NlpWorker):
            self.nlp.bus.close()
        self.indexer.bus.close()
        self.bus.close()
        if self._own_store:
            self.store.close()
