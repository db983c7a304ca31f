"""Bad input bounded at the door: 50 poison messages among valid posts on the embedded bus.

Each poison is either dead-lettered with a reason that names what is wrong, or cleaned and
indexed (NULs stripped, oversize text cut and flagged): nothing absurd reaches the store.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from duluan.core.models import Analysis, Post
from duluan.core.query import SearchQuery
from duluan.core.settings import Settings
from duluan.storage.sqlite.store import SQLiteStore
from streaming.embedded_bus import EmbeddedBus
from streaming.indexer import Indexer
from streaming.nlp_worker import NlpWorker

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
MB5 = "Giá xăng tăng. " * (5 * 2**20 // 18)


def quick_analyzer(
    texts: Sequence[str], sources: Sequence[str | None] | None = None
) -> list[Analysis]:
    """The worker mechanics are under test, not the models."""
    return [Analysis(language="vi", keywords=t.split()[:2]) for t in texts]


def run_stages(settings: Settings, store: SQLiteStore) -> tuple[NlpWorker, Indexer]:
    nlp = NlpWorker(EmbeddedBus(settings.resolved_bus_path), settings, analyze=quick_analyzer)
    nlp.run(max_idle=0.5)
    indexer = Indexer(EmbeddedBus(settings.resolved_bus_path), store, settings)
    indexer.run(max_idle=0.5)
    return nlp, indexer


def doc(n: int, **fields: Any) -> bytes:
    """A post as JSON, with any field overridden (even to values a Post would refuse)."""
    base: dict[str, Any] = {
        "id": f"poison:post:{n}",
        "source": "poison",
        "text": f"bài viết {n}",
        "created_at": T0.isoformat(),
    }
    base.update(fields)
    return json.dumps(base, ensure_ascii=False).encode()


Check = Callable[[Post], bool]
Expect = tuple[str, bytes, str | Check]  # key, message value, dead-letter reason or post check


def poisons() -> list[Expect]:
    """50 poison messages: ("dead", reason substring) or (indexed, check on the stored post)."""
    out: list[Expect] = []
    for i in range(5):  # five 5 MB texts: cut and flagged, indexed
        out.append(
            (
                f"poison:post:big{i}",
                doc(100 + i, id=f"poison:post:big{i}", text=MB5),
                lambda p: p.truncated and len(p.text) == 20_000 and p.text.startswith("Giá"),
            )
        )
    for i in range(5):  # NULs and other control characters inside fields: stripped, indexed
        out.append(
            (
                f"poison:post:nul{i}",
                doc(
                    0,
                    id=f"poison:\x00post:nul{i}\x00",
                    source="poi\x00son",
                    author=f"an\x00\x1b{i}",
                    text=f"có\x00 NUL\x07 bên\x0b trong\tvà\nxuống dòng {i}",
                ),
                lambda p: (
                    p.source == "poison"
                    and p.author is not None
                    and p.author.startswith("an")
                    and "\x00" not in p.text
                    and "\x07" not in p.text
                    and "\t" in p.text
                    and "\n" in p.text
                    and not p.truncated
                ),
            )
        )
    out += [  # more that can be cleaned: a long title, CRLF, a NUL in the url
        (
            "poison:post:title",
            doc(30, id="poison:post:title", title="Tiêu đề " * 700),
            lambda p: p.truncated and p.title is not None and len(p.title) == 1_000,
        ),
        (
            "poison:post:crlf",
            doc(31, id="poison:post:crlf", text="dòng một\r\ndòng hai\rba"),
            lambda p: p.text == "dòng một\ndòng hai\nba",
        ),
        (
            "poison:post:url",
            doc(33, id="poison:post:url", url="https://vnexpress.net/\x00a\x1f"),
            lambda p: p.url == "https://vnexpress.net/a",
        ),
    ]
    dead = [  # (a lone surrogate escape is invalid JSON to pydantic: dead, not cleaned)
        ("surrogate", doc(32).replace(b"32", b"\\ud800 32"), "Invalid JSON"),
        ("engfloat", doc(34, engagement={"likes": 1.5}), "engagement.likes"),
        ("nuls", doc(1, text="\x00" * 1000), "nothing but control characters"),
        ("nulsrc", doc(2, source="\x00\x00"), "source"),
        ("nulid", doc(3, id="\x00\x01\x02"), "source-scoped"),
        ("year1", doc(4, created_at="0001-01-01T00:00:00Z"), "before 1990"),
        ("year1b", doc(5, created_at="0001-01-01T00:00:00+07:00"), "BadTimestamp"),
        ("y1989", doc(6, created_at="1989-12-31T23:59:59Z"), "before 1990"),
        ("epoch", doc(7, created_at="1970-01-01T00:00:00Z"), "before 1990"),
        ("y2099", doc(8, created_at="2099-01-01T00:00:00Z"), "more than a day ahead"),
        (
            "ahead2d",
            doc(9, created_at=(datetime.now(UTC) + timedelta(days=2)).isoformat()),
            "more than a day ahead",
        ),
        (
            "eng30",
            b'{"id":"poison:post:10","source":"poison","text":"a",'
            b'"created_at":"2026-11-01T08:00:00Z","engagement":{"likes":'
            + str(10**30).encode()
            + b"}}",
            "BadEngagement: likes=~10^30",
        ),
        ("eng13", doc(11, engagement={"views": 10**13}), "BadEngagement: views"),
        ("engneg", doc(12, engagement={"likes": -1}), "BadEngagement: likes=-1"),
        ("engneg2", doc(13, engagement={"replies": -(10**20)}), "BadEngagement"),
        ("engstr", doc(14, engagement={"likes": "lots"}), "engagement.likes"),
        ("longid", doc(15, id="poison:post:" + "9" * 5000), "FieldTooLong: id"),
        ("longauthor", doc(16, author="a" * 5000), "FieldTooLong: author"),
        ("notext", doc(17, text=None), "text"),
        (
            "nodate",
            json.dumps({"id": "poison:post:18", "source": "p", "text": "a"}).encode(),
            "created_at",
        ),
        ("baddate", doc(19, created_at="hôm qua"), "created_at"),
        ("badid", doc(20, id="nocolon"), "source-scoped"),
        ("array", b"[1, 2, 3]", "ValidationError"),
        ("number", b"42", "ValidationError"),
        ("null", b"null", "ValidationError"),
        ("empty", b"", "ValidationError"),
        ("broken1", b"{not json", "ValidationError"),
        ("broken2", b'{"id": "poison:post:21", "source": ', "ValidationError"),
        ("broken3", doc(22)[:-5], "ValidationError"),
        ("binary", b"\xff\xfe\x00binary", "ValidationError"),
        (
            "latin1",
            '{"id": "poison:post:23", "text": "caf\xe9"}'.encode("latin-1"),
            "ValidationError",
        ),
        ("huge", b'{"text": "' + b"x" * (9 * 2**20) + b'"}', "MessageTooLarge"),
        ("textobj", doc(24, text={"nested": True}), "text"),
        (
            "analysis",
            doc(25, analysis={"language": "vi", "sentiment": {"label": "angry"}}),
            "analysis.sentiment.label",
        ),
        ("score", doc(26, analysis={"language": "vi", "toxic": {"score": 7}}), "analysis"),
        ("deep", b"[" * 100_000 + b"]" * 100_000, "ValidationError"),
        ("bom", b"\xef\xbb\xbf" + doc(27), "ValidationError"),
    ]
    out.extend((k, v, f"!{reason}") for k, v, reason in dead)
    assert len(out) == 50
    return out


def test_fifty_poisons_dead_lettered_or_bounded(settings: Settings) -> None:
    bus = EmbeddedBus(settings.resolved_bus_path)
    cases = poisons()
    valid = [
        Post(id=f"poison:ok:{i}", source="ok", text=f"bình thường {i}", created_at=T0)
        for i in range(200)
    ]
    for i, p in enumerate(valid):
        bus.publish(settings.raw_topic, p.to_json(), key=p.id)
        if i % 4 == 0 and i // 4 < len(cases):  # poisons interleaved with valid posts
            key, value, _ = cases[i // 4]
            bus.publish(settings.raw_topic, value, key=key)
    bus.flush()
    store = SQLiteStore(settings.resolved_store_path)
    nlp, indexer = run_stages(settings, store)

    expect_dead = {k: str(e)[1:] for k, _, e in cases if isinstance(e, str)}
    expect_kept = {k: e for k, _, e in cases if not isinstance(e, str)}
    with bus.consumer(settings.dead_letter_topic, "poison-check") as consumer:
        records = [json.loads(m.value) for m in consumer.poll(500, 2.0)]
    errors = {r["key"]: r["error"] for r in records}
    assert set(errors) == set(expect_dead), set(errors) ^ set(expect_dead)
    for key, reason in expect_dead.items():
        assert reason in errors[key], (key, errors[key])
    assert all(r["stage"] == "nlp" for r in records)  # refused at the door, not by the store
    assert nlp.stats.dead == len(expect_dead) and indexer.stats.dead == 0

    assert store.count(SearchQuery()) == len(valid) + len(expect_kept)
    for key, check in expect_kept.items():
        got = store.get(key)
        assert got is not None and check(got), key
    ok = [store.get(p.id) for p in valid]
    assert all(p is not None and not p.truncated for p in ok)
    truncated = [p.id for p in store.iter_posts(SearchQuery()) if p.truncated]
    assert sorted(truncated) == sorted(
        [*(f"poison:post:big{i}" for i in range(5)), "poison:post:title"]
    )
    page = store.search(SearchQuery(q="xăng", limit=10))
    assert page.total == 5 and all(h.post.truncated for h in page.hits)
