"""Schemathesis against the OpenAPI schema: no 500s, and every 4xx says what is wrong.

Every check schemathesis has, anonymous and with an admin key, on every operation in the
schema (the live feed and /metrics included). Bounded (a few examples per operation, no
shrinking) to stay around a minute; `DULUAN_FUZZ_EXAMPLES` asks for more when hunting.

Input the schema calls invalid must be refused (`negative_data_rejection`): request bodies are
strict and closed (duluan.core.inputs). Input the schema calls valid must be accepted
(`positive_data_acceptance`), except for the few rules a JSON schema cannot state, listed in
`_SEMANTIC` below with why; each status listed there is documented on that operation.
"""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.config import PositiveDataAcceptanceConfig, SchemathesisConfig

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
_ADMIN_KEY = key_headers(_APP)["Authorization"].removeprefix("Bearer ")

# Schema-valid input that is still refused, and why no JSON schema can say it. Nothing else
# is: a 400 or 422 anywhere else fails the test.
_QUERY = (
    "400: the query language's grammar and budget (nesting, terms, wildcards); `since` not "
    "before `until`"
)
_READS = {  # every read that takes `q`, the filters and `since` / `until` (api.deps)
    "GET /v1/search": _QUERY + "; a `cursor` not from `next_cursor`",
    "GET /v1/search/dry-run": _QUERY,
    "GET /v1/export": _QUERY,
    "GET /v1/timeline": _QUERY,
    "GET /v1/sentiment": _QUERY,
    "GET /v1/share-of-voice": _QUERY,
    "GET /v1/top/entities": _QUERY,
    "GET /v1/top/{field}": _QUERY,
    "GET /v1/sources": _QUERY,
    "GET /v1/live": _QUERY,
    "GET /v1/trends": _QUERY + "; a `window` outside 5m..7d",
}
_SEMANTIC: dict[str, tuple[list[str], str]] = {
    **{op: (["400"], why) for op, why in _READS.items()},
    "POST /v1/alerts": (
        ["400", "422"],
        "400: a webhook host that does not resolve, or resolves to an internal address, or a "
        "port out of range; 422: `query.q` that does not parse",
    ),
    "PATCH /v1/alerts/{alert_id}": (
        ["400", "422"],
        "400 and 422 as for POST /v1/alerts; 422 also: the alert the changes make does not "
        "validate",
    ),
    "POST /v1/alerts/dry-run": (["422"], "422: `query.q` that does not parse"),
    "POST /v1/watchlists": (["422"], "422: a query that does not parse; `since` before `until`"),
    "PATCH /v1/watchlists/{watchlist_id}": (
        ["400", "422"],
        "400: `since` / `until` that cross the stored span; 422: a query that does not parse",
    ),
    "POST /v1/briefings/schedules": (
        ["400"],
        "400: a time zone that is not an IANA zone on this machine; webhook hosts as for alerts",
    ),
    "GET /v1/watchlists/{watchlist_id}/brief": (
        ["400"],
        "400: `from` / `to` that are not dates or times, a period that ends before it starts or "
        "is longer than 400 days, `tz` that is not an IANA zone",
    ),
}


def _config(bearer: str | None) -> SchemathesisConfig:
    accepted = PositiveDataAcceptanceConfig().expected_statuses  # 2xx, 3xx, 401, 403, 404, ...
    operations: list[dict[str, Any]] = [
        {
            "include-name": name,
            "checks": {"positive_data_acceptance": {"expected-statuses": [*accepted, *extra]}},
        }
        for name, (extra, _why) in _SEMANTIC.items()
    ]
    # The live feed is an endless event stream: every call asks it to close after 50 ms (its own
    # `max_seconds`, so that one is never fuzzed) and reads at most 5 events. The timeout is a
    # safety net.
    operations.append(
        {
            "include-name": "GET /v1/live",
            "parameters": {"query.max_seconds": 0.05},
            "max-stream-events": 5,
            "request-timeout": 5,
        }
    )
    project: dict[str, Any] = {"operations": operations}
    if bearer is not None:
        project["auth"] = {"openapi": {"HTTPBearer": {"bearer": bearer}}}
    return SchemathesisConfig.from_dict(project)


