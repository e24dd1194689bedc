"""The product, lots and units a recall request names, looked up and checked (422 for
unknown ones, 409 for those already under an open recall)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shoptrace.shop_plugin.services.errors import Conflict, FieldError, InvalidInput
from shoptrace.shop_plugin.services.recalls.shapes import _unit_ref
from shoptrace.shop_plugin.store.tables import batches, products, units

_CHUNK = 500


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
