"""Code issuance: unit serials with check tags for a batch, stored as units.

An issuance of up to ``sync_limit`` codes is done inside the request's transaction. A larger
one is stored as a pending job and run in chunks by :func:`run_pending` -- in a background
thread of the process that accepted it, or in ``shoptrace jobs run`` workers. Each chunk is
its own transaction that also advances the job's ``done`` count and renews its lease, so a
worker that dies leaves a job any other worker resumes once the lease runs out. Nothing is
held in memory across chunks: serials stream from :func:`shoptrace.sdk.serials.generate`
straight into the database (``COPY`` on PostgreSQL, ``executemany`` elsewhere).
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from shoptrace.sdk import serials
from shoptrace.shop_plugin.services.batches import batch_row
from shoptrace.shop_plugin.services.clock import iso, utcnow
from shoptrace.shop_plugin.services.rows import owned_row
from shoptrace.shop_plugin.services.signing import merchant_tag_key
from shoptrace.shop_plugin.services.validation import Field, integer, obj, validate
from shoptrace.shop_plugin.store.engine import Store
from shoptrace.shop_plugin.store.tables import batches, issuances, units

__all__ = [
    "CHUNK",
    "LEASE",
    "Issued",
    "claim_next",
    "get_issuance",
    "issue_codes",
    "list_issuances",
    "run_issuance",
    "run_pending",
    "write_units",
]

log = logging.getLogger(__name__)

CHUNK = 100_000
"""Units written per transaction by a job."""
LEASE = timedelta(seconds=120)
"""How long a worker owns a running job without reporting progress."""
UNIT_COLUMNS = ("merchant_id", "batch_id", "issuance_id", "gtin", "serial", "status", "created_at")
_RETRIES = 3


@dataclass(frozen=True)
class Issued:
    """The answer to an issuance request: the job, and the serials when done at once."""

    issuance: dict[str, Any]
    serials: list[str] | None


def render_issuance(row: Any) -> dict[str, Any]:
    """The API form of an issuance row (a job when it is not done at once)."""
    return {
        "id": row.id,
        "batchId": row.batch_id,
        "count": row.count,
        "done": row.done,
        "status": row.status,
        "progress": round(row.done / row.count, 4) if row.count else 1.0,
        "error": row.error,
        "createdAt": iso(row.created_at),
        "updatedAt": iso(row.updated_at),
        "finishedAt": iso(row.finished_at),
    }


def _issuance_row(conn: Connection, merchant_id: int, issuance_id: int) -> Any:
    return owned_row(
        conn, issuances, merchant_id, issuance_id, field="issuance_id", what="issuance"
    )


def get_issuance(conn: Connection, merchant_id: int, issuance_id: int) -> dict[str, Any]:
    """One of the merchant's issuances, with its progress."""
    return render_issuance(_issuance_row(conn, merchant_id, issuance_id))


def list_issuances(conn: Connection, merchant_id: int, batch_id: int) -> list[dict[str, Any]]:
    """The issuances of one of the merchant's batches, oldest first."""
    batch_row(conn, merchant_id, batch_id)
    rows = conn.execute(
        sa.select(issuances)
        .where(issuances.c.batch_id == batch_id, issuances.c.merchant_id == merchant_id)
        .order_by(issuances.c.id)
    )
    return [render_issuance(r) for r in rows]


def request_schema(max_count: int) -> Any:
    """The body of ``POST /batches/{id}/codes``."""
    return obj({"count": Field(integer(minimum=1, maximum=max_count), required=True)})


def issue_codes(
    conn: Connection,
    merchant_id: int,
    batch_id: int,
    body: Any,
    *,
    signing_key: str,
    sync_limit: int,
    max_count: int,
) -> Issued:
    """Issue ``body["count"]`` codes for a batch: at once up to ``sync_limit``, else as a job.

    Runs in the caller's transaction; a job starts only once that transaction commits.
    """
    count = validate(body, request_schema(max_count))["count"]
    batch = batch_row(conn, merchant_id, batch_id)
    now = utcnow()
    pending = count > sync_limit
    issuance_id = conn.execute(
        issuances.insert()
        .values(
            merchant_id=merchant_id,
            batch_id=batch.id,
            count=count,
            done=0,
            status="pending" if pending else "running",
            created_at=now,
            updated_at=now,
        )
        .returning(issuances.c.id)
    ).scalar_one()
    if pending:
        return Issued(get_issuance(conn, merchant_id, issuance_id), None)
    key = merchant_tag_key(conn, merchant_id, signing_key)
    issued = _write_chunk(conn, batch, issuance_id, count, key, collect=True)
    done_at = utcnow()
    conn.execute(
        issuances.update()
        .where(issuances.c.id == issuance_id)
        .values(done=count, status="done", updated_at=done_at, finished_at=done_at)
    )
    return Issued(get_issuance(conn, merchant_id, issuance_id), issued)


def _write_chunk(
    conn: Connection, batch: Any, issuance_id: int, n: int, key: bytes, *, collect: bool
) -> list[str] | None:
    """Generate and store ``n`` serials in a savepoint, retrying on a (GTIN, serial) clash.

    Serials of separate ``generate`` calls collide with probability about 2**-65 per pair;
    the unique index catches it and the chunk is drawn again.
    """
    for attempt in range(_RETRIES):
        kept: list[str] | None = [] if collect else None
        stream = serials.generate(n, gtin=batch.gtin, lot=batch.lot, key=key)
        if kept is not None:
            stream = _keep(stream, kept)
        try:
            with conn.begin_nested():
                write_units(
                    conn,
                    merchant_id=batch.merchant_id,
                    batch_id=batch.id,
                    issuance_id=issuance_id,
                    gtin=batch.gtin,
                    serials=stream,
                )
        except IntegrityError:
            if attempt == _RETRIES - 1:
                raise
            log.warning("serial clash in issuance %s; drawing the chunk again", issuance_id)
            continue
        return kept
    raise AssertionError("unreachable")


