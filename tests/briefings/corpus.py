"""A replayed corpus for briefing tests: invented, analysed Vietnamese posts with known events.

November 2026 (local time, Asia/Ho_Chi_Minh) against October: volume up, "giá xăng" emerging
from 20 November, a negative spike on 25 November, and `tinhte` silent in November.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from duluan.core.models import Analysis, Post, Scored, Sentiment

TZ_OFFSET = timedelta(hours=7)
OCT_START = datetime(2026, 10, 2, tzinfo=UTC) - TZ_OFFSET  # previous period of November
NOV_START = datetime(2026, 11, 1, tzinfo=UTC) - TZ_OFFSET
DEC_START = datetime(2026, 12, 1, tzinfo=UTC) - TZ_OFFSET
SPIKE_DAY = datetime(2026, 11, 25, tzinfo=UTC) - TZ_OFFSET
SOURCES = ("vnexpress", "voz", "youtube", "tuoitre")
TOPICS = ("society", "education", "health", "business")
WORDS = [
    "học sinh",
    "giáo viên",
    "trường học",
    "bệnh viện",
    "bác sĩ",
    "giao thông",
    "xe buýt",
    "thời tiết",
    "mưa lớn",
    "đội tuyển",
    "bóng đá",
    "điện thoại",
    "ngân hàng",
    "lãi suất",
]
SENTENCES = [
    "Mình thấy {a} và {b} dạo này được quan tâm nhiều hơn.",
    "Ý kiến của tôi: {a} cần cải thiện, còn {b} thì ổn.",
    "Chuyện {a} ở Hà Nội và {b} ở Đà Nẵng đều đáng bàn.",
    "Người dân phản ánh về {a}, mong {b} sớm có thay đổi.",
]


def _post(
    i: int,
    at: datetime,
    rng: random.Random,
    *,
    source: str | None = None,
    sentiment: str | None = None,
    extra: list[str] | None = None,
) -> Post:
    a, b = rng.sample(WORDS, 2)
    words = [*(extra or []), a, b]
    text = rng.choice(SENTENCES).format(a=a, b=b)
    if extra:
        text = f"Lại chuyện {' '.join(extra)}: " + text
    label = sentiment or rng.choices(("negative", "neutral", "positive"), (3, 5, 2))[0]
    return Post(
        id=f"{source or SOURCES[i % 4]}:comment:{i}",
        source=source or SOURCES[i % len(SOURCES)],
        kind="comment",
        author=f"user{rng.randint(1, 500)}",
        text=text,
        created_at=at,
        analysis=Analysis(
            language="vi",
            sentiment=Sentiment(label=label, score=0.8),  # type: ignore[arg-type]
            topics=[Scored(label=rng.choice(TOPICS), score=0.8)],
            keywords=words,
        ),
    )


def corpus(seed: int = 5) -> list[Post]:
    """About 4,000 posts from 2 October to 30 November 2026 (local), with the events above."""
    rng = random.Random(seed)
    posts: list[Post] = []
    i = 0
    t = OCT_START
    while t < DEC_START:
        nov = t >= NOV_START
        for _ in range(rng.randint(50, 70) if nov else rng.randint(45, 55)):
            at = t + timedelta(seconds=rng.randrange(86400))
            src = rng.choice(SOURCES[:3]) if nov else rng.choice(SOURCES)
            extra = (
                ["giá xăng"]
                if nov and t >= NOV_START + timedelta(days=19) and rng.random() < 0.4
                else None
            )
            posts.append(_post(i, at, rng, source=src, extra=extra))
            i += 1
        if t == SPIKE_DAY:
            for _ in range(60):
                at = t + timedelta(seconds=rng.randrange(86400))
                posts.append(
                    _post(i, at, rng, source="voz", sentiment="negative", extra=["cắt điện"])
                )
                i += 1
        t += timedelta(days=1)
    # a few posts without analysis (not yet through NLP): counted in volume, not in sentiment
    for k in range(5):
        posts.append(
            Post(
                id=f"voz:comment:raw{k}",
                source="voz",
                text="chưa phân tích",
                created_at=NOV_START + timedelta(days=3, hours=k),
            )
        )
    return posts
