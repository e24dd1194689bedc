"""Merchants and their API keys.

A key looks like ``st_k3j9x2ab_<43 random characters>``: ``st_k3j9x2ab`` is its public
prefix (listed, used to rotate or revoke), the rest is 256 bits of secret. Only the SHA-256
of the whole key is stored; a key of that entropy needs no slow hash, and authentication is
one lookup in a unique index. The key is returned once, when created.
"""

from __future__ import annotations

import hashlib
import secrets
import string
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shoptrace.shop_plugin.services.clock import iso, utcnow
from shoptrace.shop_plugin.services.errors import FieldError, InvalidInput, NotFound
from shoptrace.shop_plugin.services.signing import new_salt
from shoptrace.shop_plugin.services.validation import INVALID, text
from shoptrace.shop_plugin.store.tables import api_keys, merchants

__all__ = [
    "Principal",
    "authenticate",
    "create_key",
    "create_merchant",
    "get_merchant",
    "hash_key",
    "list_keys",
    "list_merchants",
    "revoke_key",
    "rotate_key",
]

_PREFIX_CHARS = string.ascii_lowercase + string.digits
_check_name = text(max_length=200)
_check_label = text(max_length=100)


@dataclass(frozen=True)
class Principal:
    """Who an API request acts for: the merchant and the key it presented."""

    merchant_id: int
    key_id: int
    key_prefix: str


def hash_key(key: str) -> str:
    """The stored form of an API key."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _checked(check: Any, value: Any, field: str) -> Any:
    errors: list[FieldError] = []
    result = check(value, field, errors)
    if result is INVALID:
        raise InvalidInput(errors)
    return result


def create_merchant(conn: Connection, name: str) -> tuple[dict[str, Any], str]:
    """Create a merchant with a first API key; return the merchant and the key (shown once)."""
    name = _checked(_check_name, name, "name")
    merchant_id = conn.execute(
        merchants.insert()
        .values(name=name, status="active", tag_key_salt=new_salt(), created_at=utcnow())
        .returning(merchants.c.id)
    ).scalar_one()
    key_info, key = create_key(conn, merchant_id, label="initial")
    return get_merchant(conn, merchant_id), key


def get_merchant(conn: Connection, merchant_id: int) -> dict[str, Any]:
    """A merchant's public record (never its key salt)."""
    row = conn.execute(
        sa.select(
            merchants.c.id, merchants.c.name, merchants.c.status, merchants.c.created_at
        ).where(merchants.c.id == merchant_id)
    ).one_or_none()
    if row is None:
        raise NotFound(f"merchant {merchant_id} does not exist")
    return {"id": row.id, "name": row.name, "status": row.status, "createdAt": iso(row.created_at)}


def list_merchants(conn: Connection) -> list[dict[str, Any]]:
    """Every merchant, oldest first."""
    rows = conn.execute(
        sa.select(
            merchants.c.id, merchants.c.name, merchants.c.status, merchants.c.created_at
        ).order_by(merchants.c.id)
    )
    return [
        {"id": r.id, "name": r.name, "status": r.status, "createdAt": iso(r.created_at)}
        for r in rows
    ]


def create_key(
    conn: Connection, merchant_id: int, *, label: str | None = None
) -> tuple[dict[str, Any], str]:
    """Add an API key to a merchant; return its listing and the key itself (shown once)."""
    get_merchant(conn, merchant_id)
    if label is not None:
        label = _checked(_check_label, label, "label")
    prefix = "st_" + "".join(secrets.choice(_PREFIX_CHARS) for _ in range(8))
    key = f"{prefix}_{secrets.token_urlsafe(32)}"
    conn.execute(
        api_keys.insert().values(
            merchant_id=merchant_id,
            prefix=prefix,
            key_hash=hash_key(key),
            label=label,
            created_at=utcnow(),
        )
    )
    return _key_info(_key_row(conn, prefix)), key


def _key_row(conn: Connection, prefix: str) -> Any:
    if not prefix.isascii():  # prefixes are ASCII; a lone surrogate cannot be sent to SQL
        raise NotFound(f"no API key with prefix {prefix!r}")
    row = conn.execute(sa.select(api_keys).where(api_keys.c.prefix == prefix)).one_or_none()
    if row is None:
        raise NotFound(f"no API key with prefix {prefix!r}")
    return row


def _key_info(row: Any) -> dict[str, Any]:
    now = utcnow()
    if row.revoked_at is not None:
        status = "revoked"
    elif row.expires_at is not None and row.expires_at <= now:
        status = "expired"
    else:
        status = "active"
    return {
        "prefix": row.prefix,
        "merchantId": row.merchant_id,
        "label": row.label,
        "status": status,
        "createdAt": iso(row.created_at),
        "expiresAt": iso(row.expires_at),
        "revokedAt": iso(row.revoked_at),
    }


def list_keys(conn: Connection, merchant_id: int) -> list[dict[str, Any]]:
    """A merchant's keys by prefix and status; the secret part is never stored."""
    get_merchant(conn, merchant_id)
    rows = conn.execute(
        sa.select(api_keys).where(api_keys.c.merchant_id == merchant_id).order_by(api_keys.c.id)
    )
    return [_key_info(r) for r in rows]


def rotate_key(
    conn: Connection, prefix: str, *, grace: timedelta = timedelta(0)
) -> tuple[dict[str, Any], str]:
    """Replace the key ``prefix`` with a new one; the old key keeps working for ``grace``."""
    old = _key_row(conn, prefix)
    if old.revoked_at is not None:
        raise InvalidInput.one("prefix", "revoked", f"key {prefix} is revoked; create a new one")
    info, key = create_key(conn, old.merchant_id, label=old.label)
    ends = utcnow() + grace
    if old.expires_at is None or old.expires_at > ends:
        conn.execute(api_keys.update().where(api_keys.c.id == old.id).values(expires_at=ends))
    return info, key


def revoke_key(conn: Connection, prefix: str) -> dict[str, Any]:
    """Revoke the key ``prefix`` at once."""
    row = _key_row(conn, prefix)
    if row.revoked_at is None:
        conn.execute(api_keys.update().where(api_keys.c.id == row.id).values(revoked_at=utcnow()))
    return _key_info(_key_row(conn, prefix))


def authenticate(conn: Connection, key: str) -> Principal | None:
    """The principal of a presented API key, or None when it is unknown, revoked or expired."""
    if not key.startswith("st_") or len(key) > 200:
        return None
    row = conn.execute(
        sa.select(api_keys.c.id, api_keys.c.merchant_id, api_keys.c.prefix, api_keys.c.expires_at)
        .join(merchants, merchants.c.id == api_keys.c.merchant_id)
        .where(
            api_keys.c.key_hash == hash_key(key),
            api_keys.c.revoked_at.is_(None),
            merchants.c.status == "active",
        )
    ).one_or_none()
    if row is None or (row.expires_at is not None and row.expires_at <= utcnow()):
        return None
    return Principal(merchant_id=row.merchant_id, key_id=row.id, key_prefix=row.prefix)
