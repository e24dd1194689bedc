"""Webhook endpoints a merchant registers, and the log of deliveries to each.

An endpoint is an URL, the topics it subscribes to (:data:`~outbox.WEBHOOK_TOPICS`) and a
signing secret. The secret is never stored: it is derived from ``SHOPTRACE_SIGNING_KEY`` and
the endpoint's random salt (:func:`~outbox.endpoint_secret`), shown once when the endpoint
is created and when it is rotated (a new salt). A rotation keeps the previous salt for a
grace window (24 hours unless asked otherwise, at most 7 days), during which every message
is signed with both secrets, so the merchant's receiver keeps verifying until it has the new
one (as Stripe rolls endpoint secrets). Deliveries are the endpoint's outbox messages: listed
with their state, and put back to ``pending`` on request; delivered and dead ones are pruned
after the retention period (:mod:`.retention`).

Endpoints must be ``https://`` URLs on public hosts; with ``allow_local``
(``SHOPTRACE_WEBHOOK_LOCAL_URLS``) also hosts on this machine or a private network, over
``http://`` too. Host names are not resolved here: a public name pointing at a private
address is the DNS owner's choice.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shoptrace.sdk import digital_link
from shoptrace.sdk.errors import ShoptraceError
from shoptrace.shop_plugin.services.clock import iso, utcnow
from shoptrace.shop_plugin.services.endpoint_urls import endpoint_url
from shoptrace.shop_plugin.services.errors import (
    Conflict,
    FieldError,
    InvalidInput,
    NotFound,
)
from shoptrace.shop_plugin.services.outbox import (
    TEST_TOPIC,
    WEBHOOK_CHANNEL,
    WEBHOOK_TOPICS,
    endpoint_secret,
    enqueue_event,
    enqueue_test,
    event_id,
    mark_queued,
    new_secret_salt,
)
from shoptrace.shop_plugin.services.pagination import Page, fetch_page
from shoptrace.shop_plugin.services.rows import owned_row
from shoptrace.shop_plugin.services.validation import (
    INVALID,
    Check,
    Field,
    array,
    enum,
    integer,
    obj,
    text,
    validate,
)
from shoptrace.shop_plugin.store.engine import Store
from shoptrace.shop_plugin.store.tables import OUTBOX_STATUSES, outbox, webhook_endpoints

__all__ = [
    "DEFAULT_SECRET_GRACE",
    "MAX_ENDPOINTS",
    "MAX_SECRET_GRACE",
    "STATUSES",
    "TOPICS",
    "code_suspicious_receiver",
    "create_endpoint",
    "delete_endpoint",
    "endpoint_secret_of",
    "enqueue_code_suspicious",
    "get_delivery",
    "get_endpoint",
    "list_deliveries",
    "list_endpoints",
    "redeliver",
    "rotate_secret",
    "send_test",
    "update_endpoint",
]

log = logging.getLogger(__name__)

MAX_ENDPOINTS = 20
"""Endpoints one merchant may register."""

DEFAULT_SECRET_GRACE = 24 * 3600
"""Seconds a rotated-out secret keeps signing messages unless the rotation says otherwise."""

MAX_SECRET_GRACE = 7 * 24 * 3600
"""The longest grace window a rotation may ask for (``expiresInSeconds``)."""

STATUSES = OUTBOX_STATUSES
TOPICS = (*WEBHOOK_TOPICS, TEST_TOPIC)
"""Topics a delivery can have: the subscribable ones and the test message's."""


def _bad(errors: list[FieldError], path: str, rule: str, detail: str) -> Any:
    errors.append(FieldError(path, rule, detail))
    return INVALID


def _topics(value: Any, path: str, errors: list[FieldError]) -> Any:
    items = array(enum(WEBHOOK_TOPICS), max_items=len(WEBHOOK_TOPICS) * 4)(value, path, errors)
    if items is INVALID:
        return INVALID
    if not items:
        return _bad(errors, path, "min-items", "subscribe to at least one topic")
    return list(dict.fromkeys(items))


def _enabled(value: Any, path: str, errors: list[FieldError]) -> Any:
    if not isinstance(value, bool):
        return _bad(errors, path, "type", "must be true or false")
    return value


def _schema(*, partial: bool, allow_local: bool) -> Check:
    return obj(
        {
            "url": Field(
                endpoint_url(allow_local=allow_local, setting="SHOPTRACE_WEBHOOK_LOCAL_URLS"),
                required=True,
                nullable=False,
            ),
            "topics": Field(_topics, required=True, nullable=False),
            "description": Field(text(max_length=200)),
            "enabled": Field(_enabled, nullable=False),
        },
        partial=partial,
    )


