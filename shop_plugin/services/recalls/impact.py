"""The impact counts of a recall: the covered units by status, the affected lines, orders
and customers, in set-based SQL."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shoptrace.shop_plugin.services.clock import iso, utcnow
from shoptrace.shop_plugin.services.recalls.scope import _Scope, _scope
from shoptrace.shop_plugin.store.tables import order_lines, orders, units

IN_STOCK = ("issued", "commissioned", "packed")
"""Unit statuses of goods still with the merchant: pull them from sale."""


def _affected(scope: _Scope, after: int = 0) -> sa.Select[Any]:
    """(order id, customer, line id, kind, quantity) of every affected order line: one row per
    covered unit of a unit-bound line (kind 1), one per lot-bound line (kind 2)."""
    unit_bound = (
        sa.select(
            orders.c.id.label("order_id"),
            orders.c.customer_ref.label("customer"),
            order_lines.c.id.label("line_id"),
            sa.literal(1).label("kind"),
            sa.literal(0).label("quantity"),
        )
        .select_from(
            units.join(order_lines, order_lines.c.id == units.c.order_line_id).join(
                orders, orders.c.id == order_lines.c.order_id
            )
        )
        .where(
            scope.units(),
            scope.owned(order_lines.c.merchant_id),
            scope.owned(orders.c.merchant_id),
            order_lines.c.status != "cancelled",
            orders.c.status != "cancelled",
        )
    )
    if after:
        unit_bound = unit_bound.where(orders.c.id > after)
    lot_condition = scope.lot_lines()
    if lot_condition is None:
        return unit_bound
    lot_bound = (
        sa.select(
            orders.c.id.label("order_id"),
            orders.c.customer_ref.label("customer"),
            order_lines.c.id.label("line_id"),
            sa.literal(2).label("kind"),
            order_lines.c.quantity.label("quantity"),
        )
        .select_from(order_lines.join(orders, orders.c.id == order_lines.c.order_id))
        .where(
            lot_condition,
            scope.owned(orders.c.merchant_id),
            orders.c.status != "cancelled",
        )
    )
    if after:
        lot_bound = lot_bound.where(orders.c.id > after)
    return sa.union_all(unit_bound, lot_bound)  # type: ignore[return-value]


def impact_summary(conn: Connection, scope_or_row: Any) -> dict[str, Any]:
    """The recall's counts now: units by status, affected lines, orders and customers."""
    scope = scope_or_row if isinstance(scope_or_row, _Scope) else _scope(conn, scope_or_row)
    by_status = {
        status: int(count)
        for status, count in conn.execute(
            sa.select(units.c.status, sa.func.count()).where(scope.units()).group_by(units.c.status)
        )
    }
    rows = _affected(scope).subquery()
    totals = conn.execute(
        sa.select(
            sa.func.count(sa.distinct(rows.c.order_id)),
            sa.func.count(sa.distinct(rows.c.customer)),
            sa.func.count(sa.distinct(sa.case((rows.c.kind == 1, rows.c.line_id)))),
            sa.func.count(sa.distinct(sa.case((rows.c.kind == 2, rows.c.line_id)))),
            sa.func.coalesce(sa.func.sum(rows.c.quantity), 0),
        )
    ).one()
    return {
        "computedAt": iso(utcnow()),
        "units": {
            "total": sum(by_status.values()),
            "inStock": sum(by_status.get(s, 0) for s in IN_STOCK),
            "sold": by_status.get("sold", 0),
            "shipped": by_status.get("shipped", 0),
            "delivered": by_status.get("delivered", 0),
            "returned": by_status.get("returned", 0),
            "byStatus": dict(sorted(by_status.items())),
        },
        "lines": {
            "unitBound": int(totals[2]),
            "lotBound": int(totals[3]),
            "lotBoundQuantity": int(totals[4]),
        },
        "orderCount": int(totals[0]),
        "customerCount": int(totals[1]),
    }
