"""`duluan crawl`: run one spider (or every configured source) once or on a schedule."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import typer
import yaml
from pydantic import BaseModel, Field, field_validator

from crawlers.runner import CrawlError, crawl
from duluan.core.logging import get_logger
from duluan.core.settings import get_settings

log = get_logger(__name__)

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$", re.IGNORECASE)
_UNIT = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_every(value: str) -> float:
    """'90s', '10m', '1h', '1d' (bare number = seconds) -> seconds."""
    match = _DURATION.match(value or "")
    if not match or float(match.group(1)) <= 0:
        raise ValueError(f"not a duration: {value!r} (use e.g. 30s, 10m, 1h)")
    return float(match.group(1)) * _UNIT[match.group(2).lower()]


class SourceConfig(BaseModel):
    """One entry of the sources YAML: which spider, where to start, how often, its settings."""

    name: str = Field(description="source name, also the spider name unless `spider` is set")
    spider: str | None = None
    start_urls: list[str] = Field(default_factory=list)
    every: str | None = Field(None, description="schedule for `duluan run`, e.g. 10m")
    enabled: bool = True
    settings: dict[str, Any] = Field(default_factory=dict, description="Scrapy -s overrides")
    args: dict[str, str] = Field(default_factory=dict, description="spider -a arguments")

    @field_validator("every")
    @classmethod
    def _valid_every(cls, value: str | None) -> str | None:
        if value is not None:
            parse_every(value)
        return value

    @property
    def spider_name(self) -> str:
        return self.spider or self.name

    @property
    def interval_s(self) -> float | None:
        return parse_every(self.every) if self.every else None


def load_sources(path: Path | str) -> list[SourceConfig]:
    """Read a YAML list of sources (or a mapping with a `sources:` list); disabled ones dropped."""
    data = yaml.safe_load(Path(path).read_text("utf-8")) or []
    if isinstance(data, dict):
        data = data.get("sources") or []
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a list of sources")
    configs = [SourceConfig.model_validate(entry) for entry in data]
    return [c for c in configs if c.enabled]


def run_source(
    config: SourceConfig, *, overrides: dict[str, object] | None = None, output: Path | None = None
) -> dict[str, Any]:
    """Crawl one configured source once in a child process; returns its summary stats."""
    return crawl(
        config.spider_name,
        start_urls=config.start_urls or None,
        overrides={**config.settings, **(overrides or {})},
        output=output,
        spider_args=config.args or None,
    )


def _parse_sets(pairs: list[str]) -> dict[str, object]:
    out: dict[str, object] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(f"expected KEY=VALUE, got {pair!r}")
        out[key.strip()] = value
    return out


def crawl_cmd(
    source: str = typer.Argument(..., help="spider name (vnexpress, voz, ...) or 'all' sources"),
    every: str | None = typer.Option(None, "--every", help="repeat, e.g. 10m, 1h"),
    start_urls: list[str] = typer.Option([], "--start-url", "-u", help="start URL (repeatable)"),
    output: Path | None = typer.Option(None, "--output", "-o", help="also write Posts as JSONL"),
    set_: list[str] = typer.Option([], "--set", "-s", help="Scrapy setting KEY=VALUE"),
    sources_file: Path | None = typer.Option(None, "--sources", help="YAML list of sources"),
    no_publish: bool = typer.Option(False, "--no-publish", help="don't publish to the bus"),
    runs: int = typer.Option(0, "--runs", help="stop after N scheduled rounds (0 = forever)"),
) -> None:
    """Crawl a source once, or every N minutes; each run is a fresh child process."""
    overrides = _parse_sets(set_)
    if no_publish:
        overrides["DULUAN_PUBLISH"] = False
    if source == "all":
        path = sources_file or get_settings().sources_file
        if path is None:
            raise typer.BadParameter("'all' needs --sources or DULUAN_SOURCES_FILE")
        configs = load_sources(path)
    else:
        configs = [SourceConfig(name=source, start_urls=list(start_urls), every=None)]
    interval = parse_every(every) if every else None
    round_no = 0
    while True:
        round_no += 1
        started = time.monotonic()
        for config in configs:
            try:
                result = run_source(config, overrides=overrides, output=output)
                typer.echo(
                    f"{config.name}: {result['items']} items, {result['errors']} errors, "
                    f"{result['requests']} requests ({result['finish_reason']})"
                )
            except CrawlError as exc:
                log.error("crawl failed", source=config.name, error=str(exc))
                typer.echo(f"{config.name}: failed: {exc}", err=True)
        if interval is None or (runs and round_no >= runs):
            return
        time.sleep(max(0.0, interval - (time.monotonic() - started)))