def _previous_until(row: Any) -> Any:
    """When the endpoint's previous secret stops signing, or None when it has none (left)."""
    until = row.previous_secret_expires_at
    if row.previous_secret_salt is None or until is None or until <= utcnow():
        return None
    return until


def render_endpoint(row: Any) -> dict[str, Any]:
    """The API form of an endpoint (never with a secret, current or previous)."""
    return {
        "id": row.id,
        "url": row.url,
        "description": row.description,
        "topics": list(row.topics or []),
        "enabled": bool(row.enabled),
        "previousSecretExpiresAt": iso(_previous_until(row)),
        "createdAt": iso(row.created_at),
        "updatedAt": iso(row.updated_at),
    }


def _endpoint_row(conn: Connection, merchant_id: int, endpoint_id: int) -> Any:
    return owned_row(
        conn,
        webhook_endpoints,
        merchant_id,
        endpoint_id,
        field="webhook_id",
        what="webhook endpoint",
    )


def create_endpoint(
    conn: Connection, merchant_id: int, body: Any, *, allow_local: bool = False
) -> dict[str, Any]:
    """Validate ``body`` and register an endpoint (enabled unless ``enabled: false``); its
    secret is read once with :func:`endpoint_secret_of`."""
    data = validate(body, _schema(partial=False, allow_local=allow_local))
    count = conn.execute(
        sa.select(sa.func.count())
        .select_from(webhook_endpoints)
        .where(webhook_endpoints.c.merchant_id == merchant_id)
    ).scalar_one()
    if count >= MAX_ENDPOINTS:
        raise Conflict(
            f"a merchant may register at most {MAX_ENDPOINTS} webhook endpoints",
            errors=[FieldError("url", "max-endpoints", "delete an endpoint first")],
        )
    now = utcnow()
    endpoint_id = conn.execute(
        webhook_endpoints.insert()
        .values(
            merchant_id=merchant_id,
            url=data["url"],
            description=data.get("description"),
            topics=data["topics"],
            secret_salt=new_secret_salt(),
            enabled=data.get("enabled", True),
            created_at=now,
            updated_at=now,
        )
        .returning(webhook_endpoints.c.id)
    ).scalar_one()
    return get_endpoint(conn, merchant_id, endpoint_id)


def get_endpoint(conn: Connection, merchant_id: int, endpoint_id: int) -> dict[str, Any]:
    """One of the merchant's endpoints."""
    return render_endpoint(_endpoint_row(conn, merchant_id, endpoint_id))


def endpoint_secret_of(
    conn: Connection, merchant_id: int, endpoint_id: int, signing_key: str
) -> str:
    """The current signing secret (``whsec_...``) of one of the merchant's endpoints."""
    row = _endpoint_row(conn, merchant_id, endpoint_id)
    return endpoint_secret(signing_key, row.secret_salt)


def list_endpoints(conn: Connection, merchant_id: int, *, after: int = 0, limit: int = 50) -> Page:
    """The merchant's endpoints in id order."""
    query = sa.select(webhook_endpoints).where(webhook_endpoints.c.merchant_id == merchant_id)
    return fetch_page(
        conn, query, webhook_endpoints.c.id, after=after, limit=limit, render=render_endpoint
    )


def update_endpoint(
    conn: Connection,
    merchant_id: int,
    endpoint_id: int,
    body: Any,
    *,
    allow_local: bool = False,
) -> dict[str, Any]:
    """Change the members given: ``url``, ``topics``, ``description``, ``enabled``.

    A disabled endpoint gets no new messages and its pending ones wait (they are sent when
    it is enabled again); a topic dropped from ``topics`` gets no new messages.
    """
    data = validate(body, _schema(partial=True, allow_local=allow_local))
    row = _endpoint_row(conn, merchant_id, endpoint_id)
    if data.get("enabled") and not row.enabled:
        mark_queued(conn)  # the messages it held are due
    if data:
        conn.execute(
            webhook_endpoints.update()
            .where(
                webhook_endpoints.c.id == endpoint_id,
                webhook_endpoints.c.merchant_id == merchant_id,
            )
            .values(updated_at=utcnow(), **data)
        )
    return get_endpoint(conn, merchant_id, endpoint_id)


def _deliveries_of(merchant_id: int, endpoint_id: int) -> sa.ColumnElement[bool]:
    return sa.and_(
        outbox.c.merchant_id == merchant_id,
        outbox.c.channel == WEBHOOK_CHANNEL,
        outbox.c.endpoint_id == endpoint_id,
    )


