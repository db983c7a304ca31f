"""API keys: random tokens shown once, stored only as a peppered SHA-256, with a scope.

A key reads `dlk_<id>_<secret>` (id: 8 hex characters, secret: 32 URL-safe bytes). The table
keeps the id, a name, the scope (`read` or `admin`; admin implies read), an HMAC-SHA256 of the
whole key under the pepper (setting `api_key_pepper`, from the environment) and timestamps.
A fast hash is enough here: the secret is 256 random bits, so there is nothing to brute-force,
and a slow KDF would cost every request tens of milliseconds.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from duluan.meta.database import open_meta_db

Scope = Literal["read", "admin"]
SCOPES: tuple[Scope, ...] = ("read", "admin")
KEY_PATTERN = re.compile(r"^dlk_([0-9a-f]{8})_([A-Za-z0-9_-]{20,100})$")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  scope TEXT NOT NULL,
  hash TEXT NOT NULL,
  created_at TEXT NOT NULL,
  last_used_at TEXT,
  revoked_at TEXT
);
"""


@dataclass(frozen=True)
class ApiKey:
    """A stored key (never the secret itself)."""

    id: str
    name: str
    scope: Scope
    created_at: str
    last_used_at: str | None = None
    revoked_at: str | None = None

    def allows(self, needed: Scope) -> bool:
        return self.revoked_at is None and (self.scope == "admin" or needed == "read")


def hash_key(key: str, pepper: str = "") -> str:
    """Hex HMAC-SHA256 of the whole key under the pepper."""
    return hmac.new(pepper.encode(), key.encode(), hashlib.sha256).hexdigest()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class ApiKeyRepository:
    """The `api_keys` table in the metadata SQLite file; thread-safe, one connection."""

    def __init__(self, path: Path | str, pepper: str = "") -> None:
        self.path = Path(path)
        self._pepper = pepper
        self._lock = threading.Lock()
        self._conn = open_meta_db(path, _SCHEMA)
        self._touched: dict[str, float] = {}

    def create(self, name: str, scope: Scope = "read") -> tuple[ApiKey, str]:
        """A new key: returns the record and the plain key (shown once, never stored)."""
        if scope not in SCOPES:
            raise ValueError(f"scope must be one of {', '.join(SCOPES)}")
        key_id = secrets.token_hex(4)
        plain = f"dlk_{key_id}_{secrets.token_urlsafe(32)}"
        created = _now()
        with self._lock:
            self._conn.execute(
                "INSERT INTO api_keys (id, name, scope, hash, created_at) VALUES (?, ?, ?, ?, ?)",
                (key_id, name, scope, hash_key(plain, self._pepper), created),
            )
        return ApiKey(id=key_id, name=name, scope=scope, created_at=created), plain

    def verify(self, plain: str) -> ApiKey | None:
        """The key's record if `plain` is a live key, else None (constant-time compare)."""
        match = KEY_PATTERN.match(plain.strip())
        if not match:
            return None
        with self._lock:
            row = self._conn.execute(
                "SELECT * FROM api_keys WHERE id = ?", (match.group(1),)
            ).fetchone()
        if row is None or row["revoked_at"] is not None:
            return None
        if not hmac.compare_digest(row["hash"], hash_key(plain.strip(), self._pepper)):
            return None
        self._touch(row["id"])
        return self._key(row)

    def _touch(self, key_id: str) -> None:
        """Record use at most once a minute per key (no write per request)."""
        now = time.monotonic()
        if now - self._touched.get(key_id, -1e9) < 60:
            return
        self._touched[key_id] = now
        with self._lock:
            self._conn.execute(
                "UPDATE api_keys SET last_used_at = ? WHERE id = ?", (_now(), key_id)
            )

    def list(self, include_revoked: bool = False) -> list[ApiKey]:
        sql = "SELECT * FROM api_keys"
        if not include_revoked:
            sql += " WHERE revoked_at IS NULL"
        with self._lock:
            rows = self._conn.execute(sql + " ORDER BY created_at, id").fetchall()
        return [self._key(r) for r in rows]

    def revoke(self, key_id: str) -> bool:
        with self._lock:
            cur = self._conn.execute(
                "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                (_now(), key_id),
            )
        return cur.rowcount > 0

    @staticmethod
    def _key(row: sqlite3.Row) -> ApiKey:
        return ApiKey(
            id=row["id"],
            name=row["name"],
            scope=row["scope"],
            created_at=row["created_at"],
            last_used_at=row["last_used_at"],
            revoked_at=row["revoked_at"],
        )

    def close(self) -> None:
        with self._lock:
            self._conn.close()
