"""Pick the Store implementation named by settings (`DULUAN_STORE=sqlite|elasticsearch`)."""

from __future__ import annotations

from duluan.core.settings import Settings, get_settings
from duluan.storage.base import Store


def make_store(settings: Settings | None = None) -> Store:
    settings = settings or get_settings()
    if settings.store == "elasticsearch":
        from duluan.storage.elasticsearch.store import ElasticsearchStore

        return ElasticsearchStore.from_settings(settings)
    from duluan.storage.sqlite.store import SQLiteStore

    return SQLiteStore.from_settings(settings)
