"""Leases in the metadata database: one holder at a time per name, for a bounded time, so that
replicas on several machines split work (a crawl per source) without a coordinator."""

from __future__ import annotations

import os
import socket
import time
import uuid

import sqlalchemy as sa

from duluan.meta.database import MetaDB
from duluan.meta.tables import leases


def holder_id() -> str:
    """Who holds a lease: host, process and a random suffix (two objects never share one)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Lease:
    """`acquire()` takes the row `name` if free, expired or already ours; `renew()` extends it
    while ours; `release()` frees it. Expiry uses each machine's clock: keep clocks in NTP sync
    and `ttl_s` far above their skew."""

    def __init__(self, db: MetaDB, name: str, ttl_s: float, holder: str | None = None) -> None:
        self.db, self.name, self.ttl_s = db, name, ttl_s
        self.holder = holder or holder_id()

    def acquire(self) -> bool:
        now = time.time()
        values = {
            "name": self.name,
            "holder": self.holder,
            "acquired_at": now,
            "expires_at": now + self.ttl_s,
        }
        with self.db.write() as conn:
            if self.db.upsert(conn, leases, values, ["name"]).rowcount == 1:
                return True
            taken = conn.execute(
                leases.update()
                .where(
                    leases.c.name == self.name,
                    sa.or_(leases.c.expires_at < now, leases.c.holder == self.holder),
                )
                .values(holder=self.holder, acquired_at=now, expires_at=now + self.ttl_s)
            )
            return taken.rowcount == 1

    def renew(self) -> bool:
        """Extend the lease; False if it was lost (expired and taken by another holder)."""
        stmt = (
            leases.update()
            .where(leases.c.name == self.name, leases.c.holder == self.holder)
            .values(expires_at=time.time() + self.ttl_s)
        )
        return self.db.run(stmt).rowcount == 1

    def release(self) -> None:
        self.db.run(
            leases.delete().where(leases.c.name == self.name, leases.c.holder == self.holder)
        )

    def current_holder(self) -> str | None:
        """The live holder (None: free or expired)."""
        rows = self.db.rows(
            sa.select(leases.c.holder).where(
                leases.c.name == self.name, leases.c.expires_at >= time.time()
            )
        )
        return str(rows[0].holder) if rows else None
