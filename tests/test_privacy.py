"""Contact details (emails, phone numbers) are masked at the door, so no search, export or
dashboard shows them, and the analysis reads a masked post as it read the original."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from duluan.core.admission import PostLimits, admit
from duluan.core.models import Post
from duluan.core.privacy import redact_contacts
from duluan.core.query import SearchQuery
from duluan.core.settings import Settings
from duluan.importer import row_to_post
from duluan.storage.sqlite.store import SQLiteStore
from streaming.embedded_bus import EmbeddedBus
from streaming.indexer import Indexer
from streaming.nlp_worker import NlpWorker
from tests.streaming.test_poison import quick_analyzer

T0 = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("ib mình 0912 345 678 nhé", "ib mình [phone] nhé"),
        ("sđt: 0912.345.678", "sđt: [phone]"),
        ("gọi +84 912 345 678 giờ hành chính", "gọi [phone] giờ hành chính"),
        ("(+84)912345678", "[phone]"),
        ("tổng đài 028-3823-4567", "tổng đài [phone]"),
        ("0987654321, 0912345678", "[phone], [phone]"),
        ("mail: lan.nguyen+shop@gmail.com.vn nha", "mail: [email] nha"),
    ],
)
def test_contacts_are_masked(text: str, masked: str) -> None:
    assert redact_contacts(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "giá 1.500.000đ, giảm còn 1,2 triệu",
        "năm 2016 và 2020, 355tr MT, 400 AT",
        "10.000.000 đồng một tháng",
        "mã đơn 123456789012",  # 12 digits from 1: not a Vietnamese number
        "ngày 20/11/2020 lúc 10:30:45",
        "091234567",  # too short for a phone
        "@An: đồng ý",
        "abc@def",
        "tỷ lệ 0,12345678",
    ],
)
def test_numbers_and_mentions_are_left_alone(text: str) -> None:
    assert redact_contacts(text) == text


def post(n: int, text: str, title: str | None = None) -> Post:
    return Post(id=f"test:post:{n}", source="test", text=text, title=title, created_at=T0)


def test_admit_masks_text_and_title_unless_switched_off() -> None:
    p = post(1, "cần bán, ib 0912 345 678 hoặc lan@gmail.com", title="Bán xe, lh 0987654321")
    got = admit(p, PostLimits(max_text_chars=20_000))
    assert got.text == "cần bán, ib [phone] hoặc [email]"
    assert got.title == "Bán xe, lh [phone]" and not got.truncated
    assert admit(p, PostLimits(max_text_chars=20_000, redact_contacts=False)) == p
    plain = post(2, "không có gì riêng tư")
    assert admit(plain, PostLimits(max_text_chars=20_000)) is plain


def test_the_pipeline_and_import_store_no_contacts(settings: Settings) -> None:
    bus = EmbeddedBus(settings.resolved_bus_path)
    posts = [
        post(i, f"Bán iPhone {i}, ib zalo 0912 345 67{i} hoặc shop{i}@gmail.com") for i in range(5)
    ]
    bus.publish_many(settings.raw_topic, [(p.id, p.to_json()) for p in posts])
    bus.flush()
    store = SQLiteStore(settings.resolved_store_path)
    NlpWorker(EmbeddedBus(settings.resolved_bus_path), settings, analyze=quick_analyzer).run(
        max_idle=0.5
    )
    Indexer(EmbeddedBus(settings.resolved_bus_path), store, settings).run(max_idle=0.5)
    stored = list(store.iter_posts(SearchQuery()))
    assert len(stored) == 5
    for p in stored:
        assert "0912" not in p.text and "@gmail" not in p.text, p.text
        assert "[phone]" in p.text and "[email]" in p.text
    imported = row_to_post(
        {"id": "x:post:1", "source": "x", "text": "lh 0912345678", "created_at": T0.isoformat()}
    )
    assert imported.text == "lh [phone]"


def test_the_analysis_reads_masks_as_it_read_the_contacts() -> None:
    from nlp import analyze

    texts = [
        "Shop giao hàng nhanh, đóng gói cẩn thận. Ai cần ib mình 0912 345 678 nhé",
        "Cho mình xin file mp3 với, gửi vào lan.nguyen@gmail.com giúp, cảm ơn bạn",
        "Lừa đảo, gọi 0987.654.321 không ai nghe máy",
    ]
    before = analyze(texts)
    after = analyze([redact_contacts(t) for t in texts])
    for b, a in zip(before, after, strict=True):
        assert a.sentiment.label == b.sentiment.label
        assert [t.label for t in a.topics] == [t.label for t in b.topics]
        assert not {"phone", "email"} & set(a.keywords), a.keywords


def test_reanalyze_masks_contacts_stored_before_masking(settings: Settings) -> None:
    """Posts stored before the door masked contacts get them masked when analysed again."""
    from duluan.importer import reanalyze

    store = SQLiteStore(settings.resolved_store_path)
    store.upsert([post(1, "bán gấp, lh 0912 345 678"), post(2, "không có gì riêng tư")])
    assert reanalyze(store, quick_analyzer, SearchQuery(), mask=False) == 2
    kept = store.get("test:post:1")
    assert kept is not None and "0912 345 678" in kept.text
    assert reanalyze(store, quick_analyzer, SearchQuery()) == 2
    masked = store.get("test:post:1")
    assert masked is not None and masked.text == "bán gấp, lh [phone]"
    assert masked.analysis is not None
