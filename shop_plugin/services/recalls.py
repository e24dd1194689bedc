"""Recalls: withdraw lots of a GTIN, or single units, and find who must be told.

:func:`create_recall` checks the request, points the lots (``batches.recall_id``) and units
(``units.recall_id``) at the new recall, captures the recall in the merchant's EPCIS event
chain (an ObjectEvent OBSERVE, ``holding``, ``recalled``: lots as class-level quantities,
units in the EPC list), computes the impact, stores it in ``recalls.impact`` and queues the
``recall.created`` webhook, all in the caller's transaction.

The impact is set-based SQL over the units the recall covers (a lot's units through
``units(batch_id)``, named units by primary key) joined to their order lines and
orders by primary key, plus the lot-bound order lines (``order_lines(batch_id)``: lines bound
to the lot, with no units of their own). Counts: units by life-cycle status (in stock, sold,
shipped, delivered, returned), affected lines, orders and customers. The orders to notify are
listed a page at a time in order id order (:func:`recall_impact`), or all of them as CSV
(:func:`write_impact_csv`, one row per affected order line). Cancelled orders and lines
shipped nothing and are left out. ``recalls.impact`` keeps the counts as they were when the
recall was created; the impact endpoints recompute them from the tables, so an open recall's
list follows returns and late orders.

``batches.recall_id`` and ``units.recall_id`` name the *open* recall covering a lot or unit
(a unit's own recall, else its lot's): the public banner, fulfilment and the order pages read
them. A unit named in a recall keeps it when its lot is recalled too. Closing
(:func:`close_recall`) sets the status, time and note and clears them (a unit falls back to
its lot's open recall, if any); a closed recall still lists what it covered: its scope is
kept in the recall row (its lots, or the ids of the units it named, in ``recalls.impact``),
not read back from those columns. The lots and units are then free for a new recall.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import IO, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shoptrace.sdk import digital_link
from shoptrace.sdk.epcis import events as ev
from shoptrace.sdk.epcis.documents import standalone_event
from shoptrace.sdk.epcis.epc import urn_to_dl
from shoptrace.sdk.errors import ShoptraceError
from shoptrace.sdk.gs1 import parse_hri
from shoptrace.shop_plugin.services.capture import capture_event
from shoptrace.shop_plugin.services.clock import iso, utcnow
from shoptrace.shop_plugin.services.errors import Conflict, FieldError, InvalidInput
from shoptrace.shop_plugin.services.outbox import enqueue_event
from shoptrace.shop_plugin.services.pagination import Page, encode_token, fetch_page
from shoptrace.shop_plugin.services.rows import owned_row
from shoptrace.shop_plugin.services.validation import (
    INVALID,
    Check,
    Field,
    array,
    enum,
    gs1,
    i18n,
    obj,
    text,
    validate,
)
from shoptrace.shop_plugin.services.validation import gtin as gtin_check
from shoptrace.shop_plugin.store.engine import Store
from shoptrace.shop_plugin.store.tables import (
    RECALL_SEVERITIES,
    RECALL_STATUSES,
    batches,
    order_lines,
    orders,
    products,
    recalls,
    units,
)

__all__ = [
    "CSV_COLUMNS",
    "GS1_STEM",
    "IN_STOCK",
    "MAX_LOTS",
    "MAX_UNITS",
    "close_recall",
    "create_recall",
    "get_recall",
    "impact_summary",
    "list_recalls",
    "recall_impact",
    "recall_row",
    "render_recall",
    "write_impact_csv",
]

GS1_STEM = "https://id.gs1.org"
MAX_LOTS = 100
"""Lots one recall may name."""
MAX_UNITS = 10_000
"""Units one recall may name (recall their lot instead when more are affected)."""
IN_STOCK = ("issued", "commissioned", "packed")
"""Unit statuses of goods still with the merchant: pull them from sale."""
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

_CHUNK = 500
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_FORMULA = frozenset("=+-@\t\r")


# --- input ---------------------------------------------------------------------------------


def _reason(value: Any, path: str, errors: list[FieldError]) -> Any:
    """Text (its language guessed: any Chinese character makes it zh-CN) or ``{zh-CN, en}``."""
    if isinstance(value, str):
        cleaned = text(max_length=500)(value, path, errors)
        if cleaned is INVALID:
            return INVALID
        if not cleaned.strip():
            errors.append(FieldError(path, "min-length", "must not be blank"))
            return INVALID
        return {"zh-CN" if _CJK.search(cleaned) else "en": cleaned}
    cleaned = i18n(max_length=500)(value, path, errors)
    if cleaned is INVALID:
        return INVALID
    return {k: v for k, v in cleaned.items() if v}


def _one_scope(cleaned: dict[str, Any], path: str, errors: list[FieldError]) -> None:
    lots, named = cleaned.get("lots"), cleaned.get("units")
    if lots is not None and named is not None:
        errors.append(FieldError("units", "one-of", "name lots or units, not both"))
    elif lots is None and named is None:
        errors.append(FieldError("lots", "one-of", "name the lots (or the units) to recall"))
    for name, values in (("lots", lots), ("units", named)):
        if values is not None and not values:
            errors.append(FieldError(name, "min-items", "must name at least one"))


_CREATE: Check = obj(
    {
        "gtin": Field(gtin_check(), required=True),
        "lots": Field(array(gs1("10"), max_items=MAX_LOTS)),
        "units": Field(array(text(max_length=2000), max_items=MAX_UNITS)),
        "reason": Field(_reason, required=True),
        "severity": Field(enum(RECALL_SEVERITIES), required=True),
        "location": Field(gs1("414")),
    },
    post=_one_scope,
)
_CLOSE: Check = obj({"note": Field(text(max_length=2000, multiline=True))})


def _unit_ref(code: str, gtin: str) -> tuple[str, str | None] | FieldError:
    """``(serial, lot or None)`` of a unit code: a Digital Link URI, an EPC URN, bracketed AI
    data ``(01)...(21)...`` or a bare serial of ``gtin``; else the error (field left blank)."""
    value = code.strip()
    try:
        if value.startswith("("):
            ais = dict(parse_hri(value))
        elif value.startswith("urn:epc:"):
            ais = dict(digital_link.parse(urn_to_dl(value)).path_ais)
        elif "://" in value:
            ais = dict(digital_link.parse(value).path_ais)
        else:
            errors: list[FieldError] = []
            if gs1("21")(value, "", errors) is INVALID:
                return FieldError("", "unit-code", errors[0].detail)
            return value, None
    except (ShoptraceError, ValueError) as exc:
        return FieldError("", "unit-code", f"not a unit code: {exc}")
    if "01" not in ais or "21" not in ais:
        return FieldError("", "unit-code", "must name a unit: a GTIN (01) and a serial (21)")
    if ais["01"].rjust(14, "0") != gtin:
        return FieldError("", "gtin-mismatch", f"names GTIN {ais['01']}, not the recall's {gtin}")
    return ais["21"], ais.get("10")


# --- reading -------------------------------------------------------------------------------


def recall_row(conn: Connection, merchant_id: int, recall_id: int) -> Any:
    """The merchant's recall row ``recall_id``; NotFound for anyone else's."""
    return owned_row(conn, recalls, merchant_id, recall_id, field="recall_id", what="recall")


_INTERNAL = ("events", "unitIds")
"""Members of ``recalls.impact`` that are not counts: the recall's eventIDs, and the ids of
the units a recall of units named (its scope)."""


def _summary_of(stored: Any) -> dict[str, Any]:
    return {k: v for k, v in (stored or {}).items() if k not in _INTERNAL}


def render_recall(row: Any) -> dict[str, Any]:
    """The API form of a recall row; ``impact`` holds the counts computed at creation."""
    stored = row.impact or {}
    return {
        "id": row.id,
        "gtin": row.gtin,
        "productId": row.product_id,
        "scope": row.scope,
        "lots": list(row.lots),
        "reason": row.reason,
        "severity": row.severity,
        "status": row.status,
        "createdAt": iso(row.created_at),
        "closedAt": iso(row.closed_at),
        "closeNote": row.close_note,
        "events": list(stored.get("events") or []),
        "impact": _summary_of(stored),
    }


def get_recall(conn: Connection, merchant_id: int, recall_id: int) -> dict[str, Any]:
    """One of the merchant's recalls."""
    return render_recall(recall_row(conn, merchant_id, recall_id))


