"""Idempotency keys: the first answer to a POST (or a DELETE) is stored and replayed for its
retries; a retried DELETE answers what the first one did, not 404.

The key is reserved in the same transaction as the work it guards, and the answer stored
before that transaction commits, so a retry either sees the stored answer or, while the
first attempt still runs, waits on the key's unique index. Only successful answers are
stored: a request that failed wrote nothing and may be sent again with the same key.
Reusing a key for a different request is refused (422).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shoptrace.shop_plugin.services.clock import utcnow
from shoptrace.shop_plugin.services.errors import InvalidInput
from shoptrace.shop_plugin.store.tables import idempotency_keys

__all__ = [
    "HEADER",
    "METHODS",
    "Stored",
    "check_key",
    "fingerprint",
    "fingerprint_key",
    "lookup",
    "reserve",
    "store_answer",
]

HEADER = "Idempotency-Key"
METHODS = frozenset({"POST", "DELETE"})
"""Methods whose answers a key keeps (other methods ignore the header)."""
_KEY = re.compile(r"[\x21-\x7e]{1,255}")


@dataclass(frozen=True)
class Stored:
    """A stored answer: status, body text and the headers worth replaying."""

    status: int
    body: str
    headers: dict[str, str]


def check_key(value: str) -> str:
    """The key, or a 400 when it is not 1-255 visible ASCII characters."""
    if not _KEY.fullmatch(value):
        raise InvalidInput.one(
            HEADER, "format", "must be 1 to 255 visible ASCII characters", status=400
        )
    return value


def fingerprint(method: str, path: str, body: bytes, *, key: bytes = b"") -> str:
    """What makes two requests the same: method, path and body bytes.

    Keyed (HMAC-SHA256) with a secret of the service, so a stored fingerprint of a body
    that held a secret (a platform's webhook secret) cannot be tested against guesses by
    whoever holds only a copy of the database.
    """
    digest = hmac.new(key, digestmod=hashlib.sha256)
    for part in (method.encode(), path.encode("utf-8", "surrogateescape"), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def fingerprint_key(signing_key: str) -> bytes:
    """The fingerprint key derived from the master signing key."""
    return hmac.digest(signing_key.encode("utf-8"), b"shoptrace idempotency v1", "sha256")


def lookup(conn: Connection, merchant_id: int, key: str, print_: str, *, ttl: int) -> Stored | None:
    """The stored answer for ``key``, None when unused (an expired key is forgotten)."""
    row = conn.execute(
        sa.select(idempotency_keys).where(
            idempotency_keys.c.merchant_id == merchant_id, idempotency_keys.c.key == key
        )
    ).one_or_none()
    if row is None:
        return None
    if row.created_at <= utcnow() - timedelta(seconds=ttl):
        conn.execute(idempotency_keys.delete().where(idempotency_keys.c.id == row.id))
        return None
    if row.fingerprint != print_:
        raise InvalidInput.one(
            HEADER,
            "reused",
            "this key was used for a different request; send a new key",
        )
    return Stored(row.status_code, row.response_body, dict(row.response_headers or {}))


def reserve(
    conn: Connection, merchant_id: int, key: str, method: str, path: str, print_: str
) -> int:
    """Claim ``key`` for this request; a concurrent claim blocks or fails on the unique index."""
    reservation: int = conn.execute(
        idempotency_keys.insert()
        .values(
            merchant_id=merchant_id,
            key=key,
            method=method,
            path=path[:2000],
            fingerprint=print_,
            created_at=utcnow(),
        )
        .returning(idempotency_keys.c.id)
    ).scalar_one()
    return reservation


def store_answer(conn: Connection, reservation: int, answer: Stored) -> None:
    """Keep the answer to replay."""
    values: dict[str, Any] = {
        "status_code": answer.status,
        "response_body": answer.body,
        "response_headers": answer.headers,
    }
    conn.execute(
        idempotency_keys.update().where(idempotency_keys.c.id == reservation).values(**values)
    )
