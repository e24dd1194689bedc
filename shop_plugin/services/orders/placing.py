"""Placing an order, replacing the details of one only placed, and matching its untraced
lines again."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from shoptrace.shop_plugin.services.clock import utcnow
from shoptrace.shop_plugin.services.orders.matching import _line_values, _match_lines
from shoptrace.shop_plugin.services.orders.problems import _MATCH_PROBLEMS, _problem_payload
from shoptrace.shop_plugin.services.orders.rows import _line_rows, _order_row, _touch
from shoptrace.shop_plugin.store.tables import order_lines, orders


def _place(
    conn: Connection, merchant_id: int, data: dict[str, Any], source: str
) -> tuple[Any, bool]:
    """Insert the order and its lines; an order another transaction placed meanwhile is
    returned instead (not created)."""
    now = utcnow()
    try:
        with conn.begin_nested():
            order_id = conn.execute(
                orders.insert()
                .values(
                    merchant_id=merchant_id,
                    source=source,
                    shop_order_id=data["id"],
                    shop_order_number=data.get("number"),
                    customer_ref=data.get("customer"),
                    status="placed",
                    destination=data.get("destination"),
                    placed_at=data.get("placed_at") or now,
                    created_at=now,
                    updated_at=now,
                )
                .returning(orders.c.id)
            ).scalar_one()
    except IntegrityError:
        row = _order_row(conn, merchant_id, data["id"], lock=True)
        if row is None:
            raise
        return row, False
    lines = data["lines"]
    values = _line_values(lines, _match_lines(conn, merchant_id, lines))
    conn.execute(
        order_lines.insert(),
        [
            {**v, "merchant_id": merchant_id, "order_id": order_id, "created_at": now}
            for v in values
        ],
    )
    return _order_row(conn, merchant_id, data["id"]), True


_LINE_FIELDS = (
    "line_no",
    "shop_line_id",
    "sku",
    "gtin",
    "product_id",
    "batch_id",
    "name",
    "quantity",
    "status",
    "problem",
)


def _refresh(conn: Connection, merchant_id: int, row: Any, data: dict[str, Any]) -> Any:
    """A placed order reported again: the details and lines given replace the stored ones
    (nothing is bound yet); the same report changes nothing."""
    changes: dict[str, Any] = {}
    for member, column in (
        ("number", "shop_order_number"),
        ("customer", "customer_ref"),
        ("destination", "destination"),
        ("placed_at", "placed_at"),
    ):
        if member in data and data[member] is not None and data[member] != getattr(row, column):
            changes[column] = data[member]
    if "lines" in data and data["lines"] is not None:
        lines = data["lines"]
        wanted = _line_values(lines, _match_lines(conn, merchant_id, lines))
        stored = [
            {k: getattr(r, k) for k in _LINE_FIELDS} for r in _line_rows(conn, merchant_id, row.id)
        ]
        if wanted != stored:
            conn.execute(
                order_lines.delete().where(
                    order_lines.c.order_id == row.id, order_lines.c.merchant_id == merchant_id
                )
            )
            now = utcnow()
            conn.execute(
                order_lines.insert(),
                [
                    {**v, "merchant_id": merchant_id, "order_id": row.id, "created_at": now}
                    for v in wanted
                ],
            )
    if changes:
        _touch(conn, row, **changes)
        return _order_row(conn, merchant_id, row.shop_order_id)
    return row


def _rematch(conn: Connection, merchant_id: int, lines: list[Any]) -> list[Any]:
    """Match again the lines that matched no product when placed (the product may have been
    registered since)."""
    retry = [
        line
        for line in lines
        if line.status == "untraced"
        and (_problem_payload(line.problem) or {}).get("code") in _MATCH_PROBLEMS
    ]
    if not retry:
        return lines
    shapes = []
    for line in retry:
        payload = _problem_payload(line.problem) or {}
        shapes.append(
            {
                "gtin": payload.get("gtin") or line.gtin,
                "product_id": payload.get("productId"),
                "sku": payload.get("sku") or line.sku,
            }
        )
    changed = False
    for line, match in zip(retry, _match_lines(conn, merchant_id, shapes), strict=True):
        if match.product_id is None:
            continue
        changed = True
        conn.execute(
            order_lines.update()
            .where(order_lines.c.id == line.id, order_lines.c.merchant_id == merchant_id)
            .values(product_id=match.product_id, gtin=match.gtin, status="open", problem=None)
        )
    return _line_rows(conn, merchant_id, lines[0].order_id) if changed else lines
