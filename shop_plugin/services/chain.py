"""Tamper evidence: each merchant's events form a hash chain.

Event *n* of a merchant (``seq`` = n, in the order stored) carries
``chain_hash(n) = SHA-256(chain_hash(n-1) + event hash ID)`` in hex, starting from
:data:`GENESIS`. The merchant's head row (``event_chains``) holds the last position and hash.
A capture takes the head with an ``UPDATE`` before reading it, so concurrent writers of one
merchant, in any number of processes, wait for each other and extend the chain in turn.

:func:`verify` walks the chain again: it recomputes every event's hash ID from the stored
document, every chain hash, and compares the end with the head, naming the first event that
breaks it (an edited document or hash, a removed or reordered event, a cut-off tail).
A long chain is checked a page at a time (``limit``), each page continuing from the position
the one before verified, so no request has to hash a million events.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from shoptrace.sdk.epcis.fastpath import FastEvents
from shoptrace.sdk.epcis.hashing import EPCISHashError, event_hash
from shoptrace.shop_plugin.services.clock import iso, utcnow
from shoptrace.shop_plugin.services.errors import InvalidInput
from shoptrace.shop_plugin.services.pagination import MAX_ID
from shoptrace.shop_plugin.store.engine import Store
from shoptrace.shop_plugin.store.tables import epcis_contexts, event_chains, events

__all__ = [
    "BREAK_KINDS",
    "GENESIS",
    "Head",
    "decode_token",
    "encode_token",
    "link",
    "lock",
    "save",
    "verify",
]

GENESIS = "0" * 64
"""The chain hash before a merchant's first event."""
_BATCH = 2000
BREAK_KINDS = ("changed", "relinked", "removed", "truncated", "unreadable")
"""What a break can be: an event's document changed (it no longer gives its hash ID); a hash
ID or chain hash changed (the link does not follow); events removed from the middle or, after
an earlier page, at its last position; the tail cut off (the chain ends before its head, or
the head hash differs); an event that cannot be read or hashed at all."""


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


def _rows(store: Store, merchant_id: int, after: int, through: int) -> Iterator[Any]:
    """The merchant's events after position ``after`` up to ``through``, in chain order, a
    read transaction per batch."""
    while after < through:
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
                .where(
                    events.c.merchant_id == merchant_id,
                    events.c.seq > after,
                    events.c.seq <= through,
                )
                .order_by(events.c.seq)
                .limit(_BATCH)
            ).all()
        if not rows:
            return
        yield from rows
        after = rows[-1].seq


def encode_token(merchant_id: int, position: Head) -> str:
    """The ``nextPageToken`` of a check of the merchant's chain that verified it through
    ``position``."""
    text = f"v1:{merchant_id}:{position.seq}:{position.hash}"
    return base64.urlsafe_b64encode(text.encode("ascii")).decode("ascii").rstrip("=")


def decode_token(merchant_id: int, token: str, *, field: str = "pageToken") -> Head:
    """The position a ``nextPageToken`` of the merchant's check continues after; a bad
    token, or one of another merchant's check, is a 400."""
    found = None
    if len(token) <= 200:
        try:
            text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii")
        except (binascii.Error, ValueError, UnicodeDecodeError):
            text = ""
        found = _TOKEN.fullmatch(text)
    if (
        found is None
        or int(found.group(1)) != merchant_id
        or not 1 <= int(found.group(2)) <= MAX_ID
    ):
        raise InvalidInput.one(
            field, "page-token", "is not a token this API returned as nextPageToken", status=400
        )
    return Head(int(found.group(2)), found.group(3))


_TOKEN = re.compile(r"v1:([0-9]{1,19}):([0-9]{1,19}):([0-9a-f]{64})")


