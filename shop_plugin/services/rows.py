"""Reading one of a merchant's rows by id: the tenant check every service makes."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shoptrace.shop_plugin.services.errors import NotFound

__all__ = ["owned_row"]


def owned_row(
    conn: Connection, table: sa.Table, merchant_id: int, row_id: int, *, field: str, what: str
) -> Any:
    """Row ``row_id`` of ``table`` if it belongs to ``merchant_id``; otherwise NotFound naming
    ``field`` ("{what} {row_id} does not exist"), the same answer whether the row is missing
    or another merchant's."""
    row = conn.execute(
        sa.select(table).where(table.c.id == row_id, table.c.merchant_id == merchant_id)
    ).one_or_none()
    if row is None:
        raise NotFound.of(field, f"{what} {row_id} does not exist")
    return row
