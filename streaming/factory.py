"""Pick the Bus implementation named by settings (`DULUAN_BUS=embedded|kafka`)."""

from __future__ import annotations

from duluan.core.settings import Settings, get_settings
from streaming.bus import Bus


def make_bus(settings: Settings | None = None) -> Bus:
    settings = settings or get_settings()
    if settings.bus == "kafka":
        from streaming.kafka_bus import KafkaBus

        return KafkaBus.from_settings(settings)
    from streaming.embedded_bus import EmbeddedBus

    return EmbeddedBus.from_settings(settings)