def verify(
    store: Store, merchant_id: int, *, after: Head | None = None, limit: int | None = None
) -> dict[str, Any]:
    """Recompute the merchant's chain; the report names the first event that breaks it.

    The chain checked is the one the head names when the check starts (events stored
    meanwhile are for the next check). ``limit`` bounds the events checked in this call:
    when it stops the walk before the head, the report is a page (``complete`` false,
    ``valid`` None) and ``nextPageToken`` continues it with ``after``
    (:func:`decode_token`) from the position verified last, whose stored chain hash must
    still be the one verified. The pages of one check together verify exactly what one call
    without a limit does.

    ``{"valid": True | False | None, "complete", "events" (checked here), "checked": {"from",
    "through"}, "head": {"seq", "hash"}, "firstBreak": None | {"seq", "eventID", "kind" (one
    of :data:`BREAK_KINDS`), "reason"}, "nextPageToken", "checkedAt"}``.
    """
    start = after or Head(0, GENESIS)
    with store.read() as conn:
        head_row = conn.execute(
            sa.select(event_chains.c.seq, event_chains.c.head).where(
                event_chains.c.merchant_id == merchant_id
            )
        ).one_or_none()
        contexts = _contexts(conn, merchant_id)
        broken = _moved(conn, merchant_id, start) if start.seq else None
    head = Head(0, GENESIS) if head_row is None else Head(int(head_row.seq), head_row.head)
    through = head.seq if limit is None else min(head.seq, start.seq + limit)
    hasher = _Hasher(contexts)
    current = start
    count = 0
    if broken is None:
        for row in _rows(store, merchant_id, start.seq, through):
            count += 1
            found = _check(row, current, hasher)
            if found is not None:
                kind, reason = found
                broken = {
                    "seq": int(row.seq),
                    "eventID": row.event_id,
                    "kind": kind,
                    "reason": reason,
                }
                break
            current = Head(int(row.seq), row.chain_hash)
    complete = broken is not None or current.seq >= head.seq or current.seq < through
    if broken is None and complete and current != head:
        broken = {
            "seq": current.seq + 1,
            "eventID": None,
            "kind": "truncated",
            "reason": (
                f"the chain ends at position {current.seq} but its head says {head.seq} "
                "(events after it were removed) or the head hash differs"
            ),
        }
    return {
        "valid": (broken is None) if complete else None,
        "complete": complete,
        "events": count,
        "checked": {"from": start.seq + 1, "through": current.seq},
        "head": {"seq": head.seq, "hash": head.hash},
        "firstBreak": broken,
        "nextPageToken": None if complete else encode_token(merchant_id, current),
        "checkedAt": iso(utcnow()),
    }


def _moved(conn: Connection, merchant_id: int, position: Head) -> dict[str, Any] | None:
    """Why the chain no longer holds at a position an earlier page verified, or None."""
    row = conn.execute(
        sa.select(events.c.event_id, events.c.chain_hash).where(
            events.c.merchant_id == merchant_id, events.c.seq == position.seq
        )
    ).one_or_none()
    if row is None:
        reason = "the event at this position, verified by the previous page, was removed"
        return {"seq": position.seq, "eventID": None, "kind": "removed", "reason": reason}
    if row.chain_hash != position.hash:
        reason = "the chain hash at this position changed after the previous page verified it"
        return {"seq": position.seq, "eventID": row.event_id, "kind": "relinked", "reason": reason}
    return None


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


def _check(row: Any, previous: Head, hasher: _Hasher) -> tuple[str, str] | None:
    """``(kind, why)`` ``row`` breaks the chain after ``previous`` (see :data:`BREAK_KINDS`),
    or None."""
    if row.seq != previous.seq + 1:
        return (
            "removed",
            f"expected position {previous.seq + 1} next, found {row.seq} (events removed)",
        )
    try:
        recomputed = hasher.hash_id(json.loads(row.document), row.context_id)
    except (ValueError, EPCISHashError) as exc:
        return "unreadable", f"the stored event cannot be read or hashed: {exc}"
    if recomputed != row.hash_id:
        return "changed", "the stored event does not match its hash ID (the event was changed)"
    if link(previous.hash, row.hash_id) != row.chain_hash:
        reason = "the chain hash does not follow from the previous one (hash ID or chain changed)"
        return "relinked", reason
    return None
