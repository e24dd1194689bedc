"""The outbox: messages written in the transaction that caused them, delivered later.

A service that wants the merchant's webhook endpoints told about something calls
:func:`enqueue_event` inside its write transaction; if the transaction rolls back, no message
exists, and if it commits, the message is delivered (with retries) by the outbox worker even
when the process stops in between. One message per (channel, endpoint, key): enqueuing the
same event twice is harmless.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shoptrace.shop_plugin.services.clock import iso, utcnow
from shoptrace.shop_plugin.store.tables import outbox, webhook_endpoints

__all__ = ["WEBHOOK_TOPICS", "enqueue_event"]

WEBHOOK_TOPICS = ("recall.created", "recall.closed", "code.suspicious", "order.traced")
"""What a merchant's webhook endpoint can subscribe to."""


def enqueue_event(
    conn: Connection, merchant_id: int, *, topic: str, data: dict[str, Any], key: str
) -> int:
    """Queue ``data`` as a ``topic`` webhook for every enabled endpoint of the merchant that
    subscribes to it; ``key`` names the happening (``"recall:12:created"``) so a second call
    for it adds nothing. Returns the number of messages queued."""
    if topic not in WEBHOOK_TOPICS:
        raise ValueError(f"unknown webhook topic {topic!r}")
    rows = conn.execute(
        sa.select(webhook_endpoints.c.id, webhook_endpoints.c.topics).where(
            webhook_endpoints.c.merchant_id == merchant_id, webhook_endpoints.c.enabled
        )
    ).all()
    targets = [row.id for row in rows if topic in row.topics]
    if not targets:
        return 0
    now = utcnow()
    queued = 0
    for endpoint_id in targets:
        exists = conn.execute(
            sa.select(outbox.c.id).where(
                outbox.c.channel == "webhook",
                outbox.c.endpoint_id == endpoint_id,
                outbox.c.message_key == key,
            )
        ).first()
        if exists is not None:
            continue
        message_id = f"{key}:{endpoint_id}"
        body = {
            "id": message_id,
            "type": topic,
            "created": iso(now),
            "merchant": merchant_id,
            "data": data,
        }
        conn.execute(
            outbox.insert().values(
                merchant_id=merchant_id,
                channel="webhook",
                endpoint_id=endpoint_id,
                topic=topic,
                message_key=key,
                payload=json.dumps(body, ensure_ascii=False, separators=(",", ":")),
                status="pending",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )
        queued += 1
    return queued
