"""`duluan import` and `duluan export` as a user runs them: real NLP, real SQLite store."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]


def duluan(
    args: list[str], data_dir: Path, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DULUAN_DATA_DIR": str(data_dir), "DULUAN_LOG_LEVEL": "WARNING"}
    return subprocess.run(
        [sys.executable, "-m", "duluan.cli", *args],
        cwd=REPO,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture
def posts_file(tmp_path: Path) -> Path:
    rows = [
        {
            "id": "1",
            "source": "forum",
            "text": "Giá xăng tăng quá, dân khổ lắm",
            "created_at": "2026-11-01T08:00:00+07:00",
            "author": "an",
        },
        {
            "id": "forum:post:2",
            "source": "forum",
            "text": "Đội tuyển chơi hay quá, tuyệt vời",
            "created_at": "2026-11-02T09:00:00+07:00",
            "likes": 12,
        },
        {
            "id": "3",
            "source": "forum",
            "text": "gia xang hom nay bao nhieu vay",
            "created_at": "2026-11-03T10:00:00Z",
        },
    ]
    path = tmp_path / "posts.jsonl"
    lines = [json.dumps(r, ensure_ascii=False) for r in rows]
    lines.insert(1, "{broken json")
    lines.insert(3, json.dumps({"id": "9", "source": "forum", "text": "no date"}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_import_jsonl_then_export(tmp_path: Path, posts_file: Path) -> None:
    data = tmp_path / "var"
    r = duluan(["import", str(posts_file)], data)
    assert r.returncode == 0, r.stderr
    assert "imported 3, rejected 2 of 5 rows" in r.stderr
    rejects = [
        json.loads(x)
        for x in posts_file.with_name("posts.jsonl.rejected.jsonl").read_text().splitlines()
    ]
    assert [x["line"] for x in rejects] == [2, 4]
    assert "created_at" in rejects[1]["error"]

    r = duluan(["export", "--query", "xang", "--format", "jsonl"], data)
    assert r.returncode == 0, r.stderr
    got = [json.loads(x) for x in r.stdout.splitlines()]
    assert {p["id"] for p in got} == {"forum:post:1", "forum:post:3"}
    for p in got:
        assert p["analysis"]["sentiment"]["label"] in ("positive", "neutral", "negative")
        assert p["analysis"]["topics"], "every post gets topics"

    r = duluan(["export", "--format", "csv"], data)
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert len(rows) == 3
    liked = next(x for x in rows if x["id"] == "forum:post:2")
    assert liked["sentiment"] == "positive"


def test_import_csv_strict_fails_on_rejects(tmp_path: Path) -> None:
    path = tmp_path / "posts.csv"
    path.write_text(
        "id,source,text,created_at\n1,blog,Bài viết hay,2026-11-01T00:00:00Z\n"
        "2,blog,,2026-11-01T00:00:00Z\n",
        encoding="utf-8",
    )
    r = duluan(["import", str(path), "--strict"], tmp_path / "var")
    assert r.returncode == 1
    assert "imported 1, rejected 1" in r.stderr


def test_export_rejects_a_bad_query(tmp_path: Path) -> None:
    r = duluan(["export", "--query", '"unclosed'], tmp_path / "var")
    assert r.returncode != 0
    assert "unclosed quote" in r.stderr


def _command_paths(group: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    for name, cmd in group.commands.items():  # typer's groups carry click's `commands` map
        out.append((*prefix, name))
        if hasattr(cmd, "commands"):
            out += _command_paths(cmd, (*prefix, name))
    return out


def test_every_command_has_help(tmp_path: Path, restore_logging: None) -> None:
    """Every registered command and sub-command, found by walking the CLI, answers --help."""
    import typer
    from typer.testing import CliRunner

    from duluan.cli.main import app

    r = duluan(["--help"], tmp_path / "var")
    assert r.returncode == 0 and "Usage" in r.stdout, r.stderr
    paths = _command_paths(typer.main.get_command(app))
    assert {("sample",), ("adapt",), ("delete", "author"), ("worker", "nlp")} <= set(paths)
    for path in paths:
        result = CliRunner().invoke(app, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "Usage" in result.output, path


def test_api_serves_from_several_processes(tmp_path: Path, posts_file: Path) -> None:
    """`duluan api --workers 2`: uvicorn's worker processes each open the store and answer."""
    import socket
    import time

    import httpx

    data = tmp_path / "var"
    assert duluan(["import", str(posts_file)], data).returncode == 0
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "DULUAN_DATA_DIR": str(data), "DULUAN_LOG_LEVEL": "WARNING"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "duluan.cli", "api", "--port", str(port), "--workers", "2"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        totals = set()
        for _ in range(12):  # new connections: the kernel spreads them over both processes
            r = httpx.get(url + "/v1/search", params={"q": "xăng"}, timeout=10)
            assert r.status_code == 200, r.text
            totals.add(r.json()["total"])
        assert totals == {2}  # "Giá xăng" and "gia xang": folded alike
        ps = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(proc.pid)], capture_output=True, text=True
        )
        assert len(ps.stdout.split()) >= 2, ps.stdout  # two workers under the supervisor
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert b"Traceback" not in err, err.decode()[-2000:]
