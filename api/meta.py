"""Where this deployment keeps its metadata tables (alerts, API keys): a SQLite file.

With the SQLite store it is the store's own file (WAL: the API, the pipeline and `duluan alerts`
share it); with Elasticsearch, which has no file, it is DATA_DIR/duluan-meta.db.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.settings import Settings

META_DB_NAME = "duluan-meta.db"


def meta_db_path(settings: Settings, store: Any = None) -> Path:
    """The SQLite file for metadata beside `store` (or the one `settings` would open)."""
    store_path = getattr(store, "path", None)
    if isinstance(store_path, Path | str):
        return Path(store_path)
    if settings.store == "sqlite" and store is None:
        return settings.resolved_store_path
    return settings.data_dir / META_DB_NAME
