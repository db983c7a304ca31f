"""The metadata database: small transactional tables on SQLAlchemy Core, versioned by Alembic.

`DULUAN_META_URL` picks it: a PostgreSQL URL (`postgresql+psycopg://...`) for deployments with
more than one process or machine; none (the default) is the embedded SQLite file: the SQLite
store's own file, or `DATA_DIR/<META_DB_NAME>` beside an Elasticsearch store.

An embedded SQLite file is upgraded on open (as the old `CREATE TABLE IF NOT EXISTS` did); a
server database is only checked, and a schema behind the code raises `SchemaBehind`, which
names `duluan db upgrade`: replicas must not race each other through DDL on startup.
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, CursorResult, Engine, make_url

from duluan.core.logging import get_logger
from duluan.core.settings import Settings

log = get_logger(__name__)

META_DB_NAME = "duluan-meta.db"
MIGRATIONS = "duluan.meta:migrations"
DIALECTS = ("sqlite", "postgresql")
UPGRADE_HINT = "run `duluan db upgrade` (same settings) once, then start again"
_LOCK_ID = zlib.crc32(b"duluan-meta-migrations")  # PostgreSQL advisory lock of `upgrade`


class SchemaBehind(RuntimeError):
    """The metadata database is at an older revision than this code (or unversioned)."""


def meta_db_path(settings: Settings | None = None, store: Any = None) -> Path:
    """The SQLite file holding metadata tables beside `store` (or the one settings would open)."""
    store_path = getattr(store, "path", None)
    if isinstance(store_path, Path | str):  # the SQLite store; Elasticsearch has no file
        return Path(store_path)
    if settings is None:
        from duluan.core.settings import get_settings

        settings = get_settings()
    if settings.store == "sqlite" and store is None:
        return settings.resolved_store_path
    return settings.data_dir / META_DB_NAME


def meta_url(settings: Settings | None = None, store: Any = None) -> str:
    """`DULUAN_META_URL`, else the SQLite default file as an SQLAlchemy URL."""
    if settings is not None and settings.meta_url:
        return settings.meta_url
    return sqlite_url(meta_db_path(settings, store))


def sqlite_url(path: Path | str) -> str:
    return sa.URL.create("sqlite", database=str(path)).render_as_string()


def redact(url: str) -> str:
    """The URL for logs and messages: the password masked."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparsable url>"


