"""`duluan correction set | undo | list`: the same correction the API makes, from a shell."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from duluan.core.models import Analysis, Post, Sentiment
from duluan.core.query import SearchQuery
from duluan.core.settings import get_settings
from duluan.storage.sqlite.store import SQLiteStore


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    store = SQLiteStore(tmp_path / "duluan.db")
    at = datetime(2026, 12, 1, tzinfo=UTC)
    store.upsert(
        [
            Post(
                id="voz:comment:1",
                source="voz",
                text="Thị trường hôm nay thế nào các bác",
                created_at=at,
                analysis=Analysis(language="vi", sentiment=Sentiment(label="negative", score=0.6)),
            ),
            Post(id="voz:comment:2", source="voz", text="chưa phân tích", created_at=at),
        ]
    )
    store.close()
    monkeypatch.setenv("DULUAN_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("USER", "lan")
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def _counts(path: Path) -> dict[str, int]:
    with SQLiteStore(path / "duluan.db") as store:
        return {
            s: store.count(SearchQuery(sentiments=[s])) for s in ("negative", "neutral", "positive")
        }


def test_cli_sets_lists_and_withdraws_a_correction(data_dir: Path, restore_logging: None) -> None:
    from duluan.cli.main import app

    run = CliRunner().invoke
    r = run(app, ["correction", "set", "voz:comment:1", "neutral"])
    assert r.exit_code == 0 and "the model read negative" in r.output, r.output
    assert _counts(data_dir) == {"negative": 0, "neutral": 1, "positive": 0}
    r = run(app, ["correction", "list"])
    assert r.exit_code == 0 and "neutral   voz:comment:1  cli:lan" in r.output, r.output
    assert run(app, ["correction", "set", "voz:comment:1", "angry"]).exit_code == 2
    assert run(app, ["correction", "set", "voz:comment:9", "neutral"]).exit_code == 1
    not_analysed = run(app, ["correction", "set", "voz:comment:2", "neutral"])
    assert not_analysed.exit_code == 1 and "not been analysed" in not_analysed.output
    r = run(app, ["correction", "undo", "voz:comment:1"])
    assert r.exit_code == 0 and "back to the model's negative" in r.output, r.output
    assert _counts(data_dir) == {"negative": 1, "neutral": 0, "positive": 0}
    assert run(app, ["correction", "undo", "voz:comment:1"]).exit_code == 1  # none left
    assert "voz:comment:1" not in run(app, ["correction", "list"]).output


def test_cli_delete_author_takes_the_corrections_along(
    data_dir: Path, restore_logging: None
) -> None:
    """`duluan delete author` (a deletion request) leaves no correction of the author's posts."""
    from duluan.cli.main import app
    from duluan.meta.sentiment_corrections import SentimentCorrectionRepository

    with SQLiteStore(data_dir / "duluan.db") as store:
        post = store.get("voz:comment:1")
        assert post is not None
        store.upsert([post.model_copy(update={"author": "Bac Ba"})])
    run = CliRunner().invoke
    assert run(app, ["correction", "set", "voz:comment:1", "positive"]).exit_code == 0
    r = run(app, ["delete", "author", "bac ba", "--source", "voz"])
    assert r.exit_code == 0 and "deleted 1 posts" in r.output, r.output
    with SentimentCorrectionRepository(data_dir / "duluan.db") as repo:
        assert repo.count() == 0
