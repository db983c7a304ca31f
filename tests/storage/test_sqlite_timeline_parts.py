"""Parts of the SQLite timelines: shared bucket starts, one accumulating loop, hours as columns."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from duluan.storage.sqlite import rollup, timelines


def test_bucket_starts_are_shared_and_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(timelines, "_STARTS", {})
    monkeypatch.setattr(timelines, "STARTS_LIMIT", 5)
    hours = [1_764_547_200 + 3600 * i for i in range(12)]
    first = [timelines.bucket_start(h) for h in hours]
    assert first == [datetime.fromtimestamp(h, UTC) for h in hours]
    assert timelines.bucket_start(hours[-1]) is first[-1]  # the same object, not a new one
    assert len(timelines._STARTS) <= 5


def test_accumulate_counts_and_splits() -> None:
    buckets: dict[int, timelines.Bucket] = {}
    rows = [(3600, "positive", 2), (3600, None, 1), (0, "negative", 4), (3600, "positive", 1)]
    timelines.accumulate(buckets, rows, "sentiment")
    assert buckets[3600].split == {"positive": 3, "unknown": 1}
    assert buckets[0].split == {"negative": 4} and buckets[0].start == datetime(
        1970, 1, 1, tzinfo=UTC
    )
    totals: dict[int, timelines.Bucket] = {}
    timelines.accumulate(totals, rows, None)
    assert {b: bk.count for b, bk in totals.items()} == {3600: 4, 0: 4}


def test_hours_table_is_built_once_per_hours_dict(monkeypatch: pytest.MonkeyPatch) -> None:
    hours = {7200: [("positive", 2), (None, 1)], 3600: [("negative", 4)]}
    cache = rollup.HourlyCache()
    entry = rollup._HoursEntry(hours=hours)
    monkeypatch.setattr(cache, "_current", lambda *_: (entry, entry.hours))
    table = cache.table(None, "", [], "sentiment")  # type: ignore[arg-type]
    assert cache.table(None, "", [], "sentiment") is table  # type: ignore[arg-type]
    assert table.values == ["negative", "positive", None]
    rows = sorted(
        zip(table.hours.tolist(), table.codes.tolist(), table.counts.tolist(), strict=True)
    )
    assert rows == [(3600, 0, 4), (7200, 1, 2), (7200, 2, 1)]
    entry.hours = {**hours, 10800: [("neutral", 5)]}  # the cache hands out a new dict on change
    assert cache.table(None, "", [], "sentiment") is not table  # type: ignore[arg-type]
    assert cache.table(None, "", [], "sentiment").values == [  # type: ignore[arg-type]
        "negative",
        "neutral",
        "positive",
        None,
    ]
