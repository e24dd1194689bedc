"""The merchant API's form of orders, one or a page of them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shoptrace.shop_plugin.services.clock import iso
from shoptrace.shop_plugin.services.errors import NotFound
from shoptrace.shop_plugin.services.orders.context import OrderContext
from shoptrace.shop_plugin.services.orders.epcis import _unit_uri
from shoptrace.shop_plugin.services.orders.problems import _render_problem
from shoptrace.shop_plugin.services.orders.rows import _first_units, _lots, _order_row
from shoptrace.shop_plugin.services.orders.tokens import order_token
from shoptrace.shop_plugin.services.pagination import Page, encode_token
from shoptrace.shop_plugin.store.tables import order_lines, orders

LINE_UNITS_SHOWN = 100
"""Units listed per line in the API's order (``unitCount`` counts them all)."""


def _render_orders(
    conn: Connection, merchant_id: int, rows: Sequence[Any], context: OrderContext
) -> list[dict[str, Any]]:
    """The API form of orders (lines, bound lots and units read for all at once)."""
    if not rows:
        return []
    order_ids = [r.id for r in rows]
    lines = list(
        conn.execute(
            sa.select(order_lines)
            .where(order_lines.c.order_id.in_(order_ids), order_lines.c.merchant_id == merchant_id)
            .order_by(order_lines.c.order_id, order_lines.c.line_no)
        )
    )
    line_ids = [x.id for x in lines]
    lot_rows = _lots(conn, merchant_id, {x.batch_id for x in lines if x.batch_id is not None})
    firsts, counts = _first_units(conn, merchant_id, line_ids, LINE_UNITS_SHOWN)
    base = context.link_base
    shown = {
        line_id: [
            {
                "serial": u.serial,
                "lot": u.lot,
                "status": u.status,
                "uri": _unit_uri(base, u.gtin, u.lot, u.serial),
            }
            for u in bound
        ]
        for line_id, bound in firsts.items()
    }
    by_order: dict[int, list[dict[str, Any]]] = {}
    for line in lines:
        lot = lot_rows.get(line.batch_id) if line.batch_id is not None else None
        count = counts.get(line.id, 0)
        by_order.setdefault(line.order_id, []).append(
            {
                "lineNo": line.line_no,
                "id": line.shop_line_id,
                "sku": line.sku,
                "gtin": line.gtin,
                "name": line.name,
                "quantity": line.quantity,
                "productId": line.product_id,
                "status": line.status,
                "problem": _render_problem(line.problem),
                "tracedBy": "lot" if lot is not None else "unit" if count else None,
                "lot": lot.lot if lot is not None else None,
                "unitCount": count,
                "units": shown.get(line.id, []),
            }
        )
    key = context.token_key
    out = []
    for row in rows:
        token = order_token(key, row.id)
        order_lines_ = by_order.get(row.id, [])
        out.append(
            {
                "id": row.shop_order_id,
                "number": row.shop_order_number,
                "customer": row.customer_ref,
                "source": row.source,
                "status": row.status,
                "destination": row.destination,
                "placedAt": iso(row.placed_at),
                "fulfilledAt": iso(row.fulfilled_at),
                "deliveredAt": iso(row.delivered_at),
                "cancelledAt": iso(row.cancelled_at),
                "createdAt": iso(row.created_at),
                "updatedAt": iso(row.updated_at),
                "token": token,
                "traceUrl": context.page_url(token),
                "untracedLines": sum(1 for x in order_lines_ if x["status"] == "untraced"),
                "lines": order_lines_,
            }
        )
    return out


def get_order(
    conn: Connection, merchant_id: int, shop_order_id: str, *, context: OrderContext
) -> dict[str, Any]:
    """One of the merchant's orders, by the shop's order id."""
    row = _order_row(conn, merchant_id, shop_order_id)
    if row is None:
        raise NotFound.of("order_id", f"order {shop_order_id} does not exist")
    return _render_orders(conn, merchant_id, [row], context)[0]


def list_orders(
    conn: Connection,
    merchant_id: int,
    *,
    context: OrderContext,
    after: int = 0,
    limit: int = 50,
    status: str | None = None,
    customer: str | None = None,
) -> Page:
    """The merchant's orders in the order they were recorded, optionally in one status or
    of one customer reference."""
    query = sa.select(orders).where(orders.c.merchant_id == merchant_id, orders.c.id > after)
    if status is not None:
        query = query.where(orders.c.status == status)
    if customer is not None:
        query = query.where(orders.c.customer_ref == customer)
    rows = conn.execute(query.order_by(orders.c.id).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    token = encode_token(rows[-1].id) if more and rows else None
    return Page(_render_orders(conn, merchant_id, rows, context), token)
