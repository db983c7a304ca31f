"""Feedback campaigns and submissions: checks, then a `feedback` Post published to the bus."""

from __future__ import annotations

import threading
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from duluan.core.logging import get_logger
from duluan.core.models import Post, utcnow
from duluan.core.settings import Settings, setting_default
from duluan.feedback.abuse import ClientKeys, DuplicateGuard, FormStamp, RateLimiter, StampError
from duluan.feedback.models import SOURCE, Campaign, CampaignCreate, CampaignUpdate, thread_id
from duluan.feedback.repository import CampaignRepository
from duluan.watchlists.models import WatchlistCreate
from duluan.watchlists.repository import DuplicateName, WatchlistRepository
from duluan.watchlists.service import create_watchlist
from streaming.bus import Bus, BusError

log = get_logger(__name__)


@dataclass(frozen=True)
class FeedbackConfig:
    """Limits of the public form; the defaults are the `feedback_*` settings' own defaults."""

    rate_per_minute: float = setting_default("feedback_rate_per_minute")
    burst: int = setting_default("feedback_burst")
    max_chars: int = setting_default("feedback_max_chars")
    max_body_bytes: int = setting_default("feedback_max_body_bytes")
    max_contact_chars: int = 200
    duplicate_window_s: float = setting_default("feedback_duplicate_window_s")
    min_fill_s: float = setting_default("feedback_min_fill_s")
    form_max_age_s: float = setting_default("feedback_form_max_age_s")
    salt_rotate_s: float = 3600.0
    trust_proxy: bool = setting_default("feedback_trust_proxy")
    secret: str | None = None
    public_base_url: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> FeedbackConfig:
        secret = settings.feedback_secret
        return cls(
            rate_per_minute=settings.feedback_rate_per_minute,
            burst=settings.feedback_burst,
            max_chars=settings.feedback_max_chars,
            max_body_bytes=settings.feedback_max_body_bytes,
            duplicate_window_s=settings.feedback_duplicate_window_s,
            min_fill_s=settings.feedback_min_fill_s,
            form_max_age_s=settings.feedback_form_max_age_s,
            trust_proxy=settings.feedback_trust_proxy,
            secret=secret.get_secret_value() if secret else None,
            public_base_url=settings.public_base_url,
        )


class Rejected(Exception):
    """A submission refused: `status` is the HTTP code, `reason` the message key."""

    def __init__(self, status: int, reason: str, **values: object) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.values = values


@dataclass(frozen=True)
class Submission:
    """The form fields as posted (the honeypot and stamp included)."""

    text: str
    category: str | None = None
    contact: str | None = None
    honeypot: str | None = None
    stamp: str | None = None


def _clean(value: str | None) -> str:
    return unicodedata.normalize("NFC", (value or "").replace("\r\n", "\n")).strip()