def _keep(stream: Iterator[str], kept: list[str]) -> Iterator[str]:
    for serial in stream:
        kept.append(serial)
        yield serial


def write_units(
    conn: Connection,
    *,
    merchant_id: int,
    batch_id: int,
    issuance_id: int,
    gtin: str,
    serials: Iterator[str],
    batch_size: int = 5000,
) -> int:
    """Store one unit row per serial, streaming; return how many were written.

    PostgreSQL gets one ``COPY``; other engines an ``executemany`` per ``batch_size`` rows.
    """
    now = utcnow()
    if conn.dialect.name == "postgresql":
        return _copy_units(conn, (merchant_id, batch_id, issuance_id, gtin), serials, now)
    created = units.c.created_at.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    stamp = created(now) if created else now
    stmt = str(
        units.insert()
        .values({c: sa.bindparam(c) for c in UNIT_COLUMNS})
        .compile(dialect=conn.dialect)
    )
    positional = conn.dialect.positional
    fixed = (merchant_id, batch_id, issuance_id, gtin)
    written = 0
    rows: list[Any] = []
    for serial in serials:
        if positional:
            rows.append((merchant_id, batch_id, issuance_id, gtin, serial, "issued", stamp))
        else:
            rows.append(dict(zip(UNIT_COLUMNS, (*fixed, serial, "issued", stamp), strict=True)))
        if len(rows) >= batch_size:
            conn.exec_driver_sql(stmt, rows)
            written += len(rows)
            rows = []
    if rows:
        conn.exec_driver_sql(stmt, rows)
        written += len(rows)
    return written


def _copy_units(
    conn: Connection, fixed: tuple[int, int, int, str], serials: Iterator[str], now: Any
) -> int:
    """Stream rows into ``units`` with PostgreSQL ``COPY ... FROM STDIN`` (psycopg 3)."""
    merchant_id, batch_id, issuance_id, gtin = fixed
    driver = conn.connection.driver_connection
    assert driver is not None
    statement = f"COPY units ({', '.join(UNIT_COLUMNS)}) FROM STDIN"
    dbapi = conn.dialect.loaded_dbapi
    written = 0
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            write = copy.write_row
            for serial in serials:
                write((merchant_id, batch_id, issuance_id, gtin, serial, "issued", now))
                written += 1
    except dbapi.Error as exc:
        raise sa.exc.DBAPIError.instance(statement, None, exc, dbapi.Error) from exc
    return written


class _LeaseLost(Exception):
    """Another worker took the job over; the chunk in hand is rolled back."""


def claim_next(store: Store, worker: str) -> int | None:
    """Take the oldest job that is pending or whose worker's lease ran out; None if none."""
    now = utcnow()
    claimable = sa.or_(
        issuances.c.status == "pending",
        sa.and_(issuances.c.status == "running", issuances.c.lease_until < now),
    )
    with store.begin() as conn:
        candidates = conn.execute(
            sa.select(issuances.c.id).where(claimable).order_by(issuances.c.id).limit(5)
        ).scalars()
        for issuance_id in list(candidates):
            claimed = conn.execute(
                issuances.update()
                .where(issuances.c.id == issuance_id, claimable)
                .values(status="running", worker=worker, lease_until=now + LEASE, updated_at=now)
            )
            if claimed.rowcount == 1:
                return int(issuance_id)
    return None


def run_issuance(store: Store, issuance_id: int, worker: str, signing_key: str) -> bool:
    """Run a claimed job to the end, a chunk per transaction; False if the lease was lost."""
    try:
        while True:
            with store.begin() as conn:
                job = conn.execute(
                    sa.select(issuances).where(
                        issuances.c.id == issuance_id,
                        issuances.c.worker == worker,
                        issuances.c.status == "running",
                    )
                ).one_or_none()
                if job is None:
                    return False
                now = utcnow()
                remaining = job.count - job.done
                if remaining <= 0:
                    conn.execute(
                        issuances.update()
                        .where(issuances.c.id == issuance_id)
                        .values(status="done", updated_at=now, finished_at=now, lease_until=None)
                    )
                    return True
                batch = conn.execute(sa.select(batches).where(batches.c.id == job.batch_id)).one()
                key = merchant_tag_key(conn, job.merchant_id, signing_key)
                n = min(CHUNK, remaining)
                _write_chunk(conn, batch, issuance_id, n, key, collect=False)
                moved = conn.execute(
                    issuances.update()
                    .where(issuances.c.id == issuance_id, issuances.c.worker == worker)
                    .values(done=job.done + n, lease_until=utcnow() + LEASE, updated_at=utcnow())
                )
                if moved.rowcount != 1:
                    raise _LeaseLost
    except _LeaseLost:
        return False
    except Exception:
        log.exception("issuance %s failed", issuance_id)
        with store.begin() as conn:
            conn.execute(
                issuances.update()
                .where(issuances.c.id == issuance_id, issuances.c.worker == worker)
                .values(
                    status="failed",
                    error="internal error while writing codes; see the service log",
                    updated_at=utcnow(),
                    finished_at=utcnow(),
                    lease_until=None,
                )
            )
        return False


def worker_name() -> str:
    """A name for this worker: host, process and a random part."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{secrets.token_hex(3)}"


def run_pending(store: Store, signing_key: str, *, worker: str | None = None) -> int:
    """Run claimable jobs until none is left; return how many were finished."""
    worker = worker or worker_name()
    finished = 0
    while (issuance_id := claim_next(store, worker)) is not None:
        finished += run_issuance(store, issuance_id, worker, signing_key)
    return finished
