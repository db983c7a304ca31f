"""One Analyzer for the whole nlp test session (loading models is the slow part)."""

from __future__ import annotations

import pytest

from nlp import Analyzer


@pytest.fixture(scope="session")
def analyzer() -> Analyzer:
    return Analyzer.load()
