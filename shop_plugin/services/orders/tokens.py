"""The order token: the order id enciphered and tagged, the credential of the shopper's
order page, checkable without a lookup."""

from __future__ import annotations

import base64
import binascii
import hmac
import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shoptrace.shop_plugin.services.pagination import MAX_ID
from shoptrace.shop_plugin.store.tables import merchants, orders

_TOKEN_DOMAIN = b"shoptrace order token v1\x00"
_TOKEN_LENGTH = 32
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9_-]{32}")


def token_key(signing_key: str) -> bytes:
    """The key of the order tokens, derived from ``SHOPTRACE_SIGNING_KEY``."""
    return hmac.digest(signing_key.encode("utf-8"), _TOKEN_DOMAIN, "sha256")


def _round(key: bytes, index: int, half: bytes) -> bytes:
    return hmac.digest(key, bytes([index]) + half, "sha256")[:4]


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b, strict=True))


def order_token(key: bytes, order_id: int) -> str:
    """The order page token of ``order_id``: the id enciphered (a 4-round Feistel network
    keyed by HMAC, so tokens reveal no order count) and an HMAC-SHA256 tag, 32 URL-safe
    characters, checkable without any lookup."""
    left, right = order_id.to_bytes(8, "big")[:4], order_id.to_bytes(8, "big")[4:]
    for index in range(4):
        left, right = right, _xor(left, _round(key, index, right))
    block = left + right
    tag = hmac.digest(key, b"tag" + block, "sha256")[:16]
    return base64.urlsafe_b64encode(block + tag).decode("ascii")


def read_token(key: bytes, token: str) -> int | None:
    """The order id a token names, or None for a token this key did not make."""
    if not isinstance(token, str) or not _TOKEN_CHARS.fullmatch(token):
        return None
    try:
        raw = base64.urlsafe_b64decode(token)
    except (binascii.Error, ValueError):
        return None
    block, tag = raw[:8], raw[8:]
    if not hmac.compare_digest(tag, hmac.digest(key, b"tag" + block, "sha256")[:16]):
        return None
    left, right = block[:4], block[4:]
    for index in reversed(range(4)):
        left, right = _xor(right, _round(key, index, left)), left
    order_id = int.from_bytes(left + right, "big")
    return order_id if 1 <= order_id <= MAX_ID else None


def order_row_by_token(conn: Connection, key: bytes, token: str) -> Any | None:
    """The order a token names (any active merchant's: the token is the credential)."""
    order_id = read_token(key, token)
    if order_id is None:
        return None
    return conn.execute(
        sa.select(orders)
        .select_from(orders.join(merchants, merchants.c.id == orders.c.merchant_id))
        .where(orders.c.id == order_id, merchants.c.status == "active")
    ).one_or_none()
