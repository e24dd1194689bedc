"""The orders to notify, a page at a time in order id order, with their affected lines
and units."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shoptrace.shop_plugin.services.clock import iso
from shoptrace.shop_plugin.services.pagination import Page, encode_token
from shoptrace.shop_plugin.services.recalls.impact import _affected, impact_summary
from shoptrace.shop_plugin.services.recalls.reading import recall_row
from shoptrace.shop_plugin.services.recalls.scope import _BOUND_BATCH, _LINE_BATCH, _Scope, _scope
from shoptrace.shop_plugin.store.tables import order_lines, orders, units


def _order_ids(
    conn: Connection, scope: _Scope, *, after: int = 0, limit: int | None = None
) -> list[int]:
    """Ids of the affected orders after ``after``, in order (``limit`` of them)."""
    rows = _affected(scope, after).subquery()
    query = sa.select(rows.c.order_id).distinct().order_by(rows.c.order_id)
    if limit is not None:
        query = query.limit(limit)
    return list(conn.execute(query).scalars())


def _details(conn: Connection, scope: _Scope, ids: Sequence[int]) -> list[dict[str, Any]]:
    """The affected orders ``ids`` with their affected lines, in id order.

    Driven by the orders' primary keys (their lines by order_lines(order_id), the lines'
    units by units(order_line_id)); which units and lines the recall covers is decided here,
    by the same rules as the SQL of :func:`_affected`.
    """
    if not ids:
        return []
    head = {
        row.id: row
        for row in conn.execute(
            sa.select(
                orders.c.id,
                orders.c.merchant_id,
                orders.c.source,
                orders.c.shop_order_id,
                orders.c.shop_order_number,
                orders.c.customer_ref,
                orders.c.status,
                orders.c.placed_at,
            ).where(orders.c.id.in_(list(ids)), orders.c.merchant_id == scope.merchant_id)
        )
    }
    rows = conn.execute(
        sa.select(
            order_lines.c.id,
            order_lines.c.merchant_id,
            order_lines.c.order_id,
            order_lines.c.line_no,
            order_lines.c.shop_line_id,
            order_lines.c.sku,
            order_lines.c.gtin,
            order_lines.c.name,
            order_lines.c.quantity,
            order_lines.c.status,
            order_lines.c.batch_id,
            _LINE_BATCH.c.lot.label("line_lot"),
            units.c.id.label("unit_id"),
            units.c.serial,
            units.c.status.label("unit_status"),
            units.c.batch_id.label("unit_batch_id"),
            _BOUND_BATCH.c.lot.label("unit_lot"),
        )
        .select_from(
            order_lines.outerjoin(
                units,
                sa.and_(
                    units.c.order_line_id == order_lines.c.id,
                    units.c.merchant_id == scope.merchant_id,
                ),
            )
            .outerjoin(_BOUND_BATCH, _BOUND_BATCH.c.id == units.c.batch_id)
            .outerjoin(_LINE_BATCH, _LINE_BATCH.c.id == order_lines.c.batch_id)
        )
        .where(order_lines.c.order_id.in_(list(head)))
        .order_by(order_lines.c.order_id, order_lines.c.line_no, units.c.id)
    ).all()
    lines: dict[int, dict[str, Any]] = {}
    bound: set[int] = set()
    for row in rows:
        if row.merchant_id != scope.merchant_id or row.status == "cancelled":
            continue
        if row.unit_id is not None:
            bound.add(row.id)
            if not scope.covers(row.unit_batch_id, row.unit_id):
                continue
            line = lines.get(row.id)
            if line is None:
                line = lines[row.id] = _line(row, "units")
            line["units"].append(
                {"serial": row.serial, "lot": row.unit_lot, "status": row.unit_status}
            )
            if row.unit_lot not in line["lots"]:
                line["lots"].append(row.unit_lot)
            line["affected"] += 1
        elif scope.lots and row.batch_id in scope.batch_ids:
            line = lines[row.id] = _line(row, "lot")
            line["lots"] = [row.line_lot]
            line["affected"] = row.quantity
    by_order: dict[int, list[dict[str, Any]]] = {}
    for line_id, line in lines.items():
        if line["binding"] == "lot" and line_id in bound:
            continue
        by_order.setdefault(line.pop("_order"), []).append(line)
    out = []
    for order_id in sorted(by_order):
        order = head[order_id]
        if order.status == "cancelled":
            continue
        out.append(
            {
                "id": order.shop_order_id,
                "number": order.shop_order_number,
                "customer": order.customer_ref,
                "status": order.status,
                "source": order.source,
                "placedAt": iso(order.placed_at),
                "lines": by_order[order_id],
            }
        )
    return out


def _line(row: Any, binding: str) -> dict[str, Any]:
    return {
        "_order": row.order_id,
        "id": row.shop_line_id,
        "lineNo": row.line_no,
        "sku": row.sku,
        "gtin": row.gtin,
        "name": row.name,
        "quantity": row.quantity,
        "status": row.status,
        "binding": binding,
        "lots": [],
        "affected": 0,
        "units": [],
    }


def _orders_page(conn: Connection, scope: _Scope, *, after: int, limit: int) -> Page:
    ids = _order_ids(conn, scope, after=after, limit=limit + 1)
    token = encode_token(ids[limit - 1]) if len(ids) > limit else None
    return Page(_details(conn, scope, ids[:limit]), token)


def recall_impact(
    conn: Connection, merchant_id: int, recall_id: int, *, after: int = 0, limit: int = 50
) -> dict[str, Any]:
    """The recall's impact now: the counts and a page of the orders to notify."""
    row = recall_row(conn, merchant_id, recall_id)
    scope = _scope(conn, row)
    page = _orders_page(conn, scope, after=after, limit=limit)
    return {
        "recallId": row.id,
        "status": row.status,
        **impact_summary(conn, scope),
        "orders": page.items,
        "nextPageToken": page.next_token,
    }
