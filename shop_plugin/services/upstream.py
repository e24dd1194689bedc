"""Upstream EPCIS endpoints: where a merchant's events are pushed, and the worker that does it.

A merchant registers the EPCIS 2.0 endpoints of the trace platforms (national, provincial),
marketplaces and partners its events go to, with their authentication (sealed, never shown).
Each endpoint keeps a cursor, ``pushed_seq``: the merchant's events form one append-only
sequence (``events.seq``, the hash chain), and every event up to the cursor was accepted by
the endpoint. :func:`push_due` pushes the next events in seq order as EPCISDocuments of up to
``batchSize`` events (``POST {url}/capture``, or ``POST {url}`` in ``document`` mode) and
moves the cursor only after a 2xx answer. So capture costs nothing extra, every event is
queued for every endpoint by construction, and each endpoint receives the events in order;
a batch whose answer was lost is sent again and de-duplicated by the receiver by eventID, as
EPCIS capture does.

A failed batch is retried with exponential backoff and jitter (:mod:`.retry`); after the
last try (``SHOPTRACE_SYNC_MAX_ATTEMPTS``) the endpoint is *dead* and waits until it is
resumed (:func:`resume_endpoint`) or rewound (:func:`rewind_endpoint`). Workers lease an
endpoint (``lease_until``) so two never push to one endpoint at once, and make HTTP requests
outside any database transaction. What of each event leaves the shop follows the visibility
rules of :mod:`.upstream_visibility`.
"""

from __future__ import annotations

import base64
import json
import logging
import random
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import requests
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from shoptrace.shop_plugin.services.clock import iso, utcnow
from shoptrace.shop_plugin.services.epcis_exchange import (
    PULL_OVERLAP,
    PullReport,
    document_text,
    event_text,
    pull_events,
)
from shoptrace.shop_plugin.services.errors import Conflict, FieldError, InvalidInput
from shoptrace.shop_plugin.services.pagination import Page, fetch_page
from shoptrace.shop_plugin.services.retry import (
    USER_AGENT,
    Outcome,
    next_delay,
    post,
)
from shoptrace.shop_plugin.services.rows import owned_row
from shoptrace.shop_plugin.services.runner import PollingRunner, mark
from shoptrace.shop_plugin.services.sealing import SealError, seal, unseal
from shoptrace.shop_plugin.services.upstream_visibility import (
    disclosure,
    mask_key,
    outbound_event,
)
from shoptrace.shop_plugin.services.validation import (
    INVALID,
    Check,
    Field,
    enum,
    integer,
    obj,
    text,
    url,
    validate,
)
from shoptrace.shop_plugin.services.webhooks import _is_local_host
from shoptrace.shop_plugin.store.engine import Store
from shoptrace.shop_plugin.store.tables import (
    UPSTREAM_AUTH_TYPES,
    UPSTREAM_KINDS,
    UPSTREAM_MODES,
    event_chains,
    events,
    upstream_endpoints,
)

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_MAX_ATTEMPTS",
    "DEFAULT_TIMEOUT",
    "MAX_BATCH_SIZE",
    "MAX_ENDPOINTS",
    "STATES",
    "SyncReport",
    "SyncRunner",
    "create_endpoint",
    "delete_endpoint",
    "endpoint_credentials",
    "get_endpoint",
    "head_seq",
    "list_endpoints",
    "pull_endpoint",
    "push_due",
    "resume_endpoint",
    "rewind_endpoint",
    "update_endpoint",
]

log = logging.getLogger(__name__)

MAX_ENDPOINTS = 20
"""Upstream endpoints one merchant may register."""
DEFAULT_BATCH_SIZE = 100
MAX_BATCH_SIZE = 1000
DEFAULT_MAX_ATTEMPTS = 10
DEFAULT_TIMEOUT = 30.0
MAX_DOCUMENT_BYTES = 8 << 20
"""A pushed document stops growing past this size (it always holds one event at least)."""
BATCHES_PER_LEASE = 10
"""Batches one worker pushes to an endpoint before letting others have a turn."""
LEASE_CHUNK = 5
"""Endpoints one worker leases at a time."""
STATES = ("synced", "pending", "retrying", "dead", "disabled")
"""An endpoint's state: nothing to push, events waiting, failing and retrying, out of tries,
switched off."""

_DUE = "shoptrace.upstream.due"
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_VISIBLE = re.compile(r"[\x21-\x7e]+")
_HEADER_VALUE = re.compile(r"[\x20-\x7e]+")
_RESERVED_HEADERS = frozenset(
    {
        "host",
        "content-type",
        "content-length",
        "content-encoding",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "te",
        "trailer",
        "upgrade",
        "user-agent",
        "accept",
        "expect",
    }
)


