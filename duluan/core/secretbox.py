"""Encrypt small secrets at rest (webhook HMAC secrets) with Fernet under a server-side key.

The key comes from the `secret_key` setting (`DULUAN_SECRET_KEY`, any string; HKDF-SHA256 turns
it into a Fernet key), else from a random key file `<db file>.key` (mode 0600) created beside
the database on first use, so a fresh clone works without configuration. When both exist, both
decrypt and the setting's key encrypts, so moving from the file to the setting loses nothing.
A database copied without its key cannot reveal the secrets: that is the point.
"""

from __future__ import annotations

import base64
import contextlib
import os
import threading
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import SecretStr

from duluan.core.logging import get_logger

log = get_logger(__name__)

PREFIX = "enc:v1:"
# Stands in for a secret that no available key decrypts; senders refuse to sign with it.
UNREADABLE_SECRET = "!undecryptable-secret: set it again (DULUAN_SECRET_KEY changed?)!"
# a webhook URL no key decrypts: a reserved name (RFC 2606) that never resolves, so it is refused
UNREADABLE_URL = "https://undecryptable-url.invalid/"
_HKDF_INFO = b"duluan secret box v1"


class SecretKeyError(RuntimeError):
    """A stored secret cannot be decrypted with the available keys."""


def derive_key(secret: str) -> bytes:
    """A Fernet key from any setting string (HKDF-SHA256; a random 32+ char string is plenty)."""
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(
        secret.encode("utf-8")
    )
    return base64.urlsafe_b64encode(raw)


def key_file_for(db_path: Path | str) -> Path:
    """Where the generated key lives: beside the database, named after it."""
    path = Path(db_path)
    return path.with_name(path.name + ".key")


def _read_or_create_key_file(path: Path) -> bytes:
    """Read the key file, or create it atomically (0600) so concurrent first uses agree."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(Fernet.generate_key() + b"\n")
            try:
                os.link(tmp, path)  # fails if another process created it first: use theirs
                log.warning(
                    "generated a key for encrypting webhook secrets; keep it with the database "
                    "or set DULUAN_SECRET_KEY",
                    key_file=str(path),
                )
            except FileExistsError:
                pass
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
    key = path.read_bytes().strip()
    try:
        Fernet(key)
    except ValueError as exc:
        raise SecretKeyError(f"key file {path} does not hold a Fernet key") from exc
    return key


class SecretBox:
    """Encrypt / decrypt strings as `enc:v1:<Fernet token>`; plain (legacy) values pass through."""

    def __init__(self, keys: list[bytes] | None = None, *, key_file: Path | None = None) -> None:
        """`keys`: Fernet keys, the first encrypts; `key_file`: read or created on first use."""
        self._given = list(keys or [])
        self._key_file = key_file
        self._fernet: MultiFernet | None = None
        self._primary: Fernet | None = None
        self._lock = threading.Lock()

    @classmethod
    def for_db(cls, db_path: Path | str, secret_key: str | None) -> SecretBox:
        """The box for a metadata database: the setting's key, plus the key file if present."""
        if str(db_path) == ":memory:":
            keys = [derive_key(secret_key)] if secret_key else [Fernet.generate_key()]
            return cls(keys)
        key_file = key_file_for(db_path)
        if secret_key:
            return cls([derive_key(secret_key)], key_file=key_file if key_file.exists() else None)
        return cls(key_file=key_file)

    def _keys(self) -> tuple[MultiFernet, Fernet]:
        with self._lock:
            if self._fernet is None or self._primary is None:
                keys = list(self._given)
                if self._key_file is not None:
                    keys.append(_read_or_create_key_file(self._key_file))
                fernets = [Fernet(k) for k in keys]
                self._fernet, self._primary = MultiFernet(fernets), fernets[0]
            return self._fernet, self._primary

    @staticmethod
    def is_encrypted(stored: str) -> bool:
        return stored.startswith(PREFIX)

    def encrypt(self, plain: str) -> str:
        fernet, _ = self._keys()
        return PREFIX + fernet.encrypt(plain.encode("utf-8")).decode("ascii")

    def decrypt(self, stored: str) -> str:
        """The plain secret; a value without the prefix is legacy plain text and returned as is."""
        if not self.is_encrypted(stored):
            return stored
        fernet, _ = self._keys()
        try:
            return fernet.decrypt(stored[len(PREFIX) :].encode("ascii")).decode("utf-8")
        except (InvalidToken, ValueError) as exc:
            raise SecretKeyError(
                "stored secret does not decrypt with DULUAN_SECRET_KEY or the key file"
            ) from exc

    def needs_update(self, stored: str) -> bool:
        """True for plain text, or a token made under a key other than the current one."""
        if not self.is_encrypted(stored):
            return True
        if len(self._given) + (self._key_file is not None) < 2:
            return False  # one key only: nothing to rotate to
        _, primary = self._keys()
        try:
            primary.decrypt(stored[len(PREFIX) :].encode("ascii"))
        except (InvalidToken, ValueError):
            return True
        return False

    def reencrypt(self, stored: str) -> str:
        """Encrypt plain text, or re-encrypt an older key's token under the current key."""
        return self.encrypt(self.decrypt(stored))


FROM_SETTINGS: Any = object()
"""Default of repositories' `secret_key`: the global setting, for callers without settings."""


def resolve_secret_key(secret_key: object) -> str | None:
    """The key string from a repository's `secret_key` argument (None: use the key file)."""
    if secret_key is FROM_SETTINGS:
        from duluan.core.settings import get_settings

        secret_key = get_settings().secret_key
    if isinstance(secret_key, SecretStr):
        secret_key = secret_key.get_secret_value()
    return secret_key if isinstance(secret_key, str) and secret_key else None


def _sealed(target: dict[str, Any]) -> tuple[str, ...]:
    """The fields of a webhook target stored encrypted: its secret, and its URL (tokens often
    ride in webhook URLs' paths and query strings)."""
    return ("secret", "url") if isinstance(target.get("url"), str) else ("secret",)


def webhook_targets(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The webhook targets (with a string secret) of a stored JSON configuration."""
    return [
        t
        for t in data.get("targets") or []
        if t.get("type", "webhook") == "webhook" and isinstance(t.get("secret"), str)
    ]
