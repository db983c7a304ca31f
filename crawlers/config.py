"""Bridge between Scrapy settings and duluan's `core.settings.Settings`.

`-s DULUAN_DATA_DIR=/tmp/x` (or any `DULUAN_<FIELD>`) on the Scrapy command line overrides the
matching duluan setting, so one spider run can be pointed at a test bus / store / state dir.
"""

from __future__ import annotations

import os
from typing import Any

from scrapy.settings import BaseSettings

from duluan.core.settings import Settings

TRUE = {"1", "true", "yes", "on"}


def duluan_settings(scrapy_settings: BaseSettings | None = None) -> Settings:
    """duluan Settings from env/toml, overridden by `DULUAN_*` keys set in Scrapy settings."""
    overrides: dict[str, Any] = {}
    if scrapy_settings is not None:
        for name in Settings.model_fields:
            value = scrapy_settings.get(f"DULUAN_{name.upper()}")
            if value not in (None, ""):
                overrides[name] = value
    return Settings(**overrides)


def flag(scrapy_settings: BaseSettings, name: str, default: bool = True) -> bool:
    """A boolean switch from Scrapy settings, falling back to the environment variable."""
    value = scrapy_settings.get(name)
    if value is None:
        value = os.environ.get(name)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in TRUE


def api_base(scrapy_settings: BaseSettings, source: str, default: str) -> str:
    """`<SOURCE>_API_BASE` from Scrapy settings or environment, without a trailing slash."""
    key = f"{source.upper()}_API_BASE"
    value = scrapy_settings.get(key) or os.environ.get(key) or default
    return str(value).rstrip("/")
