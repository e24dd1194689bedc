"""What refers to a product or a lot (batch), and so keeps it from being deleted.

A product or lot registered by mistake (a typo in its GTIN or lot number) may be deleted
while nothing refers to it. Once anything does, it is kept: trace records are kept, and a
product or lot is part of the records that name it. The references, from ``store/tables.py``:

Products:

- ``batches.product_id`` (foreign key): its lots. Refused; delete the lots first.
- ``order_lines.product_id`` (foreign key): order lines matched to it. Refused.
- ``recalls.product_id`` (foreign key) and ``recalls.gtin``: its recalls. Refused.
- ``event_epcs.epc``: EPCIS events naming an EPC of its GTIN (a unit, a lot, the class), which
  capture takes with or without lots registered here. Refused: their trace shows the product.
- ``units.gtin``, ``batches.gtin``: only through its lots.
- ``order_lines.gtin`` of lines matched to no product (``untraced``): the shop's text, not a
  reference; such lines stay untraced as they were. Not refused.
- ``scans.gtin``, ``code_flags.gtin``: the resolver's records of codes scanned (of a GTIN without
  lots, unknown or forged serials). They are kept as they are. Not refused.
- The listing (shop product id, SKU, listing URL) is the product's own columns.

Lots:

- ``units.batch_id``, ``issuances.batch_id`` (foreign keys): codes issued, or an issuance
  started (pending or failed ones too).
- ``order_lines.batch_id`` (foreign key): lines bound to the lot.
- ``batches.recall_id`` and ``recalls.lots`` (with the recall's GTIN): recalls naming it, open
  or closed.
- ``event_epcs.epc``: events naming the lot (its class, ``/01/{gtin}/10/{lot}``).
- ``scans.lot``, ``code_flags.lot``: kept, not refused (as above).

Counting stops at :data:`LIMIT` (a GTIN may have millions of events; a refusal only needs to
say there are some). A foreign key still refuses what a concurrent writer added between the
check and the delete (:func:`delete_row`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from shoptrace.sdk.digital_link import escape
from shoptrace.shop_plugin.services.errors import Conflict, FieldError, Use
from shoptrace.shop_plugin.services.event_store import canonical_epc
from shoptrace.shop_plugin.store.tables import (
    batches,
    event_epcs,
    issuances,
    order_lines,
    recalls,
    units,
)

__all__ = ["BATCH_USES", "LIMIT", "PRODUCT_USES", "batch_uses", "delete_row", "product_uses"]

LIMIT = 1000
"""Rows of one kind counted at most."""
PRODUCT_USES = ("lots", "orderLines", "recalls", "events")
"""What may refer to a product (:attr:`Use.what`), in the order refusals list them."""
BATCH_USES = ("codes", "issuances", "recalls", "orderLines", "events")
"""What may refer to a lot, in the order refusals list them."""
_STEM = "https://id.gs1.org"


def _count(conn: Connection, query: Any) -> tuple[int, bool]:
    """How many rows ``query`` selects, and whether there are more than :data:`LIMIT`."""
    found = conn.execute(
        sa.select(sa.func.count()).select_from(query.limit(LIMIT + 1).subquery())
    ).scalar_one()
    return (LIMIT, True) if found > LIMIT else (int(found), False)


def _many(count: int, more: bool, one: str, many: str) -> str:
    """``1 lot``, ``3 lots``, ``1000+ lots``."""
    return f"{count}+ {many}" if more else f"{count} {one if count == 1 else many}"


def _use(
    conn: Connection,
    what: str,
    query: Any,
    words: tuple[str, str],
    detail: Callable[[str], str],
) -> Use | None:
    """A use of ``what`` when ``query`` selects rows: ``detail`` gets the count in ``words``
    (singular, plural), e.g. ``3 lots``."""
    count, more = _count(conn, query)
    if not count:
        return None
    return Use(what, count, more, detail(_many(count, more, *words)))


def _events(merchant_id: int, *conditions: sa.ColumnElement[bool]) -> Any:
    """The merchant's events (their positions) with an EPC meeting one of ``conditions``: one
    index search each, united (as one OR, SQLite walked all of the merchant's EPCs)."""
    selects = [
        sa.select(event_epcs.c.seq).where(event_epcs.c.merchant_id == merchant_id, condition)
        for condition in conditions
    ]
    return selects[0].distinct() if len(selects) == 1 else sa.union(*selects)


def product_uses(conn: Connection, merchant_id: int, product: Any) -> list[Use]:
    """What refers to ``product`` (the merchant's product row), in :data:`PRODUCT_USES`
    order; empty when it may be deleted."""
    stem = f"{_STEM}/01/{product.gtin}"
    epc = event_epcs.c.epc
    # The GTIN's own class, and every EPC below it (/10/{lot}, /21/{serial}, /22/{cpv}).
    named = (epc == stem, sa.and_(epc >= stem + "/", epc < stem + "0"))
    found = [
        _use(
            conn,
            "lots",
            sa.select(batches.c.id).where(
                batches.c.product_id == product.id, batches.c.merchant_id == merchant_id
            ),
            ("lot (batch)", "lots (batches)"),
            lambda n: (
                f"it has {n}; trace records are kept, so delete the lots first if they are unused"
            ),
        ),
        _use(
            conn,
            "orderLines",
            sa.select(order_lines.c.id).where(
                order_lines.c.merchant_id == merchant_id,
                order_lines.c.gtin == product.gtin,
                order_lines.c.product_id == product.id,
            ),
            ("order line is", "order lines are"),
            lambda n: f"{n} matched to it; orders are kept",
        ),
        _use(
            conn,
            "recalls",
            sa.select(recalls.c.id).where(
                recalls.c.merchant_id == merchant_id, recalls.c.gtin == product.gtin
            ),
            ("recall names", "recalls name"),
            lambda n: f"{n} it; recalls are kept",
        ),
        _use(
            conn,
            "events",
            _events(merchant_id, *named),
            ("EPCIS event names", "EPCIS events name"),
            lambda n: f"{n} its GTIN; events are trace records and are kept",
        ),
    ]
    return [use for use in found if use is not None]


def batch_uses(conn: Connection, merchant_id: int, batch: Any) -> list[Use]:
    """What refers to ``batch`` (the merchant's batch row), in :data:`BATCH_USES` order;
    empty when it may be deleted."""
    codes = _use(
        conn,
        "codes",
        sa.select(units.c.id).where(
            units.c.batch_id == batch.id, units.c.merchant_id == merchant_id
        ),
        ("unit code was", "unit codes were"),
        lambda n: f"{n} issued for it; issued codes are trace records and are kept",
    )
    started = None
    if codes is None:  # an issuance that made no codes yet (pending, running or failed)
        started = _use(
            conn,
            "issuances",
            sa.select(issuances.c.id).where(
                issuances.c.batch_id == batch.id, issuances.c.merchant_id == merchant_id
            ),
            ("code issuance was", "code issuances were"),
            lambda n: f"{n} started for it",
        )
    found = [codes, started, _recalls(conn, merchant_id, batch)]
    lot_epc = canonical_epc(f"{_STEM}/01/{batch.gtin}/10/{escape(batch.lot)}")
    found += [
        _use(
            conn,
            "orderLines",
            sa.select(order_lines.c.id).where(
                order_lines.c.batch_id == batch.id, order_lines.c.merchant_id == merchant_id
            ),
            ("order line is", "order lines are"),
            lambda n: f"{n} bound to it; orders are kept",
        ),
        _use(
            conn,
            "events",
            _events(merchant_id, event_epcs.c.epc == lot_epc),
            ("EPCIS event names", "EPCIS events name"),
            lambda n: f"{n} the lot; events are trace records and are kept",
        ),
    ]
    return [use for use in found if use is not None]


def _recalls(conn: Connection, merchant_id: int, batch: Any) -> Use | None:
    """The recalls (open or closed) whose lots include the batch's lot."""
    rows = conn.execute(
        sa.select(recalls.c.id, recalls.c.lots).where(
            recalls.c.merchant_id == merchant_id,
            recalls.c.gtin == batch.gtin,
            recalls.c.scope == "lots",
        )
    )
    named = {row.id for row in rows if isinstance(row.lots, list) and batch.lot in row.lots}
    if batch.recall_id is not None:
        named.add(batch.recall_id)
    if not named:
        return None
    words = _many(len(named), False, "recall names", "recalls name")
    return Use("recalls", len(named), False, f"{words} it; recalls are kept")


def delete_row(
    conn: Connection, table: sa.Table, merchant_id: int, row_id: int, *, field: str, what: str
) -> None:
    """Delete the merchant's row ``row_id`` of ``table``, checked unused; a row a concurrent
    transaction came to refer to meanwhile is kept (its foreign key refuses) with a 409."""
    try:
        conn.execute(table.delete().where(table.c.id == row_id, table.c.merchant_id == merchant_id))
    except IntegrityError:
        detail = f"{what} {row_id} came into use while it was being deleted; it is kept"
        raise Conflict(detail, errors=[FieldError(field, "in-use", detail)]) from None
