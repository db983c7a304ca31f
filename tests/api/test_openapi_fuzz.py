"""Schemathesis against the OpenAPI schema: no 500s, and every 4xx says what is wrong.

Bounded (a few examples per operation, no shrinking) to stay under a minute: every check
schemathesis has, anonymous and with an admin key.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from api.app import create_app
from duluan.core.settings import Settings
from duluan.storage.sqlite.store import SQLiteStore
from tests.api.conftest import key_headers, make_post

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


_ADMIN = key_headers(_APP)
# Two checks judge what a schema cannot say here, so they stay out (known gaps, issue 17):
# positive_data_acceptance flags semantic 400s/404s on schema-valid input (query grammar and
# budget, `since` before `until`, cursors, unknown ids), and negative_data_rejection flags
# pydantic's lax input (extra keys ignored, 0 read as false) on the alert bodies.
_NOT_IN_SCHEMA = [positive_data_acceptance, negative_data_rejection]


@schema.exclude(path="/v1/live").exclude(path="/metrics").parametrize()  # Prometheus text
@settings(
    max_examples=4,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
@pytest.mark.parametrize("as_admin", [False, True], ids=["anonymous", "admin"])
def test_no_server_errors_and_the_schema_tells_the_truth(
    case: schemathesis.Case, as_admin: bool
) -> None:
    """Every schemathesis check (status codes, content types, response and error bodies, no
    5xx, ...), once without a key and once with an admin key (issue 17)."""
    headers = dict(_ADMIN) if as_admin else {}
    response = case.call_and_validate(headers=headers, excluded_checks=_NOT_IN_SCHEMA)
    assert response.status_code < 500, f"{case.method} {case.path}: {response.text[:300]}"
    if 400 <= response.status_code < 500:
        detail = response.json().get("detail")
        assert isinstance(detail, str) and detail.strip(), response.text[:300]
