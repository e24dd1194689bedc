"""Applying what the shop reports about an order: one action of :data:`ORDER_ACTIONS`,
harmless when repeated."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from shoptrace.shop_plugin.services.allocation import (
    SOLD_STATUSES,
    Refusal,
    UnitsRefused,
    read_codes,
)
from shoptrace.shop_plugin.services.clock import utcnow
from shoptrace.shop_plugin.services.errors import Conflict, InvalidInput
from shoptrace.shop_plugin.services.orders.context import OrderContext, Outcome
from shoptrace.shop_plugin.services.orders.fulfilment import _deliver, _fulfil
from shoptrace.shop_plugin.services.orders.placing import _place, _refresh
from shoptrace.shop_plugin.services.orders.rendering import _render_orders
from shoptrace.shop_plugin.services.orders.returns import _return
from shoptrace.shop_plugin.services.orders.rows import _bound_units, _line_rows, _order_row, _touch
from shoptrace.shop_plugin.services.orders.shapes import _ORDER, _checked, _codes
from shoptrace.shop_plugin.services.outbox import enqueue_event
from shoptrace.shop_plugin.store.tables import ORDER_SOURCES, order_lines

ORDER_ACTIONS = ("placed", "fulfilled", "delivered", "cancelled", "returned")
"""What the shop reports about an order."""


def _cancel(conn: Connection, merchant_id: int, row: Any) -> None:
    conn.execute(
        order_lines.update()
        .where(order_lines.c.order_id == row.id, order_lines.c.merchant_id == merchant_id)
        .values(status="cancelled")
    )
    _touch(conn, row, status="cancelled", cancelled_at=utcnow())


def run_action(
    conn: Connection,
    merchant_id: int,
    action: str,
    order: Any,
    *,
    units: Any = None,
    source: str = "api",
    context: OrderContext,
    field_prefix: str = "",
) -> Outcome:
    """:func:`apply_order`, also telling whether it placed the order and whether it traced
    it. ``field_prefix`` is put before the order's field names in errors (``order``)."""
    if action not in ORDER_ACTIONS:
        raise ValueError(f"action must be one of {', '.join(ORDER_ACTIONS)}, got {action!r}")
    if source not in ORDER_SOURCES:
        raise ValueError(f"source must be one of {', '.join(ORDER_SOURCES)}, got {source!r}")
    data = _checked(order, _ORDER, field_prefix)
    codes = _codes(units)
    row = _order_row(conn, merchant_id, data["id"], lock=True)
    created = False
    if row is None:
        if not data.get("lines"):
            where = f"{field_prefix}.lines" if field_prefix else "lines"
            raise InvalidInput.one(
                where, "required", "an order shoptrace does not know yet needs its lines"
            )
        row, created = _place(conn, merchant_id, data, source)
    elif row.status == "placed":
        row = _refresh(conn, merchant_id, row, data)
    traced = False
    status = row.status
    name = data["id"]
    if action == "fulfilled":
        if status == "cancelled":
            raise Conflict(f"order {name} is cancelled; it cannot be fulfilled")
        if status == "placed":
            traced = _fulfil(conn, merchant_id, row, codes, context)
        elif codes is not None:
            _same_units(conn, merchant_id, row, codes)
    elif action == "delivered":
        if status == "cancelled":
            raise Conflict(f"order {name} is cancelled; it cannot be delivered")
        if status == "placed":
            traced = _fulfil(conn, merchant_id, row, codes, context)
            row = _order_row(conn, merchant_id, name)
            status = row.status
        if status == "fulfilled":
            _deliver(conn, merchant_id, row, context)
    elif action == "cancelled":
        if status in ("fulfilled", "delivered", "returned"):
            raise Conflict(
                f"order {name} is {status}; record a return for the units that come back"
            )
        if status == "placed":
            _cancel(conn, merchant_id, row)
    elif action == "returned":
        if status in ("placed", "cancelled"):
            raise Conflict(f"order {name} is {status}: nothing was shipped to return")
        _return(conn, merchant_id, row, codes, context)
    fresh = _order_row(conn, merchant_id, name)
    rendered = _render_orders(conn, merchant_id, [fresh], context)[0]
    if traced:
        enqueue_event(
            conn,
            merchant_id,
            topic="order.traced",
            data=rendered,
            key=f"order:{fresh.id}:traced",
        )
        context.traced.append((merchant_id, rendered))
    return Outcome(rendered, created, traced)


def _same_units(conn: Connection, merchant_id: int, row: Any, codes: list[Any]) -> None:
    """A fulfilment repeated with scans: fine when they are the order's own units."""
    scanned, refused = read_codes(codes)
    line_ids = [x.id for x in _line_rows(conn, merchant_id, row.id)]
    mine = {(u.gtin, u.serial) for u in _bound_units(conn, merchant_id, line_ids, SOLD_STATUSES)}
    for code in scanned:
        if code.serial is not None and (code.gtin, code.serial) not in mine:
            refused.append(
                Refusal(
                    code.index,
                    code.raw,
                    "not-in-order",
                    f"order {row.shop_order_id} is already fulfilled without this unit",
                )
            )
    if refused:
        refused.sort(key=lambda r: r.index)
        raise UnitsRefused(refused)


def apply_order(
    conn: Connection,
    merchant_id: int,
    action: str,
    order: Any,
    *,
    units: Any = None,
    source: str = "api",
    context: OrderContext,
) -> dict[str, Any]:
    """Apply ``action`` (one of :data:`ORDER_ACTIONS`) to the shop's ``order`` in the caller's
    transaction; returns the order as the API shows it.

    ``units`` are the codes scanned at fulfilment or at the returns desk. Raises
    InvalidInput (bad shape, naming fields like ``lines[2].quantity``; refused codes as
    :class:`~.allocation.UnitsRefused`) and Conflict (an action the order's state does not
    allow, such as fulfilling a cancelled order). After commit, call
    :func:`send_order_signals` for the ``order_traced`` signal.
    """
    return run_action(
        conn, merchant_id, action, order, units=units, source=source, context=context
    ).order
