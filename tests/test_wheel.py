"""The wheel installs only the project's own top-level names, so it clashes with nothing else."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXPECTED = {"duluan", "api", "crawlers", "streaming", "nlp"}


@pytest.mark.slow
def test_wheel_top_level_names(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(REPO),
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
        ],
        check=True,
        timeout=300,
    )
    wheel = next(tmp_path.glob("duluan-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert top == EXPECTED
    # data files the code reads at run time travel with it
    assert "duluan/briefings/templates/briefing.html.j2" in names
    assert "api/static/dashboard.html" in names
    assert "nlp/models/classical.npz" in names
    assert not [n for n in names if "/tests/" in n or n.startswith("tests/")]
