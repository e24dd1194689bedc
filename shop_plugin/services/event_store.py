"""Storing EPCIS events: validate and hash them, then write them in bulk.

A :class:`Preparer` (or :func:`prepare_events`, for a chunk at hand) checks events with the
SDK and pulls out what the store indexes: type, times, action, CBV values, places, and every
EPC the event names with its role, in the canonical Digital Link form. Common events take
the SDK's fast path (:mod:`shoptrace.sdk.epcis.fastpath`: validation and hash ID in one pass,
EPCs made canonical once for both the hash and the index, eventTime read once); the others,
and every event with a problem, the general one (document validation and hashing), which
words the problems. :func:`store_events` writes prepared events in the caller's transaction:
an event whose hash ID is stored already is not stored again, an event without ``eventID``
gets its hash ID as ``eventID``, ``recordTime`` is set, and each new event extends the
merchant's hash chain (:mod:`.chain`). Rows go in a chunk at a time through a
:class:`.bulk_writer.BulkWriter`: ``COPY`` on PostgreSQL; on SQLite multi-row inserts in a
thread of their own, while the next chunk is read and hashed.
"""

from __future__ import annotations

import functools
import hashlib
import json
import operator
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from shoptrace.sdk import digital_link
from shoptrace.sdk.epcis import vocab
from shoptrace.sdk.epcis.epc import try_canonical_dl
from shoptrace.sdk.epcis.fastpath import FastEvent, FastEvents
from shoptrace.sdk.epcis.hashing import EPCISHashError, document_hashes, event_hash
from shoptrace.sdk.epcis.validate import Problem, document_problems
from shoptrace.shop_plugin.services import chain
from shoptrace.shop_plugin.services.bulk_writer import BulkWriter
from shoptrace.shop_plugin.services.clock import utcnow
from shoptrace.shop_plugin.store.tables import (
    epc_list_members,
    epc_lists,
    epcis_contexts,
    epcis_vocabulary,
    event_epc_lists,
    events,
    products,
    units,
)

__all__ = [
    "CHUNK",
    "MAX_KEY_LENGTH",
    "Prepared",
    "Preparer",
    "Stored",
    "canonical_epc",
    "context_id",
    "epc_rows",
    "format_time",
    "normalized",
    "parse_time",
    "prepare_events",
    "store_events",
]

CHUNK = 1000
"""Events validated, hashed and written together."""
MAX_KEY_LENGTH = 500
"""Longest EPC, eventID, CBV value or place the store indexes."""

EPC_FIELDS = (
    ("epcList", "epc"),
    ("childEPCs", "child"),
    ("inputEPCList", "input"),
    ("outputEPCList", "output"),
)
QUANTITY_FIELDS = (
    ("quantityList", "quantity"),
    ("childQuantityList", "child_quantity"),
    ("inputQuantityList", "input_quantity"),
    ("outputQuantityList", "output_quantity"),
)
EVENT_COLUMNS = (
    "merchant_id",
    "seq",
    "event_id",
    "hash_id",
    "chain_hash",
    "event_type",
    "event_time",
    "record_time",
    "action",
    "biz_step",
    "disposition",
    "read_point",
    "biz_location",
    "capture_id",
    "context_id",
    "document",
)
LIST_COLUMNS = ("merchant_id", "id", "digest")
MEMBER_COLUMNS = ("merchant_id", "epc", "list_id")
LINK_COLUMNS = ("merchant_id", "list_id", "seq", "role")
_LIST_POINTER = re.compile(r"/epcisBody/eventList/([0-9]+)(.*)", re.S)
_TIME = re.compile(
    r"([0-9]{4})-([0-9][0-9])-([0-9][0-9])[Tt]([0-9][0-9]):([0-9][0-9]):([0-9][0-9])(?:[.,]([0-9]+))?(?:([Zz])|([+-])([0-9][0-9]):([0-9][0-9]))"
)
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_json_string = json.encoder.encode_basestring_ascii  # what json.dumps writes for a str


class Prepared(NamedTuple):
    """An event ready to store: the columns the store indexes and its EPC rows."""

    list_index: int
    """The event's place in its document's event list (from 0)."""
    hash_id: str
    event_id: str | None
    event_type: str
    event_time: datetime
    action: str | None
    biz_step: str | None
    disposition: str | None
    read_point: str | None
    biz_location: str | None
    epcs: tuple[tuple[str, tuple[str, ...]], ...]
    """``(role, canonical EPCs)``: each EPC the event names, once per role."""
    text: str | None = None
    """The event's JSON as written in the captured document, when the stored document can
    be made from it (it carries neither eventID nor recordTime)."""
    event: dict[str, Any] | None = None
    """The event itself, when the stored document must be written anew (no usable text)."""


@dataclass
class Stored:
    """What :func:`store_events` did: counts, rejected events and the chain positions used."""

    stored: int = 0
    duplicates: int = 0
    rejected: list[tuple[int, str, str]] = field(default_factory=list)
    """``(index, JSON pointer relative to the event, message)`` of events not stored."""
    event_ids: list[str] = field(default_factory=list)
    """eventID of every event of the input, stored or found stored already (not rejected)."""


