"""The API answers store errors by kind: a refused query 400, a store away 503, a refusal 502."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from duluan.core.query import SearchQuery
from duluan.core.settings import Settings
from duluan.storage.base import StoreError, StoreRejected, StoreUnavailable
from duluan.storage.sqlite.store import SQLiteStore


class FailingStore(SQLiteStore):
    """Counts fail with the error in `fail_with` (the rest of the store works)."""

    fail_with: StoreError | None = None

    def count(self, query: SearchQuery) -> int:
        if self.fail_with is not None:
            raise self.fail_with
        return super().count(query)


def test_store_errors_map_to_status_codes(tmp_path: Path) -> None:
    store = FailingStore(tmp_path / "s.db")
    settings = Settings(data_dir=tmp_path / "var")
    with TestClient(create_app(settings, store=store)) as client:
        r = client.get("/v1/search", params={"q": "\x00NEAR"})  # FTS5 refuses what it compiles to
        if r.status_code != 200:  # (a compiler fix may make it harmless: then 200 is right)
            assert r.status_code == 400 and "invalid query" in r.json()["detail"]
        cases: Sequence[tuple[StoreError, int]] = [
            (StoreUnavailable("node away"), 503),
            (StoreError("unclassified"), 503),
            (StoreRejected("403 forbidden"), 502),
        ]
        for error, status in cases:
            store.fail_with = error
            r = client.get("/v1/search/dry-run", params={"q": "xăng"})
            assert r.status_code == status, (error, r.text)
            if status == 503:
                assert r.headers["retry-after"] == "5"
    store.close()
