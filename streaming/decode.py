"""Turn bus bytes into Posts, separating the messages that can never become one.

This is the pipeline's door: every stage decodes here, so malformed JSON, invalid fields,
impossible times and counts are dead-lettered with a reason, and oversize texts are cut.
"""

from __future__ import annotations

from pydantic import ValidationError

from duluan.core.admission import Inadmissible, PostLimits, admit
from duluan.core.models import Post
from duluan.core.settings import get_settings
from streaming.bus import Message

MAX_MESSAGE_BYTES = 8 * 1024 * 1024


def decode_posts(
    batch: list[Message], limits: PostLimits | None = None
) -> tuple[list[tuple[Message, Post]], list[tuple[Message, str]]]:
    """Valid (message, post) pairs and (message, error) pairs for the dead-letter topic."""
    limits = limits or PostLimits.from_settings(get_settings())
    good: list[tuple[Message, Post]] = []
    bad: list[tuple[Message, str]] = []
    for message in batch:
        if len(message.value) > MAX_MESSAGE_BYTES:
            bad.append((message, f"MessageTooLarge: {len(message.value)} bytes"))
            continue
        try:
            good.append((message, admit(Post.model_validate_json(message.value), limits)))
        except ValidationError as exc:
            errors = exc.errors()
            where = ".".join(str(p) for p in errors[0]["loc"]) if errors else ""
            what = errors[0]["msg"] if errors else str(exc)
            bad.append((message, f"ValidationError: {where}: {what}"[:1000]))
        except Inadmissible as exc:
            bad.append((message, str(exc)[:1000]))
        except (ValueError, UnicodeDecodeError) as exc:
            bad.append((message, f"DecodeError: {exc}"[:1000]))
    return good, bad
