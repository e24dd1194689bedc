"""Leasing due endpoints to one worker, and recording what became of a push under the
lease (the cursor moved, a retry scheduled, the endpoint dead)."""

from __future__ import annotations

import logging
import random
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from shoptrace.shop_plugin.services.retry import Outcome, next_delay
from shoptrace.shop_plugin.services.upstream.documents import _Batch
from shoptrace.shop_plugin.store.engine import Store
from shoptrace.shop_plugin.store.tables import event_chains, upstream_endpoints

log = logging.getLogger(__package__)  # one logger for the whole package


@dataclass
class _Leased:
    row: Any
    token: datetime


def _token(at: datetime, timeout: float) -> datetime:
    """A lease end covering one batch (its request and some margin); random microseconds
    make it this worker's token for recording the outcome."""
    return at + timedelta(seconds=timeout + 60, microseconds=secrets.randbelow(1_000_000))


def _lease(store: Store, at: datetime, size: int, timeout: float, skip: set[int]) -> list[_Leased]:
    """Lease up to ``size`` endpoints with events to push and no try pending, in one short
    write transaction."""
    ue = upstream_endpoints.c
    free = sa.or_(ue.lease_until.is_(None), ue.lease_until < at)
    due = sa.and_(ue.enabled, ue.dead_at.is_(None), ue.next_attempt_at <= at, free)
    backlog = (
        sa.select(event_chains.c.id)
        .where(event_chains.c.merchant_id == ue.merchant_id, event_chains.c.seq > ue.pushed_seq)
        .exists()
    )
    query = sa.select(ue.id).where(due, backlog).order_by(ue.next_attempt_at, ue.id).limit(size)
    if skip:
        query = query.where(ue.id.not_in(sorted(skip)))
    with store.read() as conn:
        # Most polls find nothing: they need not take SQLite's write lock to learn it.
        if conn.execute(query.limit(1)).first() is None:
            return []
    leased: list[_Leased] = []
    with store.begin() as conn:
        if conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True, of=upstream_endpoints)
        for endpoint_id in list(conn.execute(query).scalars()):
            token = _token(at, timeout)
            claimed = conn.execute(
                upstream_endpoints.update()
                .where(ue.id == endpoint_id, due)
                .values(lease_until=token)
            )
            if claimed.rowcount == 1:
                row = conn.execute(sa.select(upstream_endpoints).where(ue.id == endpoint_id)).one()
                leased.append(_Leased(row, token))
    return leased


def _release(store: Store, endpoint_id: int, token: datetime) -> None:
    ue = upstream_endpoints.c
    with store.begin() as conn:
        conn.execute(
            upstream_endpoints.update()
            .where(ue.id == endpoint_id, ue.lease_until == token)
            .values(lease_until=None)
        )


def _accepted(
    store: Store,
    leased: _Leased,
    cursor: int,
    batch: _Batch,
    outcome: Outcome,
    at: datetime,
    token: datetime | None,
) -> bool:
    """Move the cursor past an accepted batch (keeping the lease as ``token`` when more
    batches follow); False when the endpoint was rewound, removed or taken over."""
    ue = upstream_endpoints.c
    mine = sa.and_(ue.id == leased.row.id, ue.lease_until == leased.token)
    with store.begin() as conn:
        moved = conn.execute(
            upstream_endpoints.update()
            .where(mine, ue.pushed_seq == cursor)
            .values(
                pushed_seq=batch.last,
                attempts=0,
                last_status=outcome.status,
                last_error=None,
                last_attempt_at=at,
                last_success_at=at,
                next_attempt_at=at,
                lease_until=token,
            )
        )
        if moved.rowcount == 1:
            return True
        conn.execute(upstream_endpoints.update().where(mine).values(lease_until=None))
    log.warning("upstream endpoint %s: changed while a batch was pushed", leased.row.id)
    return False


def _failed(
    store: Store,
    leased: _Leased,
    attempts: int,
    outcome: Outcome,
    at: datetime,
    max_attempts: int,
    rng: random.Random | None,
) -> str:
    """Record a failed try: ``"retrying"``, ``"dead"``, or ``"lost"`` (lease taken over)."""
    ue = upstream_endpoints.c
    attempts += 1
    state = "dead" if attempts >= max_attempts else "retrying"
    values: dict[str, Any] = {
        "attempts": attempts,
        "last_status": outcome.status,
        "last_error": outcome.error,
        "last_attempt_at": at,
        "lease_until": None,
    }
    if state == "dead":
        values["dead_at"] = at
    else:
        values["next_attempt_at"] = at + next_delay(attempts, outcome.retry_after, rng=rng)
    with store.begin() as conn:
        moved = conn.execute(
            upstream_endpoints.update()
            .where(ue.id == leased.row.id, ue.lease_until == leased.token)
            .values(**values)
        )
    if moved.rowcount != 1:
        log.warning("upstream endpoint %s: lease lost before the outcome was stored", leased.row.id)
        return "lost"
    if state == "dead":
        log.warning(
            "upstream endpoint %s (merchant %s) dead after %s tries: %s",
            leased.row.id,
            leased.row.merchant_id,
            attempts,
            outcome.error,
        )
    return state