# --- values --------------------------------------------------------------------------------


def canonical_epc(value: str) -> str:
    """The canonical Digital Link of an EPC (URN or Digital Link), else ``value`` itself."""
    return try_canonical_dl(value) or value


def normalized(kind: str, value: Any) -> str | None:
    """A CBV value (``bizStep``, ``disposition``) as the store keeps it: a standard value as
    its bare word, anything else as given."""
    if not isinstance(value, str):
        return None
    return vocab.bare_word(kind, value.strip())


def _place(value: Any) -> str | None:
    if isinstance(value, Mapping):
        value = value.get("id")
    if not isinstance(value, str):
        return None
    return canonical_epc(value.strip())


def parse_time(text: str) -> datetime | None:
    """An RFC 3339 timestamp as an aware UTC datetime (microseconds), None when unreadable."""
    m = _TIME.fullmatch(text.strip())
    if m is None:
        return None
    year, month, day, hour, minute, second, frac, zulu, sign, off_h, off_m = m.groups()
    try:
        moment = datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            min(int(second), 59),
            int((frac or "0")[:6].ljust(6, "0")),
            tzinfo=UTC,
        )
        if not zulu:
            offset = timedelta(hours=int(off_h), minutes=int(off_m))
            moment = moment - offset if sign == "+" else moment + offset
    except (ValueError, OverflowError):
        return None
    return moment


def format_time(moment: datetime) -> str:
    """``2025-03-01T08:00:00.123Z``: how the store writes recordTime."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def epc_rows(event: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every ``(canonical EPC, role)`` an event names, each once."""
    rows: dict[tuple[str, str], None] = {}
    parent = event.get("parentID")
    if isinstance(parent, str):
        rows[(canonical_epc(parent), "parent")] = None
    for name, role in EPC_FIELDS:
        values = event.get(name)
        if isinstance(values, list):
            for value in values:
                if isinstance(value, str):
                    rows[(try_canonical_dl(value) or value, role)] = None
    for name, role in QUANTITY_FIELDS:
        values = event.get(name)
        if isinstance(values, list):
            for item in values:
                if isinstance(item, Mapping) and isinstance(item.get("epcClass"), str):
                    rows[(canonical_epc(item["epcClass"]), role)] = None
    return list(rows)


# --- preparing -----------------------------------------------------------------------------


def _mini_document(context: Any, events_: list[Any]) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2025-01-01T00:00:00Z",
        "epcisBody": {"eventList": events_},
    }
    if context is not None:
        doc["@context"] = context
    return doc


def _limits(item: Prepared) -> list[Problem]:
    """Values longer than the store's indexes take."""
    problems: list[Problem] = []
    named = (
        ("/eventID", item.event_id),
        ("/bizStep", item.biz_step),
        ("/disposition", item.disposition),
        ("/readPoint/id", item.read_point),
        ("/bizLocation/id", item.biz_location),
    )
    for pointer, value in named:
        if value is not None and len(value) > MAX_KEY_LENGTH:
            problems.append((pointer, f"longer than {MAX_KEY_LENGTH} characters"))
    if len(item.event_type) > 200:
        problems.append(("/type", "an extension event type is longer than 200 characters"))
    if any(len(epc) > MAX_KEY_LENGTH for _, epcs in item.epcs for epc in epcs):
        problems.append(("", f"an EPC is longer than {MAX_KEY_LENGTH} characters"))
    return problems


def _within_limits(item: Prepared) -> bool:
    """No value longer than the store takes (the quick test before :func:`_limits`)."""
    return _fields_within_limits(item) and _epcs_within_limits(item.epcs)


def _fields_within_limits(item: Prepared) -> bool:
    """:func:`_within_limits` of every value but the EPCs."""
    if len(item.event_type) > 200:
        return False
    for value in (item.event_id, item.biz_step, item.disposition, item.read_point):
        if value is not None and len(value) > MAX_KEY_LENGTH:
            return False
    return item.biz_location is None or len(item.biz_location) <= MAX_KEY_LENGTH


_Roles = tuple[tuple[str, tuple[str, ...]], ...]
"""``(role or field, EPCs)`` pairs, as in :attr:`Prepared.epcs` and :attr:`FastEvent.epcs`."""
_ROLES_CACHE = 8192
"""EPC lists a :class:`Preparer` remembers (as many as the fast path's list cache)."""


def _epcs_within_limits(epcs: _Roles) -> bool:
    """:func:`_within_limits` of the EPCs."""
    return all(max(map(len, values), default=0) <= MAX_KEY_LENGTH for _, values in epcs)


