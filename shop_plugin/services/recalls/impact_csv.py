"""The orders to notify as CSV, one row per affected order line, streamed from one short
read transaction."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import IO, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shoptrace.shop_plugin.services.clock import iso
from shoptrace.shop_plugin.services.recalls.reading import recall_row
from shoptrace.shop_plugin.services.recalls.scope import _BOUND_BATCH, _LINE_BATCH, _Scope, _scope
from shoptrace.shop_plugin.store.engine import Store
from shoptrace.shop_plugin.store.tables import order_lines, orders, units

CSV_COLUMNS = (
    "order_id",
    "order_number",
    "customer",
    "order_status",
    "placed_at",
    "line_no",
    "line_id",
    "sku",
    "gtin",
    "name",
    "quantity",
    "line_status",
    "binding",
    "lots",
    "affected",
    "serials",
)
"""The impact CSV: one row per affected order line. ``binding`` is ``units`` (the line's own
units are recalled: ``affected`` counts them, ``serials`` lists them) or ``lot`` (the line is
bound to a recalled lot: ``affected`` is its quantity)."""

_FORMULA = frozenset("=+-@\t\r")


def _cell(value: Any) -> Any:
    """A CSV cell; text a spreadsheet would take for a formula gets a leading apostrophe."""
    if value and value.__class__ is str and value[0] in _FORMULA:
        return "'" + value
    return value


def _joined(conn: Connection, value: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """The values of a group joined by spaces (no lot or serial holds a space: CSET 82)."""
    if conn.dialect.name == "postgresql":
        return sa.func.string_agg(value, sa.literal_column("' '"))
    return sa.func.group_concat(value, " ")


_ORDER_COLUMNS = (
    orders.c.id.label("order_id"),
    orders.c.shop_order_id,
    orders.c.shop_order_number,
    orders.c.customer_ref,
    orders.c.status,
    orders.c.placed_at,
    order_lines.c.line_no,
    order_lines.c.shop_line_id,
    order_lines.c.sku,
    order_lines.c.gtin,
    order_lines.c.name,
    order_lines.c.quantity,
    order_lines.c.status.label("line_status"),
)


def _unit_lines(conn: Connection, scope: _Scope) -> sa.Select[Any]:
    """The unit-bound affected lines, one row each with its covered units counted and their
    serials and lots joined: one pass over the covered units, grouped by line while the rows
    are narrow, then joined to the lines and orders by primary key."""
    grouped = (
        sa.select(
            units.c.order_line_id.label("line_id"),
            sa.func.count().label("affected"),
            _joined(conn, units.c.serial).label("serials"),
            _joined(conn, _BOUND_BATCH.c.lot).label("lots"),
        )
        .select_from(units.join(_BOUND_BATCH, _BOUND_BATCH.c.id == units.c.batch_id))
        .where(scope.units(), units.c.order_line_id.is_not(None))
        .group_by(units.c.order_line_id)
        .subquery()
    )
    return (
        sa.select(*_ORDER_COLUMNS, grouped.c.affected, grouped.c.serials, grouped.c.lots)
        .select_from(
            grouped.join(order_lines, order_lines.c.id == grouped.c.line_id).join(
                orders, orders.c.id == order_lines.c.order_id
            )
        )
        .where(
            scope.owned(order_lines.c.merchant_id),
            scope.owned(orders.c.merchant_id),
            order_lines.c.status != "cancelled",
            orders.c.status != "cancelled",
        )
        .order_by(orders.c.id, order_lines.c.line_no)
    )


def _lot_lines(scope: _Scope, condition: sa.ColumnElement[bool]) -> sa.Select[Any]:
    """The lot-bound affected lines, in the order of :func:`_unit_lines`."""
    return (
        sa.select(*_ORDER_COLUMNS, _LINE_BATCH.c.lot.label("lot"))
        .select_from(
            order_lines.join(orders, orders.c.id == order_lines.c.order_id).join(
                _LINE_BATCH, _LINE_BATCH.c.id == order_lines.c.batch_id
            )
        )
        .where(
            condition,
            scope.owned(orders.c.merchant_id),
            orders.c.status != "cancelled",
        )
        .order_by(orders.c.id, order_lines.c.line_no)
    )


def _csv_row(row: Sequence[Any], binding: str) -> list[Any]:
    """A CSV row of a :func:`_unit_lines` or :func:`_lot_lines` row (read by position: this
    runs once per affected line)."""
    (_, order, number, customer, status, placed, line_no, line, sku, gtin, name, quantity) = row[
        :12
    ]
    if binding == "units":
        affected, serials, lots = row[13:16]
        lots = " ".join(sorted(set(lots.split(" ")))) if lots else ""
        serials = " ".join(sorted(serials.split(" "))) if serials else ""
    else:
        lots, serials, affected = row[13], "", quantity
    return [
        _cell(order),
        _cell(number),
        _cell(customer),
        status,
        iso(placed),
        line_no,
        _cell(line),
        _cell(sku),
        _cell(gtin),
        _cell(name),
        quantity,
        row[12],
        binding,
        _cell(lots),
        affected,
        serials,
    ]


def write_impact_csv(store: Store, merchant_id: int, recall_id: int, out: IO[bytes]) -> int:
    """Write the orders to notify to ``out`` as CSV (UTF-8 with BOM, so Excel reads Chinese
    right): a header and one row per affected order line (:data:`CSV_COLUMNS`; serials and
    lots sorted, separated by spaces), in order id order. Returns the rows written.

    One read transaction, as short as the queries: spool ``out`` (a temporary file) and
    send it afterwards rather than holding the read open while a client downloads.
    NotFound before anything is written.
    """
    written = 0
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow(CSV_COLUMNS)
    with store.read() as conn:
        scope = _scope(conn, recall_row(conn, merchant_id, recall_id))
        condition = scope.lot_lines()
        lot_rows = conn.execute(_lot_lines(scope, condition)).all() if condition is not None else []
        streamed = conn.execution_options(stream_results=True, yield_per=2000).execute(
            _unit_lines(conn, scope)
        )
        waiting = iter(lot_rows)
        lot_row = next(waiting, None)
        for row in streamed:
            while lot_row is not None and (lot_row[0], lot_row[6]) < (row[0], row[6]):
                writer.writerow(_csv_row(lot_row, "lot"))
                lot_row = next(waiting, None)
            writer.writerow(_csv_row(row, "units"))
            written += 1
            if written % 2000 == 0:
                out.write(buffer.getvalue().encode("utf-8"))
                buffer.seek(0)
                buffer.truncate()
        while lot_row is not None:
            writer.writerow(_csv_row(lot_row, "lot"))
            lot_row = next(waiting, None)
    written += len(lot_rows)
    out.write(buffer.getvalue().encode("utf-8"))
    return written
