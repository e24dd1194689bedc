"""Allocation at fulfilment: which units or lot each order line ships.

Three ways a line gets bound, all in the caller's transaction:

- **Scans.** The codes scanned at the packing station (Digital Link URIs, EPC URNs, bracketed
  ``(01)...(21)...`` text or raw barcode data) are read, looked up in one query per 500
  codes and checked: the unit exists, is this merchant's, has the GTIN of a line of the
  order, is not sold, shipped or delivered, is not recalled (itself or its lot), its lot is
  not expired, and no line gets more units than it ordered. Any refusal refuses them all
  (:class:`UnitsRefused`, naming each code and its reason); nothing is written. A code
  without a serial names a lot: it binds that lot to a line of a product traced by lot.
- **First expiry, first out.** Without scans, a line of a product traced by unit takes units
  in stock (``commissioned``, ``packed`` or ``returned``; not recalled) from the lots that are
  neither recalled nor expired, earliest expiry first (lots without an expiry date last),
  one query per lot touched, never one per unit.
- **Lots.** A product without serialised units (no codes issued) is traced by lot: the line
  binds the first-expiry lot that is neither recalled nor expired.

On PostgreSQL the stock is read ``FOR UPDATE SKIP LOCKED``, so two fulfilments running at
once never take the same unit; SQLite serialises writers anyway.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shoptrace.sdk import digital_link
from shoptrace.sdk.epcis.epc import urn_to_dl
from shoptrace.sdk.errors import ShoptraceError
from shoptrace.sdk.gs1 import has_valid_check_digit, parse_element_string, parse_hri
from shoptrace.shop_plugin.services.errors import FieldError, InvalidInput
from shoptrace.shop_plugin.store.tables import batches, units

__all__ = [
    "MAX_CODES",
    "REFUSAL_REASONS",
    "SCANNABLE_STATUSES",
    "SOLD_STATUSES",
    "STOCK_STATUSES",
    "Binding",
    "Lot",
    "Need",
    "Refusal",
    "ScannedCode",
    "StockUnit",
    "UnitsRefused",
    "allocate_fefo",
    "bind_scanned",
    "fefo_lot",
    "find_units",
    "mark_units",
    "read_code",
    "read_codes",
    "selling_lot",
    "unit_traced",
]

STOCK_STATUSES = ("commissioned", "packed", "returned")
"""Units first-expiry-first-out allocation may take: coded and registered, packed, or back
from a customer."""
SCANNABLE_STATUSES = ("issued", *STOCK_STATUSES)
"""Units a scan may bind: stock, and codes issued but never commissioned by an event (the
scan shows the label is on the item)."""
SOLD_STATUSES = ("shipped", "sold", "delivered")
"""Units that already went to a customer."""
MAX_CODES = 10_000
"""Most codes one fulfilment or return takes."""
_CHUNK = 500

REFUSAL_REASONS = {
    "trace-code": "not a readable trace code",
    "duplicate": "scanned twice",
    "unknown-code": "no unit or lot with this code exists",
    "other-merchant": "belongs to another merchant",
    "wrong-gtin": "its GTIN is on no line of this order that can take it",
    "serial-required": "the product is traced by unit: scan the unit's own code",
    "already-sold": "already sold",
    "recalled": "recalled",
    "expired": "its lot is expired",
    "too-many": "more units than the order lines' quantity",
    "not-in-order": "not shipped with this order",
}
"""Why a scanned code is refused (the ``rule`` of its error), in plain words."""


@dataclass(frozen=True)
class ScannedCode:
    """A code as scanned (``raw``, its position ``index`` in the list) and what it names."""

    index: int
    raw: str
    gtin: str
    lot: str | None
    serial: str | None


@dataclass(frozen=True)
class Refusal:
    """A scanned code that cannot be used, and why (a key of :data:`REFUSAL_REASONS`)."""

    index: int
    code: str
    reason: str
    detail: str


def _shown(code: str) -> str:
    code = code.encode("utf-8", "backslashreplace").decode("utf-8")
    return code if len(code) <= 120 else code[:117] + "..."


class UnitsRefused(InvalidInput):
    """Scanned codes that cannot be bound (or returned): each names the code and the reason
    (field ``units[i]``, rule = reason); nothing was written."""

    def __init__(self, refusals: list[Refusal], *, field_prefix: str = "units") -> None:
        super().__init__(
            [
                FieldError(f"{field_prefix}[{r.index}]", r.reason, f"{_shown(r.code)}: {r.detail}")
                for r in refusals
            ]
        )
        self.refusals = refusals


@dataclass(frozen=True)
class StockUnit:
    """A unit bound (or about to be bound) to a line."""

    id: int
    gtin: str
    lot: str
    serial: str
    batch_id: int
    status: str


@dataclass(frozen=True)
class Lot:
    """A batch a line binds."""

    id: int
    gtin: str
    lot: str
    expiry_date: date | None


@dataclass(frozen=True)
class Need:
    """An open order line to fill: its product and how it is traced."""

    line_id: int
    gtin: str
    product_id: int
    quantity: int
    by_unit: bool


@dataclass
class Binding:
    """What scans bound to one line."""

    units: list[StockUnit] = field(default_factory=list)
    lot: Lot | None = None


# --- reading codes -------------------------------------------------------------------------


def _pairs(text: str) -> dict[str, str]:
    if text.startswith("("):
        return dict(parse_hri(text, check_associations=False))
    if text.startswith("urn:"):
        link = digital_link.parse(urn_to_dl(text))
        return dict(link.ais)
    if "://" in text:
        link = digital_link.parse(text, legacy_gtin=True)
        return dict(link.ais)
    return dict(parse_element_string(text, check_associations=False))


def read_code(raw: Any) -> tuple[str, str | None, str | None]:
    """``(gtin, lot, serial)`` of a scanned code; ValueError when it names no GTIN."""
    if not isinstance(raw, str) or not raw.strip():
        raise ValueError("must be a non-empty string")
    text = raw.strip()
    if len(text) > 2000:
        raise ValueError("is longer than 2000 characters")
    try:
        pairs = _pairs(text)
    except (ShoptraceError, ValueError) as exc:
        raise ValueError(str(exc) or "not a GS1 code") from None
    gtin = pairs.get("01")
    if gtin is None or len(gtin) != 14 or not gtin.isdigit() or not has_valid_check_digit(gtin):
        raise ValueError("names no GTIN (AI 01)")
    return gtin, pairs.get("10"), pairs.get("21")


def read_codes(codes: Sequence[Any]) -> tuple[list[ScannedCode], list[Refusal]]:
    """The readable codes (each GTIN and serial, or GTIN and lot, once) and the refusals of
    the others."""
    found: list[ScannedCode] = []
    refused: list[Refusal] = []
    seen: set[tuple[str, str | None, str | None]] = set()
    for index, raw in enumerate(codes):
        try:
            gtin, lot, serial = read_code(raw)
        except ValueError as exc:
            refused.append(Refusal(index, str(raw), "trace-code", f"not a trace code: {exc}"))
            continue
        key = (gtin, None, serial) if serial is not None else (gtin, lot, None)
        if key in seen:
            refused.append(Refusal(index, raw, "duplicate", "scanned twice"))
            continue
        seen.add(key)
        found.append(ScannedCode(index, raw, gtin, lot, serial))
    return found, refused


# --- stock queries -------------------------------------------------------------------------


def unit_traced(conn: Connection, merchant_id: int, gtins: Iterable[str]) -> set[str]:
    """The GTINs of ``gtins`` the merchant traces by unit (it issued codes for them): one
    probe of the (GTIN, serial) index each."""
    traced = set()
    for gtin in sorted(set(gtins)):
        found = conn.execute(
            sa.select(units.c.id)
            .where(units.c.gtin == gtin, units.c.merchant_id == merchant_id)
            .limit(1)
        ).first()
        if found is not None:
            traced.add(gtin)
    return traced


def _usable_lots(merchant_id: int, product_id: int, today: date) -> sa.Select[Any]:
    """The product's lots that are neither recalled nor expired, first expiry first (lots
    without an expiry date last, then in the order they were recorded)."""
    return (
        sa.select(batches.c.id, batches.c.gtin, batches.c.lot, batches.c.expiry_date)
        .where(
            batches.c.merchant_id == merchant_id,
            batches.c.product_id == product_id,
            batches.c.recall_id.is_(None),
            sa.or_(batches.c.expiry_date.is_(None), batches.c.expiry_date >= today),
        )
        .order_by(batches.c.expiry_date.is_(None), batches.c.expiry_date, batches.c.id)
    )


def _in_stock(merchant_id: int) -> sa.ColumnElement[bool]:
    return sa.and_(
        units.c.merchant_id == merchant_id,
        units.c.status.in_(STOCK_STATUSES),
        units.c.recall_id.is_(None),
    )


def fefo_lot(conn: Connection, merchant_id: int, product_id: int, today: date) -> Lot | None:
    """The lot a line of a product traced by lot binds: the first to expire of those neither
    recalled nor expired."""
    row = conn.execute(_usable_lots(merchant_id, product_id, today).limit(1)).first()
    return Lot(row.id, row.gtin, row.lot, row.expiry_date) if row is not None else None


def selling_lot(
    conn: Connection, merchant_id: int, product_id: int, today: date, *, by_unit: bool
) -> Lot | None:
    """The lot now selling: the one the next fulfilment would take first (for a product
    traced by unit, the first-expiry lot that still has units in stock)."""
    query = _usable_lots(merchant_id, product_id, today)
    if by_unit:
        # A unit in stock, LIMIT 1: a correlated subquery PostgreSQL runs per lot on the
        # (batch_id, status, id) index; as EXISTS it may hash every unit of the lot instead.
        one_in_stock = (
            sa.select(units.c.id)
            .where(units.c.batch_id == batches.c.id, _in_stock(merchant_id))
            .limit(1)
            .scalar_subquery()
        )
        query = query.where(one_in_stock.is_not(None))
    row = conn.execute(query.limit(1)).first()
    return Lot(row.id, row.gtin, row.lot, row.expiry_date) if row is not None else None


def allocate_fefo(
    conn: Connection,
    merchant_id: int,
    product_id: int,
    count: int,
    today: date,
    *,
    taken: set[int] | None = None,
) -> list[StockUnit]:
    """Up to ``count`` units of the product in stock, first expiry first out (one query per
    lot touched). ``taken`` holds ids already chosen in this transaction; they are skipped
    and the chosen ones added. The caller marks them."""
    taken = taken if taken is not None else set()
    chosen: list[StockUnit] = []
    lots = conn.execute(_usable_lots(merchant_id, product_id, today)).all()
    for lot in lots:
        missing = count - len(chosen)
        if missing <= 0:
            break
        for row in _stock_of_lot(conn, merchant_id, lot.id, missing + len(taken)):
            if row.id in taken or len(chosen) >= count:
                continue
            taken.add(row.id)
            chosen.append(StockUnit(row.id, lot.gtin, lot.lot, row.serial, lot.id, row.status))
    return chosen


def _stock_of_lot(conn: Connection, merchant_id: int, batch_id: int, limit: int) -> list[Any]:
    """The first ``limit`` units in stock of a lot, by id (locked, skipping locked ones).

    One query per stock status, merged: each is a range of the (batch_id, status, id) index,
    so the lot's sold units (by FEFO, most of an old lot) are never read.
    """
    found: list[Any] = []
    for status in STOCK_STATUSES:
        query = (
            sa.select(units.c.id, units.c.serial, units.c.status)
            .where(
                units.c.batch_id == batch_id,
                units.c.status == status,
                units.c.merchant_id == merchant_id,
                units.c.recall_id.is_(None),
            )
            .order_by(units.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        found += conn.execute(query).all()
    found.sort(key=lambda row: row.id)
    return found[:limit]


def find_units(
    conn: Connection, keys: Sequence[tuple[str, str]], *, lock: bool = False
) -> dict[tuple[str, str], Any]:
    """The units named by (GTIN, serial), whoever's they are (a serialised GTIN is unique
    across the store, as GS1 asks), with their lot's data: one query per 500 codes."""
    found: dict[tuple[str, str], Any] = {}
    for start in range(0, len(keys), _CHUNK):
        chunk = list(keys[start : start + _CHUNK])
        query = (
            sa.select(
                units.c.id,
                units.c.merchant_id,
                units.c.gtin,
                units.c.serial,
                units.c.status,
                units.c.recall_id,
                units.c.order_line_id,
                units.c.batch_id,
                batches.c.lot,
                batches.c.expiry_date,
                batches.c.recall_id.label("lot_recall_id"),
            )
            .select_from(units.join(batches, batches.c.id == units.c.batch_id))
            .where(sa.tuple_(units.c.gtin, units.c.serial).in_(chunk))
        )
        if lock:
            query = query.with_for_update(of=units)
        for row in conn.execute(query):
            found[(row.gtin, row.serial)] = row
    return found