class Preparer:
    """Prepares the events of one document (``@context`` given) as they are read.

    :meth:`add` each ``(index, event, text)``: a common event is checked and hashed at once
    by the SDK's fast path (:class:`FastEvents`), so what is kept of it is only what the
    store needs; any other event waits for :meth:`take`, which runs the general path
    (document validation and hashing, which also words every problem) over the waiting
    ones and hands over the chunk's prepared events in document order with every problem.
    One per document: the fast path's caches serve all of it. ``fast=False`` sends every
    event the general way (the two give the same results; the tests compare them).
    """

    def __init__(self, context: Any, *, fast: bool = True) -> None:
        self.context = context
        self._fast = FastEvents(context) if fast else None
        self._slots: list[Prepared | None] = []
        self._general: list[tuple[int, int, Any, str | None]] = []
        self._bad: dict[int, tuple[int, list[Problem]]] = {}
        self._roles: dict[_Roles, tuple[_Roles, bool]] = {}

    def __len__(self) -> int:
        """Events added since the last :meth:`take`."""
        return len(self._slots)

    def add(self, index: int, event: Any, text: str | None = None) -> None:
        """One event of the document: ``index`` its place in the event list, ``text`` its
        JSON as written (kept as the stored document)."""
        position = len(self._slots)
        self._slots.append(None)
        found = self._fast.check(event) if self._fast is not None else None
        if found is None:
            self._general.append((position, index, event, text))
            return
        epcs, short = self._store_epcs(found.epcs)
        item = _from_fast(index, event, found, text, epcs)
        if short and _fields_within_limits(item):
            self._slots[position] = item
        else:
            self._bad[position] = (index, _limits(item))

    def _store_epcs(self, found: _Roles) -> tuple[_Roles, bool]:
        """The fast path's ``(field, EPCs)`` as the store's ``(role, EPCs)``, and whether
        every EPC is within :data:`MAX_KEY_LENGTH`; remembered, since a document names the
        same EPC lists in several events (the fast path hands over the same tuple of EPCs
        for each, so the lookup costs little, and every list is measured once)."""
        hit = self._roles.get(found)
        if hit is None:
            epcs = tuple([(_ROLES[name], values) for name, values in found if values])
            hit = (epcs, _epcs_within_limits(epcs))
            if len(self._roles) >= _ROLES_CACHE:
                self._roles.clear()
            self._roles[found] = hit
        return hit

    def take(self) -> tuple[list[Prepared], list[tuple[int, str, str]]]:
        """The prepared valid events added since the last call, and ``(index, pointer in
        the event, message)`` for every problem of the others."""
        if self._general:
            self._prepare_general()
        prepared = [item for item in self._slots if item is not None]
        bad = self._bad
        problems = [
            (bad[position][0], pointer, message)
            for position in sorted(bad)
            for pointer, message in bad[position][1]
        ]
        self._slots, self._general, self._bad = [], [], {}
        return prepared, problems

    def _prepare_general(self) -> None:
        """The general path for the waiting events: the SDK's document validation and
        hashing, then the store's columns."""
        waiting = self._general
        bad = self._bad
        flagged: dict[int, list[Problem]] = {}
        mini = _mini_document(self.context, [event for _, _, event, _ in waiting])
        for pointer, message in document_problems(mini):
            m = _LIST_POINTER.fullmatch(pointer)
            if m is not None:
                flagged.setdefault(int(m.group(1)), []).append((m.group(2), message))
        for at, found in flagged.items():
            bad[waiting[at][0]] = (waiting[at][1], found)
        good = [entry for at, entry in enumerate(waiting) if at not in flagged]
        hashes = _hashes([event for _, _, event, _ in good], self.context)
        for (position, index, event, text), hash_id in zip(good, hashes, strict=True):
            if isinstance(hash_id, EPCISHashError):
                problem = ("", f"the event hash ID cannot be computed: {hash_id}")
                bad[position] = (index, [problem])
                continue
            item = _from_general(index, event, hash_id, text)
            if item is None:
                problem = ("/eventTime", "eventTime is not a date-time this store can keep")
                bad[position] = (index, [problem])
            elif _within_limits(item):
                self._slots[position] = item
            else:
                bad[position] = (index, _limits(item))


def prepare_events(
    chunk: Sequence[tuple[int, Any]], *, context: Any, texts: Sequence[str] | None = None
) -> tuple[list[Prepared], list[tuple[int, str, str]]]:
    """Validate and hash ``(index, event)`` pairs of one document whose ``@context`` is
    ``context`` (None for an event that carries its own); ``texts`` are the events' JSON as
    written, kept as the stored documents.

    Returns the prepared valid events and ``(index, pointer in the event, message)`` for
    every problem of the others. The hash ID is the one of the event with that context, which
    is how :func:`shoptrace.shop_plugin.services.chain.verify` recomputes it later. (A
    :class:`Preparer` does the same a document at a time.)
    """
    preparer = Preparer(context)
    for position, (index, event) in enumerate(chunk):
        preparer.add(index, event, texts[position] if texts is not None else None)
    return preparer.take()


_ROLES = {"parentID": "parent", **dict(EPC_FIELDS)}


def _text_or_event(
    event: dict[str, Any], text: str | None
) -> tuple[str | None, dict[str, Any] | None]:
    """What the stored document is made from: the text as written when it will do (see
    :func:`_document_text`), else the event."""
    if text is not None and "eventID" not in event and "recordTime" not in event:
        return text, None
    return None, event