def list_recalls(
    conn: Connection,
    merchant_id: int,
    *,
    after: int = 0,
    limit: int = 50,
    status: str | None = None,
    gtin: str | None = None,
) -> Page:
    """The merchant's recalls in id order, optionally only open or closed ones, or of a GTIN."""
    query = sa.select(recalls).where(recalls.c.merchant_id == merchant_id)
    if status is not None:
        if status not in RECALL_STATUSES:
            raise ValueError(f"status must be one of {RECALL_STATUSES}")
        query = query.where(recalls.c.status == status)
    if gtin is not None:
        query = query.where(recalls.c.gtin == gtin)
    return fetch_page(conn, query, recalls.c.id, after=after, limit=limit, render=render_recall)


# --- scope and impact ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Scope:
    """What a recall covers: its lots' batches, or the units it named."""

    merchant_id: int
    recall_id: int
    lots: bool
    batch_ids: tuple[int, ...] = ()
    unit_ids: tuple[int, ...] = ()
    sqlite: bool = False
    """Whether the queries run on SQLite (see :meth:`owned`)."""

    def owned(self, column: sa.ColumnElement[int]) -> sa.ColumnElement[bool]:
        """``column`` (the merchant of a row a query reaches from the covered units or lots)
        is the recall's merchant. On SQLite, which plans without statistics, written
        ``column + 0`` so that it is checked on those rows and never taken for an index to
        start from (all the merchant's lines or orders); PostgreSQL's statistics see to it."""
        if self.sqlite:
            return column + 0 == self.merchant_id
        return column == self.merchant_id

    def units(self) -> sa.ColumnElement[bool]:
        """Units the recall covers (driven by units(batch_id), or by primary key)."""
        if self.lots:
            return sa.and_(
                units.c.batch_id.in_(self.batch_ids), units.c.merchant_id == self.merchant_id
            )
        return sa.and_(units.c.id.in_(self.unit_ids), units.c.merchant_id == self.merchant_id)

    def covers(self, batch_id: int | None, unit_id: int | None) -> bool:
        """Whether a unit with these columns is covered (the Python form of :meth:`units`)."""
        return batch_id in self.batch_ids if self.lots else unit_id in self._unit_set

    @cached_property
    def _unit_set(self) -> frozenset[int]:
        return frozenset(self.unit_ids)

    def lot_lines(self) -> sa.ColumnElement[bool] | None:
        """Order lines bound to a recalled lot and to no units of their own."""
        if not self.lots or not self.batch_ids:
            return None
        bound = sa.select(units.c.id).where(units.c.order_line_id == order_lines.c.id)
        return sa.and_(
            order_lines.c.batch_id.in_(self.batch_ids),
            self.owned(order_lines.c.merchant_id),
            order_lines.c.status != "cancelled",
            ~bound.exists(),
        )


