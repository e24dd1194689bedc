"""Cursor pagination: pages ordered by id, continued with an opaque ``nextPageToken``.

A token carries the last id of the page it ends (``v1:<id>``, base64url), so a page costs
one index range scan whatever its depth, and rows added meanwhile never shift a page.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shoptrace.shop_plugin.services.errors import InvalidInput

__all__ = ["MAX_ID", "Page", "decode_token", "encode_token", "fetch_page"]

MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class Page:
    """One page of a list: its items and the token of the next page (None on the last)."""

    items: list[dict[str, Any]]
    next_token: str | None


def encode_token(last_id: int) -> str:
    """The token of the page after the row ``last_id``."""
    return base64.urlsafe_b64encode(f"v1:{last_id}".encode("ascii")).decode("ascii").rstrip("=")


def decode_token(token: str | None, *, field: str = "pageToken") -> int:
    """The id a token continues after (0 without a token); a bad token is a 400."""
    if token is None or token == "":
        return 0
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii")
        version, _, value = text.partition(":")
        last_id = int(value) if version == "v1" and value.isdigit() else -1
    except (binascii.Error, ValueError, UnicodeDecodeError):
        last_id = -1
    if not 0 <= last_id <= MAX_ID or len(token) > 40:
        raise InvalidInput.one(
            field, "page-token", "is not a token this API returned as nextPageToken", status=400
        )
    return last_id


def fetch_page(
    conn: Connection,
    query: sa.Select[Any],
    id_column: sa.ColumnElement[int],
    *,
    after: int,
    limit: int,
    render: Callable[[Any], dict[str, Any]],
) -> Page:
    """Run ``query`` for the ``limit`` rows after id ``after`` and render them."""
    rows = conn.execute(query.where(id_column > after).order_by(id_column).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    token = encode_token(rows[-1].id) if more and rows else None
    return Page([render(r) for r in rows], token)
