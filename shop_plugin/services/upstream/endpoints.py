"""Registering, changing and removing a merchant's upstream endpoints."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from shoptrace.shop_plugin.services.clock import utcnow
from shoptrace.shop_plugin.services.errors import Conflict, FieldError, InvalidInput
from shoptrace.shop_plugin.services.runner import mark
from shoptrace.shop_plugin.services.upstream.credentials import _sealed
from shoptrace.shop_plugin.services.upstream.rendering import (
    _endpoint_row,
    _mine,
    get_endpoint,
    head_seq,
)
from shoptrace.shop_plugin.services.upstream.shapes import _capture_url, _schema
from shoptrace.shop_plugin.services.validation import validate
from shoptrace.shop_plugin.store.tables import upstream_endpoints

MAX_ENDPOINTS = 20
"""Upstream endpoints one merchant may register."""
DEFAULT_BATCH_SIZE = 100

_DUE = "shoptrace.upstream.due"


def _name_taken(name: str) -> Conflict:
    return Conflict(
        f"an upstream endpoint named {name!r} exists already",
        errors=[FieldError("name", "unique", "another endpoint of yours has this name")],
    )


def create_endpoint(
    conn: Connection,
    merchant_id: int,
    body: Any,
    signing_key: str,
    *,
    allow_local: bool = False,
) -> dict[str, Any]:
    """Validate ``body`` and register an endpoint. With ``backfill`` (the default) every
    event stored so far is pushed to it; ``backfill: false`` starts with the next event."""
    data = validate(body, _schema(partial=False, allow_local=allow_local))
    count = conn.execute(
        sa.select(sa.func.count())
        .select_from(upstream_endpoints)
        .where(upstream_endpoints.c.merchant_id == merchant_id)
    ).scalar_one()
    if count >= MAX_ENDPOINTS:
        raise Conflict(
            f"a merchant may register at most {MAX_ENDPOINTS} upstream endpoints",
            errors=[FieldError("url", "max-endpoints", "delete an endpoint first")],
        )
    exists = conn.execute(
        sa.select(upstream_endpoints.c.id).where(
            upstream_endpoints.c.merchant_id == merchant_id,
            upstream_endpoints.c.name == data["name"],
        )
    ).first()
    if exists is not None:
        raise _name_taken(data["name"])
    kind = data.get("kind", "other")
    auth = data.get("auth") or {"type": "none"}
    now = utcnow()
    try:
        with conn.begin_nested():
            endpoint_id = conn.execute(
                upstream_endpoints.insert()
                .values(
                    merchant_id=merchant_id,
                    name=data["name"],
                    url=data["url"],
                    kind=kind,
                    partner=data.get("partner", kind == "partner"),
                    mode=data.get("mode", "capture"),
                    auth_type=auth["type"],
                    auth_header=auth.get("name"),
                    sealed_credential=None,
                    batch_size=data.get("batchSize", DEFAULT_BATCH_SIZE),
                    enabled=data.get("enabled", True),
                    pushed_seq=0 if data.get("backfill", True) else head_seq(conn, merchant_id),
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                    updated_at=now,
                )
                .returning(upstream_endpoints.c.id)
            ).scalar_one()
    except IntegrityError:
        raise _name_taken(data["name"]) from None
    if auth["type"] != "none":
        conn.execute(
            upstream_endpoints.update()
            .where(_mine(merchant_id, endpoint_id))
            .values(sealed_credential=_sealed(signing_key, merchant_id, endpoint_id, auth))
        )
    mark(conn, _DUE)
    return get_endpoint(conn, merchant_id, endpoint_id, signing_key)


def update_endpoint(
    conn: Connection,
    merchant_id: int,
    endpoint_id: int,
    body: Any,
    signing_key: str,
    *,
    allow_local: bool = False,
) -> dict[str, Any]:
    """Change the members given. A new ``url``, ``mode`` or ``auth`` is a fresh start: the
    tries are reset and a dead endpoint is resumed (the cursor stays; rewind to resend).
    ``enabled: false`` stops pushing after the batch in hand; events wait for it."""
    row = _endpoint_row(conn, merchant_id, endpoint_id)
    data = validate(body, _schema(partial=True, allow_local=allow_local))
    if "url" in data or "mode" in data:
        errors: list[FieldError] = []
        _capture_url(
            {"url": data.get("url", row.url), "mode": data.get("mode", row.mode)}, "", errors
        )
        if errors:
            raise InvalidInput(errors)
    if "name" in data and data["name"] != row.name:
        taken = conn.execute(
            sa.select(upstream_endpoints.c.id).where(
                upstream_endpoints.c.merchant_id == merchant_id,
                upstream_endpoints.c.name == data["name"],
            )
        ).first()
        if taken is not None:
            raise _name_taken(data["name"])
    values: dict[str, Any] = {}
    for member, column in (
        ("name", "name"),
        ("url", "url"),
        ("kind", "kind"),
        ("partner", "partner"),
        ("mode", "mode"),
        ("batchSize", "batch_size"),
        ("enabled", "enabled"),
    ):
        if member in data:
            values[column] = data[member]
    if "auth" in data:
        auth = data["auth"]
        values["auth_type"] = auth["type"]
        values["auth_header"] = auth.get("name")
        values["sealed_credential"] = (
            None if auth["type"] == "none" else _sealed(signing_key, merchant_id, endpoint_id, auth)
        )
    now = utcnow()
    fresh = any(
        member in data and data[member] != current
        for member, current in (("url", row.url), ("mode", row.mode))
    ) or ("auth" in data)
    if fresh:
        values.update(attempts=0, dead_at=None, next_attempt_at=now)
    if values:
        try:
            with conn.begin_nested():
                conn.execute(
                    upstream_endpoints.update()
                    .where(_mine(merchant_id, endpoint_id))
                    .values(updated_at=now, **values)
                )
        except IntegrityError:
            raise _name_taken(data["name"]) from None
    if fresh or (data.get("enabled") and not row.enabled):
        mark(conn, _DUE)
    return get_endpoint(conn, merchant_id, endpoint_id, signing_key)


def delete_endpoint(conn: Connection, merchant_id: int, endpoint_id: int) -> dict[str, Any]:
    """Remove an endpoint (a batch being pushed at this moment may still arrive)."""
    _endpoint_row(conn, merchant_id, endpoint_id)
    conn.execute(upstream_endpoints.delete().where(_mine(merchant_id, endpoint_id)))
    return {"id": endpoint_id, "deleted": True}
