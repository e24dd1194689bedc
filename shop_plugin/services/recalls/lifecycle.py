"""Creating a recall (marking its lots or units, capturing the recall event, storing the
impact) and closing it."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shoptrace.sdk import digital_link
from shoptrace.sdk.epcis import events as ev
from shoptrace.sdk.epcis.documents import standalone_event
from shoptrace.shop_plugin.services.capture import capture_event
from shoptrace.shop_plugin.services.clock import iso, utcnow
from shoptrace.shop_plugin.services.errors import Conflict, FieldError
from shoptrace.shop_plugin.services.outbox import enqueue_event
from shoptrace.shop_plugin.services.recalls.affected_orders import _orders_page
from shoptrace.shop_plugin.services.recalls.impact import impact_summary
from shoptrace.shop_plugin.services.recalls.lookup import (
    _CHUNK,
    _lot_batches,
    _named_units,
    _product,
)
from shoptrace.shop_plugin.services.recalls.reading import get_recall, recall_row
from shoptrace.shop_plugin.services.recalls.scope import _Scope
from shoptrace.shop_plugin.services.recalls.shapes import _CLOSE, _CREATE
from shoptrace.shop_plugin.services.validation import validate
from shoptrace.shop_plugin.store.tables import batches, recalls, units

GS1_STEM = "https://id.gs1.org"


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
    """Validate ``body`` and recall its lots or units (see the package docstring).

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