def _from_fast(
    index: int, event: dict[str, Any], found: FastEvent, text: str | None, epcs: _Roles
) -> Prepared:
    """A valid event the fast path read: the store's columns from its members, ``epcs``
    its EPCs by role (:meth:`Preparer._store_epcs`)."""
    event_id = event.get("eventID")
    read_point = event.get("readPoint")
    biz_location = event.get("bizLocation")
    kept_text, kept_event = _text_or_event(event, text)
    return Prepared(
        index,
        found.hash_id,
        event_id.strip() if event_id is not None else None,
        event["type"],
        found.event_time,
        event.get("action"),
        _word("bizStep", event.get("bizStep")),
        _word("disposition", event.get("disposition")),
        _place_id(read_point["id"]) if read_point is not None else None,
        _place_id(biz_location["id"]) if biz_location is not None else None,
        epcs,
        kept_text,
        kept_event,
    )


def _from_general(index: int, event: Any, hash_id: str, text: str | None) -> Prepared | None:
    """A valid event the general path hashed: the store's columns from its members; None
    when its eventTime is one the store cannot keep."""
    moment = parse_time(event["eventTime"])
    if moment is None:
        return None
    action = event.get("action")
    event_id = event.get("eventID")
    grouped: dict[str, list[str]] = {}
    for epc, role in epc_rows(event):
        grouped.setdefault(role, []).append(epc)
    kept_text, kept_event = _text_or_event(event, text)
    return Prepared(
        list_index=index,
        hash_id=hash_id,
        event_id=event_id.strip() if isinstance(event_id, str) else None,
        event_type=str(event["type"]),
        event_time=moment,
        action=action if isinstance(action, str) else None,
        biz_step=normalized("bizStep", event.get("bizStep")),
        disposition=normalized("disposition", event.get("disposition")),
        read_point=_place(event.get("readPoint")),
        biz_location=_place(event.get("bizLocation")),
        epcs=tuple((role, tuple(epcs)) for role, epcs in grouped.items()),
        text=kept_text,
        event=kept_event,
    )


_WORDS: dict[tuple[str, str], str | None] = {}
_PLACES: dict[str, str] = {}
_VALUE_CACHE = 4096


def _word(kind: str, value: str | None) -> str | None:
    """:func:`normalized`, remembered (a document repeats a few steps and dispositions)."""
    if value is None:
        return None
    hit = _WORDS.get((kind, value))
    if hit is None:
        if len(_WORDS) >= _VALUE_CACHE:
            _WORDS.clear()
        hit = _WORDS[(kind, value)] = normalized(kind, value)
    return hit


def _place_id(value: str) -> str:
    """A place's id as the store keeps it, remembered."""
    hit = _PLACES.get(value)
    if hit is None:
        if len(_PLACES) >= _VALUE_CACHE:
            _PLACES.clear()
        hit = _PLACES[value] = canonical_epc(value.strip())
    return hit


def _hashes(items: list[Any], context: Any) -> list[str | EPCISHashError]:
    """Hash IDs of ``items``: in one pass, or one by one when some event cannot be hashed."""
    if not items:
        return []
    try:
        return list(document_hashes(_mini_document(context, items)))
    except EPCISHashError:
        pass
    out: list[str | EPCISHashError] = []
    for item in items:
        try:
            out.append(event_hash(item, context))
        except EPCISHashError as exc:
            out.append(exc)
    return out


# --- storing -------------------------------------------------------------------------------


