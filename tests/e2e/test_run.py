"""`duluan run`: scheduled crawls, NLP and indexing in one process, stopped by SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from crawlers.demo_site import serve_demo_site
from duluan.core.query import SearchQuery
from duluan.core.settings import Settings
from duluan.storage.sqlite.store import SQLiteStore

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_run_crawls_on_schedule_and_indexes(tmp_path: Path) -> None:
    server, base = serve_demo_site()
    try:
        sources = tmp_path / "sources.yaml"
        sources.write_text(
            yaml.safe_dump(
                [
                    {
                        "name": "vnexpress",
                        "every": "1h",
                        "start_urls": [f"{base}/rss/tin-moi-nhat.rss"],
                        "settings": {"VNEXPRESS_API_BASE": base, "DULUAN_POLITE": False},
                    }
                ]
            ),
            encoding="utf-8",
        )
        data = tmp_path / "var"
        env = {**os.environ, "DULUAN_DATA_DIR": str(data)}
        proc = subprocess.Popen(
            [sys.executable, "-m", "duluan.cli", "run", "--sources", str(sources), "--no-api"],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        store_path = Settings(data_dir=data).resolved_store_path
        deadline = time.monotonic() + 240
        count = 0
        while time.monotonic() < deadline:
            if store_path.exists():
                with SQLiteStore(store_path) as store:
                    count = store.count(SearchQuery())
                if count >= 300:
                    break
            time.sleep(1)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
        assert count >= 300, err[-3000:]
        assert proc.returncode == 0, err[-3000:]
    finally:
        server.shutdown()