def delete_endpoint(conn: Connection, merchant_id: int, endpoint_id: int) -> dict[str, Any]:
    """Remove an endpoint with its deliveries (messages not sent yet are dropped; one being
    sent at this moment may still arrive)."""
    _endpoint_row(conn, merchant_id, endpoint_id)
    conn.execute(outbox.delete().where(_deliveries_of(merchant_id, endpoint_id)))
    conn.execute(
        webhook_endpoints.delete().where(
            webhook_endpoints.c.id == endpoint_id,
            webhook_endpoints.c.merchant_id == merchant_id,
        )
    )
    return {"id": endpoint_id, "deleted": True}


_ROTATION = obj(
    {
        "expiresInSeconds": Field(integer(minimum=0, maximum=MAX_SECRET_GRACE), nullable=False),
    }
)


def _grace_seconds(body: Any) -> int:
    """``expiresInSeconds`` of a rotation body (None or ``{}``: the default); a bad one is a
    400 naming the member and the rule, as the action's parameters are."""
    if body is None:
        return DEFAULT_SECRET_GRACE
    errors: list[FieldError] = []
    data = _ROTATION(body, "", errors)
    if errors:
        raise InvalidInput(errors, status=400)
    seconds: int = data.get("expiresInSeconds", DEFAULT_SECRET_GRACE)
    return seconds


def rotate_secret(
    conn: Connection, merchant_id: int, endpoint_id: int, body: Any = None
) -> dict[str, Any]:
    """Give the endpoint a new secret (read it with :func:`endpoint_secret_of`).

    ``body`` may hold ``expiresInSeconds`` (0 to 7 days, default 24 hours): until then
    messages, retries included, are signed with the new and the previous secret, so the
    receiver keeps verifying while it moves to the new one; 0 drops the previous secret at
    once. A second rotation inside the window keeps the secret current until then as the
    previous one (the older one stops).
    """
    grace = _grace_seconds(body)
    _endpoint_row(conn, merchant_id, endpoint_id)
    now = utcnow()
    previous: dict[str, Any] = {"previous_secret_salt": None, "previous_secret_expires_at": None}
    if grace:
        until = now + timedelta(seconds=grace)
        if until.microsecond:  # to the next whole second: the time shown is the time kept
            until += timedelta(microseconds=1_000_000 - until.microsecond)
        # The salt the row holds as it is updated (not as read above): two rotations racing
        # leave the second's previous secret the one the first showed.
        previous = {
            "previous_secret_salt": webhook_endpoints.c.secret_salt,
            "previous_secret_expires_at": until,
        }
    conn.execute(
        webhook_endpoints.update()
        .where(
            webhook_endpoints.c.id == endpoint_id,
            webhook_endpoints.c.merchant_id == merchant_id,
        )
        .values(secret_salt=new_secret_salt(), updated_at=now, **previous)
    )
    return get_endpoint(conn, merchant_id, endpoint_id)


def render_delivery(row: Any, *, payload: bool = False) -> dict[str, Any]:
    """The API form of an outbox message of an endpoint."""
    found = {
        "id": row.id,
        "webhookId": row.endpoint_id,
        "eventId": event_id(row.merchant_id, row.message_key),
        "topic": row.topic,
        "status": row.status,
        "attempts": row.attempts,
        "nextAttemptAt": iso(row.next_attempt_at) if row.status == "pending" else None,
        "lastStatus": row.last_status,
        "lastError": row.last_error,
        "createdAt": iso(row.created_at),
        "deliveredAt": iso(row.delivered_at),
    }
    if payload:
        found["payload"] = json.loads(row.payload)
    return found


def list_deliveries(
    conn: Connection,
    merchant_id: int,
    endpoint_id: int,
    *,
    after: int = 0,
    limit: int = 50,
    status: str | None = None,
    topic: str | None = None,
) -> Page:
    """The endpoint's messages in the order they were queued, optionally of one status or
    topic."""
    _endpoint_row(conn, merchant_id, endpoint_id)
    query = sa.select(outbox).where(_deliveries_of(merchant_id, endpoint_id))
    if status is not None:
        query = query.where(outbox.c.status == status)
    if topic is not None:
        query = query.where(outbox.c.topic == topic)
    return fetch_page(conn, query, outbox.c.id, after=after, limit=limit, render=render_delivery)


def _delivery_row(conn: Connection, merchant_id: int, endpoint_id: int, delivery_id: int) -> Any:
    _endpoint_row(conn, merchant_id, endpoint_id)
    row = conn.execute(
        sa.select(outbox).where(
            outbox.c.id == delivery_id, _deliveries_of(merchant_id, endpoint_id)
        )
    ).one_or_none()
    if row is None:
        raise NotFound.of(
            "delivery_id",
            f"delivery {delivery_id} does not exist: it never did, or it was delivered or "
            "dead longer ago than the outbox keeps messages (SHOPTRACE_OUTBOX_RETENTION_DAYS, "
            "30 days by default) and was pruned",
        )
    return row


