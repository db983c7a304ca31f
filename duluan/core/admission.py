"""The door every post passes into the pipeline: bound what can be bounded, refuse the absurd.

The Post model already strips control characters; here a text too long for any reader is cut
(and the post flagged `truncated`), contact details are masked (`duluan.core.privacy`), and a
post whose time or counts cannot be true is refused with a reason, so the bus dead-letters it
(and `duluan import` rejects the line) instead of indexing it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from duluan.core.models import Post
from duluan.core.privacy import redact_contacts
from duluan.core.settings import Settings

EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)  # before any public Vietnamese web forum
FUTURE_SLACK = timedelta(days=1)  # clocks and time zones of sources disagree, not by days
MAX_ENGAGEMENT = 10**12  # more likes or views than people have ever lived
MAX_TITLE_CHARS = 1_000
MAX_FIELD_CHARS = 2_048  # ids, source, author, kind, language, urls: refused past this
_BOUNDED_FIELDS = ("id", "source", "kind", "url", "thread_id", "parent_id", "author", "lang")


class Inadmissible(ValueError):
    """A post that can never be made valid: dead-letter it with this reason."""


@dataclass(frozen=True)
class PostLimits:
    """The configurable bounds (`post_max_text_chars`, `redact_contacts`) of `admit`."""

    max_text_chars: int
    redact_contacts: bool = True

    @classmethod
    def from_settings(cls, settings: Settings) -> PostLimits:
        return cls(
            max_text_chars=settings.post_max_text_chars,
            redact_contacts=settings.redact_contacts,
        )


def admit(post: Post, limits: PostLimits, now: datetime | None = None) -> Post:
    """The post, cut to the limits (flagged `truncated`), or Inadmissible with the reason."""
    for name in _BOUNDED_FIELDS:
        value = getattr(post, name)
        if value is not None and len(value) > MAX_FIELD_CHARS:
            raise Inadmissible(
                f"FieldTooLong: {name} has {len(value)} characters (at most {MAX_FIELD_CHARS})"
            )
    if post.created_at < EARLIEST:
        raise Inadmissible(
            f"BadTimestamp: created_at {post.created_at.isoformat()} is before"
            f" {EARLIEST.date().isoformat()}"
        )
    now = now or datetime.now(UTC)
    if post.created_at > now + FUTURE_SLACK:
        raise Inadmissible(
            f"BadTimestamp: created_at {post.created_at.isoformat()} is more than a day ahead"
            f" of {now.isoformat(timespec='seconds')}"
        )
    for key, count in post.engagement.items():
        if not 0 <= count <= MAX_ENGAGEMENT:
            raise Inadmissible(
                f"BadEngagement: {key[:40]}={_shown(count)} is outside 0..{MAX_ENGAGEMENT}"
            )
    update: dict[str, object] = {}
    if len(post.text) > limits.max_text_chars:
        update["text"] = post.text[: limits.max_text_chars]
    if post.title is not None and len(post.title) > MAX_TITLE_CHARS:
        update["title"] = post.title[:MAX_TITLE_CHARS]
    if update:
        post = post.model_copy(update={**update, "truncated": True})
    return mask_contacts(post) if limits.redact_contacts else post


def mask_contacts(post: Post) -> Post:
    """The post with emails and phone numbers in its text and title masked (itself if none)."""
    update = {
        name: masked
        for name in ("text", "title")
        if isinstance(value := getattr(post, name), str)
        and (masked := redact_contacts(value)) != value
    }
    return post.model_copy(update=update) if update else post


def _shown(count: int) -> str:
    """A count for a log line: as is, or its order of magnitude (str() refuses huge ints)."""
    if abs(count) < 10**20:
        return str(count)
    return f"{'-' if count < 0 else ''}~10^{int(abs(count).bit_length() * 0.30103)}"
