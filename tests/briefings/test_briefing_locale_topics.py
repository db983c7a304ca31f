"""A briefing names topics as the dashboard does (one table, nlp.lexicon.TOPIC_NAMES)."""

from __future__ import annotations

import pytest

from duluan.briefings.locale import topic_name
from nlp.lexicon import TOPIC_IDS, TOPIC_NAMES


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_topic_has_the_dashboards_name(lang: str) -> None:
    for topic in TOPIC_IDS:
        assert topic_name(topic, lang) == TOPIC_NAMES[topic][lang]  # type: ignore[arg-type]
    assert topic_name("society", "vi") == "Thời sự"


def test_an_unknown_label_is_shown_as_is() -> None:
    assert topic_name("not-a-topic", "vi") == "not-a-topic"
