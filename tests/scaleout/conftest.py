"""Scale-out fixtures: each test gets its own topics and index prefix on the real services."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scaleout_support import scaleout_settings

from duluan.core.settings import Settings
from duluan.storage.elasticsearch.store import ElasticsearchStore
from streaming.kafka_bus import KafkaBus


@pytest.fixture(scope="session")
def services(kafka_bootstrap: str, elasticsearch_url: str) -> tuple[str, str]:
    """Both real services (skips, or fails under DULUAN_REQUIRE_SERVICES=1, when one is down)."""
    return kafka_bootstrap, elasticsearch_url


@pytest.fixture
def stack(services: tuple[str, str]) -> Iterator[tuple[Settings, KafkaBus, ElasticsearchStore]]:
    settings = scaleout_settings(*services)
    bus = KafkaBus.from_settings(settings)
    store = ElasticsearchStore(
        settings.elasticsearch_url, settings.elasticsearch_index, retries=3, backoff=0.2
    )
    for topic in (settings.raw_topic, settings.enriched_topic, settings.dead_letter_topic):
        bus.ensure_topic(topic)
    yield settings, bus, store
    try:
        store.drop_all()
    finally:
        store.close()
        bus.close()
