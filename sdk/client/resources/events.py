"""``client.events``: the EPCIS 2.0 REST binding (``{base_url}/epcis``).

Capture a document (answered 202 with the capture job; :meth:`EventsService.wait` polls the
job until it has finished), capture one event, read one, and query events with iterators
that follow ``nextPageToken``. Events are the JSON-LD dicts the SDK's builders make
(:mod:`shoptrace.sdk.epcis`). Capture is idempotent on the service (an event stored already
is counted as a duplicate, not stored again), so a capture is retried like a POST with an
``Idempotency-Key``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from shoptrace.sdk.client.models import CapturedEvent, CaptureJob
from shoptrace.sdk.client.pagination import Pager, fetch_pages
from shoptrace.sdk.client.resources.base import Service, poll
from shoptrace.sdk.client.transport import new_idempotency_key
from shoptrace.sdk.epcis.documents import make_document, standalone_event

__all__ = ["CAPTURE_ERROR_BEHAVIOURS", "EventsService", "QueryValue"]

CAPTURE_ERROR_BEHAVIOURS = ("rollback", "proceed")
QueryValue = str | int | datetime | Sequence[str]
"""A query parameter's value: several values (a list) are sent ``|``-separated."""
_MEDIA_TYPE = "application/ld+json"


def _param(name: str, value: QueryValue) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"{name}: give an aware datetime (with a time zone)")
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, bool):
        raise ValueError(f"{name}: give text, a number, a datetime or a list of text")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value
    return "|".join(value)


def _events_of(page: Any) -> list[Any]:
    events: list[Any] = page["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    return events


def _event(item: Any) -> dict[str, Any]:
    return dict(item)


def _encode_document(document: Any) -> bytes:
    if isinstance(document, bytes):
        return document
    if isinstance(document, str):
        return document.encode("utf-8")
    if isinstance(document, Mapping):
        doc: Any = document
    elif isinstance(document, Sequence):
        doc = make_document(document, validate=False)
    else:
        raise TypeError("give an EPCISDocument (dict, JSON text or bytes) or a list of events")
    return json.dumps(doc, ensure_ascii=False, allow_nan=False).encode("utf-8")


class EventsService(Service):
    """EPCIS capture and queries."""

    def capture(
        self,
        document: Mapping[str, Any] | Sequence[Mapping[str, Any]] | bytes | str,
        *,
        error_behaviour: str | None = None,
        wait: bool = False,
        timeout: float = 60.0,
        poll_interval: float = 0.5,
        idempotency_key: str | None = None,
    ) -> CaptureJob:
        """Capture an EPCISDocument (a dict, its JSON text or bytes), or a list of events
        that is wrapped in one. ``error_behaviour``: ``rollback`` (the default: all or
        nothing; a bad event raises ValidationError whose ``errors`` point at it) or
        ``proceed`` (store the valid events, list the others in the job's ``errors``).
        Returns the capture job; with ``wait``, once it has finished."""
        headers = {}
        if error_behaviour is not None:
            if error_behaviour not in CAPTURE_ERROR_BEHAVIOURS:
                raise ValueError("error_behaviour must be 'rollback' or 'proceed'")
            headers["GS1-Capture-Error-Behaviour"] = error_behaviour
        response = self._transport.request(
            "POST",
            self._transport.epcis("/capture"),
            body=_encode_document(document),
            content_type=_MEDIA_TYPE,
            headers=headers,
            idempotency_key=idempotency_key or new_idempotency_key(),
        )
        job = CaptureJob.from_json(response.json(), location=self._location(response))
        if wait and job.running:
            return self.wait(job, timeout=timeout, interval=poll_interval)
        return job

    def get_capture(self, capture_id: str | int) -> CaptureJob:
        """A capture job."""
        text = str(capture_id)
        if not text.isascii() or not text.isdigit():
            raise ValueError(f"capture_id must be a job's captureID, not {capture_id!r}")
        url = self._transport.epcis(f"/capture/{text}")
        return CaptureJob.from_json(self._transport.request("GET", url).json(), location=url)

    def wait(
        self, job: CaptureJob | str | int, *, timeout: float = 60.0, interval: float = 0.5
    ) -> CaptureJob:
        """Poll a capture job until it is no longer running; WaitTimeoutError after
        ``timeout`` seconds. Check ``success`` and ``errors`` of the job returned."""
        seen: CaptureJob | None = None
        if isinstance(job, CaptureJob):
            if not job.running:
                return job
            seen, job = job, job.capture_id
        capture_id = job
        return poll(
            self._transport,
            lambda: self.get_capture(capture_id),
            lambda found: not found.running,
            timeout=timeout,
            interval=interval,
            what=f"capture job {capture_id}",
            seen=seen,
        )

    def captures(
        self, *, per_page: int | None = None, page_token: str | None = None
    ) -> Pager[CaptureJob]:
        """The merchant's capture jobs, oldest first."""
        return fetch_pages(
            self._transport,
            self._transport.epcis("/capture"),
            {"perPage": per_page},
            extract=lambda page: page if isinstance(page, list) else [],
            build=CaptureJob.from_json,
            token_param="nextPageToken",
            start=page_token,
        )

    def capture_event(
        self, event: Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> CapturedEvent:
        """Capture one event (``@context`` is added when it has none). An event stored
        already is not stored again: ``created`` is False then."""
        sent = event if "@context" in event else standalone_event(event)
        response = self._transport.request(
            "POST",
            self._transport.epcis("/events"),
            body=json.dumps(sent, ensure_ascii=False, allow_nan=False).encode("utf-8"),
            content_type=_MEDIA_TYPE,
            idempotency_key=idempotency_key or new_idempotency_key(),
        )
        return CapturedEvent.from_json(
            response.json(),
            created=response.status_code == 201,
            location=self._location(response),
        )

    def get(self, event_id: str) -> dict[str, Any]:
        """One event by its eventID."""
        if not isinstance(event_id, str) or not event_id:
            raise ValueError("event_id must be an event's eventID")
        url = self._transport.epcis("/events/" + quote(event_id, safe=""))
        events = _events_of(self._transport.request("GET", url).json())
        return dict(events[0])

    def query(
        self,
        params: Mapping[str, QueryValue] | None = None,
        /,
        *,
        per_page: int | None = None,
        order_by: str | None = None,
        order_direction: str | None = None,
        page_token: str | None = None,
        **filters: QueryValue,
    ) -> Pager[dict[str, Any]]:
        """Events matching the EPCIS query parameters, e.g.
        ``query(MATCH_epc=uri, EQ_bizStep="shipping", GE_eventTime=since)``; iterating
        follows every page. ``order_by``: ``eventTime`` or ``recordTime``;
        ``order_direction``: ``ASC`` or ``DESC``."""
        query: dict[str, Any] = {}
        for name, value in {**(params or {}), **filters}.items():
            if value is not None:
                query[name] = _param(name, value)
        query.update(perPage=per_page, orderBy=order_by, orderDirection=order_direction)
        return fetch_pages(
            self._transport,
            self._transport.epcis("/events"),
            query,
            extract=_events_of,
            build=_event,
            token_param="nextPageToken",
            start=page_token,
        )