class MetaDB:
    """One engine over the metadata database, its schema checked (or upgraded) on open.

    Thread-safe (a connection pool); share one per process (the Container does). `read()` and
    `write()` give a connection inside a transaction; on SQLite `write()` starts it with
    BEGIN IMMEDIATE, so a read-then-write never meets a lock upgrade it cannot wait for.
    """

    def __init__(
        self,
        target: str | Path,
        *,
        upgrade: bool | None = None,
        check: bool = True,
        key_base: Path | None = None,
    ) -> None:
        """`target`: a URL or a SQLite file path. `upgrade`: migrate on open (None: only an
        embedded SQLite file); `check`: refuse a schema behind the code (the `db` CLI opens
        unchecked). `key_base`: where a server database's generated secret key file goes."""
        text = str(target)
        url = make_url(text if "://" in text else sqlite_url(text))
        if url.get_backend_name() not in DIALECTS:
            raise ValueError(f"metadata database must be SQLite or PostgreSQL, not {redact(text)}")
        self.url = url
        self.is_sqlite = url.get_backend_name() == "sqlite"
        self.path: Path | None = None
        if self.is_sqlite:
            if not url.database or url.database == ":memory:":
                raise ValueError("the metadata database needs a file (sqlite:///path)")
            self.path = Path(url.database)
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.key_base = self.path or key_base or Path("var") / "meta-secrets"
        self.engine = self._engine()
        self._closed = False
        if upgrade is None:
            upgrade = self.is_sqlite
        try:
            if upgrade:
                self.upgrade()
            elif check:
                self.check()
        except BaseException:
            self.engine.dispose()
            raise

    def _engine(self) -> Engine:
        if not self.is_sqlite:
            return sa.create_engine(
                self.url, pool_pre_ping=True, pool_size=5, max_overflow=10, pool_recycle=1800
            )
        engine = sa.create_engine(self.url, connect_args={"timeout": 30.0})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # transactions are begun below, not by pysqlite
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA journal_mode=WAL")  # readers never wait for the one writer
            cur.execute("PRAGMA secure_delete=ON")  # freed pages (old plain secrets) are zeroed
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            write = conn.get_execution_options().get("meta_write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

        return engine

    # -- transactions --------------------------------------------------------------------------

    def _connect(self) -> Connection:
        if self._closed:
            raise RuntimeError("the metadata database is closed")
        return self.engine.connect()

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self._connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction that commits on success; on SQLite it holds the write lock from BEGIN."""
        with self._connect() as conn:
            conn.execution_options(meta_write=True)
            with conn.begin():
                yield conn

    def rows(self, stmt: sa.Executable) -> list[sa.Row[Any]]:
        with self.read() as conn:
            return list(conn.execute(stmt))

    def run(self, stmt: sa.Executable) -> CursorResult[Any]:
        """One write statement in its own transaction; the result's rowcount stays readable."""
        with self.write() as conn:
            return conn.execute(stmt)

    def insert(self, table: sa.Table) -> Any:
        """The dialect's INSERT (with `on_conflict_do_update` / `_do_nothing`)."""
        return sqlite.insert(table) if self.is_sqlite else postgresql.insert(table)

    def upsert(
        self,
        conn: Connection,
        table: sa.Table,
        values: Mapping[str, Any],
        keys: Sequence[str],
        update: Sequence[str] = (),
    ) -> CursorResult[Any]:
        """INSERT ... ON CONFLICT (keys) DO UPDATE SET update (or DO NOTHING without any)."""
        ins = self.insert(table).values(**values)
        if update:
            stmt = ins.on_conflict_do_update(
                index_elements=list(keys), set_={c: ins.excluded[c] for c in update}
            )
        else:
            stmt = ins.on_conflict_do_nothing(index_elements=list(keys))
        return conn.execute(stmt)

    # -- migrations ----------------------------------------------------------------------------

    def _alembic(self, conn: Connection | None = None) -> Any:
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", MIGRATIONS)
        cfg.set_main_option(
            "sqlalchemy.url", self.url.render_as_string(hide_password=False).replace("%", "%%")
        )
        if conn is not None:
            cfg.attributes["connection"] = conn
        return cfg

    def head(self) -> str:
        """The newest revision this code knows."""
        return _head(self._alembic())

    def current(self) -> str | None:
        """The database's revision (None: never migrated)."""
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def check(self) -> None:
        """Raise SchemaBehind unless the database is at this code's head revision."""
        current, head = self.current(), self.head()
        if current != head:
            raise SchemaBehind(
                f"metadata database {redact(str(self.url))} is at revision "
                f"{current or 'none (never migrated)'}, this version needs {head}: {UPGRADE_HINT}"
            )

    def upgrade(self, revision: str = "head") -> tuple[str | None, str | None]:
        """Migrate to `revision` under a lock (one upgrader at a time); returns (before, after).

        A file written before migrations existed (tables, no `alembic_version`) is adopted:
        the baseline creates only the tables it lacks, so its rows stay as they are.
        """
        from alembic import command
        from alembic.runtime.migration import MigrationContext

        if revision == "head" and self._at_head():
            return self.head(), self.head()
        with self.engine.connect() as conn:
            conn.execution_options(meta_write=True)
            with conn.begin():
                if not self.is_sqlite:
                    conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_ID})
                before = MigrationContext.configure(conn).get_current_revision()
                if before is None:
                    existing = set(sa.inspect(conn).get_table_names()) & set(_BASELINE)
                    if existing:
                        log.info(
                            "meta.adopting_unversioned_schema",
                            url=redact(str(self.url)),
                            tables=sorted(existing),
                        )
                command.upgrade(self._alembic(conn), revision)
                after = MigrationContext.configure(conn).get_current_revision()
        if before != after:
            log.info("meta.upgraded", url=redact(str(self.url)), before=before, after=after)
        return before, after

    def _at_head(self) -> bool:
        try:
            return self.current() == self.head()
        except Exception:
            return False

    def close(self) -> None:
        self._closed = True
        self.engine.dispose()

    def __enter__(self) -> MetaDB:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_BASELINE = (
    "api_keys",
    "alert_subscriptions",
    "alert_events",
    "alert_deliveries",
    "insights_state",
    "watchlists",
    "briefing_schedules",
    "briefing_deliveries",
    "feedback_campaigns",
)
_heads: dict[str, str] = {}
_heads_lock = threading.Lock()


def _head(cfg: Any) -> str:
    """The head revision, read once per process (the scripts ship with the code)."""
    with _heads_lock:
        if MIGRATIONS not in _heads:
            from alembic.script import ScriptDirectory

            head = ScriptDirectory.from_config(cfg).get_current_head()
            if head is None:
                raise RuntimeError("no metadata migrations found")
            _heads[MIGRATIONS] = head
        return _heads[MIGRATIONS]


def open_meta(db: MetaDB | Path | str) -> tuple[MetaDB, bool]:
    """(database, owned): a given MetaDB is shared; a path or URL opens one the caller owns."""
    if isinstance(db, MetaDB):
        return db, False
    return MetaDB(db), True


class MetaRepository:
    """Base of the small repositories: a MetaDB (shared, or opened from a path or URL)."""

    def __init__(self, db: MetaDB | Path | str) -> None:
        self._db, self._owns_db = open_meta(db)
        self.path = self._db.path  # the SQLite file, None on a server database

    @property
    def db(self) -> MetaDB:
        return self._db

    def close(self) -> None:
        if self._owns_db:
            self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
