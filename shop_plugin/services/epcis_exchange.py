"""Whole EPCIS documents in and out of a merchant's store: export, import, pull.

- :func:`write_export` streams the merchant's events (optionally those stored in a time
  range) as one EPCISDocument, in chain order, with the stored event texts as they are and a
  document ``@context`` merged from theirs (an event whose context clashes carries its own).
  One read transaction, a page of rows at a time: constant memory at any size.
- Import is :func:`~.capture.capture_document` on the file (streamed, idempotent by event
  hash ID): what an export wrote imports into any store with the same hash IDs.
- :func:`pull_events` reads a partner's EPCIS query interface (``GET {url}/events``, ordered
  by recordTime, following ``Link: rel="next"``) and captures each page in a transaction of
  its own, so a stopped pull keeps what it stored and a repeated one stores nothing twice.
- :func:`document_text` builds the EPCISDocument of a list of stored event texts (the
  upstream push sends these).
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO, Any
from urllib.parse import quote, urljoin, urlsplit

import requests
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shoptrace.sdk.epcis import vocab
from shoptrace.sdk.epcis.documents import document_events, parse_json
from shoptrace.sdk.epcis.validate import EPCISValidationError
from shoptrace.shop_plugin.services.capture import capture_document
from shoptrace.shop_plugin.services.clock import utcnow
from shoptrace.shop_plugin.services.event_query import _contexts, _merge
from shoptrace.shop_plugin.services.event_store import format_time, parse_time
from shoptrace.shop_plugin.services.retry import USER_AGENT, answer_error, describe_failure
from shoptrace.shop_plugin.store.engine import Store
from shoptrace.shop_plugin.store.tables import events

__all__ = [
    "EXPORT_PAGE",
    "PULL_OVERLAP",
    "PullError",
    "PullReport",
    "document_text",
    "event_text",
    "merged_context",
    "pull_events",
    "write_export",
]

EXPORT_PAGE = 1000
"""Stored events read per query while exporting."""
PULL_OVERLAP = timedelta(minutes=10)
"""How far before the last pulled recordTime a resumed pull starts again: events a partner
stored in a transaction that committed late still come; the ones seen already are skipped."""
MAX_PULL_PAGE_BYTES = 64 << 20
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def event_text(event: Mapping[str, Any]) -> str:
    """Compact JSON of an event (ASCII escapes only where lone surrogates need them)."""
    text = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
    if not text.isascii() and _SURROGATE.search(text):
        text = json.dumps(event, ensure_ascii=True, separators=(",", ":"))
    return text


def merged_context(
    conn: Connection, merchant_id: int, context_ids: set[int]
) -> tuple[Any, dict[int, Any], set[int]]:
    """The document ``@context`` for events of these stored contexts, the contexts by id,
    and the ids that clash with the merged one (their events carry their own)."""
    contexts = _contexts(conn, merchant_id, context_ids)
    context, clashing = _merge(contexts)
    return context, contexts, clashing


def _with_context(text: str, context: Any) -> str:
    own = json.dumps(context, ensure_ascii=False, separators=(",", ":"))
    return '{"@context":' + own + "," + text.lstrip()[1:]


def _head(context: Any, created: datetime) -> str:
    head = {
        "@context": context,
        "type": "EPCISDocument",
        "schemaVersion": vocab.SCHEMA_VERSION,
        "creationDate": format_time(created),
    }
    return json.dumps(head, ensure_ascii=False, separators=(",", ":"))[:-1]


def document_text(
    conn: Connection,
    merchant_id: int,
    texts: Sequence[str],
    context_ids: Sequence[int | None],
    *,
    created: datetime,
) -> str:
    """An EPCISDocument of stored event texts (with the stored ``@context`` of each)."""
    context, contexts, clashing = merged_context(
        conn, merchant_id, {i for i in context_ids if i is not None}
    )
    parts = [
        _with_context(text, contexts[cid]) if cid in clashing else text
        for text, cid in zip(texts, context_ids, strict=True)
    ]
    return _head(context, created) + ',"epcisBody":{"eventList":[' + ",".join(parts) + "]}}"


def write_export(
    store: Store,
    merchant_id: int,
    out: IO[bytes],
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    created: datetime | None = None,
) -> int:
    """Write the merchant's events stored in ``[since, until)`` (all by default) to ``out``
    as one EPCISDocument, in chain order; return how many were written."""
    where = [events.c.merchant_id == merchant_id]
    if since is not None:
        where.append(events.c.record_time >= since)
    if until is not None:
        where.append(events.c.record_time < until)
    count = 0
    with store.read() as conn:
        used = conn.execute(
            sa.select(events.c.context_id)
            .where(*where, events.c.context_id.is_not(None))
            .group_by(events.c.context_id)
        ).scalars()
        context, contexts, clashing = merged_context(conn, merchant_id, set(used))
        out.write((_head(context, created or utcnow()) + ',"epcisBody":{"eventList":[').encode())
        after = 0
        while True:
            rows = conn.execute(
                sa.select(events.c.seq, events.c.document, events.c.context_id)
                .where(*where, events.c.seq > after)
                .order_by(events.c.seq)
                .limit(EXPORT_PAGE)
            ).all()
            if not rows:
                break
            for row in rows:
                text = row.document
                if row.context_id in clashing:
                    text = _with_context(text, contexts[row.context_id])
                out.write(("\n" if count == 0 else ",\n").encode() + text.encode("utf-8"))
                count += 1
            after = rows[-1].seq
    out.write(b"\n]}}\n")
    return count


# --- pull -----------------------------------------------------------------------------------


class PullError(Exception):
    """A pull stopped: the partner's answer, or what it sent, is unusable. Pages stored
    before the failing one stay stored."""


@dataclass
class PullReport:
    """What :func:`pull_events` did."""

    pages: int = 0
    events: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    until: datetime | None = None
    """The latest recordTime (the partner's) among the events pulled."""

    def __str__(self) -> str:
        text = (
            f"{self.events} events in {self.pages} pages: {self.stored} stored, "
            f"{self.duplicates} already there"
        )
        if self.rejected:
            text += f", {self.rejected} rejected"
        if self.until is not None:
            text += f"; pulled up to recordTime {format_time(self.until)}"
        return text


def _next_page(response: requests.Response, body: Any, current: str) -> str | None:
    link = response.links.get("next", {}).get("url")
    if link:
        return urljoin(current, link)
    token = body.get("nextPageToken") if isinstance(body, dict) else None
    if isinstance(token, str) and token:
        parts = urlsplit(current)
        kept = [p for p in parts.query.split("&") if p and not p.startswith("nextPageToken=")]
        kept.append("nextPageToken=" + quote(token, safe=""))
        return parts._replace(query="&".join(kept)).geturl()
    return None


def _first_url(url: str, *, since: datetime | None, per_page: int) -> str:
    params = {"perPage": str(per_page), "orderBy": "recordTime", "orderDirection": "ASC"}
    if since is not None:
        params["GE_recordTime"] = format_time(since)
    prepared = requests.Request("GET", url.rstrip("/") + "/events", params=params).prepare()
    return str(prepared.url)


def _fetch(
    http: requests.Session, url: str, headers: Mapping[str, str], timeout: float
) -> tuple[requests.Response, bytes]:
    try:
        response = http.get(
            url, headers=dict(headers), timeout=timeout, allow_redirects=False, stream=True
        )
    except requests.RequestException as exc:
        raise PullError(describe_failure(exc, timeout)) from None
    try:
        if response.status_code != 200:
            raise PullError(f"the partner answered {answer_error(response)}")
        body = bytearray()
        for chunk in response.iter_content(1 << 16):
            body += chunk
            if len(body) > MAX_PULL_PAGE_BYTES:
                raise PullError("a page is larger than 64 MiB: ask for fewer events per page")
        return response, bytes(body)
    except requests.RequestException as exc:
        raise PullError(describe_failure(exc, timeout)) from None
    finally:
        response.close()


def pull_events(
    store: Store,
    merchant_id: int,
    *,
    url: str,
    headers: Mapping[str, str] | None = None,
    since: datetime | None = None,
    per_page: int = 200,
    max_events: int = 100_000,
    error_behaviour: str = "rollback",
    session: requests.Session | None = None,
    timeout: float = 30.0,
    on_page: Callable[[Connection, datetime | None], None] | None = None,
) -> PullReport:
    """Pull the events of the EPCIS repository at ``url`` (its base, without ``/events``)
    stored there from ``since`` on, into the merchant's store; ``on_page(conn, until)`` runs
    in each page's transaction (to keep a cursor with the events).

    Raises :class:`PullError` naming what went wrong; :class:`~.capture.InvalidDocument` when a
    page breaks EPCIS rules (with ``error_behaviour="rollback"``; ``"proceed"`` stores the
    valid events and counts the others as rejected).
    """
    report = PullReport()
    sent = {"Accept": "application/ld+json, application/json", "User-Agent": USER_AGENT}
    sent.update(headers or {})
    origin = urlsplit(url)[:2]
    own = session is None
    http = session if session is not None else requests.Session()
    seen: set[str] = set()
    current: str | None = _first_url(url, since=since, per_page=per_page)
    try:
        while current is not None:
            if current in seen:
                raise PullError("the partner's next page link points back to a page already read")
            seen.add(current)
            response, raw = _fetch(http, current, sent, timeout)
            try:
                body = parse_json(raw)
                page_events = document_events(body) if isinstance(body, dict) else None
            except EPCISValidationError as exc:
                raise PullError(f"the partner's answer is not an EPCIS document: {exc}") from None
            if page_events is None:
                raise PullError("the partner's answer is not an EPCIS document")
            moments = [
                parse_time(e["recordTime"])
                for e in page_events
                if isinstance(e, dict) and isinstance(e.get("recordTime"), str)
            ]
            latest = max((m for m in moments if m is not None), default=None)
            if latest is not None and (report.until is None or latest > report.until):
                report.until = latest
            if page_events:
                with store.begin() as conn:
                    job = capture_document(
                        conn,
                        merchant_id,
                        io.BytesIO(raw),
                        error_behaviour=error_behaviour,
                        max_events=max_events,
                    )
                    if on_page is not None:
                        on_page(conn, report.until)
                report.stored += job["stored"]
                report.duplicates += job["duplicates"]
                report.rejected += job["rejected"]
                report.events += len(page_events)
            report.pages += 1
            following = _next_page(response, body, current)
            if following is not None and urlsplit(following)[:2] != origin:
                raise PullError("the partner's next page link leaves its host; not followed")
            current = following
    finally:
        if own:
            http.close()
    return report
