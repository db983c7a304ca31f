"""Topic seed words fire on the words they mean, not on everyday words that fold the same."""

from __future__ import annotations

import pytest

from nlp.segment import Segmenter
from nlp.topic_lexicon import TOPIC_SEEDS, foreign_name_features, topic_seed_features


@pytest.fixture(scope="module")
def seg() -> Segmenter:
    return Segmenter()


def seeds(seg: Segmenter, text: str) -> list[str]:
    return topic_seed_features(seg.segment_many([text])[0])


@pytest.mark.parametrize(
    "text",
    [
        "tôi đang bận, được không",  # tôi/tội, được/dược, đang/đảng
        "mua một cái áo",  # mua/mưa
        "chạy bộ buổi sáng",  # chạy/cháy
        "tình cảm hai người",  # tình/tỉnh, hai/hài
        "phủ một lớp bụi mỏng",  # lớp/lốp
        "thuộc bài chưa",  # thuộc/thuốc
        "toi dang ban, duoc khong",  # the same typed without diacritics
        "sao vậy anh, ai biết không",  # sao/ngôi sao, anh/nước Anh, ai/AI
        "tội ghê, cái cây kia",  # tội (pity)/tội phạm, kia/Kia
        "thay co ve hay, hoi lo mot chut",  # thấy có/thầy cô, hơi lo/hối lộ, typed bare
        "mua ao",
        "khong quan trong, ba lan roi",  # không quan/không quân, ba lần/Ba Lan, typed bare
        "qua hai quan mat ca buoi",  # hải quan (customs)/hải quân
        "xe tang di qua",  # xe tang (hearse)/xe tăng
    ],
)
def test_everyday_words_fire_no_topic(seg: Segmenter, text: str) -> None:
    assert seeds(seg, text) == []


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("trời mưa to", "society"),
        ("tội phạm ma túy", "law"),
        ("ngôi sao điện ảnh", "entertainment"),
        ("thủ tướng nước Anh", "world"),
        ("bệnh viện quá tải", "health"),
        ("benh vien qua tai", "health"),  # a compound typed without diacritics still counts
        ("Tổng Bí thư làm việc với Thành ủy", "society"),
        ("Đại hội Đảng bộ tỉnh nhiệm kỳ mới", "society"),
        ("Chủ tịch nước trao huân chương", "society"),
        ("iphone mới ra", "science-tech"),  # no diacritics to lose
        ("Triều Tiên phóng tên lửa đạn đạo", "world"),
        ("hải quân Nga tập trận với tàu chiến", "world"),
        ("Ba Lan mua xe tăng", "world"),
        ("thanh niên lên đường nhập ngũ", "society"),
        ("phóng tàu vũ trụ lên trạm vũ trụ", "science-tech"),
    ],
)
def test_seeds_fire_on_what_they_mean(seg: Segmenter, text: str, topic: str) -> None:
    assert f"<topic_{topic}>" in seeds(seg, text)


def test_every_seed_fires_on_itself(seg: Segmenter) -> None:
    words = [w for ws in TOPIC_SEEDS.values() for w in ws]
    missed = [w for w in words if not seeds(seg, w)]
    assert len(missed) <= len(words) // 20, missed  # a few split oddly by the segmenter


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("Cháy chợ lớn ở thành phố Mandalay của Myanmar", 2),
        ("Lũ lụt ở bang Kelantan buộc người dân rời nhà", 1),
        ("Tổng thống Biden gặp ông Putin", 2),
        # Vietnamese names and places, Đắk Lắk's k included, are Vietnamese syllables
        ("Ông Nguyễn Văn Huyền ở Hà Nội và Đắk Lắk, Quảng Ngãi", 0),
        ("UBND TP HCM họp với NATO và WHO", 0),  # all-caps acronyms are not names
        ("Shop giao hàng nhanh. Camera đẹp", 0),  # a sentence's first word is skipped
        ("Mua Cr7 và A50s", 0),  # model codes with digits
        ("Dm vl Tp", 0),  # consonant-only abbreviations
    ],
)
def test_foreign_names_are_told_by_their_spelling(seg: Segmenter, text: str, count: int) -> None:
    words = seg.segment_many([text])[0]
    assert foreign_name_features(words).count("<foreign_name>") == count, words
