"""Returns: the units (or lots) that come back go to stock as ``returned``."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from shoptrace.sdk.epcis import events as ev
from shoptrace.shop_plugin.services.allocation import (
    SOLD_STATUSES,
    Refusal,
    UnitsRefused,
    find_units,
    mark_units,
    read_codes,
)
from shoptrace.shop_plugin.services.clock import utcnow
from shoptrace.shop_plugin.services.orders.context import OrderContext
from shoptrace.shop_plugin.services.orders.epcis import _capture, _lot_uri, _unit_uri, order_uri
from shoptrace.shop_plugin.services.orders.rows import _bound_units, _line_rows, _lots, _touch
from shoptrace.shop_plugin.store.tables import order_lines


def _return(
    conn: Connection,
    merchant_id: int,
    row: Any,
    codes: list[Any] | None,
    context: OrderContext,
) -> None:
    """Put the units named by ``codes`` (all the order's when None) back in stock."""
    lines = _line_rows(conn, merchant_id, row.id)
    bound = [x for x in lines if x.status == "allocated"]
    lot_rows = _lots(conn, merchant_id, {x.batch_id for x in lines if x.batch_id is not None})
    if codes is None:
        back = _bound_units(conn, merchant_id, [x.id for x in bound], SOLD_STATUSES)
        lot_lines = [x for x in bound if x.batch_id in lot_rows]
    else:
        back, lot_lines = _named_returns(conn, merchant_id, codes, lines, lot_rows)
    mark_units(
        conn, merchant_id, [u.id for u in back], status="returned", from_statuses=SOLD_STATUSES
    )
    still_out = {
        u.order_line_id
        for u in _bound_units(conn, merchant_id, [x.id for x in bound], SOLD_STATUSES)
    }
    returned_lines = {x.id for x in lot_lines}
    for line in bound:
        if line.batch_id is None and line.id not in still_out:
            returned_lines.add(line.id)
    if returned_lines:
        conn.execute(
            order_lines.update()
            .where(
                order_lines.c.id.in_(sorted(returned_lines)),
                order_lines.c.merchant_id == merchant_id,
            )
            .values(status="returned")
        )
    base = context.link_base
    epcs = [_unit_uri(base, u.gtin, u.lot, u.serial) for u in back]
    quantities = [
        ev.quantity(_lot_uri(base, lot_rows[x.batch_id].gtin, lot_rows[x.batch_id].lot), x.quantity)
        for x in lot_lines
    ]
    if epcs or quantities:
        _capture(
            conn,
            merchant_id,
            ev.receive_return(
                epcs,
                quantities=quantities,
                order=order_uri(merchant_id, row.shop_order_id),
                event_time=utcnow(),
            ),
        )
    everything = all(x.id in returned_lines for x in bound)
    if codes is None or (bound and everything):
        if row.status != "returned":
            _touch(conn, row, status="returned")
    elif epcs or quantities:
        _touch(conn, row)


def _named_returns(
    conn: Connection,
    merchant_id: int,
    codes: list[Any],
    lines: list[Any],
    lot_rows: dict[int, Any],
) -> tuple[list[Any], list[Any]]:
    """The units and lot lines the returned ``codes`` name; refusals raise."""
    scanned, refused = read_codes(codes)
    line_ids = {x.id for x in lines}
    unit_codes = [c for c in scanned if c.serial is not None]
    found = find_units(conn, [(c.gtin, c.serial or "") for c in unit_codes], lock=True)
    back: list[Any] = []
    for code in unit_codes:
        unit = found.get((code.gtin, code.serial or ""))
        reason = detail = ""
        if unit is None:
            reason, detail = "unknown-code", "no unit has this GTIN and serial number"
        elif unit.merchant_id != merchant_id:
            reason, detail = "other-merchant", "the code belongs to another merchant"
        elif unit.order_line_id not in line_ids:
            reason, detail = "not-in-order", "the unit was not shipped with this order"
        elif unit.status == "returned":
            continue
        elif unit.status not in SOLD_STATUSES:
            reason, detail = "not-in-order", f"the unit is {unit.status}, not shipped"
        else:
            back.append(unit)
        if reason:
            refused.append(Refusal(code.index, code.raw, reason, detail))
    lot_lines: list[Any] = []
    for code in scanned:
        if code.serial is not None:
            continue
        named = [
            x
            for x in lines
            if x.batch_id in lot_rows
            and (lot_rows[x.batch_id].gtin, lot_rows[x.batch_id].lot) == (code.gtin, code.lot)
        ]
        line = next((x for x in named if x.status == "allocated" and x not in lot_lines), None)
        if line is not None:
            lot_lines.append(line)
        elif not any(x.status == "returned" for x in named):
            refused.append(
                Refusal(code.index, code.raw, "not-in-order", "no line of this order has this lot")
            )
    if refused:
        refused.sort(key=lambda r: r.index)
        raise UnitsRefused(refused)
    return back, lot_lines