anonymous = schemathesis.openapi.from_asgi("/openapi.json", _APP, config=_config(None))
admin = schemathesis.openapi.from_asgi("/openapi.json", _APP, config=_config(_ADMIN_KEY))


def _types(schema: dict[str, Any]) -> set[str]:
    found = {schema["type"]} if isinstance(schema.get("type"), str) else set()
    return found.union(*(_types(s) for s in schema.get("anyOf", [])))


def _is_array(schema: dict[str, Any]) -> bool:
    return "array" in _types(schema)


def _wire(value: Any) -> list[str]:
    """The strings a query parameter's value is sent as (requests' `params`, as schemathesis
    sends them: one `name=text` per element, booleans as true / false)."""
    if value == {}:
        return [""]
    values = list(value) if isinstance(value, list | dict) else [value]
    return [
        ("true" if v else "false") if isinstance(v, bool) else str(v)
        for v in values
        if v is not None
    ]


def map_query(ctx: Any, query: dict[str, Any] | None) -> dict[str, Any] | None:
    """A query string has only text: `?q=false&topic=5` is the string "false" and the array of
    strings ["5"], whatever schemathesis generated to be sent that way (a boolean, a number, a
    one-element list for a string, a lone value for an array) when testing that the server
    refuses invalid input. Its check judges the generated value, not the text sent, for arrays
    and for nullable strings (`anyOf`), and would report the server for accepting valid input:
    so string and array parameters are given as the text that goes on the wire. The request
    does not change."""
    if not query or ctx.operation is None:
        return query
    out = dict(query)
    for name, value in query.items():
        param = ctx.operation.query.get(name)
        if value is None or param is None:
            continue
        types = _types(param.definition["schema"])
        if "array" in types:
            out[name] = _wire(value)
        elif "string" in types and not isinstance(value, str) and len(_wire(value)) == 1:
            out[name] = _wire(value)[0]
    return out


def filter_case(ctx: Any, case: schemathesis.Case) -> bool:
    """Leaves out the negative cases schemathesis cannot judge: it reads `?source=` (one empty
    string) as the string "" even for an array parameter, where the server rightly reads
    `[""]`, and would report the server for accepting it."""
    if case.meta is None or not case.meta.generation.mode.is_negative or ctx.operation is None:
        return True
    return not any(
        value == [""] and _is_array(ctx.operation.query.get(name).definition.get("schema", {}))
        for name, value in (case.query or {}).items()
        if ctx.operation.query.get(name) is not None
    )


for _schema in (anonymous, admin):
    _schema.hook(map_query)
    _schema.hook(filter_case)
_EXAMPLES = int(os.environ.get("DULUAN_FUZZ_EXAMPLES", "4"))
_BOUNDED = settings(
    max_examples=_EXAMPLES,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def _check(case: schemathesis.Case) -> None:
    """Every schemathesis check (status codes, content types, response and error bodies, no
    5xx, schema-valid input accepted and invalid input refused, ...) plus: a 4xx says what is
    wrong in `detail`."""
    response = case.call_and_validate()
    assert response.status_code < 500, f"{case.method} {case.path}: {response.text[:300]}"
    if 400 <= response.status_code < 500:
        detail = response.json().get("detail")
        assert isinstance(detail, str) and detail.strip(), response.text[:300]


@anonymous.parametrize()
@_BOUNDED
def test_anonymous_calls_and_the_schema_tells_the_truth(case: schemathesis.Case) -> None:
    _check(case)


@admin.parametrize()
@_BOUNDED
def test_admin_calls_and_the_schema_tells_the_truth(case: schemathesis.Case) -> None:
    _check(case)


def test_every_exception_is_narrow_and_documented() -> None:
    """Each operation `_SEMANTIC` lets answer a 4xx to valid input exists and documents that
    status with its error body."""
    spec = _APP.openapi()
    for name, (extra, why) in _SEMANTIC.items():
        method, path = name.split(" ", 1)
        responses = spec["paths"][path][method.lower()]["responses"]
        for status in extra:
            assert status in why, (name, status)
            body = responses[status]["content"]["application/json"]["schema"]["$ref"]
            assert body.endswith(("/ErrorBody", "/ValidationErrorBody")), (name, status)
