"""The outbox: messages written in the transaction that caused them, delivered later.

A service that wants the merchant's webhook endpoints told about something calls
:func:`enqueue_event` inside its write transaction; if the transaction rolls back, no message
exists, and if it commits, the message is delivered (with retries) by the outbox worker even
when the process stops in between. One message per (channel, endpoint, key): enqueuing the
same event twice is harmless.

:func:`deliver_due` is the worker's one step: it leases the messages that are due (a lease,
``lease_until``, so two workers never send one message while it holds), sends each outside
any transaction, and records the outcome: a 2xx answer delivers it; anything else schedules
the next try with exponential backoff and jitter, until the last try dead-letters it.
Delivery is at least once: a worker that dies after sending but before recording lets the
lease run out and the message be sent again, with the same ``ShopTrace-Event-Id``.

The loop knows nothing of webhooks beyond :class:`WebhookChannel`: each outbox channel
(``webhook`` now) says which of its messages may be sent and where, with what headers. (EPCIS
pushes to upstream platforms need no messages: they follow each merchant's event sequence
with a cursor per endpoint, see :mod:`.upstream`.) The backoff schedule and the thread are
shared with them (:mod:`.retry`, :mod:`.runner`).

:class:`OutboxRunner` is the in-process worker of ``SHOPTRACE_OUTBOX_RUNNER=thread``: a daemon
thread polling every ``interval`` seconds, woken as soon as a transaction that queued a
message has committed (the connection going back to the pool carries a mark that
:func:`enqueue_event` set). Given a :class:`~.retention.Retention`, it also prunes old
delivered and dead messages, platform hook records and expired idempotency keys, at most
once an hour.

A webhook endpoint rotated with a grace window has two secrets until the window ends: its
messages carry two ``v1`` signatures, the new secret's first.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import random
import secrets
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol

import requests
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from shoptrace.sdk.webhooks import SIGNATURE_HEADER, sign
from shoptrace.shop_plugin.services.clock import iso, utcnow
from shoptrace.shop_plugin.services.retention import PruneSchedule, Retention
from shoptrace.shop_plugin.services.retry import (
    BACKOFF_BASE,
    BACKOFF_CAP,
    USER_AGENT,
    Outcome,
    backoff,
    next_delay,
    post,
)
from shoptrace.shop_plugin.services.runner import PollingRunner, mark
from shoptrace.shop_plugin.store.engine import Store
from shoptrace.shop_plugin.store.tables import outbox, webhook_endpoints

__all__ = [
    "BACKOFF_BASE",
    "BACKOFF_CAP",
    "DEFAULT_MAX_ATTEMPTS",
    "TEST_TOPIC",
    "USER_AGENT",
    "WEBHOOK_CHANNEL",
    "WEBHOOK_TOPICS",
    "Channel",
    "DeliveryReport",
    "OutboxRunner",
    "Target",
    "WebhookChannel",
    "backoff",
    "deliver_due",
    "endpoint_secret",
    "enqueue_event",
    "enqueue_message",
    "enqueue_test",
    "event_id",
    "mark_queued",
    "new_secret_salt",
]

log = logging.getLogger(__name__)

WEBHOOK_TOPICS = ("recall.created", "recall.closed", "code.suspicious", "order.traced")
"""What a merchant's webhook endpoint can subscribe to."""

TEST_TOPIC = "webhook.test"
"""The topic of ``POST /webhooks/{id}/test`` messages: sent to that one endpoint whatever it
subscribes to; not a topic an endpoint subscribes to."""

WEBHOOK_CHANNEL = "webhook"
DEFAULT_MAX_ATTEMPTS = 8
DEFAULT_TIMEOUT = 10.0
LEASE_CHUNK = 10
"""Messages one worker leases at a time."""

_ENQUEUED = "shoptrace.outbox.enqueued"
_SECRET_DOMAIN = b"shoptrace webhook endpoint secret v1\x00"


def new_secret_salt() -> str:
    """A fresh random salt for a webhook endpoint's secret (hex)."""
    return secrets.token_hex(32)


