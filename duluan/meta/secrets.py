"""Webhook secrets and URLs inside a metadata table's JSON `body`: sealed on save, opened on
read, and stale rows (plain text from older versions, or an older key) re-sealed on open."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from duluan.core.logging import get_logger
from duluan.core.secretbox import (
    UNREADABLE_SECRET,
    UNREADABLE_URL,
    SecretBox,
    SecretKeyError,
    _sealed,
    webhook_targets,
)
from duluan.meta.database import MetaDB

log = get_logger(__name__)


class BodySecrets:
    """The secrets of one table's `body` column (alert subscriptions, briefing schedules)."""

    def __init__(
        self,
        box: SecretBox,
        db: MetaDB,
        table: sa.Table,
        id_name: str,
        remedy: str,
        logger: Any = None,
    ) -> None:
        self.box, self.db, self.table = box, db, table
        self.id_name, self.remedy = id_name, remedy
        self.log = logger or log  # the owner's logger: its events keep their usual source
        self._unreadable: set[str] = set()

    def _stale(self, data: dict[str, Any]) -> bool:
        try:
            return any(
                self.box.needs_update(t[f]) for t in webhook_targets(data) for f in _sealed(t)
            )
        except SecretKeyError:
            return False  # undecryptable under every key: left as is, reported on read

    def migrate(self) -> int:
        """Encrypt plain-text secrets (older rows), or re-encrypt under the current key."""
        t = self.table
        rows = self.db.rows(sa.select(t.c.id, t.c.body))
        stale = [r.id for r in rows if self._stale(json.loads(r.body))]
        if not stale:
            return 0
        migrated = 0
        with self.db.write() as conn:
            for row_id in stale:  # re-read inside the transaction: no lost concurrent update
                found = conn.execute(
                    sa.select(t.c.body).where(t.c.id == row_id).with_for_update()
                ).first()
                data = json.loads(found.body) if found else {}
                if not self._stale(data):
                    continue
                for target in webhook_targets(data):
                    for f in _sealed(target):
                        if self.box.needs_update(target[f]):
                            target[f] = self.box.reencrypt(target[f])
                conn.execute(
                    t.update()
                    .where(t.c.id == row_id)
                    .values(body=json.dumps(data, ensure_ascii=False))
                )
                migrated += 1
        if migrated:
            self.log.info(
                "encrypted stored webhook secrets",
                table=t.name,
                **{t.name.split("_")[-1]: migrated},
            )
        return migrated

    def encrypt(self, data: dict[str, Any]) -> None:
        for target in webhook_targets(data):
            for f in _sealed(target):
                target[f] = self.box.encrypt(target[f])

    def decrypt(self, row_id: str, data: dict[str, Any]) -> None:
        """Decrypt in place (legacy plain text passes); an unreadable secret becomes
        UNREADABLE_SECRET, which senders refuse, and is logged once per row."""
        for target in webhook_targets(data):
            try:
                target["secret"] = self.box.decrypt(target["secret"])
                if isinstance(target.get("url"), str):
                    target["url"] = self.box.decrypt(target["url"])
            except SecretKeyError:
                target["url"] = (
                    UNREADABLE_URL
                    if SecretBox.is_encrypted(target.get("url") or "")
                    else target.get("url")
                )
                if row_id not in self._unreadable:
                    self._unreadable.add(row_id)
                    self.log.error(
                        "webhook secret cannot be decrypted: deliveries to it are refused "
                        f"until {self.remedy} (was DULUAN_SECRET_KEY or the key file changed?)",
                        **{self.id_name: row_id},
                    )
                target["secret"] = UNREADABLE_SECRET