# --- validation -----------------------------------------------------------------------------


def _bad(errors: list[FieldError], path: str, rule: str, detail: str) -> Any:
    errors.append(FieldError(path, rule, detail))
    return INVALID


def _endpoint_url(*, allow_local: bool) -> Check:
    as_url = url()

    def check(value: Any, path: str, errors: list[FieldError]) -> Any:
        value = as_url(value, path, errors)
        if value is INVALID:
            return INVALID
        parts = urlsplit(value)
        try:
            parts.port  # noqa: B018 - raises ValueError for a bad port
            host = (parts.hostname or "").rstrip(".").lower()
        except ValueError:
            return _bad(errors, path, "url", "the port is not a number from 0 to 65535")
        if not host:
            return _bad(errors, path, "url", "must name a host")
        if parts.username is not None or parts.password is not None:
            return _bad(errors, path, "credentials", "must not hold credentials: give them in auth")
        if parts.fragment or value.endswith("#"):
            return _bad(errors, path, "url", "must not have a #fragment (it is never sent)")
        local = _is_local_host(host)
        if local and not allow_local:
            return _bad(
                errors,
                path,
                "public-host",
                "must be a public host (local and private addresses need "
                "SHOPTRACE_SYNC_LOCAL_URLS)",
            )
        if parts.scheme != "https" and not local:
            return _bad(
                errors,
                path,
                "https",
                "must be an https:// URL (http:// only to local hosts, with "
                "SHOPTRACE_SYNC_LOCAL_URLS)",
            )
        return value

    return check


def _boolean(value: Any, path: str, errors: list[FieldError]) -> Any:
    if not isinstance(value, bool):
        return _bad(errors, path, "type", "must be true or false")
    return value


def _pattern(regex: re.Pattern[str], max_length: int, rule: str, detail: str) -> Check:
    as_text = text(max_length=max_length)

    def check(value: Any, path: str, errors: list[FieldError]) -> Any:
        value = as_text(value, path, errors)
        if value is INVALID:
            return INVALID
        if not regex.fullmatch(value) or value != value.strip():
            return _bad(errors, path, rule, detail)
        return value

    return check


def _header_name(value: Any, path: str, errors: list[FieldError]) -> Any:
    name = _pattern(_TOKEN, 100, "header-name", "must be an HTTP header name such as X-API-Key")(
        value, path, errors
    )
    if name is INVALID:
        return INVALID
    lowered = name.lower()
    if lowered in _RESERVED_HEADERS or lowered.startswith(("gs1-", "proxy-", "sec-")):
        return _bad(errors, path, "reserved-header", f"{name} is set by shoptrace itself")
    return name


_SECRET = _pattern(
    _VISIBLE, 4000, "characters", "must be printable ASCII without spaces (as a header takes it)"
)
_AUTH_FIELDS: dict[str, dict[str, Field]] = {
    "none": {},
    "bearer": {"token": Field(_SECRET, required=True)},
    "basic": {
        "username": Field(
            _pattern(
                re.compile(r"[\x20-\x39\x3b-\x7e]+"),
                200,
                "characters",
                "must be printable ASCII without ':'",
            ),
            required=True,
        ),
        "password": Field(
            _pattern(_HEADER_VALUE, 1000, "characters", "must be printable ASCII"),
            required=True,
        ),
    },
    "header": {
        "name": Field(_header_name, required=True),
        "value": Field(
            _pattern(_HEADER_VALUE, 4000, "characters", "must be printable ASCII"),
            required=True,
        ),
    },
}


def _auth(value: Any, path: str, errors: list[FieldError]) -> Any:
    if not isinstance(value, dict):
        return _bad(errors, path, "type", "must be an object with a type")
    kind = enum(UPSTREAM_AUTH_TYPES)(value.get("type"), f"{path}.type", errors)
    if kind is INVALID:
        return INVALID
    fields = {"type": Field(enum(UPSTREAM_AUTH_TYPES), required=True), **_AUTH_FIELDS[kind]}
    return obj(fields)(value, path, errors)


def _schema(*, partial: bool, allow_local: bool) -> Check:
    fields = {
        "name": Field(text(max_length=100), required=True, nullable=False),
        "url": Field(_endpoint_url(allow_local=allow_local), required=True, nullable=False),
        "kind": Field(enum(UPSTREAM_KINDS), nullable=False),
        "partner": Field(_boolean, nullable=False),
        "mode": Field(enum(UPSTREAM_MODES), nullable=False),
        "auth": Field(_auth, nullable=False),
        "batchSize": Field(integer(minimum=1, maximum=MAX_BATCH_SIZE), nullable=False),
        "enabled": Field(_boolean, nullable=False),
    }
    if partial:
        return obj(fields, partial=True)
    fields["backfill"] = Field(_boolean, nullable=False)
    return obj(fields, post=_capture_url)


