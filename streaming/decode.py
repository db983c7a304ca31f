"""Turn bus bytes into Posts, separating the messages that can never become one."""

from __future__ import annotations

from pydantic import ValidationError

from duluan.core.models import Post
from streaming.bus import Message

MAX_MESSAGE_BYTES = 8 * 1024 * 1024


def decode_posts(
    batch: list[Message],
) -> tuple[list[tuple[Message, Post]], list[tuple[Message, str]]]:
    """Valid (message, post) pairs and (message, error) pairs for the dead-letter topic."""
    good: list[tuple[Message, Post]] = []
    bad: list[tuple[Message, str]] = []
    for message in batch:
        if len(message.value) > MAX_MESSAGE_BYTES:
            bad.append((message, f"MessageTooLarge: {len(message.value)} bytes"))
            continue
        try:
            good.append((message, Post.model_validate_json(message.value)))
        except ValidationError as exc:
            errors = exc.errors()
            where = ".".join(str(p) for p in errors[0]["loc"]) if errors else ""
            what = errors[0]["msg"] if errors else str(exc)
            bad.append((message, f"ValidationError: {where}: {what}"[:1000]))
        except (ValueError, UnicodeDecodeError) as exc:
            bad.append((message, f"DecodeError: {exc}"[:1000]))
    return good, bad
