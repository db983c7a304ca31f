"""Run one spider in a child process (Twisted's reactor cannot restart) and return its stats,
so a long-running process (`duluan crawl --every`, `duluan run`) can crawl again and again."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from duluan.core.logging import get_logger

log = get_logger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent


class CrawlError(RuntimeError):
    """The spider process could not run (bad spider name, crash before stats were written)."""


def _setting_value(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value)
    return str(value)


def crawl_command(
    source: str,
    *,
    start_urls: list[str] | None = None,
    overrides: Mapping[str, object] | None = None,
    output: Path | None = None,
    stats_file: Path | None = None,
    spider_args: Mapping[str, str] | None = None,
) -> list[str]:
    """The `python -m scrapy crawl ...` argv that `crawl` runs."""
    cmd = [sys.executable, "-m", "scrapy", "crawl", source]
    if start_urls:
        cmd += ["-a", "start_urls=" + ",".join(start_urls)]
    for arg, text in (spider_args or {}).items():
        cmd += ["-a", f"{arg}={text}"]
    for key, value in (overrides or {}).items():
        cmd += ["-s", f"{key}={_setting_value(value)}"]
    if stats_file is not None:
        cmd += ["-s", f"DULUAN_STATS_FILE={stats_file}"]
    if output is not None:
        cmd += ["-O", str(output)]
    return cmd


def crawl(
    source: str,
    *,
    start_urls: list[str] | None = None,
    overrides: dict[str, object] | None = None,
    output: Path | None = None,
    spider_args: dict[str, str] | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
) -> dict[str, Any]:
    """Crawl `source` once in a child process; returns {items, errors, requests, ..., stats}.

    `overrides` are Scrapy settings (`-s KEY=VALUE`, e.g. {"DULUAN_PUBLISH": False}); `output`
    writes the Posts as JSON lines (or `.json`).
    """
    with tempfile.TemporaryDirectory(prefix="duluan-crawl-") as tmp:
        stats_file = Path(tmp) / "stats.json"
        cmd = crawl_command(
            source,
            start_urls=start_urls,
            overrides=overrides,
            output=Path(output).resolve() if output is not None else None,
            stats_file=stats_file,
            spider_args=spider_args,
        )
        child_env = {**os.environ, **(env or {})}
        child_env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(REPO_ROOT), child_env.get("PYTHONPATH", "")) if p
        )
        log.info("crawl starting", source=source, start_urls=start_urls)
        proc = subprocess.run(
            cmd,
            cwd=REPO_ROOT,
            env=child_env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if not stats_file.exists():
            tail = (proc.stderr or "")[-3000:]
            raise CrawlError(f"crawl {source!r} exited {proc.returncode} without stats:\n{tail}")
        result: dict[str, Any] = json.loads(stats_file.read_text("utf-8"))
    result["returncode"] = proc.returncode
    result["source"] = source
    if proc.returncode != 0:
        result["errors"] = max(1, int(result.get("errors", 0)))
        result["log_tail"] = (proc.stderr or "")[-3000:]
    log.info(
        "crawl finished", source=source, items=result.get("items"), errors=result.get("errors")
    )
    return result
