"""Reading the order, line, unit and lot rows the life cycle and the renderings need, and
stamping an order's update."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shoptrace.shop_plugin.services.clock import utcnow
from shoptrace.shop_plugin.store.tables import batches, order_lines, orders, units

_CONTROL_ID = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def _order_row(
    conn: Connection, merchant_id: int, shop_order_id: str, *, lock: bool = False
) -> Any:
    if len(shop_order_id) > 100 or _CONTROL_ID.search(shop_order_id):
        return None  # no stored order has such an id (placing refuses it); PostgreSQL
        # would refuse the NUL character itself
    query = sa.select(orders).where(
        orders.c.merchant_id == merchant_id, orders.c.shop_order_id == shop_order_id
    )
    if lock:
        query = query.with_for_update()
    return conn.execute(query).one_or_none()


def get_order_row(conn: Connection, merchant_id: int, shop_order_id: str) -> Any | None:
    """The merchant's order row by the shop's order id, or None."""
    return _order_row(conn, merchant_id, shop_order_id)


def _line_rows(conn: Connection, merchant_id: int, order_id: int) -> list[Any]:
    return list(
        conn.execute(
            sa.select(order_lines)
            .where(order_lines.c.order_id == order_id, order_lines.c.merchant_id == merchant_id)
            .order_by(order_lines.c.line_no)
        )
    )


def _bound_units(
    conn: Connection, merchant_id: int, line_ids: Sequence[int], statuses: Sequence[str]
) -> list[Any]:
    if not line_ids:
        return []
    return list(
        conn.execute(
            sa.select(
                units.c.id,
                units.c.gtin,
                units.c.serial,
                units.c.status,
                units.c.order_line_id,
                units.c.batch_id,
                batches.c.lot,
            )
            .select_from(units.join(batches, batches.c.id == units.c.batch_id))
            .where(
                units.c.order_line_id.in_(list(line_ids)),
                units.c.merchant_id == merchant_id,
                units.c.status.in_(tuple(statuses)),
            )
            .order_by(units.c.id)
        )
    )


def _unit_counts(conn: Connection, merchant_id: int, line_ids: Sequence[int]) -> dict[int, int]:
    rows = conn.execute(
        sa.select(units.c.order_line_id, sa.func.count().label("n"))
        .where(units.c.order_line_id.in_(list(line_ids)), units.c.merchant_id == merchant_id)
        .group_by(units.c.order_line_id)
    )
    return {row.order_line_id: int(row.n) for row in rows}


def _first_units(
    conn: Connection, merchant_id: int, line_ids: Sequence[int], limit: int
) -> tuple[dict[int, list[Any]], dict[int, int]]:
    """The first ``limit`` units bound to each line (with their lot and recall pointers) and
    how many each line has: two queries, whatever the lines' sizes."""
    if not line_ids:
        return {}, {}
    rank = (
        sa.func.row_number()
        .over(partition_by=units.c.order_line_id, order_by=units.c.id)
        .label("rank")
    )
    inner = (
        sa.select(
            units.c.order_line_id,
            units.c.gtin,
            units.c.serial,
            units.c.status,
            units.c.recall_id,
            batches.c.lot,
            batches.c.recall_id.label("lot_recall_id"),
            rank,
        )
        .select_from(units.join(batches, batches.c.id == units.c.batch_id))
        .where(units.c.order_line_id.in_(list(line_ids)), units.c.merchant_id == merchant_id)
        .subquery()
    )
    found: dict[int, list[Any]] = {}
    for unit in conn.execute(
        sa.select(inner).where(inner.c.rank <= limit).order_by(inner.c.order_line_id, inner.c.rank)
    ):
        found.setdefault(unit.order_line_id, []).append(unit)
    return found, _unit_counts(conn, merchant_id, line_ids)


def _lots(conn: Connection, merchant_id: int, batch_ids: set[int]) -> dict[int, Any]:
    if not batch_ids:
        return {}
    rows = conn.execute(
        sa.select(batches.c.id, batches.c.gtin, batches.c.lot, batches.c.recall_id).where(
            batches.c.id.in_(sorted(batch_ids)), batches.c.merchant_id == merchant_id
        )
    )
    return {row.id: row for row in rows}


def _touch(conn: Connection, row: Any, **values: Any) -> None:
    conn.execute(
        orders.update()
        .where(orders.c.id == row.id, orders.c.merchant_id == row.merchant_id)
        .values(updated_at=utcnow(), **values)
    )
