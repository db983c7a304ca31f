"""What every command does first: read settings once and configure logging from them."""

from __future__ import annotations

from duluan.core.logging import configure_logging
from duluan.core.settings import Settings, get_settings


def cli_settings() -> Settings:
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    return settings