def context_id(conn: Connection, merchant_id: int, context: Any) -> int | None:
    """The stored id of a document's ``@context``; None for the plain EPCIS context."""
    if context is None or context == vocab.EPCIS_CONTEXT or context == [vocab.EPCIS_CONTEXT]:
        return None
    body = json.dumps(context, ensure_ascii=True, sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(body.encode("ascii")).hexdigest()
    found = conn.execute(
        sa.select(epcis_contexts.c.id).where(
            epcis_contexts.c.merchant_id == merchant_id, epcis_contexts.c.digest == digest
        )
    ).scalar_one_or_none()
    if found is not None:
        return int(found)
    conn.execute(
        _insert(conn, epcis_contexts)
        .values(merchant_id=merchant_id, digest=digest, body=body, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["merchant_id", "digest"])
    )
    return int(
        conn.execute(
            sa.select(epcis_contexts.c.id).where(
                epcis_contexts.c.merchant_id == merchant_id, epcis_contexts.c.digest == digest
            )
        ).scalar_one()
    )


def _insert(conn: Connection, table: sa.Table) -> Any:
    """An INSERT that can skip rows clashing with a unique key, on either engine."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def _document_text(item: Prepared, event_id: str, record_time: str, record_part: str) -> str:
    """The stored text: the event as written with eventID and recordTime put first, or
    re-encoded when it carries either already (or was not given as text).

    ``record_part`` is ``', "recordTime": "<record_time>",'`` (the same for a whole call)."""
    if item.text is not None:
        # json.dumps({"eventID": event_id, "recordTime": record_time})[:-1] + ",", spelt out
        return '{"eventID": ' + _json_string(event_id) + record_part + item.text.lstrip()[1:]
    assert item.event is not None
    body = dict(item.event)
    body["eventID"] = event_id
    body["recordTime"] = record_time
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    if not text.isascii() and _SURROGATE.search(text):
        text = json.dumps(body, ensure_ascii=True, separators=(",", ":"))
    return text


def store_events(
    conn: Connection,
    merchant_id: int,
    prepared: Iterable[Prepared],
    *,
    capture_id: int | None = None,
    context_id: int | None = None,
    record_time: datetime | None = None,
) -> Stored:
    """Store prepared events in the caller's transaction; see the module docstring.

    Events whose ``eventID`` already names a different stored event are rejected (listed
    in the result, not stored); the caller decides whether that fails the whole capture.
    """
    moment = (record_time or utcnow()).astimezone(UTC)
    moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    head = chain.lock(conn, merchant_id)
    writer = BulkWriter(conn, moment, time_type=events.c.event_time.type)
    rows = _EventRows(merchant_id, head, moment, writer, (capture_id, context_id))
    lists = _Lists(conn, merchant_id, writer)
    try:
        for batch in _batches(prepared, CHUNK):
            writer.wait()  # the connection is ours again
            event_rows, named = rows.add(batch, *_stored(conn, merchant_id, batch))
            lists.resolve(named)  # looked up before the writer takes the connection
            writer.write(events, EVENT_COLUMNS, event_rows)
            lists.write(named)
        writer.wait()
    finally:
        writer.close()
    result = rows.result
    if result.stored:
        chain.save(conn, merchant_id, chain.Head(rows.seq, rows.chain_hash))
        _add_vocabulary(conn, merchant_id, _vocabulary(rows.values))
        _move_units(conn, merchant_id, rows.moves)
    return result


class _EventRows:
    """The rows of the events one call of :func:`store_events` stores, a batch at a time:
    duplicates counted, eventIDs given, the hash chain extended."""

    def __init__(
        self,
        merchant_id: int,
        head: chain.Head,
        moment: datetime,
        writer: BulkWriter,
        job: tuple[int | None, int | None],
    ) -> None:
        self.merchant_id = merchant_id
        self.seq, self.chain_hash = head.seq, head.hash
        self.result = Stored()
        self.moves: dict[str, list[tuple[str, ...]]] = {}
        """EPC lists whose units the stored events move, by new status (:func:`_unit_moves`)."""
        self.values: set[tuple[str, str | None, str | None, str | None, str | None]] = set()
        """(eventType, bizStep, disposition, readPoint, bizLocation) of the stored events."""
        self._seen_hashes: dict[str, str] = {}
        self._seen_ids: dict[str, str] = {}
        self._shown = format_time(moment)
        self._record_part = ', "recordTime": ' + _json_string(self._shown) + ","
        self._time, self._recorded = writer.time, writer.record_time
        self._job = job  # (capture_id, context_id)

    def add(
        self, batch: list[Prepared], stored_hashes: dict[str, str], stored_ids: dict[str, str]
    ) -> tuple[list[tuple[Any, ...]], list[tuple[int, _Roles]]]:
        """The event rows of ``batch`` and the ``(seq, EPC lists)`` of the events stored;
        ``stored_*`` are the events of the batch stored already (:func:`_stored`)."""
        result, seen_hashes, seen_ids = self.result, self._seen_hashes, self._seen_ids
        merchant_id, seq, chain_hash = self.merchant_id, self.seq, self.chain_hash
        time_value, recorded, (capture_id, context_id) = self._time, self._recorded, self._job
        shown, record_part = self._shown, self._record_part
        moves, values, event_ids = self.moves, self.values, result.event_ids
        sha256 = hashlib.sha256
        event_rows: list[tuple[Any, ...]] = []
        named: list[tuple[int, _Roles]] = []
        for item in batch:
            (_, hash_id, given_id, event_type, moment, action, biz_step, disposition) = item[:8]
            known = stored_hashes.get(hash_id) or seen_hashes.get(hash_id)
            if known is not None:
                result.duplicates += 1
                event_ids.append(known)
                continue
            event_id = given_id or hash_id
            owner = stored_ids.get(event_id) or seen_ids.get(event_id)
            if owner is not None and owner != hash_id:
                message = f"eventID {event_id} already names another event"
                result.rejected.append((item.list_index, "/eventID", message))
                continue
            seen_hashes[hash_id] = event_id
            seen_ids[event_id] = hash_id
            seq += 1
            chain_hash = sha256((chain_hash + hash_id).encode("utf-8")).hexdigest()  # chain.link
            read_point, biz_location, epcs = item[8:11]
            event_rows.append(
                (
                    merchant_id,
                    seq,
                    event_id,
                    hash_id,
                    chain_hash,
                    event_type,
                    time_value(moment),
                    recorded,
                    action,
                    biz_step,
                    disposition,
                    read_point,
                    biz_location,
                    capture_id,
                    context_id,
                    _document_text(item, event_id, shown, record_part),
                )
            )
            if epcs:
                named.append((seq, epcs))
            if biz_step in _MOVING_STEPS and (event_type, action, biz_step) in UNIT_MOVES:
                _unit_moves(item, moves)
            values.add((event_type, biz_step, disposition, read_point, biz_location))
            event_ids.append(event_id)
        self.seq, self.chain_hash = seq, chain_hash
        result.stored += len(event_rows)
        return event_rows, named


_ID_BITS = (1 << 63) - 1
"""EPC list ids are 63-bit: positive in a signed 64-bit column."""


def list_digest(epcs: Iterable[str]) -> tuple[str, tuple[str, ...]]:
    """The digest of an EPC list and its members: SHA-256 hex of the distinct members in code
    point order (whatever their order or repeats in the event), each written as its length,
    a colon and itself in UTF-8 (so no two lists write the same text)."""
    members = tuple(sorted(set(epcs)))
    body = "".join([f"{len(epc)}:{epc}" for epc in members])
    return hashlib.sha256(body.encode("utf-8", "surrogatepass")).hexdigest(), members


def list_id(digest: str) -> int:
    """The id a list with ``digest`` asks for first: its first 63 bits."""
    return int(digest[:16], 16) >> 1


class _Lists:
    """The EPC lists of one capture: each distinct list looked up or written once.

    :meth:`write` takes the stored events' lists (by role) and writes what the EPC index
    lacks: the lists the merchant has not stored yet with their members, and a row per
    event and role pointing at its list. A list keeps the id :func:`list_id` gives its
    digest unless another list of the merchant holds it already; then it takes the next
    free one (the search always runs from the first id, so a list is found where it was put).
    """

    def __init__(self, conn: Connection, merchant_id: int, writer: BulkWriter) -> None:
        self.conn = conn
        self.merchant_id = merchant_id
        self.writer = writer
        self.ids: dict[tuple[str, ...], int] = {}  # a list as an event gave it -> its id
        self._by_digest: dict[str, int] = {}
        self._owners: dict[int, str] = {}  # id -> digest, for the ids this capture met
        self._new_lists: list[tuple[Any, ...]] = []  # rows to write
        self._new_members: list[tuple[Any, ...]] = []

    def resolve(self, named: list[tuple[int, _Roles]]) -> None:
        """Ids for the lists of events given as ``(seq, ((role, canonical EPCs), ...))``: the
        lists not met yet in this capture are looked up (the connection must be free)."""
        ids = self.ids
        unknown = {epcs for _, lists in named for _, epcs in lists if epcs not in ids}
        if unknown:
            self.writer.wait()  # the lookup needs the connection
            self._resolve(unknown)

    def write(self, named: list[tuple[int, _Roles]]) -> None:
        """Index events given as ``(seq, ((role, canonical EPCs), ...))``: the new lists with
        their members, and the events' links to their lists."""
        self.resolve(named)  # nothing left to look up when the caller resolved them
        self.writer.write(epc_lists, LIST_COLUMNS, self._new_lists)
        self._new_members.sort(key=_MEMBER_KEY)
        self.writer.write(epc_list_members, MEMBER_COLUMNS, self._new_members)
        self._new_lists, self._new_members = [], []
        ids, merchant_id = self.ids, self.merchant_id
        links = [
            (merchant_id, ids[epcs], seq, role) for seq, lists in named for role, epcs in lists
        ]
        links.sort(key=_LINK_KEY)
        self.writer.write(event_epc_lists, LINK_COLUMNS, links)

    def _resolve(self, unknown: set[tuple[str, ...]]) -> None:
        """Ids for lists not met yet in this capture; new lists and members kept to write."""
        waiting: dict[str, tuple[int, tuple[str, ...]]] = {}  # digest -> (id to try, members)
        given: dict[str, list[tuple[str, ...]]] = {}
        for epcs in unknown:
            digest, members = list_digest(epcs)
            given.setdefault(digest, []).append(epcs)
            if digest not in self._by_digest and digest not in waiting:
                waiting[digest] = (list_id(digest), members)
        new_lists, new_members = self._new_lists, self._new_members
        owners, merchant_id = self._owners, self.merchant_id
        while waiting:
            tried = sorted({candidate for candidate, _ in waiting.values()} - owners.keys())
            if tried:
                rows = self.conn.execute(
                    _lookup(self.conn, "list_ids"),
                    {"merchant_id": self.merchant_id, "keys": _listed(self.conn, tried)},
                )
                owners.update((int(found), digest) for found, digest in rows)
            again: dict[str, tuple[int, tuple[str, ...]]] = {}
            for digest, (candidate, members) in waiting.items():
                owner = owners.get(candidate)
                if owner is None:  # free: the list is new
                    owners[candidate] = digest
                    new_lists.append((merchant_id, candidate, digest))
                    new_members += [(merchant_id, epc, candidate) for epc in members]
                elif owner != digest:  # another list holds it: try the next
                    again[digest] = ((candidate + 1) & _ID_BITS, members)
                    continue
                self._by_digest[digest] = candidate
            waiting = again
        for digest, lists in given.items():
            found = self._by_digest[digest]
            for epcs in lists:
                self.ids[epcs] = found


_LINK_KEY = operator.itemgetter(1)
_MEMBER_KEY = operator.itemgetter(1)


def _vocabulary(
    values: set[tuple[str, str | None, str | None, str | None, str | None]],
) -> set[tuple[str, str]]:
    """``(kind, value)`` of every value the stored events use."""
    vocabulary: set[tuple[str, str]] = set()
    for event_type, biz_step, disposition, read_point, biz_location in values:
        vocabulary.add(("eventType", event_type))
        for kind, value in (
            ("bizStep", biz_step),
            ("disposition", disposition),
            ("readPoint", read_point),
            ("bizLocation", biz_location),
        ):
            if value is not None:
                vocabulary.add((kind, value))
    return vocabulary


_UNIT_STEM = "https://id.gs1.org/01/"
UNIT_MOVES: dict[tuple[str, str, str], tuple[str, str, tuple[str, ...]]] = {
    # (event type, action, bizStep) -> (EPC role, new status, statuses it moves from)
    ("ObjectEvent", "ADD", "commissioning"): ("epc", "commissioned", ("issued",)),
    ("AggregationEvent", "ADD", "packing"): ("child", "packed", ("issued", "commissioned")),
    ("ObjectEvent", "OBSERVE", "retail_selling"): (
        "epc",
        "sold",
        ("issued", "commissioned", "packed"),
    ),
}
"""Events that move this merchant's units forward in their life cycle: commissioning,
packing, and a sale another system recorded (a till), so no order allocates a sold unit.
Shipments to customers, deliveries and returns are the order service's (it knows the order).
"""
_MOVING_STEPS = frozenset(step for _, _, step in UNIT_MOVES)
"""The bizSteps of :data:`UNIT_MOVES` (most events have none of them: one set lookup)."""


def _unit_moves(item: Prepared, moves: dict[str, list[tuple[str, ...]]]) -> None:
    """Note the EPC lists of ``item`` whose units it moves, under the new status."""
    rule = UNIT_MOVES.get((item.event_type, item.action or "", item.biz_step or ""))
    if rule is None:
        return
    role, status, _ = rule
    found = moves.setdefault(status, [])
    for epc_role, epcs in item.epcs:
        if epc_role == role:
            found.append(epcs)


_UNIT_KEYS: dict[tuple[str, ...], list[tuple[str, str]]] = {}
_GTIN_AT = len(_UNIT_STEM)


def _registered(conn: Connection, merchant_id: int, gtins: set[str]) -> set[str]:
    """The GTINs among ``gtins`` the merchant has registered as products."""
    if not gtins:
        return set()
    found: set[str] = set()
    wanted = sorted(gtins)
    for start in range(0, len(wanted), _IN_LIMIT):
        found.update(
            conn.execute(
                sa.select(products.c.gtin).where(
                    products.c.merchant_id == merchant_id,
                    products.c.gtin.in_(wanted[start : start + _IN_LIMIT]),
                )
            ).scalars()
        )
    return found


def _unit_keys(epcs: tuple[str, ...]) -> list[tuple[str, str]]:
    """``(GTIN, serial)`` of the units among canonical EPCs (remembered: a document names
    the same units in several events)."""
    found: list[tuple[str, str]] = []
    for epc in epcs:
        if epc.startswith(_UNIT_STEM):
            gtin, marker, serial = epc[len(_UNIT_STEM) :].partition("/21/")
            if marker and len(gtin) == 14 and "/" not in serial:
                found.append((gtin, digital_link.unescape(serial) if "%" in serial else serial))
    if len(_UNIT_KEYS) >= _VALUE_CACHE:
        _UNIT_KEYS.clear()
    _UNIT_KEYS[epcs] = found
    return found


def _move_units(
    conn: Connection, merchant_id: int, moves: dict[str, list[tuple[str, ...]]]
) -> None:
    """Set the status of the merchant's units that stored events commissioned or packed.

    Each status in turn (in the order the events first asked for it), every unit named for it
    moves when its status is one the rule moves from. Only the merchant's units that exist
    are updated, found first with a few indexed lookups: a capture mostly names units the
    merchant never issued here, and an UPDATE per named unit would cost more than the capture.
    Units are issued for the merchant's own products, so EPCs of other GTINs are not even
    read apart (the common capture of a supply chain whose codes came from elsewhere).
    """
    named = {epcs for lists in moves.values() for epcs in lists}
    gtins = {
        epc[_GTIN_AT : _GTIN_AT + 14]
        for epcs in named
        for epc in epcs
        if epc.startswith(_UNIT_STEM)
    }
    registered = _registered(conn, merchant_id, gtins)
    if not registered:
        return
    keys: dict[tuple[str, ...], list[tuple[str, str]]] = {}
    for epcs in named:
        found = _UNIT_KEYS.get(epcs)
        if found is None:
            found = _unit_keys(epcs)
        keys[epcs] = [pair for pair in found if pair[0] in registered]
    pairs_by_status = {
        status: [pair for epcs in lists for pair in keys[epcs]] for status, lists in moves.items()
    }
    wanted = {pair for pairs in pairs_by_status.values() for pair in pairs}
    if not wanted:
        return
    present = _present_units(conn, merchant_id, wanted)
    if not present:
        return
    sources = {rule[1]: rule[2] for rule in UNIT_MOVES.values()}
    for status, pairs in pairs_by_status.items():
        ids = sorted({present[pair] for pair in pairs if pair in present})
        for start in range(0, len(ids), _IN_LIMIT):
            conn.execute(
                units.update()
                .where(
                    units.c.id.in_(ids[start : start + _IN_LIMIT]),
                    units.c.merchant_id == merchant_id,
                    sa.or_(*(units.c.status == source for source in sources[status])),
                )
                .values(status=status)
            )


_IN_LIMIT = 500
"""Values in one ``IN (...)`` list."""


def _present_units(
    conn: Connection, merchant_id: int, pairs: set[tuple[str, str]]
) -> dict[tuple[str, str], int]:
    """The ids of the merchant's units among ``(gtin, serial)`` pairs."""
    by_gtin: dict[str, list[str]] = {}
    for gtin, serial in pairs:
        by_gtin.setdefault(gtin, []).append(serial)
    found: dict[tuple[str, str], int] = {}
    for gtin, serials in by_gtin.items():
        serials.sort()
        rows = conn.execute(
            _lookup(conn, "units"),
            {"gtin": gtin, "keys": _listed(conn, serials), "merchant_id": merchant_id},
        )
        for row in rows:
            found[(gtin, row.serial)] = int(row.id)
    return found


def _batches(items: Iterable[Prepared], size: int) -> Iterator[list[Prepared]]:
    batch: list[Prepared] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _among(column: Any, dialect: str) -> Any:
    """``column IN`` the values bound as the one parameter ``keys`` (:func:`_listed`): a JSON
    array read by ``json_each`` on SQLite, an array on PostgreSQL. The statement is compiled
    once whatever the number of values; an expanding ``IN`` is compiled again for each
    length, which took a tenth of a capture's Python time."""
    if dialect == "postgresql":
        return column == sa.any_(sa.bindparam("keys"))
    values = sa.func.json_each(sa.bindparam("keys", type_=sa.String)).table_valued("value")
    return column.in_(sa.select(values.c.value))


def _listed(conn: Connection, values: list[Any]) -> Any:
    """``values`` as :func:`_among` binds them."""
    return values if conn.dialect.name == "postgresql" else json.dumps(values)


@functools.cache
def _lookups(dialect: str) -> dict[str, Any]:
    """The lookups of many keys at once a capture makes, for ``dialect``."""
    e, lists = events.c, epc_lists.c
    merchant: Any = sa.bindparam("merchant_id")
    # one index search each way, united (as an OR SQLite walked all the events)
    stored: Any = sa.union(
        sa.select(e.hash_id, e.event_id).where(
            e.merchant_id == merchant, _among(e.hash_id, dialect)
        ),
        sa.select(e.hash_id, e.event_id).where(
            e.merchant_id == merchant, _among(e.event_id, dialect)
        ),
    )
    if dialect == "sqlite":
        # The keys probe the indexes one by one, in the order CROSS JOIN fixes: twice as fast
        # as IN (json_each), which first builds a temporary index of them. (A plain JOIN lets
        # the planner walk the merchant's events instead, a thousand times slower.)
        stored = sa.text(
            "SELECT e.hash_id, e.event_id FROM json_each(:keys) AS k CROSS JOIN events AS e"
            " ON e.merchant_id = :merchant_id AND e.hash_id = k.value"
            " UNION SELECT e.hash_id, e.event_id FROM json_each(:keys) AS k CROSS JOIN events"
            " AS e ON e.merchant_id = :merchant_id AND e.event_id = k.value"
        ).columns(e.hash_id, e.event_id)
    return {
        "stored": stored,
        "list_ids": sa.select(lists.id, lists.digest).where(
            lists.merchant_id == merchant, _among(lists.id, dialect)
        ),
        "units": sa.select(units.c.id, units.c.serial).where(
            units.c.gtin == sa.bindparam("gtin"),
            _among(units.c.serial, dialect),
            units.c.merchant_id == merchant,
        ),
    }


def _lookup(conn: Connection, name: str) -> Any:
    return _lookups(conn.dialect.name)[name]


def _stored(
    conn: Connection, merchant_id: int, batch: list[Prepared]
) -> tuple[dict[str, str], dict[str, str]]:
    """Stored events among ``batch``: eventID by hash ID, and hash ID by eventID (one query:
    an event without eventID is looked for by its hash ID both ways)."""
    hashes = {item.hash_id for item in batch}
    ids = {item.event_id or item.hash_id for item in batch}
    found = conn.execute(
        _lookup(conn, "stored"),
        {"merchant_id": merchant_id, "keys": _listed(conn, sorted(hashes | ids))},
    ).all()
    by_hash = {hash_id: event_id for hash_id, event_id in found if hash_id in hashes}
    by_id = {event_id: hash_id for hash_id, event_id in found if event_id in ids}
    return by_hash, by_id


def _add_vocabulary(conn: Connection, merchant_id: int, values: set[tuple[str, str]]) -> None:
    if not values:
        return
    conn.execute(
        _insert(conn, epcis_vocabulary)
        .values([{"merchant_id": merchant_id, "kind": k, "value": v} for k, v in sorted(values)])
        .on_conflict_do_nothing(index_elements=["merchant_id", "kind", "value"])
    )