def endpoint_secret(signing_key: str, salt: str) -> str:
    """The signing secret of an endpoint: ``whsec_`` and a key derived from the master signing
    key and the endpoint's salt (so the database alone does not hold it)."""
    digest = hmac.digest(
        signing_key.encode("utf-8"), _SECRET_DOMAIN + bytes.fromhex(salt), "sha256"
    )
    return "whsec_" + base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def event_id(merchant_id: int, key: str) -> str:
    """The id of the happening ``key`` of a merchant (``evt_`` and 32 hex digits): the body's
    ``id`` and the ``ShopTrace-Event-Id`` header, the same on every try and redelivery."""
    digest = hashlib.sha256(f"{merchant_id}\x00{key}".encode()).hexdigest()
    return "evt_" + digest[:32]


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return iso(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _body(merchant_id: int, topic: str, key: str, data: dict[str, Any], now: datetime) -> str:
    body = {
        "id": event_id(merchant_id, key),
        "type": topic,
        "created": iso(now),
        "merchant": merchant_id,
        "data": data,
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=_json_default)


def mark_queued(conn: Connection) -> None:
    """Note on ``conn`` that its transaction made a message due, so the in-process runner is
    woken once the connection is handed back (after the commit)."""
    mark(conn, _ENQUEUED)


def enqueue_message(
    conn: Connection,
    merchant_id: int,
    *,
    channel: str,
    endpoint_id: int,
    topic: str,
    key: str,
    payload: str,
) -> int | None:
    """Queue one message for one endpoint of a channel; the new row's id, or None when the
    endpoint has a message with this key already. Any channel (``upstream`` too)."""
    if not key or len(key) > 255:
        raise ValueError("an outbox message key must have 1 to 255 characters")
    exists = conn.execute(
        sa.select(outbox.c.id).where(
            outbox.c.channel == channel,
            outbox.c.endpoint_id == endpoint_id,
            outbox.c.message_key == key,
        )
    ).first()
    if exists is not None:
        return None
    now = utcnow()
    try:
        with conn.begin_nested():
            message_id = conn.execute(
                outbox.insert()
                .values(
                    merchant_id=merchant_id,
                    channel=channel,
                    endpoint_id=endpoint_id,
                    topic=topic,
                    message_key=key,
                    payload=payload,
                    status="pending",
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                )
                .returning(outbox.c.id)
            ).scalar_one()
    except IntegrityError:
        return None  # a concurrent transaction queued it first
    mark_queued(conn)
    return int(message_id)


def enqueue_event(
    conn: Connection, merchant_id: int, *, topic: str, data: dict[str, Any], key: str
) -> int:
    """Queue ``data`` as a ``topic`` webhook for every enabled endpoint of the merchant that
    subscribes to it; ``key`` names the happening (``"recall:12:created"``) so a second call
    for it adds nothing. Returns the number of messages queued.

    The body is ``{"id", "type", "created", "merchant", "data"}``; keep ``data`` small (a
    summary and ids to fetch the rest with, not thousands of rows): endpoints get it whole.
    """
    if topic not in WEBHOOK_TOPICS:
        raise ValueError(f"unknown webhook topic {topic!r}")
    rows = conn.execute(
        sa.select(webhook_endpoints.c.id, webhook_endpoints.c.topics)
        .where(webhook_endpoints.c.merchant_id == merchant_id, webhook_endpoints.c.enabled)
        .order_by(webhook_endpoints.c.id)
    ).all()
    targets = [row.id for row in rows if topic in (row.topics or ())]
    if not targets:
        return 0
    payload = _body(merchant_id, topic, key, data, utcnow())
    queued = 0
    for endpoint_id in targets:
        added = enqueue_message(
            conn,
            merchant_id,
            channel=WEBHOOK_CHANNEL,
            endpoint_id=endpoint_id,
            topic=topic,
            key=key,
            payload=payload,
        )
        queued += added is not None
    return queued


def enqueue_test(
    conn: Connection, merchant_id: int, endpoint_id: int, *, data: dict[str, Any], key: str
) -> int | None:
    """Queue a :data:`TEST_TOPIC` message for one endpoint (whatever its topics)."""
    payload = _body(merchant_id, TEST_TOPIC, key, data, utcnow())
    return enqueue_message(
        conn,
        merchant_id,
        channel=WEBHOOK_CHANNEL,
        endpoint_id=endpoint_id,
        topic=TEST_TOPIC,
        key=key,
        payload=payload,
    )


# Delivery ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """Where one endpoint's messages go: its URL and the extra headers for a body."""

    url: str
    enabled: bool
    headers: Callable[[bytes], dict[str, str]] = field(repr=False)


class Channel(Protocol):
    """An outbox channel: which of its messages may be sent now, and where."""

    name: str

    def sendable(self) -> sa.ColumnElement[bool]:
        """A condition on ``outbox`` rows of this channel whose endpoint takes messages."""
        ...

    def targets(self, conn: Connection, endpoints: set[tuple[int, int]]) -> dict[int, Target]:
        """The targets of ``(merchant_id, endpoint_id)`` pairs, by endpoint id; an endpoint
        that no longer exists is left out."""
        ...


class WebhookChannel:
    """Merchants' webhook endpoints: bodies signed with each endpoint's secret."""

    name = WEBHOOK_CHANNEL

    def __init__(self, signing_key: str) -> None:
        self._signing_key = signing_key

    def __repr__(self) -> str:
        return "WebhookChannel()"

    def sendable(self) -> sa.ColumnElement[bool]:
        enabled = sa.select(webhook_endpoints.c.id).where(webhook_endpoints.c.enabled)
        return outbox.c.endpoint_id.in_(enabled.scalar_subquery())

    def targets(self, conn: Connection, endpoints: set[tuple[int, int]]) -> dict[int, Target]:
        if not endpoints:
            return {}
        rows = conn.execute(
            sa.select(
                webhook_endpoints.c.id,
                webhook_endpoints.c.merchant_id,
                webhook_endpoints.c.url,
                webhook_endpoints.c.secret_salt,
                webhook_endpoints.c.previous_secret_salt,
                webhook_endpoints.c.previous_secret_expires_at,
                webhook_endpoints.c.enabled,
            ).where(webhook_endpoints.c.id.in_(sorted({e for _, e in endpoints})))
        ).all()
        found = {}
        for row in rows:
            if (row.merchant_id, row.id) not in endpoints:
                continue
            secret = endpoint_secret(self._signing_key, row.secret_salt)
            previous = None
            until = row.previous_secret_expires_at
            if row.previous_secret_salt is not None and until is not None:
                previous = (endpoint_secret(self._signing_key, row.previous_secret_salt), until)
            found[row.id] = Target(row.url, bool(row.enabled), _signer(secret, previous))
        return found


def _signer(
    secret: str, previous: tuple[str, datetime] | None = None
) -> Callable[[bytes], dict[str, str]]:
    """Headers signing a body with ``secret``, and with the previous secret too while its
    grace window lasts (checked when the message is signed, not when it was leased)."""

    def headers(body: bytes) -> dict[str, str]:
        keys = [secret]
        if previous is not None and utcnow() < previous[1]:
            keys.append(previous[0])
        return {SIGNATURE_HEADER: sign(body, keys)}

    return headers


@dataclass
class DeliveryReport:
    """What one :func:`deliver_due` call did."""

    delivered: int = 0
    retrying: int = 0
    dead: int = 0
    skipped: int = 0
    """Leased but not sent: the endpoint was disabled or removed meanwhile."""
    lost: int = 0
    """Sent, but another worker had taken the message over (its lease ran out)."""

    @property
    def leased(self) -> int:
        return self.delivered + self.retrying + self.dead + self.skipped + self.lost

    def __str__(self) -> str:
        return (
            f"{self.delivered} delivered, {self.retrying} to retry, {self.dead} dead"
            + (f", {self.skipped} skipped" if self.skipped else "")
            + (f", {self.lost} lost to another worker" if self.lost else "")
        )


@dataclass(frozen=True)
class _Leased:
    id: int
    merchant_id: int
    channel: str
    endpoint_id: int
    topic: str
    key: str
    payload: str
    attempts: int
    token: datetime
    target: Target | None


def _send(session: requests.Session, message: _Leased, target: Target, timeout: float) -> Outcome:
    body = message.payload.encode("utf-8")
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "ShopTrace-Event-Id": event_id(message.merchant_id, message.key),
        "ShopTrace-Topic": message.topic,
        **target.headers(body),
    }
    return post(
        session, target.url, body, headers, timeout=timeout, what=f"outbox message {message.id}"
    )