def _lots_named(
    conn: Connection, merchant_id: int, keys: set[tuple[str, str]]
) -> dict[tuple[str, str], Any]:
    found: dict[tuple[str, str], Any] = {}
    ordered = sorted(keys)
    for start in range(0, len(ordered), _CHUNK):
        chunk = ordered[start : start + _CHUNK]
        rows = conn.execute(
            sa.select(
                batches.c.id,
                batches.c.gtin,
                batches.c.lot,
                batches.c.product_id,
                batches.c.expiry_date,
                batches.c.recall_id,
            ).where(
                batches.c.merchant_id == merchant_id,
                sa.tuple_(batches.c.gtin, batches.c.lot).in_(chunk),
            )
        )
        for row in rows:
            found.setdefault((row.gtin, row.lot), row)
    return found


# --- binding scans -------------------------------------------------------------------------


def _unit_problem(row: Any, code: ScannedCode, merchant_id: int, today: date) -> tuple[str, str]:
    if row is None:
        return "unknown-code", "no unit has this GTIN and serial number"
    if row.merchant_id != merchant_id:
        return "other-merchant", "the code belongs to another merchant"
    if code.lot is not None and row.lot != code.lot:
        return "unknown-code", f"the unit is of lot {row.lot}, not of lot {code.lot}"
    if row.recall_id is not None or row.lot_recall_id is not None or row.status == "recalled":
        return "recalled", "the unit or its lot is recalled"
    if row.status in SOLD_STATUSES:
        return "already-sold", f"the unit is already {row.status}"
    if row.status not in SCANNABLE_STATUSES:
        return "already-sold", f"the unit is {row.status}"
    if row.expiry_date is not None and row.expiry_date < today:
        return "expired", f"its lot {row.lot} expired on {row.expiry_date.isoformat()}"
    return "", ""


