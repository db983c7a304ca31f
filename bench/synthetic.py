"""Invented Vietnamese-like posts for benchmarks: realistic sizes and term frequencies, no real data."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from duluan.core.models import Analysis, Post, Scored, Sentiment
from nlp.lexicon import TOPIC_IDS

SYLLABLES = [
    "giá",
    "xăng",
    "dầu",
    "tăng",
    "giảm",
    "người",
    "dân",
    "bức",
    "xúc",
    "đội",
    "tuyển",
    "việt",
    "nam",
    "thắng",
    "thua",
    "trận",
    "đấu",
    "học",
    "sinh",
    "giáo",
    "viên",
    "trường",
    "lớp",
    "bệnh",
    "viện",
    "bác",
    "sĩ",
    "sức",
    "khỏe",
    "thuốc",
    "men",
    "công",
    "an",
    "phạt",
    "nguội",
    "giao",
    "thông",
    "xe",
    "máy",
    "ô",
    "tô",
    "điện",
    "thoại",
    "pin",
    "camera",
    "màn",
    "hình",
    "chính",
    "phủ",
    "quốc",
    "hội",
    "luật",
    "mới",
    "thuế",
    "doanh",
    "nghiệp",
    "chứng",
    "khoán",
    "cổ",
    "phiếu",
    "ngân",
    "hàng",
    "lãi",
    "suất",
    "nhà",
    "đất",
    "bất",
    "động",
    "sản",
    "thời",
    "tiết",
    "mưa",
    "bão",
    "lũ",
    "lụt",
    "miền",
    "trung",
    "hà",
    "nội",
    "sài",
    "gòn",
    "đà",
    "nẵng",
    "ca",
    "sĩ",
    "phim",
    "ảnh",
    "âm",
    "nhạc",
    "bóng",
    "đá",
    "cầu",
    "thủ",
    "huấn",
    "luyện",
    "viên",
    "khoa",
    "học",
    "công",
    "nghệ",
    "trí",
    "tuệ",
    "nhân",
    "tạo",
    "mạng",
    "xã",
    "hội",
    "thế",
    "giới",
    "mỹ",
    "trung",
    "quốc",
    "nhật",
    "bản",
    "hàn",
    "quốc",
    "rất",
    "quá",
    "lắm",
    "không",
    "có",
    "được",
    "là",
    "và",
    "của",
    "cho",
    "với",
    "những",
    "các",
    "này",
    "đó",
    "thì",
    "mà",
    "nhưng",
    "vì",
    "nên",
    "đã",
    "đang",
    "sẽ",
]
SOURCES = ("vnexpress", "tuoitre", "dantri", "voz", "reddit", "youtube")
TOPICS = TOPIC_IDS
SENTIMENTS = ("negative", "neutral", "positive")


def _entities(rng: random.Random, n: int = 20_000) -> list[str]:
    """Invented names (brands, places, people) for the long tail real queries look for."""
    onsets = ["b", "c", "d", "g", "h", "k", "l", "m", "n", "ph", "s", "t", "th", "tr", "v", "x"]
    rhymes = ["an", "anh", "ao", "at", "em", "iên", "inh", "oa", "ong", "ơn", "uy", "ư", "ươc"]
    out = set()
    while len(out) < n:
        out.add("".join(rng.choice(onsets) + rng.choice(rhymes) for _ in range(rng.randint(2, 3))))
    return sorted(out)


ENTITIES = _entities(random.Random(42))


def synthetic_posts(
    n: int, *, days: int = 30, seed: int = 7, end: datetime | None = None
) -> Iterator[Post]:
    """`n` analysed posts spread over `days`, Zipf-ish word frequencies, 8–60 words each."""
    rng = random.Random(seed)
    end = end or datetime(2026, 11, 28, tzinfo=UTC)
    weights = [1 / (i + 1) ** 0.9 for i in range(len(SYLLABLES))]
    span = days * 86400
    for i in range(n):
        words = rng.choices(SYLLABLES, weights=weights, k=rng.randint(8, 60))
        for _ in range(rng.choice((0, 1, 1, 2))):  # Zipf-distributed named things
            words.insert(
                rng.randrange(len(words)), ENTITIES[int(rng.paretovariate(1.1)) % len(ENTITIES)]
            )
        topic = rng.choice(TOPICS)
        yield Post(
            id=f"{rng.choice(SOURCES)}:comment:{i}",
            source=SOURCES[i % len(SOURCES)],
            kind="comment",
            author=f"user{rng.randint(1, 50_000)}",
            text=" ".join(words),
            created_at=end - timedelta(seconds=rng.random() * span),
            thread_id=f"vnexpress:article:{i // 40}",
            analysis=Analysis(
                language="vi",
                sentiment=Sentiment(label=rng.choices(SENTIMENTS, weights=(3, 5, 2))[0], score=0.7),
                topics=[Scored(label=topic, score=0.8)],
                keywords=list(dict.fromkeys(words[:4])),
            ),
        )