def _lease(
    store: Store, channels: dict[str, Channel], at: datetime, size: int, timeout: float
) -> list[_Leased]:
    """Lease up to ``size`` due messages in one short write transaction."""
    due = sa.and_(
        outbox.c.status == "pending",
        outbox.c.next_attempt_at <= at,
        sa.or_(outbox.c.lease_until.is_(None), outbox.c.lease_until < at),
    )
    ready = sa.or_(
        *(sa.and_(outbox.c.channel == name, ch.sendable()) for name, ch in channels.items())
    )
    # The lease covers sending the whole chunk, each try up to ``timeout``, and some margin;
    # random microseconds make it this worker's token for recording the outcome.
    token = at + timedelta(
        seconds=(timeout + 5) * size + 60, microseconds=secrets.randbelow(1_000_000)
    )
    query = (
        sa.select(outbox.c.id)
        .where(due, ready)
        .order_by(outbox.c.next_attempt_at, outbox.c.id)
        .limit(size)
    )
    with store.read() as conn:
        # Most polls find nothing: they need not take SQLite's write lock to learn it.
        if conn.execute(query.limit(1)).first() is None:
            return []
    with store.begin() as conn:
        if conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True, of=outbox)
        candidates = list(conn.execute(query).scalars())
        taken = []
        for message_id in candidates:
            claimed = conn.execute(
                outbox.update().where(outbox.c.id == message_id, due).values(lease_until=token)
            )
            if claimed.rowcount == 1:
                taken.append(message_id)
        if not taken:
            return []
        rows = conn.execute(
            sa.select(outbox).where(outbox.c.id.in_(taken)).order_by(outbox.c.id)
        ).all()
        targets: dict[tuple[str, int], Target] = {}
        for name, ch in channels.items():
            wanted = {(r.merchant_id, r.endpoint_id) for r in rows if r.channel == name}
            for endpoint_id, target in ch.targets(conn, wanted).items():
                targets[(name, endpoint_id)] = target
    return [
        _Leased(
            id=r.id,
            merchant_id=r.merchant_id,
            channel=r.channel,
            endpoint_id=r.endpoint_id,
            topic=r.topic,
            key=r.message_key,
            payload=r.payload,
            attempts=r.attempts,
            token=token,
            target=targets.get((r.channel, r.endpoint_id)),
        )
        for r in rows
    ]