def bind_scanned(
    conn: Connection,
    merchant_id: int,
    needs: Sequence[Need],
    codes: Sequence[Any],
    today: date,
    *,
    field_prefix: str = "units",
) -> dict[int, Binding]:
    """Check the scanned ``codes`` and bind them to ``needs`` (lines in order: a GTIN on
    several lines fills the first, then the next). Raises :class:`UnitsRefused` listing every
    refused code; returns the bindings by line id otherwise (the caller marks the units)."""
    scanned, refused = read_codes(codes)
    by_gtin: dict[str, list[Need]] = {}
    for need in needs:
        by_gtin.setdefault(need.gtin, []).append(need)
    unit_codes = [c for c in scanned if c.serial is not None]
    lot_codes = [c for c in scanned if c.serial is None]
    rows = find_units(conn, [(c.gtin, c.serial or "") for c in unit_codes], lock=True)
    bindings: dict[int, Binding] = {need.line_id: Binding() for need in needs}
    for code in unit_codes:
        row = rows.get((code.gtin, code.serial or ""))
        reason, detail = _unit_problem(row, code, merchant_id, today)
        if not reason:
            assert row is not None
            lines = [n for n in by_gtin.get(code.gtin, []) if n.by_unit]
            if not lines:
                reason, detail = "wrong-gtin", f"no line of this order takes GTIN {code.gtin}"
            else:
                target = next(
                    (n for n in lines if len(bindings[n.line_id].units) < n.quantity), None
                )
                if target is None:
                    total = sum(n.quantity for n in lines)
                    reason = "too-many"
                    detail = f"the order has {total} of GTIN {code.gtin}; this is one more"
                else:
                    bindings[target.line_id].units.append(
                        StockUnit(row.id, row.gtin, row.lot, row.serial, row.batch_id, row.status)
                    )
        if reason:
            refused.append(Refusal(code.index, code.raw, reason, detail))
    lots = _lots_named(conn, merchant_id, {(c.gtin, c.lot or "") for c in lot_codes if c.lot})
    for code in lot_codes:
        lines = by_gtin.get(code.gtin, [])
        reason, detail = "", ""
        batch = lots.get((code.gtin, code.lot or "")) if code.lot else None
        if code.lot is None:
            reason, detail = "unknown-code", "the code names neither a unit nor a lot"
        elif any(n.by_unit for n in lines):
            reason, detail = "serial-required", "the product is traced by unit: scan the unit"
        elif not lines:
            reason, detail = "wrong-gtin", f"no line of this order takes GTIN {code.gtin}"
        elif batch is None:
            reason, detail = "unknown-code", f"no lot {code.lot} of GTIN {code.gtin}"
        elif batch.recall_id is not None:
            reason, detail = "recalled", f"lot {batch.lot} is recalled"
        elif batch.expiry_date is not None and batch.expiry_date < today:
            reason, detail = "expired", f"lot {batch.lot} expired on {batch.expiry_date}"
        else:
            target = next((n for n in lines if bindings[n.line_id].lot is None), None)
            if target is None:
                reason, detail = "too-many", "each line binds one lot; every line has one"
            else:
                bindings[target.line_id].lot = Lot(
                    batch.id, batch.gtin, batch.lot, batch.expiry_date
                )
        if reason:
            refused.append(Refusal(code.index, code.raw, reason, detail))
    if refused:
        refused.sort(key=lambda r: r.index)
        raise UnitsRefused(refused, field_prefix=field_prefix)
    return bindings


def mark_units(
    conn: Connection,
    merchant_id: int,
    unit_ids: Sequence[int],
    *,
    status: str,
    from_statuses: Sequence[str],
    line_id: int | None = None,
) -> int:
    """Move the merchant's units ``unit_ids`` that are in ``from_statuses`` to ``status``
    (and bind them to ``line_id`` when given); returns how many moved."""
    moved = 0
    values: dict[str, Any] = {"status": status}
    if line_id is not None:
        values["order_line_id"] = line_id
    ids = list(unit_ids)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        result = conn.execute(
            units.update()
            .where(
                units.c.id.in_(chunk),
                units.c.merchant_id == merchant_id,
                units.c.status.in_(tuple(from_statuses)),
            )
            .values(**values)
        )
        moved += result.rowcount
    return moved