def _scope(conn: Connection, row: Any) -> _Scope:
    sqlite = conn.dialect.name == "sqlite"
    if row.scope == "units":
        named = tuple(int(i) for i in (row.impact or {}).get("unitIds") or [])
        return _Scope(row.merchant_id, row.id, False, unit_ids=named, sqlite=sqlite)
    batch_ids: tuple[int, ...] = ()
    if row.scope == "lots":
        batch_ids = tuple(
            conn.execute(
                sa.select(batches.c.id)
                .where(
                    batches.c.merchant_id == row.merchant_id,
                    batches.c.product_id == row.product_id,
                    batches.c.lot.in_(list(row.lots)),
                )
                .order_by(batches.c.id)
            ).scalars()
        )
    return _Scope(row.merchant_id, row.id, True, batch_ids=batch_ids, sqlite=sqlite)


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


def _order_ids(
    conn: Connection, scope: _Scope, *, after: int = 0, limit: int | None = None
) -> list[int]:
    """Ids of the affected orders after ``after``, in order (``limit`` of them)."""
    rows = _affected(scope, after).subquery()
    query = sa.select(rows.c.order_id).distinct().order_by(rows.c.order_id)
    if limit is not None:
        query = query.limit(limit)
    return list(conn.execute(query).scalars())


_BOUND_BATCH = batches.alias("bound_batch")
_LINE_BATCH = batches.alias("line_batch")


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


# --- writing -------------------------------------------------------------------------------


def _product(conn: Connection, merchant_id: int, gtin: str) -> Any:
    row = conn.execute(
        sa.select(products.c.id, products.c.gtin).where(
            products.c.merchant_id == merchant_id, products.c.gtin == gtin
        )
    ).one_or_none()
    if row is None:
        raise InvalidInput.one("gtin", "not-found", "no product of yours has this GTIN")
    return row


