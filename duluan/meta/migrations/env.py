"""Alembic environment: the connection `MetaDB.upgrade` hands over, else the URL from Settings.

`duluan db upgrade` is the usual way in; plain `alembic` with `script_location =
duluan.meta:migrations` works too and reads `DULUAN_META_URL` (or the SQLite default).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from duluan.meta.tables import metadata

config = context.config


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from duluan.core.settings import get_settings
    from duluan.meta.database import meta_url

    return meta_url(get_settings())


def run_migrations_offline() -> None:
    """Emit SQL for review (`alembic upgrade --sql`)."""
    url = _url()
    context.configure(
        url=url,
        target_metadata=metadata,
        literal_binds=True,
        render_as_batch=url.startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    given = config.attributes.get("connection")
    if given is not None:
        context.configure(
            connection=given,
            target_metadata=metadata,
            render_as_batch=given.dialect.name == "sqlite",  # SQLite alters tables by copy
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = sa.create_engine(_url())
    try:
        with engine.connect() as conn:
            context.configure(
                connection=conn,
                target_metadata=metadata,
                render_as_batch=conn.dialect.name == "sqlite",
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
