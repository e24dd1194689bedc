"""Check-tag keys: each merchant's key is derived from the master signing key and a salt.

The database stores only the merchant's random salt; the key is
HMAC-SHA256(SHOPTRACE_SIGNING_KEY, domain || salt). A copy of the database alone therefore
cannot forge serials, the key never appears in a row, a log or a response, and the public
resolver derives the same key with :func:`merchant_tag_key` to check a serial's tag.
"""

from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shoptrace.shop_plugin.config import ConfigError, Settings
from shoptrace.shop_plugin.services.errors import NotFound
from shoptrace.shop_plugin.store.tables import merchants

__all__ = ["KEY_FILE", "merchant_tag_key", "new_salt", "resolve_signing_key", "tag_key"]

KEY_FILE = "shoptrace-signing.key"
_DOMAIN = b"shoptrace merchant tag key v1\x00"


def new_salt() -> str:
    """A fresh random salt for a merchant's check-tag key (hex)."""
    return secrets.token_hex(32)


def tag_key(signing_key: str, salt: str) -> bytes:
    """The 32-byte check-tag key for ``salt`` under the master ``signing_key``."""
    return hmac.digest(signing_key.encode("utf-8"), _DOMAIN + bytes.fromhex(salt), "sha256")


def merchant_tag_key(conn: Connection, merchant_id: int, signing_key: str) -> bytes:
    """The check-tag key of ``merchant_id`` (for issuing and for verifying serials)."""
    salt = conn.execute(
        sa.select(merchants.c.tag_key_salt).where(merchants.c.id == merchant_id)
    ).scalar_one_or_none()
    if salt is None:
        raise NotFound(f"merchant {merchant_id} does not exist")
    return tag_key(signing_key, salt)


def resolve_signing_key(settings: Settings) -> str:
    """The master signing key: the configured one, or for SQLite the instance-folder file.

    The file is created once, atomically (written aside, then hard-linked into place), so
    processes that start together all read the same key.
    """
    if settings.signing_key is not None:
        return settings.signing_key
    if not settings.database_url.startswith("sqlite"):
        raise ConfigError("SHOPTRACE_SIGNING_KEY: required with a server database")
    path = Path(settings.instance_path, KEY_FILE)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        tmp = path.with_name(f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_urlsafe(48) + "\n")
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    key = path.read_text(encoding="ascii").strip()
    if len(key) < 32:
        raise ConfigError(f"SHOPTRACE_SIGNING_KEY: the key file {path} holds no usable key")
    return key
