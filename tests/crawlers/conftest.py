"""Fixtures for spider tests: a local HTTP server and a helper that runs a spider in a child
process (the Twisted reactor can't restart in one process) and reads back its Posts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from crawl_localserver import LocalServer

from crawlers.runner import crawl
from duluan.core.models import Post

SHARED_SOURCES = Path(__file__).resolve().parents[3] / "shared" / "data" / "sources"


@pytest.fixture
def server() -> Iterator[LocalServer]:
    srv = LocalServer()
    srv.add("/robots.txt", "User-agent: *\nDisallow: /private/\n", ctype="text/plain")
    yield srv
    srv.close()


@dataclass
class CrawlResult:
    stats: dict[str, Any]
    posts: list[Post]

    @property
    def by_id(self) -> dict[str, Post]:
        return {p.id: p for p in self.posts}

    def stat(self, key: str) -> int:
        return int(self.stats["stats"].get(key, 0))


@pytest.fixture
def spider() -> Any:
    """`spider(name, workdir, start_urls=..., settings=..., args=..., run=...)` -> CrawlResult."""
    return run_spider


def run_spider(
    name: str,
    workdir: Path,
    *,
    start_urls: list[str] | None = None,
    settings: dict[str, object] | None = None,
    args: dict[str, str] | None = None,
    run: str = "out",
) -> CrawlResult:
    """Crawl with politeness off (but robots.txt on), no bus, no store, state under workdir."""
    output = workdir / f"{run}.jsonl"
    overrides: dict[str, object] = {
        "DULUAN_POLITE": False,
        "ROBOTSTXT_OBEY": True,
        "DULUAN_PUBLISH": False,
        "DULUAN_RECORD_HEALTH": False,
        "DULUAN_DATA_DIR": str(workdir / "var"),
        "RETRY_BACKOFF_BASE": 0.01,
        "LOG_LEVEL": "INFO",
        **(settings or {}),
    }
    stats = crawl(
        name,
        start_urls=start_urls,
        overrides=overrides,
        output=output,
        spider_args=args,
        timeout=60,
    )
    assert stats["returncode"] == 0, stats.get("log_tail")
    lines = output.read_text("utf-8").splitlines() if output.exists() else []
    posts = [Post.from_json(line) for line in lines if line.strip()]
    return CrawlResult(stats, posts)


def load_json(path: Path) -> Any:
    return json.loads(path.read_text("utf-8"))
