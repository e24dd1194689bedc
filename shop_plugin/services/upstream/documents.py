"""The documents pushed: the events after an endpoint's cursor, filtered for it, and the
request that sends them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import requests
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shoptrace.shop_plugin.services.epcis_exchange import document_text, event_text
from shoptrace.shop_plugin.services.retry import USER_AGENT, Outcome, post
from shoptrace.shop_plugin.services.upstream_visibility import disclosure, outbound_event
from shoptrace.shop_plugin.store.tables import events

MAX_DOCUMENT_BYTES = 8 << 20
"""A pushed document stops growing past this size (it always holds one event at least)."""


@dataclass(frozen=True)
class _Batch:
    first: int
    last: int
    count: int
    body: bytes


def _read_batch(
    conn: Connection, row: Any, cursor: int, mask: bytes, at: datetime
) -> _Batch | None:
    """The next events after ``cursor`` as the document to push, filtered for the endpoint;
    None when there is none."""
    found = conn.execute(
        sa.select(events.c.seq, events.c.document, events.c.context_id)
        .where(events.c.merchant_id == row.merchant_id, events.c.seq > cursor)
        .order_by(events.c.seq)
        .limit(row.batch_size)
    ).all()
    if not found:
        return None
    rows: list[Any] = []
    size = 0
    for item in found:
        size += len(item.document)
        if rows and size > MAX_DOCUMENT_BYTES:
            break
        rows.append(item)
    parsed = [json.loads(item.document) for item in rows]
    levels = disclosure(conn, row.merchant_id, parsed)
    texts = []
    for item, event, level in zip(rows, parsed, levels, strict=True):
        changed = outbound_event(event, level, partner=bool(row.partner), mask=mask)
        texts.append(item.document if changed is None else event_text(changed))
    body = document_text(
        conn, row.merchant_id, texts, [item.context_id for item in rows], created=at
    )
    return _Batch(rows[0].seq, rows[-1].seq, len(rows), body.encode("utf-8"))


def _target(row: Any) -> str:
    address = str(row.url)
    return address.rstrip("/") + "/capture" if row.mode == "capture" else address


def _send(
    http: requests.Session, row: Any, batch: _Batch, auth: dict[str, str], timeout: float
) -> Outcome:
    headers = {
        "Content-Type": "application/ld+json",
        "Accept": "application/json, application/problem+json",
        "User-Agent": USER_AGENT,
        "GS1-EPCIS-Version": "2.0.0",
        "GS1-CBV-Version": "2.0.0",
        **auth,
    }
    if row.mode == "capture":
        headers["GS1-Capture-Error-Behaviour"] = "rollback"
    return post(
        http, _target(row), batch.body, headers, timeout=timeout, what=f"upstream endpoint {row.id}"
    )
