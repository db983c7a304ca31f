"""`duluan analyze` output format, through a small typer app registering analyze_cmd."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from duluan.cli.nlp import analyze_cmd

app = typer.Typer()
app.command("analyze")(analyze_cmd)


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
