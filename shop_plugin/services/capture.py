"""EPCIS capture: documents as capture jobs, single events, and the jobs' records.

A document is read as a stream (:mod:`.epcis_reader`), each event validated and hashed as it
is read (:class:`.event_store.Preparer`: the common ones at once, the others a chunk at a
time) and written a chunk at a time in the caller's transaction
(:func:`.event_store.store_events`). ``GS1-Capture-Error-Behaviour``:

- ``rollback`` (the default): all or nothing. Any problem raises :class:`InvalidDocument`
  listing every problem found; the caller's transaction rolls back, so nothing is stored,
  not even the job.
- ``proceed``: the valid events are stored and the problems of the others are kept in the
  job (``success`` false). A document whose frame (``@context``, ``type``, header) is broken
  is refused whole either way.

Capture is idempotent: an event whose hash ID is stored already is counted as a duplicate.
Jobs run inside the request, so a job is finished when it is first seen.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shoptrace.sdk.epcis.validate import document_problems, event_problems
from shoptrace.shop_plugin.services.clock import iso, utcnow
from shoptrace.shop_plugin.services.epcis_reader import DocumentReader, MalformedDocument
from shoptrace.shop_plugin.services.errors import ServiceError
from shoptrace.shop_plugin.services.event_store import (
    CHUNK,
    Prepared,
    Preparer,
    context_id,
    prepare_events,
    store_events,
)
from shoptrace.shop_plugin.services.pagination import Page, fetch_page
from shoptrace.shop_plugin.services.rows import owned_row
from shoptrace.shop_plugin.store.tables import CAPTURE_ERROR_BEHAVIOURS, capture_jobs, events

__all__ = [
    "MAX_LISTED_PROBLEMS",
    "CaptureTooLarge",
    "EventExists",
    "InvalidDocument",
    "SingleEvent",
    "capture_document",
    "capture_event",
    "get_job",
    "list_jobs",
]

MAX_LISTED_PROBLEMS = 10_000
"""Problems listed in one answer or job; a count says how many more there were."""


class InvalidDocument(ServiceError):
    """The document or event breaks EPCIS rules; ``problems`` lists ``(pointer, message)``."""

    status = 400
    slug = "ValidationException"
    title = "Invalid EPCIS document"

    def __init__(self, problems: list[tuple[str, str]], *, total: int | None = None) -> None:
        total = len(problems) if total is None else total
        shown = problems[:MAX_LISTED_PROBLEMS]
        more = f"; {total - len(shown)} more not listed" if total > len(shown) else ""
        noun = "problem" if total == 1 else "problems"
        super().__init__(f"{total} {noun} found; nothing was stored{more}")
        self.problems = shown


class CaptureTooLarge(ServiceError):
    """More events than the capture limit (``GS1-EPCIS-Capture-Limit``)."""

    status = 413
    slug = "CaptureLimitExceededException"
    title = "Capture payload too large"


class EventExists(ServiceError):
    """``POST /events`` with an eventID that names another stored event."""

    status = 409
    slug = "ResourceAlreadyExistsException"
    title = "Event already exists"


def render_job(row: Any) -> dict[str, Any]:
    """A capture job as the REST binding shows it (``CaptureJob``)."""
    errors = [
        {
            "type": "epcisException:ValidationException",
            "title": "Event not captured",
            "status": 400,
            "detail": f"{e['pointer'] or '(root)'}: {e['message']}",
            "pointer": e["pointer"],
        }
        for e in row.errors
    ]
    return {
        "captureID": str(row.id),
        "createdAt": iso(row.created_at),
        "finishedAt": iso(row.finished_at),
        "running": row.finished_at is None,
        "success": row.success,
        "captureErrorBehaviour": row.error_behaviour,
        "errors": errors,
        "eventCount": row.event_count,
        "stored": row.stored,
        "duplicates": row.duplicates,
        "rejected": row.rejected,
    }


def _job_row(conn: Connection, merchant_id: int, capture_id: int) -> Any:
    return owned_row(
        conn, capture_jobs, merchant_id, capture_id, field="captureID", what="capture job"
    )


def get_job(conn: Connection, merchant_id: int, capture_id: int) -> dict[str, Any]:
    """One of the merchant's capture jobs."""
    return render_job(_job_row(conn, merchant_id, capture_id))


def list_jobs(conn: Connection, merchant_id: int, *, after: int, limit: int) -> Page:
    """The merchant's capture jobs, oldest first, a page at a time."""
    query = sa.select(capture_jobs).where(capture_jobs.c.merchant_id == merchant_id)
    return fetch_page(conn, query, capture_jobs.c.id, after=after, limit=limit, render=render_job)


@dataclass
class _Problems:
    """Problems found while reading: the first ones listed, all of them counted."""

    listed: list[tuple[str, str]]
    total: int = 0

    def add(self, pointer: str, message: str) -> None:
        self.total += 1
        if len(self.listed) < MAX_LISTED_PROBLEMS:
            self.listed.append((pointer, message))


