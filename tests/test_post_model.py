"""A Post is cleaned of control characters on the way in, once; a stored one is read back as is."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from duluan.core.models import Post

NOW = datetime(2026, 12, 6, tzinfo=UTC)


def test_control_characters_are_dropped_from_every_field() -> None:
    post = Post(
        id="src:\x00post:1\x1b",
        source="s\x00rc",
        author="an\x07na",
        title="ti\x0btle",
        section="ki\x7fnh-doanh",
        url="https://example.vn/\x00a",
        text="có\x00 NUL\r\nvà\rxuống\tdòng",
        created_at=NOW,
        engagement={"li\x00kes": 3},
    )
    assert (post.id, post.source, post.author, post.title) == ("src:post:1", "src", "anna", "title")
    assert (post.section, post.url) == ("kinh-doanh", "https://example.vn/a")
    assert post.text == "có NUL\nvà\nxuống\tdòng"
    assert post.engagement == {"likes": 3}


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"text": "\x00\x01 \x02"}, "text is nothing but control characters"),
        ({"source": "\x00\x00"}, "source is nothing but control characters"),
        ({"id": "\x00:x"}, "source-scoped"),  # ":x" once cleaned
    ],
)
def test_fields_that_were_only_control_characters_are_refused(
    fields: dict[str, str], reason: str
) -> None:
    base = {"id": "src:1", "source": "src", "text": "ok", "created_at": NOW}
    with pytest.raises(ValidationError, match=reason):
        Post.model_validate({**base, **fields})


def test_a_clean_post_is_left_alone() -> None:
    post = Post(id="src:1", source="src", text="Giá xăng tăng\n  mạnh", created_at=NOW)
    assert post.text == "Giá xăng tăng\n  mạnh"


def test_stored_posts_are_validated_but_not_cleaned_again() -> None:
    post = Post(id="src:1", source="src", text="có\x00 NUL", created_at=NOW, author="a\x00b")
    assert Post.from_stored(post.to_json()) == post
    assert Post.from_stored(post.model_dump(mode="json")) == post
    # what a store holds was cleaned when it came in: reading it back trusts that
    raw = post.model_dump(mode="json") | {"author": "a\x00b"}
    assert Post.from_stored(raw).author == "a\x00b"
    assert Post.model_validate(raw).author == "ab"
    with pytest.raises(ValidationError):  # but it is still validated
        Post.from_stored(post.model_dump(mode="json") | {"created_at": "not a time"})
