"""`duluan analyze` output format, through a small typer app registering analyze_cmd."""

from __future__ import annotations

import json
import re
from pathlib import Path

import typer
from typer.testing import CliRunner

from duluan.cli.nlp import analyze_cmd, eval_cmd

app = typer.Typer()
app.command("analyze")(analyze_cmd)
app.command("eval")(eval_cmd)


@app.command("noop")
def _noop() -> None:  # a second command keeps typer from collapsing to a single-command app
    pass


def test_analyze_text_lines() -> None:
    lines = ["Dịch vụ tuyệt vời, nhân viên thân thiện", "", "Good morning everyone", "😡😡"]
    result = CliRunner().invoke(app, ["analyze"], input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    out = [json.loads(x) for x in result.stdout.splitlines()]
    assert len(out) == len(lines)
    assert [o["text"] for o in out] == lines
    first = out[0]
    assert first["language"] == "vi"
    assert first["sentiment"]["label"] == "positive"
    assert 0 <= first["sentiment"]["score"] <= 1
    assert isinstance(first["topics"], list)
    assert set(first["toxic"]) == {"label", "score"}
    assert isinstance(first["keywords"], list)
    assert out[1]["language"] == "empty"
    assert out[2]["language"] == "en"


def test_analyze_jsonl_with_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text(
        '{"id": "a", "text": "Hàng đẹp lắm"}\n'
        "this is not json\n"
        '{"id": "b"}\n'
        '{"id": "c", "text": ""}\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["analyze", "--input", str(path), "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    out = [json.loads(x) for x in result.stdout.splitlines()]
    assert len(out) == 4
    assert out[0]["id"] == "a" and out[0]["sentiment"]["label"] == "positive"
    assert "error" in out[1] and "error" in out[2] and out[2]["id"] == "b"
    assert out[3]["language"] == "empty" and "error" not in out[3]


def test_eval_reads_a_users_own_labelled_sample(tmp_path: Path) -> None:
    """`duluan eval --labelled`: the shipped models scored on the user's labels, with the
    predicted against the true share of each sentiment class (invented comments)."""
    rows = [
        ("neg", "0", "-", "Giao hàng chậm quá, gọi tổng đài cả buổi không ai nghe"),
        ("neg", "1", "-", "đồ ngu, nói mãi không hiểu"),
        ("pos", "0", "-", "Shop đóng gói cẩn thận, giao nhanh, sẽ ủng hộ tiếp"),
        ("pos", "0", "entertainment", "phim hay quá, tối nay xem lần hai"),
        ("neu", "0", "sports", "Trận tối nay mấy giờ đá vậy mọi người?"),
        ("neu", "0", "-", "@Minh vào xem cái này"),
        ("-", "0", "-", "deo khau trang vao nhe"),
    ]
    path = tmp_path / "mine.tsv"
    path.write_text("# my sample\n" + "".join("\t".join(r) + "\n" for r in rows), "utf-8")
    result = CliRunner().invoke(app, ["eval", "--labelled", str(path)])
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.stdout.splitlines() if "mine.tsv" in line}
    sentiment = lines["sentiment"].split()
    assert sentiment[2] == "6"  # the row with sentiment "-" is scored for toxicity only
    assert float(sentiment[4]) >= 0.8  # macro-F1 on these plain comments
    shares = re.findall(r"(neg|neu|pos) (\d+)/(\d+)", lines["sentiment"])
    assert [(c, t) for c, _, t in shares] == [("neg", "33"), ("neu", "33"), ("pos", "33")]
    assert 98 <= sum(int(p) for _, p, _ in shares) <= 102
    assert "toxicity" in lines and "topic" in lines


def test_eval_rejects_a_malformed_labelled_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.tsv"
    bad.write_text("positive but no tabs here\n", "utf-8")
    result = CliRunner().invoke(app, ["eval", "--labelled", str(bad)])
    assert result.exit_code == 2
    assert "sentiment<TAB>toxic<TAB>topic<TAB>text" in result.output
    missing = CliRunner().invoke(app, ["eval", "--labelled", str(tmp_path / "nope.tsv")])
    assert missing.exit_code == 2 and "no such file" in missing.output