def _capture_url(data: dict[str, Any], path: str, errors: list[FieldError]) -> None:
    """In ``capture`` mode ``/capture`` is appended to the URL: it cannot carry a query."""
    if data.get("mode", "capture") == "capture" and urlsplit(data["url"]).query:
        _bad(
            errors,
            "url",
            "epcis-base-url",
            "in capture mode give the EPCIS base URL without a ?query (/capture is added)",
        )


# --- credentials ----------------------------------------------------------------------------


def _associated(merchant_id: int, endpoint_id: int) -> bytes:
    return f"upstream-endpoint\x00{merchant_id}\x00{endpoint_id}".encode()


def _sealed(signing_key: str, merchant_id: int, endpoint_id: int, auth: dict[str, Any]) -> str:
    plain = json.dumps(auth, separators=(",", ":"), ensure_ascii=True).encode("ascii")
    return seal(signing_key, plain, associated=_associated(merchant_id, endpoint_id))


class CredentialError(Exception):
    """The sealed credential of an endpoint does not open (another signing key)."""


def _headers_of(auth: dict[str, Any]) -> dict[str, str]:
    kind = auth.get("type")
    if kind == "bearer":
        return {"Authorization": f"Bearer {auth['token']}"}
    if kind == "basic":
        pair = f"{auth['username']}:{auth['password']}".encode("ascii")
        return {"Authorization": "Basic " + base64.b64encode(pair).decode("ascii")}
    if kind == "header":
        return {str(auth["name"]): str(auth["value"])}
    return {}


def _credential_headers(signing_key: str, row: Any) -> dict[str, str]:
    """The authentication headers of an endpoint row; :class:`CredentialError` when its
    sealed credential does not open."""
    if row.auth_type == "none":
        return {}
    if row.sealed_credential is None:
        raise CredentialError("the endpoint has no credential: set auth again")
    try:
        plain = unseal(
            signing_key,
            row.sealed_credential,
            associated=_associated(row.merchant_id, row.id),
        )
        auth: dict[str, Any] = json.loads(plain)
    except (SealError, ValueError):
        raise CredentialError(
            "the credential cannot be opened (was SHOPTRACE_SIGNING_KEY changed?): set auth again"
        ) from None
    return _headers_of(auth)


def _readable(signing_key: str, row: Any) -> bool:
    try:
        _credential_headers(signing_key, row)
    except CredentialError:
        return False
    return True


# --- rendering ------------------------------------------------------------------------------


def head_seq(conn: Connection, merchant_id: int) -> int:
    """The position of the merchant's last event (0 before the first)."""
    found = conn.execute(
        sa.select(event_chains.c.seq).where(event_chains.c.merchant_id == merchant_id)
    ).scalar_one_or_none()
    return int(found or 0)


def _state(row: Any, head: int) -> str:
    if not row.enabled:
        return "disabled"
    if row.dead_at is not None:
        return "dead"
    if row.attempts:
        return "retrying"
    return "pending" if head > row.pushed_seq else "synced"


def render_endpoint(row: Any, head: int, signing_key: str) -> dict[str, Any]:
    """The API form of an endpoint with its push state (never its credential)."""
    state = _state(row, head)
    return {
        "id": row.id,
        "name": row.name,
        "url": row.url,
        "kind": row.kind,
        "partner": bool(row.partner),
        "mode": row.mode,
        "auth": {
            "type": row.auth_type,
            "header": row.auth_header,
            "readable": _readable(signing_key, row),
        },
        "batchSize": row.batch_size,
        "enabled": bool(row.enabled),
        "status": {
            "state": state,
            "pushedSeq": row.pushed_seq,
            "headSeq": head,
            "backlog": max(0, head - row.pushed_seq),
            "attempts": row.attempts,
            "nextAttemptAt": iso(row.next_attempt_at) if state in ("pending", "retrying") else None,
            "lastAttemptAt": iso(row.last_attempt_at),
            "lastStatus": row.last_status,
            "lastError": row.last_error,
            "lastSuccessAt": iso(row.last_success_at),
            "deadAt": iso(row.dead_at),
            "pulledUntil": iso(row.pulled_until),
        },
        "createdAt": iso(row.created_at),
        "updatedAt": iso(row.updated_at),
    }


