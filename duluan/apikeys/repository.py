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
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa

from duluan.meta.database import MetaDB, MetaRepository
from duluan.meta.tables import api_keys

Scope = Literal["read", "admin"]
SCOPES: tuple[Scope, ...] = ("read", "admin")
KEY_PATTERN = re.compile(r"^dlk_([0-9a-f]{8})_([A-Za-z0-9_-]{20,100})$")


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


class ApiKeyRepository(MetaRepository):
    """The `api_keys` table in the metadata database; thread-safe (a connection pool)."""

    def __init__(self, db: MetaDB | Path | str, pepper: str = "") -> None:
        super().__init__(db)
        self._pepper = pepper
        self._touched: dict[str, float] = {}

    def create(self, name: str, scope: Scope = "read") -> tuple[ApiKey, str]:
        """A new key: returns the record and the plain key (shown once, never stored)."""
        if scope not in SCOPES:
            raise ValueError(f"scope must be one of {', '.join(SCOPES)}")
        key_id = secrets.token_hex(4)
        plain = f"dlk_{key_id}_{secrets.token_urlsafe(32)}"
        created = _now()
        self.db.run(
            api_keys.insert().values(
                id=key_id,
                name=name,
                scope=scope,
                hash=hash_key(plain, self._pepper),
                created_at=created,
            )
        )
        return ApiKey(id=key_id, name=name, scope=scope, created_at=created), plain

    def verify(self, plain: str) -> ApiKey | None:
        """The key's record if `plain` is a live key, else None (constant-time compare)."""
        match = KEY_PATTERN.match(plain.strip())
        if not match:
            return None
        rows = self.db.rows(sa.select(api_keys).where(api_keys.c.id == match.group(1)))
        row = rows[0] if rows else None
        if row is None or row.revoked_at is not None:
            return None
        if not hmac.compare_digest(row.hash, hash_key(plain.strip(), self._pepper)):
            return None
        self._touch(row.id)
        return self._key(row)

    def _touch(self, key_id: str) -> None:
        """Record use at most once a minute per key (no write per request)."""
        now = time.monotonic()
        if now - self._touched.get(key_id, -1e9) < 60:
            return
        self._touched[key_id] = now
        self.db.run(api_keys.update().where(api_keys.c.id == key_id).values(last_used_at=_now()))

    def list(self, include_revoked: bool = False) -> list[ApiKey]:
        stmt = sa.select(api_keys)
        if not include_revoked:
            stmt = stmt.where(api_keys.c.revoked_at.is_(None))
        rows = self.db.rows(stmt.order_by(api_keys.c.created_at, api_keys.c.id))
        return [self._key(r) for r in rows]

    def revoke(self, key_id: str) -> bool:
        stmt = (
            api_keys.update()
            .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
            .values(revoked_at=_now())
        )
        return self.db.run(stmt).rowcount > 0

    @staticmethod
    def _key(row: Any) -> ApiKey:
        return ApiKey(
            id=row.id,
            name=row.name,
            scope=row.scope,
            created_at=row.created_at,
            last_used_at=row.last_used_at,
            revoked_at=row.revoked_at,
        )
