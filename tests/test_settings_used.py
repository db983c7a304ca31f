"""Settings hold the only defaults: every setting the code reads exists on Settings."""

from __future__ import annotations

import re
from pathlib import Path

from duluan.core.settings import Settings

REPO = Path(__file__).resolve().parents[1]
ROOTS = ("duluan", "api", "crawlers", "streaming", "nlp")
# `settings.x`, `self.settings.x`, `settings_of(request).x`, `get_settings().x`, `s.settings.x`
READ = re.compile(
    r"(?:(?<![\w./])|(?<=self\.))(?:settings|settings_of\([^()]*\)|get_settings\(\))\.([a-z_][a-z0-9_]*)\b"
)
# Scrapy's own Settings object (crawlers/) is read through its API, not by attribute
SCRAPY_API = {"get", "getint", "getfloat", "getbool", "getlist", "getdict", "set", "copy"}
SHIM = re.compile(r"getattr\(\s*(?:self\.)?settings\b")


def _sources() -> list[Path]:
    return sorted(
        p for r in ROOTS for p in (REPO / r).rglob("*.py") if "__pycache__" not in p.parts
    )


def settings_reads() -> dict[str, set[str]]:
    """Attribute name -> files that read it from a settings object."""
    found: dict[str, set[str]] = {}
    for path in _sources():
        for name in READ.findall(path.read_text("utf-8")):
            if path.parts[len(REPO.parts)] == "crawlers" and name in SCRAPY_API:
                continue
            found.setdefault(name, set()).add(str(path.relative_to(REPO)))
    return found


def known() -> set[str]:
    return set(Settings.model_fields) | {n for n in dir(Settings) if not n.startswith("__")}


def test_every_setting_read_exists() -> None:
    reads = settings_reads()
    assert len(reads) > 50  # the scan sees the code (it found none: the pattern broke)
    missing = {name: sorted(files) for name, files in reads.items() if name not in known()}
    assert missing == {}


def test_no_settings_read_through_getattr() -> None:
    shims = [str(p.relative_to(REPO)) for p in _sources() if SHIM.search(p.read_text("utf-8"))]
    assert shims == []


def test_the_scan_catches_a_missing_setting() -> None:
    assert READ.findall("x = self.settings.no_such_setting + settings_of(request).api_port") == [
        "no_such_setting",
        "api_port",
    ]
    assert "no_such_setting" not in known()
