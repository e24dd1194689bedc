"""Reading endpoints: the API form of one with its push state (never its credential), one
by id, a page of them."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shoptrace.shop_plugin.services.clock import iso
from shoptrace.shop_plugin.services.pagination import Page, fetch_page
from shoptrace.shop_plugin.services.rows import owned_row
from shoptrace.shop_plugin.services.upstream.credentials import _readable
from shoptrace.shop_plugin.store.tables import event_chains, upstream_endpoints

STATES = ("synced", "pending", "retrying", "dead", "disabled")
"""An endpoint's state: nothing to push, events waiting, failing and retrying, out of tries,
switched off."""


def head_seq(conn: Connection, merchant_id: int) -> int:
    """The position of the merchant's last event (0 before the first)."""
    found = conn.execute(
        sa.select(event_chains.c.seq).where(event_chains.c.merchant_id == merchant_id)
    ).scalar_one_or_none()
    return int(found or 0)


def _state(row: Any, head: int) -> str:
    if not row.enabled:
        return "disabled"
    if row.dead_at is not None:
        return "dead"
    if row.attempts:
        return "retrying"
    return "pending" if head > row.pushed_seq else "synced"


def render_endpoint(row: Any, head: int, signing_key: str) -> dict[str, Any]:
    """The API form of an endpoint with its push state (never its credential)."""
    state = _state(row, head)
    return {
        "id": row.id,
        "name": row.name,
        "url": row.url,
        "kind": row.kind,
        "partner": bool(row.partner),
        "mode": row.mode,
        "auth": {
            "type": row.auth_type,
            "header": row.auth_header,
            "readable": _readable(signing_key, row),
        },
        "batchSize": row.batch_size,
        "enabled": bool(row.enabled),
        "status": {
            "state": state,
            "pushedSeq": row.pushed_seq,
            "headSeq": head,
            "backlog": max(0, head - row.pushed_seq),
            "attempts": row.attempts,
            "nextAttemptAt": iso(row.next_attempt_at) if state in ("pending", "retrying") else None,
            "lastAttemptAt": iso(row.last_attempt_at),
            "lastStatus": row.last_status,
            "lastError": row.last_error,
            "lastSuccessAt": iso(row.last_success_at),
            "deadAt": iso(row.dead_at),
            "pulledUntil": iso(row.pulled_until),
        },
        "createdAt": iso(row.created_at),
        "updatedAt": iso(row.updated_at),
    }


def _endpoint_row(conn: Connection, merchant_id: int, endpoint_id: int) -> Any:
    return owned_row(
        conn,
        upstream_endpoints,
        merchant_id,
        endpoint_id,
        field="upstream_id",
        what="upstream endpoint",
    )


def _mine(merchant_id: int, endpoint_id: int) -> sa.ColumnElement[bool]:
    return sa.and_(
        upstream_endpoints.c.id == endpoint_id, upstream_endpoints.c.merchant_id == merchant_id
    )


def get_endpoint(
    conn: Connection, merchant_id: int, endpoint_id: int, signing_key: str
) -> dict[str, Any]:
    """One of the merchant's endpoints with its state."""
    row = _endpoint_row(conn, merchant_id, endpoint_id)
    return render_endpoint(row, head_seq(conn, merchant_id), signing_key)


def list_endpoints(
    conn: Connection, merchant_id: int, signing_key: str, *, after: int = 0, limit: int = 50
) -> Page:
    """The merchant's endpoints in id order, each with its state."""
    head = head_seq(conn, merchant_id)
    query = sa.select(upstream_endpoints).where(upstream_endpoints.c.merchant_id == merchant_id)
    return fetch_page(
        conn,
        query,
        upstream_endpoints.c.id,
        after=after,
        limit=limit,
        render=lambda row: render_endpoint(row, head, signing_key),
    )