def _lot_batches(conn: Connection, merchant_id: int, product_id: int, lots: list[str]) -> Any:
    """The batches of ``lots`` (unique, in the order given); 422 naming unknown lots, 409
    naming lots under an open recall."""
    wanted = list(dict.fromkeys(lots))
    rows = {
        row.lot: row
        for row in conn.execute(
            sa.select(batches.c.id, batches.c.lot, batches.c.recall_id).where(
                batches.c.merchant_id == merchant_id,
                batches.c.product_id == product_id,
                batches.c.lot.in_(wanted),
            )
        )
    }
    missing = [
        FieldError(f"lots[{i}]", "not-found", "no batch of this GTIN has this lot")
        for i, lot in enumerate(lots)
        if lot not in rows
    ]
    if missing:
        raise InvalidInput(missing)
    taken = [
        FieldError(
            f"lots[{i}]",
            "open-recall",
            f"lot {lot!r} is under open recall {rows[lot].recall_id}; close it first",
        )
        for i, lot in enumerate(lots)
        if rows[lot].recall_id is not None and lots.index(lot) == i
    ]
    if taken:
        raise Conflict(f"{len(taken)} of the lots are already under an open recall", errors=taken)
    return [rows[lot] for lot in wanted]


def _named_units(conn: Connection, merchant_id: int, gtin: str, codes: list[str]) -> list[Any]:
    """The units ``codes`` name (unique); 422 naming codes that are bad or name no unit of
    the merchant, 409 naming units already under an open recall (their own or their lot's)."""
    errors: list[FieldError] = []
    refs: list[tuple[int, str, str | None]] = []
    for i, code in enumerate(codes):
        parsed = _unit_ref(code, gtin)
        if isinstance(parsed, FieldError):
            errors.append(FieldError(f"units[{i}]", parsed.rule, parsed.detail))
        else:
            refs.append((i, *parsed))
    if errors:
        raise InvalidInput(errors)
    serials = sorted({serial for _, serial, _ in refs})
    by_serial: dict[str, Any] = {}
    for start in range(0, len(serials), _CHUNK):
        for found in conn.execute(
            sa.select(
                units.c.id,
                units.c.serial,
                units.c.recall_id,
                batches.c.lot,
                batches.c.recall_id.label("lot_recall_id"),
            )
            .select_from(units.join(batches, batches.c.id == units.c.batch_id))
            .where(
                units.c.gtin == gtin,
                units.c.serial.in_(serials[start : start + _CHUNK]),
                units.c.merchant_id == merchant_id,
            )
        ):
            by_serial[found.serial] = found
    for i, serial, lot in refs:
        row = by_serial.get(serial)
        if row is None or (lot is not None and lot != row.lot):
            errors.append(FieldError(f"units[{i}]", "not-found", "no unit of yours has this code"))
    if errors:
        raise InvalidInput(errors)
    taken: list[FieldError] = []
    seen: set[str] = set()
    for i, serial, _ in refs:
        row = by_serial[serial]
        if serial in seen:
            continue
        seen.add(serial)
        holder = row.recall_id or row.lot_recall_id
        if holder is not None:
            taken.append(
                FieldError(
                    f"units[{i}]",
                    "open-recall",
                    f"unit {serial!r} is under open recall {holder}; close it first",
                )
            )
    if taken:
        raise Conflict(f"{len(taken)} of the units are already under an open recall", errors=taken)
    return [by_serial[serial] for serial in dict.fromkeys(serial for _, serial, _ in refs)]


def _mark_lots(conn: Connection, merchant_id: int, recall_id: int, batch_ids: list[int]) -> None:
    """Point the lots and their units at the recall; a unit under a recall of its own keeps
    it (its own reason is the more specific)."""
    conn.execute(
        batches.update()
        .where(batches.c.id.in_(batch_ids), batches.c.merchant_id == merchant_id)
        .values(recall_id=recall_id)
    )
    conn.execute(
        units.update()
        .where(
            units.c.batch_id.in_(batch_ids),
            units.c.merchant_id == merchant_id,
            # Not "IS NULL", which a planner might take the recall_id index for (every unit).
            sa.func.coalesce(units.c.recall_id, 0) == 0,
        )
        .values(recall_id=recall_id)
    )


def _mark_units(conn: Connection, recall_id: int, unit_ids: list[int]) -> None:
    for start in range(0, len(unit_ids), _CHUNK):
        conn.execute(
            units.update()
            .where(units.c.id.in_(unit_ids[start : start + _CHUNK]))
            .values(recall_id=recall_id)
        )


def _capture(
    conn: Connection,
    merchant_id: int,
    *,
    base_url: str,
    gtin: str,
    lots: list[str],
    named: list[Any],
    location: str | None,
) -> str:
    """Capture the recall event; return its eventID."""
    now = utcnow()
    place = f"{GS1_STEM}/414/{location}" if location else None
    event = ev.recall(
        epcs=[digital_link.build(base_url, gtin, lot=u.lot) + "/21/" + u.serial for u in named],
        quantities=[ev.quantity(digital_link.build(base_url, gtin, lot=lot)) for lot in lots],
        event_time=now,
        read_point=place,
        biz_location=place,
    )
    return capture_event(conn, merchant_id, standalone_event(event)).event_id


