"""Pushing the waiting events to every due endpoint, in seq order, a lease at a time."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import requests

from shoptrace.shop_plugin.services.clock import utcnow
from shoptrace.shop_plugin.services.retry import Outcome
from shoptrace.shop_plugin.services.upstream.credentials import CredentialError, _credential_headers
from shoptrace.shop_plugin.services.upstream.documents import _read_batch, _send
from shoptrace.shop_plugin.services.upstream.leases import (
    _accepted,
    _failed,
    _lease,
    _Leased,
    _release,
    _token,
)
from shoptrace.shop_plugin.services.upstream_visibility import mask_key
from shoptrace.shop_plugin.store.engine import Store

DEFAULT_MAX_ATTEMPTS = 10
DEFAULT_TIMEOUT = 30.0
BATCHES_PER_LEASE = 10
"""Batches one worker pushes to an endpoint before letting others have a turn."""
LEASE_CHUNK = 5
"""Endpoints one worker leases at a time."""


@dataclass
class SyncReport:
    """What one :func:`push_due` call did."""

    endpoints: int = 0
    """Endpoints leased."""
    batches: int = 0
    """Documents accepted (2xx)."""
    events: int = 0
    """Events in the accepted documents."""
    retrying: int = 0
    dead: int = 0
    lost: int = 0
    """Batches whose outcome was not stored: the endpoint was rewound, removed or taken over
    by another worker meanwhile."""

    def add(self, other: SyncReport) -> None:
        for name in ("endpoints", "batches", "events", "retrying", "dead", "lost"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def __str__(self) -> str:
        return (
            f"{self.events} events pushed in {self.batches} documents to "
            f"{self.endpoints} endpoints, {self.retrying} to retry, {self.dead} dead"
            + (f", {self.lost} lost to a change or another worker" if self.lost else "")
        )


def _push_endpoint(
    store: Store,
    leased: _Leased,
    http: requests.Session,
    signing_key: str,
    clock: Callable[[], datetime],
    *,
    timeout: float,
    max_attempts: int,
    rng: random.Random | None,
    report: SyncReport,
) -> None:
    row = leased.row
    cursor = int(row.pushed_seq)
    attempts = int(row.attempts)
    mask = mask_key(signing_key, row.merchant_id)
    try:
        auth: dict[str, str] | None = _credential_headers(signing_key, row)
        problem = None
    except CredentialError as exc:
        auth, problem = None, str(exc)
    for turn in range(BATCHES_PER_LEASE):
        with store.read() as conn:
            batch = _read_batch(conn, row, cursor, mask, clock())
        if batch is None:
            _release(store, row.id, leased.token)
            return
        if auth is None:
            outcome = Outcome(False, None, problem)
        else:
            outcome = _send(http, row, batch, auth, timeout)
        at = clock()
        if not outcome.ok:
            state = _failed(store, leased, attempts, outcome, at, max_attempts, rng)
            setattr(report, state, getattr(report, state) + 1)
            return
        more = batch.count == row.batch_size and turn + 1 < BATCHES_PER_LEASE
        token = _token(at, timeout) if more else None
        if not _accepted(store, leased, cursor, batch, outcome, at, token):
            report.lost += 1
            return
        report.batches += 1
        report.events += batch.count
        if token is None:
            return
        cursor, attempts, leased = batch.last, 0, _Leased(row, token)


def push_due(
    store: Store,
    signing_key: str,
    *,
    now: datetime | None = None,
    session: requests.Session | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    limit: int = 100,
    rng: random.Random | None = None,
) -> SyncReport:
    """Push the events waiting for every due endpoint (each leased once, up to ``limit``
    endpoints) and record each outcome. ``now`` fixes the clock (tests). HTTP requests are
    made outside any database transaction."""

    def clock() -> datetime:
        return now if now is not None else utcnow()

    report = SyncReport()
    own = session is None
    http = session if session is not None else requests.Session()
    seen: set[int] = set()
    try:
        while report.endpoints < limit:
            size = min(LEASE_CHUNK, limit - report.endpoints)
            chunk = _lease(store, clock(), size, timeout, seen)
            if not chunk:
                break
            for leased in chunk:
                seen.add(leased.row.id)
                report.endpoints += 1
                _push_endpoint(
                    store,
                    leased,
                    http,
                    signing_key,
                    clock,
                    timeout=timeout,
                    max_attempts=max_attempts,
                    rng=rng,
                    report=report,
                )
    finally:
        if own:
            http.close()
    return report
