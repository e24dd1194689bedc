"""Tamper evidence: each merchant's events form a hash chain.

Event *n* of a merchant (``seq`` = n, in the order stored) carries
``chain_hash(n) = SHA-256(chain_hash(n-1) + event hash ID)`` in hex, starting from
:data:`GENESIS`. The merchant's head row (``event_chains``) holds the last position and hash.
A capture takes the head with an ``UPDATE`` before reading it, so concurrent writers of one
merchant, in any number of processes, wait for each other and extend the chain in turn.

:func:`verify` walks the chain again: it recomputes every event's hash ID from the stored
document, every chain hash, and compares the end with the head, naming the first event that
breaks it (an edited document or hash, a removed or reordered event, a cut-off tail).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from shoptrace.sdk.epcis.fastpath import FastEvents
from shoptrace.sdk.epcis.hashing import EPCISHashError, event_hash
from shoptrace.shop_plugin.services.clock import iso, utcnow
from shoptrace.shop_plugin.store.engine import Store
from shoptrace.shop_plugin.store.tables import epcis_contexts, event_chains, events

__all__ = ["GENESIS", "Head", "link", "lock", "save", "verify"]

GENESIS = "0" * 64
"""The chain hash before a merchant's first event."""
_BATCH = 2000


def link(previous: str, hash_id: str) -> str:
    """The chain hash after ``previous`` for an event with ``hash_id``."""
    return hashlib.sha256((previous + hash_id).encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Head:
    """A chain position and its hash."""

    seq: int
    hash: str

    def extend(self, hash_id: str) -> Head:
        return Head(self.seq + 1, link(self.hash, hash_id))


def lock(conn: Connection, merchant_id: int) -> Head:
    """The merchant's chain head, locked for the rest of the transaction (created if new)."""
    take = (
        sa.update(event_chains)
        .where(event_chains.c.merchant_id == merchant_id)
        .values(updated_at=utcnow())
        .returning(event_chains.c.seq, event_chains.c.head)
    )
    row = conn.execute(take).one_or_none()
    if row is None:
        insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
        conn.execute(
            insert(event_chains)
            .values(merchant_id=merchant_id, seq=0, head=GENESIS, updated_at=utcnow())
            .on_conflict_do_nothing(index_elements=["merchant_id"])
        )
        row = conn.execute(take).one()
    return Head(int(row.seq), row.head)


def save(conn: Connection, merchant_id: int, head: Head) -> None:
    """Move the merchant's head (hold the lock from :func:`lock`)."""
    conn.execute(
        sa.update(event_chains)
        .where(event_chains.c.merchant_id == merchant_id)
        .values(seq=head.seq, head=head.hash, updated_at=utcnow())
    )


def _contexts(conn: Connection, merchant_id: int) -> dict[int, Any]:
    rows = conn.execute(
        sa.select(epcis_contexts.c.id, epcis_contexts.c.body).where(
            epcis_contexts.c.merchant_id == merchant_id
        )
    )
    return {row.id: json.loads(row.body) for row in rows}


def _rows(store: Store, merchant_id: int) -> Iterator[Any]:
    """The merchant's events in chain order, a read transaction per batch."""
    after = 0
    while True:
        with store.read() as conn:
            rows = conn.execute(
                sa.select(
                    events.c.seq,
                    events.c.event_id,
                    events.c.hash_id,
                    events.c.chain_hash,
                    events.c.context_id,
                    events.c.document,
                )
                .where(events.c.merchant_id == merchant_id, events.c.seq > after)
                .order_by(events.c.seq)
                .limit(_BATCH)
            ).all()
        if not rows:
            return
        yield from rows
        after = rows[-1].seq


def verify(store: Store, merchant_id: int) -> dict[str, Any]:
    """Recompute the merchant's chain; the report names the first event that breaks it.

    ``{"valid", "events", "head": {"seq", "hash"}, "firstBreak": None | {"seq", "eventID",
    "reason"}, "checkedAt"}``.
    """
    with store.read() as conn:
        head_row = conn.execute(
            sa.select(event_chains.c.seq, event_chains.c.head).where(
                event_chains.c.merchant_id == merchant_id
            )
        ).one_or_none()
        contexts = _contexts(conn, merchant_id)
    head = Head(0, GENESIS) if head_row is None else Head(int(head_row.seq), head_row.head)
    hasher = _Hasher(contexts)
    current = Head(0, GENESIS)
    broken: dict[str, Any] | None = None
    count = 0
    for row in _rows(store, merchant_id):
        count += 1
        if broken is not None:
            continue
        reason = _check(row, current, hasher)
        if reason is not None:
            broken = {"seq": int(row.seq), "eventID": row.event_id, "reason": reason}
            continue
        current = Head(int(row.seq), row.chain_hash)
    if broken is None and current != head:
        broken = {
            "seq": current.seq + 1,
            "eventID": None,
            "reason": (
                f"the chain ends at position {current.seq} but its head says {head.seq} "
                "(events after it were removed) or the head hash differs"
            ),
        }
    return {
        "valid": broken is None,
        "events": count,
        "head": {"seq": head.seq, "hash": head.hash},
        "firstBreak": broken,
        "checkedAt": iso(utcnow()),
    }


class _Hasher:
    """Hash IDs of stored events: the common shapes by capture's fast path (with its caches
    kept across the walk, one per ``@context``), the rest by the general path."""

    def __init__(self, contexts: dict[int, Any]) -> None:
        self.contexts = contexts
        self._fast: dict[int | None, FastEvents] = {}

    def hash_id(self, document: Any, context_id: int | None) -> str:
        context = self.contexts.get(context_id) if context_id is not None else None
        fast = self._fast.get(context_id)
        if fast is None:
            fast = self._fast[context_id] = FastEvents(context)
        found = fast.check(document)
        return found.hash_id if found is not None else event_hash(document, context)


def _check(row: Any, previous: Head, hasher: _Hasher) -> str | None:
    """Why ``row`` breaks the chain after ``previous``, or None."""
    if row.seq != previous.seq + 1:
        return f"expected position {previous.seq + 1} next, found {row.seq} (events removed)"
    try:
        recomputed = hasher.hash_id(json.loads(row.document), row.context_id)
    except (ValueError, EPCISHashError) as exc:
        return f"the stored event cannot be read or hashed: {exc}"
    if recomputed != row.hash_id:
        return "the stored event does not match its hash ID (the event was changed)"
    if link(previous.hash, row.hash_id) != row.chain_hash:
        return "the chain hash does not follow from the previous one (hash ID or chain changed)"
    return None
