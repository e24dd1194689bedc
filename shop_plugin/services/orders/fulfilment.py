"""Fulfilment (binding lines to units or lots, the sale and the shipment) and delivery."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from shoptrace.sdk.epcis import events as ev
from shoptrace.shop_plugin.services.allocation import (
    SCANNABLE_STATUSES,
    STOCK_STATUSES,
    Binding,
    Need,
    StockUnit,
    allocate_fefo,
    bind_scanned,
    fefo_lot,
    mark_units,
    unit_traced,
)
from shoptrace.shop_plugin.services.clock import utcnow
from shoptrace.shop_plugin.services.errors import Conflict
from shoptrace.shop_plugin.services.orders.context import OrderContext
from shoptrace.shop_plugin.services.orders.epcis import (
    _capture,
    _destination_uri,
    _lot_uri,
    _unit_uri,
    order_uri,
)
from shoptrace.shop_plugin.services.orders.placing import _rematch
from shoptrace.shop_plugin.services.orders.problems import _problem_text
from shoptrace.shop_plugin.services.orders.rows import _bound_units, _line_rows, _lots, _touch
from shoptrace.shop_plugin.store.tables import order_lines


def _fulfil(
    conn: Connection,
    merchant_id: int,
    row: Any,
    codes: list[Any] | None,
    context: OrderContext,
) -> bool:
    """Bind the open lines, move their units, capture the sale and the shipment; whether
    anything was bound."""
    now = utcnow()
    today = now.date()
    lines = _line_rows(conn, merchant_id, row.id)
    if lines:
        lines = _rematch(conn, merchant_id, lines)
    open_lines = [x for x in lines if x.status == "open" and x.product_id is not None]
    by_unit = unit_traced(conn, merchant_id, {x.gtin for x in open_lines if x.gtin})
    needs = [Need(x.id, x.gtin, x.product_id, x.quantity, x.gtin in by_unit) for x in open_lines]
    scanned = codes is not None
    bindings: dict[int, Binding] = {}
    if codes is not None:
        bindings = bind_scanned(conn, merchant_id, needs, codes, today)
    taken = {u.id for b in bindings.values() for u in b.units}
    shipped: list[StockUnit] = []
    lots: list[tuple[str, str, int]] = []
    for need in needs:
        binding = bindings.get(need.line_id) or Binding()
        values: dict[str, Any] = {"status": "allocated", "problem": None}
        if need.by_unit:
            chosen = binding.units
            if not scanned:
                chosen = allocate_fefo(
                    conn, merchant_id, need.product_id, need.quantity, today, taken=taken
                )
            moved = mark_units(
                conn,
                merchant_id,
                [u.id for u in chosen],
                status="shipped",
                from_statuses=SCANNABLE_STATUSES if scanned else STOCK_STATUSES,
                line_id=need.line_id,
            )
            if moved != len(chosen):
                raise Conflict("stock changed while the order was being fulfilled; retry")
            shipped.extend(chosen)
            facts = {"gtin": need.gtin, "count": len(chosen), "quantity": need.quantity}
            if not chosen:
                code = "not-scanned" if scanned else "no-stock"
                values = {"status": "untraced", "problem": _problem_text({"code": code, **facts})}
            elif len(chosen) < need.quantity:
                code = "short-scan" if scanned else "short-stock"
                values["problem"] = _problem_text({"code": code, **facts})
        else:
            lot = binding.lot or fefo_lot(conn, merchant_id, need.product_id, today)
            if lot is None:
                values = {
                    "status": "untraced",
                    "problem": _problem_text({"code": "no-lot", "gtin": need.gtin}),
                }
            else:
                values["batch_id"] = lot.id
                lots.append((lot.gtin, lot.lot, need.quantity))
        conn.execute(
            order_lines.update()
            .where(order_lines.c.id == need.line_id, order_lines.c.merchant_id == merchant_id)
            .values(**values)
        )
    base = context.link_base
    epcs = [_unit_uri(base, u.gtin, u.lot, u.serial) for u in shipped]
    quantities = [ev.quantity(_lot_uri(base, g, lot), q) for g, lot, q in lots]
    if epcs or quantities:
        po = order_uri(merchant_id, row.shop_order_id)
        _capture(
            conn,
            merchant_id,
            ev.sell(epcs, quantities=quantities, order=po, event_time=now),
        )
        _capture(
            conn,
            merchant_id,
            ev.ship_to_customer(
                epcs,
                quantities=quantities,
                order=po,
                ship_to=_destination_uri(row.destination),
                event_time=now,
            ),
        )
    _touch(conn, row, status="fulfilled", fulfilled_at=now)
    return bool(epcs or quantities)


def _deliver(conn: Connection, merchant_id: int, row: Any, context: OrderContext) -> None:
    now = utcnow()
    lines = [x for x in _line_rows(conn, merchant_id, row.id) if x.status == "allocated"]
    found = _bound_units(conn, merchant_id, [x.id for x in lines], ("shipped", "sold"))
    mark_units(
        conn,
        merchant_id,
        [u.id for u in found],
        status="delivered",
        from_statuses=("shipped", "sold"),
    )
    base = context.link_base
    lot_rows = _lots(conn, merchant_id, {x.batch_id for x in lines if x.batch_id is not None})
    epcs = [_unit_uri(base, u.gtin, u.lot, u.serial) for u in found]
    quantities = [
        ev.quantity(_lot_uri(base, lot_rows[x.batch_id].gtin, lot_rows[x.batch_id].lot), x.quantity)
        for x in lines
        if x.batch_id in lot_rows
    ]
    if epcs or quantities:
        _capture(
            conn,
            merchant_id,
            ev.object_event(
                "OBSERVE",
                epcs=epcs,
                quantities=quantities,
                biz_step="arriving",
                disposition="retail_sold",
                biz_transactions=[
                    ev.biz_transaction(order_uri(merchant_id, row.shop_order_id), "po")
                ],
                event_time=now,
            ),
        )
    _touch(conn, row, status="delivered", delivered_at=now)
