"""The composition root: one object per process that builds the Store, Bus, repositories and
services from Settings once, hands them to the API, the CLI and the workers, and closes them."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from duluan.alerts.delivery import DeliveryConfig
from duluan.alerts.repository import AlertRepository
from duluan.apikeys.repository import ApiKeyRepository
from duluan.briefings.scheduler import BriefingScheduler
from duluan.briefings.schedules import ScheduleRepository
from duluan.core.logging import get_logger
from duluan.core.query import QueryBudget, set_naive_zone, set_query_budget
from duluan.core.settings import Settings, get_settings
from duluan.feedback.repository import CampaignRepository
from duluan.feedback.service import FeedbackConfig, FeedbackService
from duluan.meta.database import MetaDB, meta_db_path, sqlite_url
from duluan.meta.sentiment_corrections import SentimentCorrectionRepository
from duluan.meta.sentiment_offsets import SentimentOffsetsRepository
from duluan.meta.source_runs import SourceRunRepository
from duluan.storage.base import Store
from duluan.storage.factory import make_store
from duluan.watchlists.repository import WatchlistRepository
from streaming.bus import Bus
from streaming.factory import make_bus

log = get_logger(__name__)
T = TypeVar("T")


class Container:
    """Everything a process shares. Parts are built on first use (a CLI command opens only
    what it needs), once, under a lock; what the container built it also closes.

    Tests and embedders pass ready-made parts as keyword arguments; those are used as they
    are and left open at `close()` (the caller owns them).
    """

    def __init__(self, settings: Settings | None = None, **given: Any) -> None:
        self.settings = settings or get_settings()
        unknown = set(given) - set(_PARTS)
        if unknown:
            raise TypeError(f"unknown container parts: {', '.join(sorted(unknown))}")
        self._parts: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
        self._owned: list[str] = []
        self._lock = threading.RLock()
        # the query budget is process-wide (the parser and both stores read it): from settings
        set_query_budget(QueryBudget.from_settings(self.settings))
        set_naive_zone(self.settings.timezone)

    def _get(self, name: str, build: Callable[[], T]) -> T:
        part = self._parts.get(name)
        if part is not None:
            return part
        with self._lock:
            if name not in self._parts:
                self._parts[name] = build()
                self._owned.append(name)
            return self._parts[name]

    # -- the data plane ------------------------------------------------------------------------

    @property
    def store(self) -> Store:
        return self._get("store", lambda: make_store(self.settings))

    @property
    def bus(self) -> Bus:
        return self._get("bus", lambda: make_bus(self.settings))

    # -- metadata repositories -----------------------------------------------------------------

    @property
    def meta_path(self) -> Path:
        """The SQLite file of the small tables by default: the store's own file, or one beside
        it (unused when `meta_url` names a server database)."""
        return self._get("meta_path", lambda: meta_db_path(self.settings, self._parts.get("store")))

    @property
    def meta(self) -> MetaDB:
        """The metadata database every repository shares; raises SchemaBehind when a server
        database is behind this code (an embedded SQLite file is upgraded instead)."""
        return self._get("meta", self._open_meta)

    def _open_meta(self) -> MetaDB:
        url = self.settings.meta_url or sqlite_url(self.meta_path)
        if self.settings.meta_url and self.settings.secret_key is None:
            log.warning(
                "meta.no_secret_key: webhook secrets on a shared metadata database are sealed "
                "with a key file in this replica's data dir; set DULUAN_SECRET_KEY on every "
                "replica so each can read them"
            )
        return MetaDB(url, key_base=self.settings.data_dir / "meta-secrets")

    @property
    def keys(self) -> ApiKeyRepository:
        pepper = self.settings.api_key_pepper
        return self._get(
            "keys",
            lambda: ApiKeyRepository(self.meta, pepper=pepper.get_secret_value() if pepper else ""),
        )

    @property
    def alerts(self) -> AlertRepository:
        return self._get(
            "alerts", lambda: AlertRepository(self.meta, secret_key=self.settings.secret_key)
        )

    @property
    def watchlists(self) -> WatchlistRepository:
        return self._get("watchlists", lambda: WatchlistRepository(self.meta))

    @property
    def schedules(self) -> ScheduleRepository:
        return self._get(
            "schedules",
            lambda: ScheduleRepository(self.meta, secret_key=self.settings.secret_key),
        )

    @property
    def campaigns(self) -> CampaignRepository:
        return self._get("campaigns", lambda: CampaignRepository(self.meta))

    @property
    def source_runs(self) -> SourceRunRepository:
        """Source health: the crawl runs every crawler replica records (/v1/sources, alerts)."""
        return self._get(
            "source_runs",
            lambda: SourceRunRepository(
                self.meta, retention_days=self.settings.source_runs_retention_days
            ),
        )

    @property
    def sentiment_offsets(self) -> SentimentOffsetsRepository:
        """The deployment's sentiment offsets (`duluan adapt`), read by NLP workers and the API."""
        return self._get("sentiment_offsets", lambda: SentimentOffsetsRepository(self.meta))

    @property
    def sentiment_corrections(self) -> SentimentCorrectionRepository:
        """Analysts' sentiment corrections by post id (API writes, indexer applies)."""
        return self._get("sentiment_corrections", lambda: SentimentCorrectionRepository(self.meta))

    # -- services ------------------------------------------------------------------------------

    @property
    def delivery_config(self) -> DeliveryConfig:
        return self._get("delivery_config", lambda: DeliveryConfig.from_settings(self.settings))

    @property
    def feedback(self) -> FeedbackService:
        """The form's service; it opens the bus on the first accepted submission."""
        return self._get(
            "feedback",
            lambda: FeedbackService(
                self.campaigns,
                self.watchlists,
                bus_factory=lambda: self.bus,
                topic=self.settings.raw_topic,
                config=FeedbackConfig.from_settings(self.settings),
            ),
        )

    @property
    def briefing_scheduler(self) -> BriefingScheduler:
        return self._get(
            "briefing_scheduler",
            lambda: BriefingScheduler(
                self.store,
                self.schedules,
                self.watchlists,
                config=self.delivery_config,
                settings=self.settings,
                runs=self.source_runs,
            ),
        )

    # -- lifetime ------------------------------------------------------------------------------

    def close(self) -> None:
        """Close what this container built, newest first; parts passed in stay open. A part
        used again afterwards is built again (an app's lifespan may run more than once)."""
        with self._lock:
            owned, self._owned = self._owned, []
            parts = {name: self._parts.pop(name) for name in owned}
        for name in reversed(owned):
            close = getattr(parts[name], "close", None)
            if close is None:
                continue
            try:
                close()
            except Exception as exc:  # one part failing to close must not keep others open
                log.warning("container.close_failed", part=name, error=str(exc)[:300])

    def __enter__(self) -> Container:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


_PARTS = (
    "store",
    "bus",
    "meta_path",
    "meta",
    "keys",
    "alerts",
    "watchlists",
    "schedules",
    "campaigns",
    "source_runs",
    "sentiment_offsets",
    "sentiment_corrections",
    "delivery_config",
    "feedback",
    "briefing_scheduler",
)