def _endpoint_row(conn: Connection, merchant_id: int, endpoint_id: int) -> Any:
    return owned_row(
        conn,
        upstream_endpoints,
        merchant_id,
        endpoint_id,
        field="upstream_id",
        what="upstream endpoint",
    )


def _mine(merchant_id: int, endpoint_id: int) -> sa.ColumnElement[bool]:
    return sa.and_(
        upstream_endpoints.c.id == endpoint_id, upstream_endpoints.c.merchant_id == merchant_id
    )


def get_endpoint(
    conn: Connection, merchant_id: int, endpoint_id: int, signing_key: str
) -> dict[str, Any]:
    """One of the merchant's endpoints with its state."""
    row = _endpoint_row(conn, merchant_id, endpoint_id)
    return render_endpoint(row, head_seq(conn, merchant_id), signing_key)


def list_endpoints(
    conn: Connection, merchant_id: int, signing_key: str, *, after: int = 0, limit: int = 50
) -> Page:
    """The merchant's endpoints in id order, each with its state."""
    head = head_seq(conn, merchant_id)
    query = sa.select(upstream_endpoints).where(upstream_endpoints.c.merchant_id == merchant_id)
    return fetch_page(
        conn,
        query,
        upstream_endpoints.c.id,
        after=after,
        limit=limit,
        render=lambda row: render_endpoint(row, head, signing_key),
    )


# --- changes --------------------------------------------------------------------------------


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


def endpoint_credentials(
    conn: Connection, merchant_id: int, endpoint_id: int, signing_key: str
) -> tuple[str, dict[str, str], datetime | None]:
    """URL, authentication headers and ``pulled_until`` of an endpoint (for a pull).
    Raises NotFound, and Conflict when its credential does not open."""
    row = _endpoint_row(conn, merchant_id, endpoint_id)
    try:
        headers = _credential_headers(signing_key, row)
    except CredentialError as exc:
        raise Conflict(
            str(exc), errors=[FieldError("auth", "unreadable", "set the credential again")]
        ) from None
    return row.url, headers, row.pulled_until


def pull_endpoint(
    store: Store,
    merchant_id: int,
    endpoint_id: int,
    signing_key: str,
    *,
    since: datetime | None = None,
    **options: Any,
) -> PullReport:
    """Pull from a registered endpoint's query interface (``GET {url}/events``) with its
    credential, from ``since`` or else from where the last pull ended (less
    :data:`~.epcis_exchange.PULL_OVERLAP`); the endpoint keeps how far it got."""
    with store.read() as conn:
        address, headers, until = endpoint_credentials(conn, merchant_id, endpoint_id, signing_key)
    start = since if since is not None else (until - PULL_OVERLAP if until is not None else None)

    def keep(conn: Connection, reached: datetime | None) -> None:
        if reached is None:
            return
        current = upstream_endpoints.c.pulled_until
        conn.execute(
            upstream_endpoints.update()
            .where(
                _mine(merchant_id, endpoint_id),
                sa.or_(current.is_(None), current < reached),
            )
            .values(pulled_until=reached)
        )

    return pull_events(
        store, merchant_id, url=address, headers=headers, since=start, on_page=keep, **options
    )


# --- pushing --------------------------------------------------------------------------------


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


@dataclass
class _Leased:
    row: Any
    token: datetime


@dataclass(frozen=True)
class _Batch:
    first: int
    last: int
    count: int
    body: bytes


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


class SyncRunner(PollingRunner):
    """Pushes to upstream endpoints from a daemon thread of this process
    (``SHOPTRACE_SYNC_RUNNER=thread``): every ``interval`` seconds, and right after a commit
    that made an endpoint due (created, resumed, rewound, enabled)."""

    thread_name = "shoptrace-sync"
    mark_key = _DUE

    def __init__(
        self,
        store: Store,
        signing_key: str,
        *,
        interval: float,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        super().__init__(store, interval=interval)
        self._signing_key = signing_key
        self.max_attempts = max_attempts
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"SyncRunner(interval={self.interval}, running={self.running})"

    def run_once(self, session: requests.Session | None = None) -> SyncReport:
        """Push everything due now; failures are logged, not raised."""
        total = SyncReport()
        try:
            while not self.stopping:
                report = push_due(
                    self.store,
                    self._signing_key,
                    session=session,
                    timeout=self.timeout,
                    max_attempts=self.max_attempts,
                )
                total.add(report)
                if not report.batches:
                    break
            self.report_success()
        except Exception:
            self.report_failure(log, "sync runner: pushing failed; retrying at the next poll")
        return total