def create_recall(
    conn: Connection,
    merchant_id: int,
    body: Any,
    *,
    base_url: str = GS1_STEM,
    page_size: int = 50,
) -> dict[str, Any]:
    """Validate ``body`` and recall its lots or units (see the module docstring).

    Returns the recall as the API shows it, its ``impact`` with the first ``page_size``
    orders to notify (``orders``, ``nextPageToken``). Raises InvalidInput (unknown GTIN, lot
    or unit: 422 naming it) and Conflict (a lot or unit already under an open recall).
    ``base_url`` is where the merchant's codes point (the event names them that way).
    """
    data = validate(body, _CREATE)
    product = _product(conn, merchant_id, data["gtin"])
    lots_scope = data.get("lots") is not None
    named: list[Any] = []
    batch_ids: list[int] = []
    if lots_scope:
        found = _lot_batches(conn, merchant_id, product.id, data["lots"])
        batch_ids = [row.id for row in found]
        lots = [row.lot for row in found]
    else:
        named = _named_units(conn, merchant_id, product.gtin, data["units"])
        lots = sorted({row.lot for row in named})
    now = utcnow()
    recall_id = conn.execute(
        recalls.insert()
        .values(
            merchant_id=merchant_id,
            product_id=product.id,
            gtin=product.gtin,
            scope="lots" if lots_scope else "units",
            lots=lots,
            reason=data["reason"],
            severity=data["severity"],
            status="open",
            impact={},
            created_at=now,
        )
        .returning(recalls.c.id)
    ).scalar_one()
    if lots_scope:
        _mark_lots(conn, merchant_id, recall_id, batch_ids)
    else:
        _mark_units(conn, recall_id, [row.id for row in named])
    event_id = _capture(
        conn,
        merchant_id,
        base_url=base_url,
        gtin=product.gtin,
        lots=lots if lots_scope else [],
        named=named,
        location=data.get("location"),
    )
    unit_ids = sorted(row.id for row in named)
    scope = _Scope(
        merchant_id,
        recall_id,
        lots_scope,
        tuple(sorted(batch_ids)),
        tuple(unit_ids),
        sqlite=conn.dialect.name == "sqlite",
    )
    summary = impact_summary(conn, scope)
    stored = {**summary, "events": [event_id]}
    if not lots_scope:
        stored["unitIds"] = unit_ids
    conn.execute(recalls.update().where(recalls.c.id == recall_id).values(impact=stored))
    recall = get_recall(conn, merchant_id, recall_id)
    enqueue_event(
        conn, merchant_id, topic="recall.created", data=recall, key=f"recall:{recall_id}:created"
    )
    page = _orders_page(conn, scope, after=0, limit=page_size)
    recall["impact"] = {**summary, "orders": page.items, "nextPageToken": page.next_token}
    return recall


def close_recall(conn: Connection, merchant_id: int, recall_id: int, body: Any) -> dict[str, Any]:
    """Close an open recall (``{"note": ...}`` optional): the public banner goes, the lots
    are free for a new recall; 409 when it is closed already."""
    data = validate({} if body is None else body, _CLOSE)
    row = recall_row(conn, merchant_id, recall_id)
    if row.status != "open":
        raise Conflict(
            f"recall {recall_id} was closed at {iso(row.closed_at)}",
            errors=[FieldError("status", "open", "only an open recall can be closed")],
        )
    conn.execute(
        recalls.update()
        .where(recalls.c.id == recall_id, recalls.c.merchant_id == merchant_id)
        .values(status="closed", closed_at=utcnow(), close_note=data.get("note"))
    )
    conn.execute(
        batches.update()
        .where(batches.c.recall_id == recall_id, batches.c.merchant_id == merchant_id)
        .values(recall_id=None)
    )
    lot_recall = (
        sa.select(batches.c.recall_id).where(batches.c.id == units.c.batch_id).scalar_subquery()
    )
    conn.execute(
        units.update()
        .where(units.c.recall_id == recall_id, units.c.merchant_id == merchant_id)
        .values(recall_id=lot_recall)
    )
    recall = get_recall(conn, merchant_id, recall_id)
    enqueue_event(
        conn, merchant_id, topic="recall.closed", data=recall, key=f"recall:{recall_id}:closed"
    )
    return recall
