"""Reading recalls: one by id (the merchant's own only), a page of them, their API form."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shoptrace.shop_plugin.services.clock import iso
from shoptrace.shop_plugin.services.pagination import Page, fetch_page
from shoptrace.shop_plugin.services.rows import owned_row
from shoptrace.shop_plugin.store.tables import RECALL_STATUSES, recalls


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
