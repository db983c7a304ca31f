"""Topic seed words fire on the words they mean, not on everyday words that fold the same."""

from __future__ import annotations

import pytest

from nlp.segment import Segmenter
from nlp.topic_lexicon import TOPIC_SEEDS, topic_seed_features


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
    ],
)
def test_seeds_fire_on_what_they_mean(seg: Segmenter, text: str, topic: str) -> None:
    assert f"<topic_{topic}>" in seeds(seg, text)


def test_every_seed_fires_on_itself(seg: Segmenter) -> None:
    words = [w for ws in TOPIC_SEEDS.values() for w in ws]
    missed = [w for w in words if not seeds(seg, w)]
    assert len(missed) <= len(words) // 20, missed  # a few split oddly by the segmenter
