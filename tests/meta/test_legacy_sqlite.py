"""A metadata file written before migrations existed (the hand-written repositories' DDL,
copied here verbatim, and their rows) is adopted in place: versioned at head, rows intact,
plain-text webhook secrets sealed; an older per-source crawl state file is imported once."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from crawlers.state import CrawlState
from duluan.apikeys.repository import hash_key
from duluan.container import Container
from duluan.core.settings import Settings
from duluan.meta.database import MetaDB
from duluan.meta.source_runs import SourceRunRepository

# The schema as duluan wrote it before duluan/meta/migrations (one script per repository).
LEGACY_DDL = """
CREATE TABLE IF NOT EXISTS api_keys (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, scope TEXT NOT NULL, hash TEXT NOT NULL,
  created_at TEXT NOT NULL, last_used_at TEXT, revoked_at TEXT
);
CREATE TABLE IF NOT EXISTS alert_subscriptions (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, enabled INTEGER NOT NULL, body TEXT NOT NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL, last_fired_at TEXT,
  last_evaluated_at TEXT, last_status TEXT, last_detail TEXT
);
CREATE TABLE IF NOT EXISTS alert_events (
  id TEXT PRIMARY KEY, subscription_id TEXT NOT NULL, fired_at TEXT NOT NULL,
  rule_type TEXT NOT NULL, summary TEXT NOT NULL, test INTEGER NOT NULL DEFAULT 0,
  body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alert_events_sub ON alert_events(subscription_id, fired_at);
CREATE TABLE IF NOT EXISTS alert_deliveries (
  id INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT, subscription_id TEXT,
  channel TEXT NOT NULL, target TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL,
  status_code INTEGER, error TEXT, test INTEGER NOT NULL DEFAULT 0, started_at TEXT NOT NULL,
  finished_at TEXT
);
CREATE INDEX IF NOT EXISTS alert_deliveries_sub ON alert_deliveries(subscription_id, id);
CREATE INDEX IF NOT EXISTS alert_deliveries_event ON alert_deliveries(event_id);
CREATE TABLE IF NOT EXISTS insights_state (
  name TEXT PRIMARY KEY, body TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS watchlists (
  id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, owner TEXT, body TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS watchlists_owner ON watchlists(owner);
CREATE TABLE IF NOT EXISTS feedback_campaigns (
  id TEXT PRIMARY KEY, slug TEXT NOT NULL UNIQUE, body TEXT NOT NULL, created_at TEXT NOT NULL
);
"""  # briefing_schedules / briefing_deliveries left out: a file may lack some tables

PLAIN_KEY = "dlk_0a1b2c3d_" + "k" * 43
WATCHLIST = {
    "id": "w1",
    "name": "giá xăng",
    "query": "xăng",
    "owner": None,
    "created_at": "2026-11-01T00:00:00+00:00",
}
SUBSCRIPTION = {
    "id": "s1",
    "name": "xăng",
    "enabled": True,
    "created_at": "2026-11-01T00:00:00+00:00",
    "targets": [
        {
            "type": "webhook",
            "url": "https://hooks.example/x?token=t",
            "secret": "plain-old-secret-0123456789",
        }
    ],
}


def write_legacy_file(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.executescript(LEGACY_DDL)
    conn.execute(
        "INSERT INTO api_keys (id, name, scope, hash, created_at) VALUES (?,?,?,?,?)",
        ("0a1b2c3d", "ci", "admin", hash_key(PLAIN_KEY, "pep"), "2026-11-01T00:00:00+00:00"),
    )
    conn.execute(
        "INSERT INTO watchlists (id, name, owner, body, created_at) VALUES (?,?,?,?,?)",
        ("w1", "giá xăng", None, json.dumps(WATCHLIST), WATCHLIST["created_at"]),
    )
    conn.execute(
        "INSERT INTO alert_subscriptions (id, name, enabled, body, created_at, updated_at,"
        " last_fired_at) VALUES (?,?,?,?,?,?,?)",
        (
            "s1",
            "xăng",
            1,
            json.dumps(SUBSCRIPTION),
            SUBSCRIPTION["created_at"],
            SUBSCRIPTION["created_at"],
            "2026-11-30T10:00:00+00:00",
        ),
    )
    conn.execute(
        "INSERT INTO alert_deliveries (event_id, subscription_id, channel, target, status,"
        " attempts, started_at) VALUES ('e1', 's1', 'webhook', 'hooks.example', 'delivered', 1,"
        " '2026-11-30T10:00:01+00:00')"
    )
    conn.commit()
    conn.close()


def test_an_unversioned_file_is_adopted_with_its_rows(tmp_path: Path) -> None:
    data = tmp_path / "var"
    data.mkdir()
    write_legacy_file(data / "duluan.db")
    settings = Settings(data_dir=data, api_key_pepper="pep", secret_key="k" * 40)
    with Container(settings) as c:
        assert c.meta.current() == c.meta.head()
        found = c.keys.verify(PLAIN_KEY)
        assert found is not None and found.scope == "admin"
        assert c.watchlists.get("giá xăng") is not None
        sub = c.alerts.get_subscription("s1")
        assert sub is not None and sub.last_fired_at is not None
        assert sub.targets[0].secret == "plain-old-secret-0123456789"  # type: ignore[union-attr]
        assert [d.event_id for d in c.alerts.list_deliveries("s1")] == ["e1"]
        c.schedules.list()  # the tables the file lacked were created
        c.alerts.save_state("x", "{}")
    raw = sqlite3.connect(data / "duluan.db")
    body = raw.execute("SELECT body FROM alert_subscriptions").fetchone()[0]
    assert "plain-old-secret" not in body and "token=t" not in body  # sealed on open
    names = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"briefing_schedules", "crawl_seen", "alembic_version"} <= names
    raw.close()
    with MetaDB(data / "duluan.db") as again:  # reopening is a no-op
        assert again.upgrade() == (again.head(), again.head())
        assert again.rows(sa.text("SELECT count(*) FROM alert_deliveries"))[0][0] == 1


def test_an_old_crawl_state_file_is_imported_once(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var")
    old = settings.resolved_crawl_state_dir / "voz.sqlite"
    old.parent.mkdir(parents=True)
    conn = sqlite3.connect(old)
    conn.execute("CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated REAL)")
    conn.execute("CREATE TABLE seen (id TEXT PRIMARY KEY, at REAL NOT NULL)")
    conn.execute("INSERT INTO kv VALUES ('thread:9', '{\"page\": 3}', 1.0)")
    conn.executemany("INSERT INTO seen VALUES (?, 1.0)", [(f"voz:{i}",) for i in range(2500)])
    conn.commit()
    conn.close()
    state = CrawlState.for_settings(settings, "voz")
    assert state.count_seen() == 2500 and state.seen("voz:7")
    assert state.get("thread:9") == {"page": 3}
    state.close()
    assert not old.exists() and old.with_name("voz.sqlite.imported").exists()


def test_crawl_runs_of_an_older_sqlite_store_move_into_the_metadata_table(tmp_path: Path) -> None:
    """The SQLite store's file is also the embedded metadata database: the store's own
    `source_runs` table of versions before revision 0003 becomes the metadata table, rows kept."""
    path = tmp_path / "duluan.db"
    with MetaDB(path, upgrade=False, check=False) as old:
        old.upgrade("0002")
    conn = sqlite3.connect(path)
    conn.executescript(
        """CREATE TABLE IF NOT EXISTS source_runs (
  source TEXT NOT NULL, started_at REAL NOT NULL, finished_at REAL NOT NULL,
  items INTEGER NOT NULL, errors INTEGER NOT NULL, ok INTEGER NOT NULL, message TEXT
);
CREATE INDEX IF NOT EXISTS source_runs_source ON source_runs(source, finished_at);"""
    )
    conn.executemany(
        "INSERT INTO source_runs VALUES (?,?,?,?,?,?,?)",
        [("voz", 100.0, 160.0, 5, 0, 1, "finished"), ("voz", 200.0, 260.0, 0, 3, 0, None)],
    )
    conn.commit()
    conn.close()
    with MetaDB(path) as meta:
        assert meta.current() == meta.head()
        runs = SourceRunRepository(meta, retention_days=0).recent("voz")
        assert [(r.items, r.errors, r.ok, r.message) for r in runs] == [
            (0, 3, False, ""),
            (5, 0, True, "finished"),
        ]
        assert runs[1].finished_at == datetime.fromtimestamp(160.0, UTC)
        names = {ix["name"] for ix in sa.inspect(meta.engine).get_indexes("source_runs")}
        assert {"source_runs_source", "source_runs_finished"} <= names
        tables = set(sa.inspect(meta.engine).get_table_names())
        assert "source_runs_legacy" not in tables
    conn = sqlite3.connect(path)  # an older store still writing its runs keeps working
    conn.execute(
        "INSERT INTO source_runs(source, started_at, finished_at, items, errors, ok, message)"
        " VALUES ('voz', 300.0, 360.0, 1, 0, 1, 'old writer')"
    )
    conn.commit()
    conn.close()
    with MetaDB(path) as meta:
        assert SourceRunRepository(meta, retention_days=0).recent("voz")[0].message == "old writer"