def _record(
    store: Store,
    message: _Leased,
    outcome: Outcome | None,
    at: datetime,
    max_attempts: int,
    rng: random.Random | None,
) -> str:
    """Store what became of a leased message; ``"lost"`` when its lease was taken over."""
    mine = sa.and_(outbox.c.id == message.id, outbox.c.lease_until == message.token)
    values: dict[str, Any]
    if outcome is None:  # not sent: the endpoint was disabled meanwhile
        state, values = "skipped", {"lease_until": None}
    elif outcome.ok:
        state = "delivered"
        values = {
            "status": "delivered",
            "attempts": message.attempts + 1,
            "last_status": outcome.status,
            "last_error": None,
            "delivered_at": at,
            "lease_until": None,
        }
    else:
        attempts = message.attempts + 1
        state = "dead" if attempts >= max_attempts else "retrying"
        delay = next_delay(attempts, outcome.retry_after, rng=rng)
        values = {
            "status": "dead" if state == "dead" else "pending",
            "attempts": attempts,
            "last_status": outcome.status,
            "last_error": outcome.error,
            "lease_until": None,
            # A dead message's next_attempt_at is when it died: retention counts from there.
            "next_attempt_at": at + delay if state == "retrying" else at,
        }
    with store.begin() as conn:
        moved = conn.execute(outbox.update().where(mine).values(**values))
    if moved.rowcount != 1:
        log.warning("outbox message %s: lease lost before its outcome was stored", message.id)
        return "lost"
    if state == "dead":
        log.warning(
            "outbox message %s (%s) dead after %s tries: %s",
            message.id,
            message.topic,
            values["attempts"],
            values["last_error"],
        )
    return state


