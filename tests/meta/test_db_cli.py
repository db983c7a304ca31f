"""`duluan db current|upgrade` on a real PostgreSQL database, and the API refusing to start on
a metadata schema that is behind (naming the command to run)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from duluan.core.settings import Settings
from duluan.meta.database import SchemaBehind

ROOT = Path(__file__).resolve().parents[2]


def duluan(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "duluan.cli", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_db_current_and_upgrade(pg_database: str, tmp_path: Path) -> None:
    env = {"DULUAN_META_URL": pg_database, "DULUAN_DATA_DIR": str(tmp_path / "var")}
    behind = duluan("db", "current", env=env)
    assert behind.returncode == 1 and "current none" in behind.stdout
    assert "duluan db upgrade" in behind.stdout
    up = duluan("db", "upgrade", env=env)
    assert up.returncode == 0, up.stderr
    assert "none -> 0004" in up.stdout  # the newest revision
    again = duluan("db", "current", env=env)
    assert again.returncode == 0 and "up to date" in again.stdout


def test_the_api_refuses_a_schema_behind(pg_database: str, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var", meta_url=pg_database)
    with pytest.raises(SchemaBehind, match="duluan db upgrade"), TestClient(create_app(settings)):
        pass