class FeedbackService:
    """Campaign CRUD (each with its watchlist) and the checked path from form to bus."""

    def __init__(
        self,
        campaigns: CampaignRepository,
        watchlists: WatchlistRepository,
        bus: Bus | None = None,
        *,
        bus_factory: Callable[[], Bus] | None = None,
        topic: str = "posts.raw",
        config: FeedbackConfig | None = None,
    ) -> None:
        """`bus` is owned (closed by `close`); `bus_factory` is called on the first submission
        and its bus belongs to the caller (the container)."""
        if (bus is None) == (bus_factory is None):
            raise TypeError("give exactly one of bus and bus_factory")
        self.campaigns = campaigns
        self.watchlists = watchlists
        self.config = config or FeedbackConfig()
        self.topic = topic
        self._bus = bus
        self._bus_factory = bus_factory
        self._bus_lock = threading.Lock()
        cfg = self.config
        self.keys = ClientKeys(cfg.salt_rotate_s)
        self.limiter = RateLimiter(cfg.rate_per_minute, cfg.burst)
        self.duplicates = DuplicateGuard(cfg.duplicate_window_s)
        self.stamps = FormStamp(
            cfg.secret.encode() if cfg.secret else None,
            min_fill_s=cfg.min_fill_s,
            max_age_s=cfg.form_max_age_s,
        )

    @property
    def bus(self) -> Bus:
        if self._bus is not None:
            return self._bus
        assert self._bus_factory is not None
        with self._bus_lock:
            return self._bus_factory()

    def close(self) -> None:
        """Close the bus this service was given; a factory's bus is its owner's to close."""
        if self._bus is not None:
            self._bus.close()

    # -- campaigns ----------------------------------------------------------------------------

    def create_campaign(self, data: CampaignCreate) -> Campaign:
        """Save the campaign and its watchlist `thread:"feedback:campaign:<slug>"`."""
        campaign = Campaign(**data.model_dump())
        if self.campaigns.get(campaign.slug) is not None:
            from duluan.feedback.repository import SlugTaken

            raise SlugTaken(f"the link /f/{campaign.slug} is taken")
        name = f"feedback:{campaign.slug}"
        existing = self.watchlists.get(name)
        if existing is None:
            try:
                existing = create_watchlist(
                    self.watchlists,
                    WatchlistCreate(
                        name=name,
                        query=f'thread:"{thread_id(campaign.slug)}"',
                        owner=campaign.owner,
                        description=f"Feedback campaign: {campaign.title}",
                    ),
                )
            except DuplicateName:  # created concurrently
                existing = self.watchlists.get(name)
        campaign.watchlist_id = existing.id if existing else None
        saved = self.campaigns.save(campaign)
        log.info("feedback.campaign_created", slug=saved.slug, watchlist_id=saved.watchlist_id)
        return saved

    def update_campaign(self, campaign: Campaign, update: CampaignUpdate) -> Campaign:
        return self.campaigns.save(campaign.apply(update))

    def delete_campaign(self, id_or_slug: str, *, keep_watchlist: bool = True) -> Campaign | None:
        """Close the link; the watchlist and the collected posts stay unless asked."""
        found = self.campaigns.delete(id_or_slug)
        if found and not keep_watchlist and found.watchlist_id:
            self.watchlists.delete(found.watchlist_id)
        return found

    # -- submissions --------------------------------------------------------------------------

    def check_rate(self, client_address: str) -> None:
        wait = self.limiter.take(self.keys.key(client_address))
        if wait > 0:
            raise Rejected(429, "rate_limited", seconds=max(1, int(wait + 0.999)))

    def submit(
        self,
        campaign: Campaign,
        form: Submission,
        *,
        client_address: str,
        now: datetime | None = None,
    ) -> Post:
        """Check a submission and publish it as a Post; raises Rejected with the reason."""
        if not campaign.active:
            raise Rejected(404, "not_found")
        self.check_rate(client_address)
        if form.honeypot:
            raise Rejected(400, "honeypot_filled")
        try:
            self.stamps.check(campaign.slug, form.stamp)
        except StampError as exc:
            raise Rejected(400, exc.reason) from exc
        text = _clean(form.text)
        if not text:
            raise Rejected(400, "empty")
        if len(text) > self.config.max_chars:
            raise Rejected(413, "too_large", n=self.config.max_chars)
        category = " ".join(_clean(form.category).split()) or None
        if category and (
            (campaign.categories and category not in campaign.categories) or len(category) > 60
        ):
            raise Rejected(400, "bad_category")
        contact = _clean(form.contact) or None
        if contact and len(contact) > self.config.max_contact_chars:
            raise Rejected(400, "bad_contact")
        reservation = self.duplicates.reserve(campaign.slug, text)
        if reservation is None:
            raise Rejected(409, "duplicate")
        now = now or utcnow()
        raw: dict[str, Any] = {}
        if category:
            raw["category"] = category
        if contact:
            raw["contact"] = contact
        post = Post(
            id=f"{SOURCE}:submission:{uuid.uuid4().hex}",
            source=SOURCE,
            kind="feedback",
            thread_id=campaign.thread_id,
            title=None,
            text=text,
            created_at=now,
            fetched_at=now,
            raw=raw,
        )
        try:
            self.bus.publish(self.topic, post.to_json(), key=post.id)
            self.bus.flush()
        except BusError as exc:
            self.duplicates.release(reservation)
            log.error("feedback.publish_failed", campaign=campaign.slug, error=str(exc)[:300])
            raise Rejected(503, "unavailable") from exc
        log.info("feedback.accepted", campaign=campaign.slug, post_id=post.id)
        return post
