"""`duluan sample`: stored posts drawn uniformly at random into a sheet to label, which
`duluan eval --labelled` then reads once the labels are filled in."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from duluan.core.label_sample import draw, sheet_text
from duluan.core.models import Analysis, Post
from duluan.core.settings import get_settings
from duluan.storage.sqlite.store import SQLiteStore
from nlp.datasets import read_tsv

T0 = datetime(2026, 12, 1, tzinfo=UTC)
GOOD = "Shop giao nhanh, đóng gói cẩn thận, rất hài lòng"
BAD = "Giao hàng chậm quá, gọi tổng đài cả buổi không ai nghe"


def _post(n: int, source: str, text: str, lang: str = "vi", title: str | None = None) -> Post:
    return Post(
        id=f"{source}:comment:{n}",
        source=source,
        text=text,
        title=title,
        created_at=T0 + timedelta(minutes=n),
        analysis=Analysis(language=lang),
    )


def test_every_post_is_equally_likely_to_be_drawn() -> None:
    posts = [_post(n, "voz", f"bình luận {n}") for n in range(20)]
    counts: Counter[str] = Counter()
    for seed in range(2000):
        counts.update(p.id for p in draw(posts, 5, seed).kept[""])
    rates = [counts[p.id] / 2000 for p in posts]
    assert all(0.21 < r < 0.29 for r in rates), rates  # 5 of 20: 0.25 each


def test_keys_get_their_own_sample_and_empty_text_is_skipped() -> None:
    posts = [_post(n, "voz" if n % 4 else "tinhte", f"ý kiến {n}") for n in range(40)]
    posts.append(_post(99, "tinhte", "\t \n"))
    pool = draw(posts, 8, key=lambda p: p.source)
    assert {k: len(v) for k, v in pool.kept.items()} == {"tinhte": 8, "voz": 8}
    assert pool.seen == {"tinhte": 10, "voz": 30}
    assert sheet_text(_post(1, "voz", "dòng một\n\tdòng hai", title="Tiêu đề")) == (
        "Tiêu đề dòng một dòng hai"
    )
    with pytest.raises(ValueError):
        draw(posts, 0)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    store = SQLiteStore(tmp_path / "duluan.db")
    posts = [_post(n, "voz", f"{GOOD if n % 2 else BAD} (lần {n})") for n in range(30)]
    posts += [_post(100 + n, "tinhte", f"{GOOD}, máy số {n}") for n in range(12)]
    posts.append(_post(200, "voz", "Great phone, fast delivery", lang="en"))
    posts.append(_post(201, "voz", "có\ttab và\nxuống dòng"))
    store.upsert(posts)
    store.close()
    monkeypatch.setenv("DULUAN_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def _rows(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line[:1] != "#"]


def test_cli_writes_a_sheet_eval_reads_once_labelled(data_dir: Path, restore_logging: None) -> None:
    from duluan.cli.main import app

    sheet = data_dir / "sheet.tsv"
    r = CliRunner().invoke(app, ["sample", "--size", "20", "-o", str(sheet)])
    assert r.exit_code == 0, r.output
    rows = _rows(sheet)
    assert len(rows) == 20 and all(row.startswith("-\t-\t-\t") for row in rows)
    parsed = read_tsv(sheet)
    assert parsed.labels["sentiment"] == ["-"] * 20 and parsed.labels["toxic"] == ["-"] * 20
    assert "Great phone" not in sheet.read_text(encoding="utf-8")  # English is not drawn
    assert all(row.count("\t") == 3 for row in rows)

    again = CliRunner().invoke(app, ["sample", "--size", "20", "-o", str(sheet)])
    assert again.exit_code == 2 and "--force" in again.output  # typed labels are never lost
    assert _rows(sheet) == rows
    r = CliRunner().invoke(app, ["sample", "--size", "20", "-o", str(sheet), "--force"])
    assert r.exit_code == 0 and _rows(sheet) == rows  # same seed, same sample
    r = CliRunner().invoke(
        app, ["sample", "--size", "20", "-o", str(sheet), "--force", "--seed", "1"]
    )
    assert r.exit_code == 0 and _rows(sheet) != rows

    labelled = data_dir / "labelled.tsv"
    labelled.write_text(
        "".join(
            ("pos" if GOOD in row else "neg" if BAD in row else "neu") + "\t0\t-\t" + row[6:] + "\n"
            for row in rows
        ),
        encoding="utf-8",
    )
    r = CliRunner().invoke(app, ["eval", "--labelled", str(labelled)])
    assert r.exit_code == 0, r.output
    assert any(line.startswith("sentiment") for line in r.output.splitlines())


def test_cli_per_source_sheets(data_dir: Path, restore_logging: None) -> None:
    from duluan.cli.main import app

    out = data_dir / "sheets"
    r = CliRunner().invoke(app, ["sample", "--size", "10", "--per-source", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in out.iterdir()) == ["tinhte.tsv", "voz.tsv"]
    assert all("máy số" in row for row in _rows(out / "tinhte.tsv"))
    assert len(_rows(out / "tinhte.tsv")) == 10 and len(_rows(out / "voz.tsv")) == 10
    assert not any("máy số" in row for row in _rows(out / "voz.tsv"))
    none = CliRunner().invoke(app, ["sample", "-o", str(data_dir / "x.tsv"), "--source", "reddit"])
    assert none.exit_code == 1 and not (data_dir / "x.tsv").exists()
