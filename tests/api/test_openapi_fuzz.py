"""Schemathesis against the OpenAPI schema: no 500s, and every 4xx says what is wrong.

Bounded (a few examples per operation, no shrinking) to stay well under a minute.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings

from api.app import create_app
from duluan.core.settings import Settings
from duluan.storage.sqlite.store import SQLiteStore
from tests.api.conftest import make_post

pytestmark = pytest.mark.slow

_DB = Path(tempfile.mkdtemp(prefix="duluan-fuzz-")) / "fuzz.db"
_STORE = SQLiteStore(_DB)
_NOW = datetime.now(UTC)
_STORE.upsert(
    [
        make_post(["xăng", f"từ{i}"], at=_NOW - timedelta(hours=i), entities=["EVN"])
        for i in range(30)
    ]
)
_APP = create_app(
    Settings(data_dir=_DB.parent, api_rate_limit_per_minute=0, api_live_poll_s=0.05), store=_STORE
)
schema = schemathesis.openapi.from_asgi("/openapi.json", _APP)


@schema.exclude(path="/v1/live").parametrize()
@settings(
    max_examples=6,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_no_server_errors_and_clear_4xx(case: schemathesis.Case) -> None:
    response = case.call()
    assert response.status_code < 500, f"{case.method} {case.path}: {response.text[:300]}"
    if 400 <= response.status_code < 500:
        detail = response.json().get("detail")
        assert isinstance(detail, str) and detail.strip(), response.text[:300]