def get_delivery(
    conn: Connection, merchant_id: int, endpoint_id: int, delivery_id: int
) -> dict[str, Any]:
    """One delivery of the endpoint, with the body it sends."""
    return render_delivery(_delivery_row(conn, merchant_id, endpoint_id, delivery_id), payload=True)


def redeliver(
    conn: Connection, merchant_id: int, endpoint_id: int, delivery_id: int
) -> dict[str, Any]:
    """Send a message again, now: a dead or delivered one goes back to ``pending`` with a new
    round of tries; a pending one is made due at once."""
    endpoint = _endpoint_row(conn, merchant_id, endpoint_id)
    row = _delivery_row(conn, merchant_id, endpoint_id, delivery_id)
    if not endpoint.enabled:
        raise Conflict(
            f"webhook endpoint {endpoint_id} is disabled; enable it to send its messages",
            errors=[FieldError("webhook_id", "disabled", "the endpoint is disabled")],
        )
    now = utcnow()
    values: dict[str, Any] = {"next_attempt_at": now}
    if row.status != "pending":
        values |= {"status": "pending", "attempts": 0, "delivered_at": None, "lease_until": None}
    conn.execute(
        outbox.update()
        .where(outbox.c.id == row.id, _deliveries_of(merchant_id, endpoint_id))
        .values(**values)
    )
    mark_queued(conn)
    return get_delivery(conn, merchant_id, endpoint_id, delivery_id)


def send_test(conn: Connection, merchant_id: int, endpoint_id: int) -> dict[str, Any]:
    """Queue a :data:`~outbox.TEST_TOPIC` message for the endpoint, whatever its topics."""
    endpoint = _endpoint_row(conn, merchant_id, endpoint_id)
    if not endpoint.enabled:
        raise Conflict(
            f"webhook endpoint {endpoint_id} is disabled; enable it to test it",
            errors=[FieldError("webhook_id", "disabled", "the endpoint is disabled")],
        )
    message_id = enqueue_test(
        conn,
        merchant_id,
        endpoint_id,
        data={
            "webhookId": endpoint_id,
            "message": "A test message from shoptrace: this endpoint receives webhooks.",
        },
        key=f"test:{endpoint_id}:{secrets.token_hex(8)}",
    )
    assert message_id is not None  # a fresh key is never taken
    return get_delivery(conn, merchant_id, endpoint_id, message_id)


def enqueue_code_suspicious(
    conn: Connection,
    merchant_id: int,
    *,
    gtin: str,
    lot: str | None,
    serial: str,
    unit_id: int | None,
    reason: str,
    clients: int,
    base_url: str | None = None,
) -> int:
    """Queue the ``code.suspicious`` webhook of a flagged code (once per code and reason)."""
    uri = None
    if base_url is not None:
        try:
            uri = digital_link.build(base_url, gtin, lot=lot, serial=serial)
        except ShoptraceError:
            uri = None
    data = {
        "gtin": gtin,
        "lot": lot,
        "serial": serial,
        "uri": uri,
        "unitId": unit_id,
        "reason": reason,
        "clients": clients,
    }
    return enqueue_event(
        conn,
        merchant_id,
        topic="code.suspicious",
        data=data,
        key=f"code:{gtin}:{serial}:{reason}",
    )


def code_suspicious_receiver(store: Store, *, base_url: str | None = None) -> Callable[..., None]:
    """A receiver for :data:`~shoptrace.shop_plugin.signals.code_suspicious` that queues the
    ``code.suspicious`` webhook in a write transaction of its own. Connect it with
    ``weak=False``; it logs its failures instead of raising, so later receivers still run."""

    def receiver(
        _sender: Any,
        *,
        merchant_id: int,
        gtin: str,
        lot: str | None = None,
        serial: str,
        unit_id: int | None = None,
        reason: str,
        clients: int = 1,
        **_extra: Any,
    ) -> None:
        try:
            with store.begin() as conn:
                enqueue_code_suspicious(
                    conn,
                    merchant_id,
                    gtin=gtin,
                    lot=lot,
                    serial=serial,
                    unit_id=unit_id,
                    reason=reason,
                    clients=clients,
                    base_url=base_url,
                )
        except Exception:
            log.exception("could not queue the code.suspicious webhook of %s %s", gtin, serial)

    return receiver
