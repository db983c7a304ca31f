"""Webhook secrets at rest: encrypted in the SQLite file, legacy plain rows migrated on open,
a generated 0600 key file when no key is configured, and a changed key handled loudly."""

from __future__ import annotations

import io
import json
import logging
import sqlite3
import stat
from pathlib import Path

import pytest

from duluan.alerts.models import EmailTarget, Subscription, WebhookTarget
from duluan.alerts.repository import AlertRepository
from duluan.core.logging import configure_logging
from duluan.core.secretbox import PREFIX, UNREADABLE_SECRET, key_file_for

SECRET = "plain-webhook-secret-0123456789"


def sub_with_hook(secret: str = SECRET) -> Subscription:
    return Subscription(
        name="xăng",
        targets=[
            WebhookTarget(url="https://hooks.example/a?token=t", secret=secret),
            EmailTarget(to=["an@example.com"]),
        ],
    )


def stored_secrets(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        bodies = [json.loads(b) for (b,) in conn.execute("SELECT body FROM alert_subscriptions")]
    return [t["secret"] for body in bodies for t in body["targets"] if t["type"] == "webhook"]


_LOG = io.StringIO()


@pytest.fixture(autouse=True)
def _logs_to_a_buffer() -> None:
    """Configure logging as the CLI does, onto a buffer this module reads (pytest's stream
    capture differs by mode and by what earlier tests configured)."""
    configure_logging("INFO", "console")
    _LOG.seek(0)
    _LOG.truncate()
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(_LOG)


def logged(capsys: pytest.CaptureFixture[str]) -> str:
    """What the process logged."""
    out = capsys.readouterr()
    return out.out + out.err + _LOG.getvalue()


def test_secrets_are_encrypted_in_the_file_and_decrypted_on_read(tmp_path: Path) -> None:
    db = tmp_path / "duluan.db"
    with AlertRepository(db, secret_key="a-long-random-server-key-for-tests") as repo:
        saved = repo.save_subscription(sub_with_hook())
        assert saved.targets[0].secret == SECRET  # type: ignore[union-attr]
        assert repo.list_subscriptions()[0].targets[0].secret == SECRET  # type: ignore[union-attr]
        repo.set_enabled(saved.id, False)
        assert repo.get_subscription(saved.id).targets[0].secret == SECRET  # type: ignore[union-attr]
    assert SECRET.encode() not in db.read_bytes()
    (stored,) = stored_secrets(db)
    assert stored.startswith(PREFIX)
    assert not key_file_for(db).exists()  # a configured key needs no key file


def test_without_a_key_setting_a_0600_key_file_is_generated_and_logged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "duluan.db"
    with AlertRepository(db, secret_key=None) as repo:
        repo.save_subscription(sub_with_hook())
    key_file = key_file_for(db)
    assert key_file.exists() and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    text = logged(capsys)
    assert str(key_file) in text and SECRET not in text
    assert stored_secrets(db)[0].startswith(PREFIX)
    with AlertRepository(db, secret_key=None) as again:  # a second process reads the same file
        assert again.list_subscriptions()[0].targets[0].secret == SECRET  # type: ignore[union-attr]


def test_legacy_plain_text_rows_are_encrypted_on_open(tmp_path: Path) -> None:
    db = tmp_path / "duluan.db"
    with AlertRepository(db, secret_key="k" * 32) as repo:
        sub = repo.save_subscription(sub_with_hook())
    # what an older version wrote: the secret in clear in the JSON body
    with sqlite3.connect(db) as conn:
        conn.execute(
            "UPDATE alert_subscriptions SET body = ? WHERE id = ?",
            (sub.model_dump_json(exclude={"last_fired_at", "last_evaluated_at"}), sub.id),
        )
    assert stored_secrets(db) == [SECRET]
    with AlertRepository(db, secret_key="k" * 32) as repo:
        assert stored_secrets(db)[0].startswith(PREFIX)
        repo.save_subscription(sub_with_hook("another-secret-abcdefghij"))
        assert repo.get_subscription(sub.id).targets[0].secret == SECRET  # type: ignore[union-attr]
        assert repo.get_subscription(sub.id).targets[1].to == ["an@example.com"]  # type: ignore[union-attr]
    assert SECRET.encode() not in db.read_bytes()  # no plain copy left in the file


def test_moving_from_the_key_file_to_the_setting_re_encrypts(tmp_path: Path) -> None:
    db = tmp_path / "duluan.db"
    with AlertRepository(db, secret_key=None) as repo:
        sub = repo.save_subscription(sub_with_hook())
    under_file = stored_secrets(db)[0]
    with AlertRepository(db, secret_key="the-new-configured-key-xxxxxxxx") as repo:
        assert stored_secrets(db)[0] != under_file  # rotated to the setting's key on open
    key_file_for(db).unlink()  # the file is no longer needed
    with AlertRepository(db, secret_key="the-new-configured-key-xxxxxxxx") as repo:
        assert repo.get_subscription(sub.id).targets[0].secret == SECRET  # type: ignore[union-attr]


def test_a_lost_key_is_reported_and_the_target_refused_not_a_crash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "duluan.db"
    with AlertRepository(db, secret_key="the-original-key-xxxxxxxxxxxxxx") as repo:
        sub = repo.save_subscription(sub_with_hook())
    with AlertRepository(db, secret_key="another-key-xxxxxxxxxxxxxxxxxx") as repo:
        loaded = repo.get_subscription(sub.id)
        assert loaded is not None and loaded.targets[0].secret == UNREADABLE_SECRET  # type: ignore[union-attr]
        text = logged(capsys)
        assert "cannot be decrypted" in text and sub.id in text and SECRET not in text
        # setting a new secret (PATCH) makes it usable again
        loaded.targets[0].secret = "a-fresh-secret-0123456789"  # type: ignore[union-attr]
        repo.save_subscription(loaded)
        assert repo.get_subscription(sub.id).targets[0].secret == "a-fresh-secret-0123456789"  # type: ignore[union-attr]