def deliver_due(
    store: Store,
    signing_key: str,
    *,
    now: datetime | None = None,
    limit: int = 100,
    session: requests.Session | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    channels: Sequence[Channel] | None = None,
    rng: random.Random | None = None,
) -> DeliveryReport:
    """Send up to ``limit`` messages that are due, and record each outcome.

    ``now`` fixes the clock (tests); ``channels`` defaults to the webhook channel. HTTP
    requests are made outside any database transaction.
    """
    chosen: Iterable[Channel] = channels if channels is not None else [WebhookChannel(signing_key)]
    by_name = {c.name: c for c in chosen}
    report = DeliveryReport()
    if not by_name:
        return report

    def clock() -> datetime:
        return now if now is not None else utcnow()

    own = session is None
    http = session if session is not None else requests.Session()
    try:
        remaining = limit
        while remaining > 0:
            chunk = _lease(store, by_name, clock(), min(remaining, LEASE_CHUNK), timeout)
            if not chunk:
                break
            remaining -= len(chunk)
            for message in chunk:
                if message.target is None:
                    outcome: Outcome | None = Outcome(False, None, "the endpoint no longer exists")
                    state = _record(store, message, outcome, clock(), 1, rng)
                elif not message.target.enabled:
                    state = _record(store, message, None, clock(), max_attempts, rng)
                else:
                    outcome = _send(http, message, message.target, timeout)
                    state = _record(store, message, outcome, clock(), max_attempts, rng)
                setattr(report, state, getattr(report, state) + 1)
    finally:
        if own:
            http.close()
    return report


# The in-process runner -------------------------------------------------------------------------


class OutboxRunner(PollingRunner):
    """Delivers the outbox from a daemon thread of this process (``SHOPTRACE_OUTBOX_RUNNER
    =thread``): polls every ``interval`` seconds and whenever :meth:`nudge` is called.

    The thread starts with the first :meth:`nudge` or :meth:`ensure_started` (again in a
    forked child). :meth:`attach` wakes it after every commit that queued a message. With a
    ``retention``, a round also prunes what the retention period let go, at most once an
    hour (a big backlog a few thousand rows per round, so deliveries are not held up).
    """

    thread_name = "shoptrace-outbox"
    mark_key = _ENQUEUED

    def __init__(
        self,
        store: Store,
        signing_key: str,
        *,
        interval: float,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        timeout: float = DEFAULT_TIMEOUT,
        batch: int = 100,
        retention: Retention | None = None,
    ) -> None:
        super().__init__(store, interval=interval)
        self._signing_key = signing_key
        self.max_attempts = max_attempts
        self.timeout = timeout
        self.batch = batch
        self.pruning = (
            PruneSchedule(retention, log=log, label="outbox runner", clock=time.monotonic)
            if retention is not None
            else None
        )
        """When and how much this runner prunes; None: never (``shoptrace outbox prune``)."""

    def __repr__(self) -> str:
        return f"OutboxRunner(interval={self.interval}, running={self.running})"

    def run_once(self, session: requests.Session | None = None) -> DeliveryReport:
        """Deliver everything due now; database errors are logged, not raised."""
        total = DeliveryReport()
        try:
            while not self.stopping:
                report = deliver_due(
                    self.store,
                    self._signing_key,
                    limit=self.batch,
                    session=session,
                    timeout=self.timeout,
                    max_attempts=self.max_attempts,
                )
                for name in ("delivered", "retrying", "dead", "skipped", "lost"):
                    setattr(total, name, getattr(total, name) + getattr(report, name))
                if report.leased < self.batch:
                    break
            self.report_success()
        except Exception:
            self.report_failure(log, "outbox runner: delivery failed; retrying at the next poll")
        if self.pruning is not None and not self.stopping:
            self.pruning.run_if_due(self.store, should_stop=lambda: self.stopping)
        return total