def _prepared(
    reader: DocumentReader, problems: _Problems, *, rollback: bool, max_events: int
) -> Iterator[list[Prepared]]:
    """The document's valid events, prepared a chunk at a time; problems recorded."""
    preparer: Preparer | None = None  # made with the first event: @context is known by then
    count = 0
    for index, event, text in reader.events_with_text():
        count += 1
        if count > max_events:
            raise CaptureTooLarge(
                f"the document holds more than {max_events} events; split it into several "
                "captures (GS1-EPCIS-Capture-Limit)"
            )
        if preparer is None:
            preparer = Preparer(reader.context)
        preparer.add(index, event, text)
        if len(preparer) >= CHUNK:
            yield _chunk(reader, preparer, problems, rollback)
    if preparer is not None and len(preparer):
        yield _chunk(reader, preparer, problems, rollback)


def _chunk(
    reader: DocumentReader, preparer: Preparer, problems: _Problems, rollback: bool
) -> list[Prepared]:
    prepared, found = preparer.take()
    base = reader.events_pointer or "/epcisBody/eventList"
    for index, pointer, message in found:
        problems.add(f"{base}/{index}{pointer}", message)
    if rollback and problems.total:
        return []  # everything is rolled back: only look for more problems
    return prepared


def capture_document(
    conn: Connection,
    merchant_id: int,
    stream: IO[bytes],
    *,
    error_behaviour: str = "rollback",
    max_events: int,
) -> dict[str, Any]:
    """Capture the EPCIS document read from ``stream`` in the caller's transaction; return
    the finished capture job. Raises :class:`InvalidDocument` (roll back!),
    :class:`CaptureTooLarge`."""
    if error_behaviour not in CAPTURE_ERROR_BEHAVIOURS:
        raise ValueError(f"error_behaviour must be one of {CAPTURE_ERROR_BEHAVIOURS}")
    rollback = error_behaviour == "rollback"
    now = utcnow()
    job_id = conn.execute(
        capture_jobs.insert()
        .values(
            merchant_id=merchant_id,
            error_behaviour=error_behaviour,
            success=True,
            event_count=0,
            stored=0,
            duplicates=0,
            rejected=0,
            errors=[],
            created_at=now,
        )
        .returning(capture_jobs.c.id)
    ).scalar_one()
    reader = DocumentReader(stream)
    problems = _Problems([])
    try:
        chunks = _prepared(reader, problems, rollback=rollback, max_events=max_events)
        first = next((chunk for chunk in chunks if chunk), None)
        stored_context = (
            context_id(conn, merchant_id, reader.context) if first is not None else None
        )
        pending = itertools.chain(first or [], itertools.chain.from_iterable(chunks))
        result = store_events(
            conn,
            merchant_id,
            pending,
            capture_id=job_id,
            context_id=stored_context,
            record_time=now,
        )
    except MalformedDocument as exc:
        raise InvalidDocument([(exc.pointer, exc.message)]) from None
    frame = _frame_problems(reader)
    if frame:
        listed = frame + problems.listed
        raise InvalidDocument(listed, total=len(frame) + problems.total)
    base = reader.events_pointer or "/epcisBody/eventList"
    for index, pointer, message in result.rejected:
        problems.add(f"{base}/{index}{pointer}", message)
    if rollback and problems.total:
        raise InvalidDocument(problems.listed, total=problems.total)
    count = reader.event_count
    errors = [{"pointer": p, "message": m} for p, m in problems.listed]
    if problems.total > len(problems.listed):
        errors.append(
            {"pointer": "", "message": f"{problems.total - len(problems.listed)} more problems"}
        )
    conn.execute(
        capture_jobs.update()
        .where(capture_jobs.c.id == job_id)
        .values(
            success=problems.total == 0,
            event_count=count,
            stored=result.stored,
            duplicates=result.duplicates,
            rejected=count - result.stored - result.duplicates,
            errors=errors,
            finished_at=utcnow(),
        )
    )
    return get_job(conn, merchant_id, job_id)


def _frame_problems(reader: DocumentReader) -> list[tuple[str, str]]:
    """Problems of the document around its events (``@context``, ``type``, header)."""
    if reader.events_pointer is None:
        return [("/epcisBody", "the document has no epcisBody event list")]
    head = reader.head
    return [
        (pointer, message)
        for pointer, message in document_problems(head)
        if not pointer.startswith(reader.events_pointer + "/")
    ]


@dataclass(frozen=True)
class SingleEvent:
    """The answer to ``POST /events``: the stored event and whether it was new."""

    event_id: str
    created: bool
    document: str


def capture_event(conn: Connection, merchant_id: int, event: Any) -> SingleEvent:
    """Capture one standalone event (with its own ``@context``) in the caller's transaction.

    An event stored already (same hash ID) is not stored again (``created`` false).
    Raises :class:`InvalidDocument`, :class:`EventExists`.
    """
    problems = event_problems(event)
    if problems:
        raise InvalidDocument(problems)
    prepared, found = prepare_events([(0, event)], context=None)
    if found:
        raise InvalidDocument([(pointer, message) for _, pointer, message in found])
    result = store_events(conn, merchant_id, prepared, record_time=utcnow())
    if result.rejected:
        _, pointer, message = result.rejected[0]
        raise EventExists(message)
    event_id = result.event_ids[0]
    document = conn.execute(
        sa.select(events.c.document).where(
            events.c.merchant_id == merchant_id, events.c.event_id == event_id
        )
    ).scalar_one()
    return SingleEvent(event_id, result.stored == 1, document)
