"""Bringing an endpoint back: resume it (a new round of tries now) or move its cursor to
push events again, or to skip them."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from shoptrace.shop_plugin.services.clock import utcnow
from shoptrace.shop_plugin.services.errors import Conflict, FieldError, InvalidInput
from shoptrace.shop_plugin.services.runner import mark
from shoptrace.shop_plugin.services.upstream.endpoints import _DUE
from shoptrace.shop_plugin.services.upstream.rendering import (
    _endpoint_row,
    _mine,
    get_endpoint,
    head_seq,
)
from shoptrace.shop_plugin.store.tables import upstream_endpoints


def _disabled(endpoint_id: int) -> Conflict:
    return Conflict(
        f"upstream endpoint {endpoint_id} is disabled; enable it first",
        errors=[FieldError("upstream_id", "disabled", "the endpoint is disabled")],
    )


def resume_endpoint(
    conn: Connection, merchant_id: int, endpoint_id: int, signing_key: str
) -> dict[str, Any]:
    """Try now: a dead endpoint comes back with a new round of tries, a retrying one stops
    waiting for its backoff."""
    row = _endpoint_row(conn, merchant_id, endpoint_id)
    if not row.enabled:
        raise _disabled(endpoint_id)
    conn.execute(
        upstream_endpoints.update()
        .where(_mine(merchant_id, endpoint_id))
        .values(attempts=0, dead_at=None, next_attempt_at=utcnow(), updated_at=utcnow())
    )
    mark(conn, _DUE)
    return get_endpoint(conn, merchant_id, endpoint_id, signing_key)


def rewind_endpoint(
    conn: Connection, merchant_id: int, endpoint_id: int, seq: int, signing_key: str
) -> dict[str, Any]:
    """Move the cursor to ``seq`` (0 to the merchant's last event): the events after it are
    pushed (again) from now on, in order; also forward, to skip events an endpoint refuses
    for good. Resumes a dead endpoint."""
    row = _endpoint_row(conn, merchant_id, endpoint_id)
    head = head_seq(conn, merchant_id)
    if not 0 <= seq <= head:
        raise InvalidInput.one(
            "seq", "range", f"must be from 0 to {head} (your last event)", status=400
        )
    if not row.enabled:
        raise _disabled(endpoint_id)
    now = utcnow()
    conn.execute(
        upstream_endpoints.update()
        .where(_mine(merchant_id, endpoint_id))
        .values(pushed_seq=seq, attempts=0, dead_at=None, next_attempt_at=now, updated_at=now)
    )
    mark(conn, _DUE)
    return get_endpoint(conn, merchant_id, endpoint_id, signing_key)
