"""Trace assembly: everything the store knows about one unit, lot or container, in time order.

:func:`assemble_trace` is what the public resolver calls once per scan, so it runs a small,
fixed number of indexed queries whatever the store's size: the unit (or lot) with its batch
and product; the events naming the item or its lot (the EPC index, one range per EPC); one
query per level of containers it was aggregated into (case, pallet, ... up to
:data:`MAX_CONTAINER_LEVELS`), kept to the time it was inside; and one for the origins of
its transformation inputs. Events are matched in the canonical Digital Link form, so URN and
Digital Link spellings of the same item meet.

:func:`forward_trace` follows a lot downstream: its units, the containers they went into,
the business transactions (orders) and destinations of those, and what it was transformed
into. It reads as much as the lot touched and is meant for recalls and reports, not scans.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, Literal, NotRequired, TypedDict

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shoptrace.sdk import digital_link
from shoptrace.sdk.epcis.epc import urn_to_dl
from shoptrace.sdk.errors import ShoptraceError
from shoptrace.shop_plugin.services.batches import get_batch
from shoptrace.shop_plugin.services.clock import iso
from shoptrace.shop_plugin.services.errors import InvalidInput, NotFound
from shoptrace.shop_plugin.services.event_store import canonical_epc, normalized
from shoptrace.shop_plugin.services.products import get_product
from shoptrace.shop_plugin.store.tables import batches, event_epcs, events, units

__all__ = [
    "MAX_CONTAINER_LEVELS",
    "Containment",
    "Forward",
    "Material",
    "Party",
    "Trace",
    "TraceEvent",
    "TraceState",
    "assemble_trace",
    "forward_trace",
    "parse_code",
]

MAX_CONTAINER_LEVELS = 4
"""Levels of containers followed upwards (case, pallet, container, vehicle)."""
MAX_INPUT_EVENTS = 50
"""Origin events kept per transformation input."""
_STEM = "https://id.gs1.org"
_CHUNK = 500
_ARRIVALS = frozenset({"receiving", "arriving", "accepting", "retail_selling", "stocking"})

Kind = Literal["unit", "lot", "container"]


class Party(TypedDict):
    """A business transaction, source or destination: its CBV type (bare word or URI) and
    identifier."""

    type: str | None
    id: str


class TraceEvent(TypedDict):
    """One event of a trace, with why it belongs there."""

    eventID: str
    eventType: str
    eventTime: str
    """UTC, ``2025-03-01T08:00:00.000Z``."""
    eventTimeZoneOffset: str | None
    recordTime: str
    action: str | None
    bizStep: str | None
    """A CBV business step as its bare word (``shipping``), another as its URI."""
    disposition: str | None
    readPoint: str | None
    """Canonical Digital Link of the place (``https://id.gs1.org/414/...``) or the URI."""
    bizLocation: str | None
    via: Literal["self", "lot", "container", "input"]
    """``self``: names the item; ``lot``: names its lot as a class; ``container``: an event
    of a container while the item was inside; ``input``: an origin event of an input."""
    subject: str
    """The EPC (canonical) through which the event belongs: the item, its lot, a container."""
    role: str
    """How the event names ``subject``: epc, parent, child, input, output, quantity, ..."""
    bizTransactions: list[Party]
    sources: list[Party]
    destinations: list[Party]
    event: dict[str, Any]
    """The EPCIS event as stored (eventID and recordTime set)."""


class Containment(TypedDict):
    """A time the item spent inside a container (``until`` None: still inside)."""

    container: str
    level: int
    """1: the item's own container (case), 2: the container's container (pallet), ..."""
    since: str
    until: str | None


class Material(TypedDict):
    """A transformation input (ingredient) or output: an instance EPC or a class with a
    quantity."""

    epc: str
    """Canonical Digital Link (or the URI as given when it is not an EPC)."""
    level: Literal["instance", "class"]
    quantity: float | None
    uom: str | None
    eventID: str
    """The TransformationEvent that consumed or produced it."""
    events: NotRequired[list[TraceEvent]]
    """Inputs only: the input's own earlier events (its origin), oldest first."""


class TraceState(TypedDict):
    """Where the item stands now, from the unit record and the latest events."""

    status: str | None
    """The unit's life-cycle status (units table); None for a lot or container."""
    disposition: str | None
    """Latest disposition in the trace (``sellable_accessible``, ``in_transit``, ...)."""
    place: str | None
    """Latest business location (where it is believed to be)."""
    placeSince: str | None
    readPoint: str | None
    """Read point of the latest event (where it was last seen)."""
    lastStep: str | None
    lastEventTime: str | None
    container: str | None
    """The container it is in now, if an aggregation put it there and none took it out."""


class Trace(TypedDict):
    """The assembled trace of one unit, lot or container."""

    code: str
    """The code as asked (Digital Link URI, EPC URN, ...)."""
    kind: Kind
    epc: str
    """The item's canonical Digital Link."""
    gtin: str | None
    lot: str | None
    serial: str | None
    sscc: str | None
    product: dict[str, Any] | None
    """The merchant's product record (merchant API form), when the GTIN is registered."""
    batch: dict[str, Any] | None
    """The batch record (merchant API form) of the unit's or lot's lot, when registered."""
    unit: dict[str, Any] | None
    """``{serial, status, issuedAt, firstScanAt, lastScanAt, scanCount}`` of an issued unit."""
    state: TraceState
    containers: list[Containment]
    inputs: list[Material]
    outputs: list[Material]
    events: list[TraceEvent]
    """Time order (eventTime, then the order stored)."""


class Forward(TypedDict):
    """A lot followed downstream (:func:`forward_trace`)."""

    gtin: str
    lot: str
    epc: str
    batch: dict[str, Any] | None
    units: dict[str, Any]
    """``{total, byStatus: {status: n}, items: [canonical unit EPC], truncated}``."""
    containers: list[str]
    orders: list[Party]
    destinations: list[Party]
    outputs: list[Material]
    eventCount: int


# --- codes ---------------------------------------------------------------------------------


def parse_code(code: str) -> tuple[Kind, str, dict[str, str]]:
    """``(kind, canonical EPC, AI values)`` of a unit, lot or container code: a Digital Link
    URI on any domain or an EPC URN. Raises InvalidInput (422) naming ``code``."""
    if not isinstance(code, str) or not code.strip() or len(code) > 2000:
        raise InvalidInput.one("code", "required", "give a Digital Link URI or an EPC URN")
    text = code.strip()
    try:
        uri = urn_to_dl(text) if text.startswith("urn:epc:") else text
        link = digital_link.parse(uri)
    except (ShoptraceError, ValueError):
        raise InvalidInput.one(
            "code", "trace-code", "not a GS1 Digital Link URI or EPC URN of an item"
        ) from None
    values = dict(link.path_ais)
    if "01" in values and "21" in values:
        kind: Kind = "unit"
    elif "01" in values and "10" in values:
        kind = "lot"
    elif "00" in values or any(ai in values for ai in ("8003", "8004")):
        kind = "container"
    else:
        raise InvalidInput.one(
            "code",
            "trace-unit",
            "trace a unit (GTIN + serial), a lot (GTIN + lot) or a container (SSCC, GRAI, GIAI)",
        )
    epc = canonical_epc(uri)
    return kind, epc, values


# --- events --------------------------------------------------------------------------------

_COLUMNS = (
    event_epcs.c.epc,
    event_epcs.c.role,
    events.c.seq,
    events.c.event_id,
    events.c.event_type,
    events.c.event_time,
    events.c.record_time,
    events.c.action,
    events.c.biz_step,
    events.c.disposition,
    events.c.read_point,
    events.c.biz_location,
    events.c.document,
)


_FROM = event_epcs.join(
    events,
    sa.and_(events.c.merchant_id == event_epcs.c.merchant_id, events.c.seq == event_epcs.c.seq),
)
# Built once: a scan runs these with new values only, so no statement is put together per call.
_NAMING = (
    sa.select(*_COLUMNS)
    .select_from(_FROM)
    .where(
        event_epcs.c.merchant_id == sa.bindparam("merchant_id"),
        event_epcs.c.epc.in_(sa.bindparam("epcs", expanding=True)),
    )
)
_NAMING_AS = _NAMING.where(event_epcs.c.role.in_(sa.bindparam("roles", expanding=True)))


def _naming(
    conn: Connection,
    merchant_id: int,
    epcs: Iterable[str],
    *,
    roles: Sequence[str] | None = None,
) -> list[Any]:
    """Rows of (EPC index x event) for events naming any of ``epcs``: driven by the EPC
    index alone (a time condition here would tempt planners into the event-time index)."""
    wanted = sorted(set(epcs))
    rows: list[Any] = []
    for start in range(0, len(wanted), _CHUNK):
        params: dict[str, Any] = {
            "merchant_id": merchant_id,
            "epcs": wanted[start : start + _CHUNK],
        }
        if roles is None:
            rows.extend(conn.execute(_NAMING, params).all())
        else:
            rows.extend(conn.execute(_NAMING_AS, {**params, "roles": list(roles)}).all())
    return rows


def _parties(value: Any, key: str) -> list[Party]:
    out: list[Party] = []
    if isinstance(value, list):
        for item in value:
            if isinstance(item, dict) and isinstance(item.get(key), str):
                kind = item.get("type")
                out.append({"type": kind if isinstance(kind, str) else None, "id": item[key]})
    return out


def _trace_event(row: Any, via: str, document: dict[str, Any] | None = None) -> TraceEvent:
    event = document if document is not None else json.loads(row.document)
    offset = event.get("eventTimeZoneOffset")
    return {
        "eventID": row.event_id,
        "eventType": row.event_type,
        "eventTime": _ms(row.event_time),
        "eventTimeZoneOffset": offset if isinstance(offset, str) else None,
        "recordTime": _ms(row.record_time),
        "action": row.action,
        "bizStep": row.biz_step,
        "disposition": row.disposition,
        "readPoint": row.read_point,
        "bizLocation": row.biz_location,
        "via": via,  # type: ignore[typeddict-item]
        "subject": row.epc,
        "role": row.role,
        "bizTransactions": _parties(event.get("bizTransactionList"), "bizTransaction"),
        "sources": _parties(event.get("sourceList"), "source"),
        "destinations": _parties(event.get("destinationList"), "destination"),
        "event": event,
    }


def _ms(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _children(event: dict[str, Any]) -> list[str]:
    values = event.get("childEPCs")
    return (
        [canonical_epc(v) for v in values if isinstance(v, str)] if isinstance(values, list) else []
    )


# --- containers ----------------------------------------------------------------------------


class _Interval:
    __slots__ = ("container", "level", "since", "until")

    def __init__(self, container: str, level: int, since: datetime, until: datetime | None):
        self.container = container
        self.level = level
        self.since = since
        self.until = until

    def holds(self, moment: datetime) -> bool:
        return self.since <= moment and (self.until is None or moment <= self.until)


def _containment(
    subject_rows: list[Any], docs: dict[int, dict[str, Any]], level: int, within: _Interval | None
) -> list[_Interval]:
    """Intervals the subject spent in parents, from its own aggregation events (ADD opens,
    DELETE closes), clipped to ``within`` (the subject's own time in its container)."""
    open_: dict[str, _Interval] = {}
    done: list[_Interval] = []
    for row in sorted(subject_rows, key=lambda r: (r.event_time, r.seq)):
        if row.role != "child" or row.event_type != "AggregationEvent":
            continue
        if within is not None and not within.holds(row.event_time):
            continue
        parent = docs[row.seq].get("parentID")
        if not isinstance(parent, str):
            continue
        parent = canonical_epc(parent)
        if row.action == "ADD" and parent not in open_:
            open_[parent] = _Interval(parent, level, row.event_time, None)
        elif row.action == "DELETE" and parent in open_:
            interval = open_.pop(parent)
            interval.until = row.event_time
            done.append(interval)
    done.extend(open_.values())
    if within is not None:
        for interval in done:
            if within.until is not None and (
                interval.until is None or interval.until > within.until
            ):
                interval.until = within.until
    return done


def _container_rows(
    rows: list[Any], docs: dict[int, dict[str, Any]], intervals: list[_Interval]
) -> tuple[list[tuple[Any, _Interval]], dict[str, list[Any]]]:
    """The containers' events while the subject was inside, and each container's own rows
    (to find the next level). A container emptied whole (DELETE without childEPCs) ends the
    interval; aggregations of other children are left out."""
    by_container: dict[str, list[Any]] = {}
    for row in rows:
        by_container.setdefault(row.epc, []).append(row)
    kept: list[tuple[Any, _Interval]] = []
    for interval in intervals:
        own = sorted(by_container.get(interval.container, []), key=lambda r: (r.event_time, r.seq))
        for row in own:
            if row.role == "parent" and row.event_type == "AggregationEvent":
                doc = docs[row.seq]
                if row.action == "DELETE" and not _children(doc) and interval.holds(row.event_time):
                    if interval.until is None or row.event_time < interval.until:
                        interval.until = row.event_time
        for row in own:
            if not interval.holds(row.event_time):
                continue
            if row.role == "parent" and row.event_type == "AggregationEvent":
                doc = docs[row.seq]
                if row.action in ("ADD", "DELETE") and _children(doc):
                    continue
            kept.append((row, interval))
    return kept, by_container


# --- assembly ------------------------------------------------------------------------------


_UNIT = (
    sa.select(
        units.c.serial,
        units.c.status,
        units.c.batch_id,
        units.c.created_at,
        units.c.first_scan_at,
        units.c.last_scan_at,
        units.c.scan_count,
        batches.c.product_id,
        batches.c.lot,
    )
    .select_from(units.join(batches, batches.c.id == units.c.batch_id))
    .where(
        units.c.gtin == sa.bindparam("gtin"),
        units.c.serial == sa.bindparam("serial"),
        units.c.merchant_id == sa.bindparam("merchant_id"),
    )
)


def _unit_record(conn: Connection, merchant_id: int, gtin: str, serial: str) -> Any:
    params = {"gtin": gtin, "serial": serial, "merchant_id": merchant_id}
    return conn.execute(_UNIT, params).one_or_none()


def _batch_id(conn: Connection, merchant_id: int, gtin: str, lot: str) -> Any:
    return conn.execute(
        sa.select(batches.c.id, batches.c.product_id).where(
            batches.c.gtin == gtin, batches.c.lot == lot, batches.c.merchant_id == merchant_id
        )
    ).first()


def _material(value: Any, event_id: str) -> Material | None:
    if isinstance(value, str):
        return {
            "epc": canonical_epc(value),
            "level": "instance",
            "quantity": None,
            "uom": None,
            "eventID": event_id,
        }
    if isinstance(value, dict) and isinstance(value.get("epcClass"), str):
        quantity = value.get("quantity")
        uom = value.get("uom")
        return {
            "epc": canonical_epc(value["epcClass"]),
            "level": "class",
            "quantity": float(quantity) if isinstance(quantity, int | float) else None,
            "uom": uom if isinstance(uom, str) else None,
            "eventID": event_id,
        }
    return None


def _materials(event: dict[str, Any], fields: tuple[str, str], event_id: str) -> list[Material]:
    out: list[Material] = []
    for name in fields:
        values = event.get(name)
        if isinstance(values, list):
            for value in values:
                item = _material(value, event_id)
                if item is not None:
                    out.append(item)
    return out


def _state(
    status: str | None, timeline: list[TraceEvent], intervals: list[_Interval]
) -> TraceState:
    state: TraceState = {
        "status": status,
        "disposition": None,
        "place": None,
        "placeSince": None,
        "readPoint": None,
        "lastStep": None,
        "lastEventTime": None,
        "container": None,
    }
    for item in timeline:
        if item["via"] == "input":
            continue
        state["lastEventTime"] = item["eventTime"]
        if item["readPoint"]:
            state["readPoint"] = item["readPoint"]
        if item["bizStep"]:
            state["lastStep"] = item["bizStep"]
        if item["disposition"]:
            state["disposition"] = item["disposition"]
        if item["bizLocation"]:
            state["place"] = item["bizLocation"]
            state["placeSince"] = item["eventTime"]
    current = [i for i in intervals if i.level == 1 and i.until is None]
    state["container"] = current[-1].container if current else None
    return state


def assemble_trace(conn: Connection, merchant_id: int, code: str) -> Trace:
    """The trace of the unit, lot or container ``code`` names (see the module docstring).

    Raises InvalidInput for a code that names no such item, NotFound when the merchant has
    neither a record of it nor an event naming it.
    """
    kind, epc, values = parse_code(code)
    gtin = values.get("01")
    serial = values.get("21")
    lot = values.get("10")
    unit_row = None
    product_id = batch_id = None
    if kind == "unit" and gtin is not None and serial is not None:
        unit_row = _unit_record(conn, merchant_id, gtin, serial)
        if unit_row is not None:
            lot, batch_id, product_id = unit_row.lot, unit_row.batch_id, unit_row.product_id
    if kind == "lot" or (kind == "unit" and unit_row is None and lot is not None):
        assert gtin is not None and lot is not None
        found = _batch_id(conn, merchant_id, gtin, lot)
        if found is not None:
            batch_id, product_id = found.id, found.product_id
    lot_epc = (
        canonical_epc(f"{_STEM}/01/{gtin}/10/{digital_link.escape(lot)}") if gtin and lot else None
    )
    subjects = [epc] if kind != "unit" or lot_epc is None else [epc, lot_epc]
    rows = _naming(conn, merchant_id, subjects)
    named = any(row.epc == epc for row in rows)
    if unit_row is None and not named and (kind == "unit" or batch_id is None):
        raise NotFound.of("code", "this merchant has no record and no event of this item")
    docs: dict[int, dict[str, Any]] = {}
    for row in rows:
        if row.seq not in docs:
            docs[row.seq] = json.loads(row.document)
    timeline: dict[int, TraceEvent] = {}
    for row in rows:
        if row.seq not in timeline or row.epc == epc:
            via = "self" if row.epc == epc else "lot"
            timeline[row.seq] = _trace_event(row, via, docs[row.seq])
    # Containers, level by level: a query per level, kept to the time inside.
    subject_rows = [r for r in rows if r.epc == epc]
    intervals: list[_Interval] = []
    frontier = _containment(subject_rows, docs, 1, None)
    level = 1
    while frontier and level <= MAX_CONTAINER_LEVELS:
        intervals.extend(frontier)
        found_rows = _naming(conn, merchant_id, {i.container for i in frontier})
        for row in found_rows:
            if row.seq not in docs:
                docs[row.seq] = json.loads(row.document)
        kept, by_container = _container_rows(found_rows, docs, frontier)
        for row, _interval in kept:
            if row.seq not in timeline:
                timeline[row.seq] = _trace_event(row, "container", docs[row.seq])
        next_frontier: list[_Interval] = []
        for interval in frontier:
            next_frontier.extend(
                _containment(by_container.get(interval.container, []), docs, level + 1, interval)
            )
        frontier = next_frontier
        level += 1
    # Transformations: inputs (backward) and outputs (forward) of the item or its lot.
    inputs: list[Material] = []
    outputs: list[Material] = []
    done: set[tuple[int, bool]] = set()
    for row in rows:
        produced = row.role in ("output", "output_quantity")
        if row.event_type != "TransformationEvent" or (row.seq, produced) in done:
            continue
        done.add((row.seq, produced))
        doc = docs[row.seq]
        if produced:
            inputs.extend(_materials(doc, ("inputEPCList", "inputQuantityList"), row.event_id))
        elif row.role in ("input", "input_quantity"):
            outputs.extend(_materials(doc, ("outputEPCList", "outputQuantityList"), row.event_id))
    if inputs:
        _input_origins(conn, merchant_id, inputs, rows)
    ordered = sorted(timeline.items(), key=lambda item: (item[1]["eventTime"], item[0]))
    events_out = [item for _, item in ordered]
    unit = None
    if unit_row is not None:
        unit = {
            "serial": unit_row.serial,
            "status": unit_row.status,
            "issuedAt": iso(unit_row.created_at),
            "firstScanAt": iso(unit_row.first_scan_at),
            "lastScanAt": iso(unit_row.last_scan_at),
            "scanCount": unit_row.scan_count,
        }
    return {
        "code": code,
        "kind": kind,
        "epc": epc,
        "gtin": gtin,
        "lot": lot,
        "serial": serial,
        "sscc": values.get("00"),
        "product": get_product(conn, merchant_id, product_id) if product_id else None,
        "batch": get_batch(conn, merchant_id, batch_id) if batch_id else None,
        "unit": unit,
        "state": _state(unit_row.status if unit_row else None, events_out, intervals),
        "containers": [
            {
                "container": i.container,
                "level": i.level,
                "since": _ms(i.since),
                "until": _ms(i.until) if i.until else None,
            }
            for i in sorted(intervals, key=lambda i: (i.level, i.since))
        ],
        "inputs": inputs,
        "outputs": outputs,
        "events": events_out,
    }


def _input_origins(
    conn: Connection, merchant_id: int, inputs: list[Material], own: list[Any]
) -> None:
    """Attach to each input its own earlier events (one query for all inputs)."""
    used_at = {row.event_id: row.event_time for row in own}
    found = _naming(
        conn,
        merchant_id,
        {m["epc"] for m in inputs},
        roles=("epc", "parent", "child", "output", "quantity", "child_quantity", "output_quantity"),
    )
    by_epc: dict[str, list[Any]] = {}
    for row in found:
        by_epc.setdefault(row.epc, []).append(row)
    for material in inputs:
        limit = used_at.get(material["eventID"])
        rows = [
            r for r in by_epc.get(material["epc"], []) if limit is None or r.event_time <= limit
        ]
        rows.sort(key=lambda r: (r.event_time, r.seq))
        material["events"] = [_trace_event(r, "input") for r in rows[-MAX_INPUT_EVENTS:]]


# --- forward -------------------------------------------------------------------------------


def forward_trace(
    conn: Connection, merchant_id: int, gtin: str, lot: str, *, unit_limit: int = 1000
) -> Forward:
    """Everything downstream of a lot: units, containers, orders, destinations, outputs."""
    lot_epc = canonical_epc(f"{_STEM}/01/{gtin}/10/{digital_link.escape(lot)}")
    found = _batch_id(conn, merchant_id, gtin, lot)
    batch_id = found.id if found is not None else None
    by_status: dict[str, int] = {}
    items: list[str] = []
    unit_epcs: Any = None
    if batch_id is not None:
        for status, count in conn.execute(
            sa.select(units.c.status, sa.func.count())
            .where(units.c.batch_id == batch_id, units.c.merchant_id == merchant_id)
            .group_by(units.c.status)
        ):
            by_status[status] = int(count)
        canonical: Any = (
            sa.literal(f"{_STEM}/01/") + units.c.gtin + sa.literal("/21/") + units.c.serial
        )
        if conn.dialect.name == "postgresql":
            canonical = canonical.collate("C")  # as event_epcs.epc compares
        unit_epcs = sa.select(canonical).where(
            units.c.batch_id == batch_id, units.c.merchant_id == merchant_id
        )
        items = list(conn.execute(unit_epcs.order_by(units.c.id).limit(unit_limit)).scalars())
    total = sum(by_status.values())
    where = event_epcs.c.epc == lot_epc
    if unit_epcs is not None:
        where = sa.or_(where, event_epcs.c.epc.in_(unit_epcs))
    rows = conn.execute(
        sa.select(*_COLUMNS)
        .select_from(
            event_epcs.join(
                events,
                sa.and_(
                    events.c.merchant_id == event_epcs.c.merchant_id,
                    events.c.seq == event_epcs.c.seq,
                ),
            )
        )
        .where(event_epcs.c.merchant_id == merchant_id, where)
    ).all()
    seen: dict[int, dict[str, Any]] = {}
    containers: list[str] = []
    outputs: list[Material] = []
    frontier: set[str] = set()
    for row in rows:
        doc = seen.get(row.seq) or json.loads(row.document)
        seen[row.seq] = doc
        if row.event_type == "AggregationEvent" and row.role in ("child", "child_quantity"):
            parent = doc.get("parentID")
            if row.action in ("ADD", "OBSERVE") and isinstance(parent, str):
                frontier.add(canonical_epc(parent))
        if row.event_type == "TransformationEvent" and row.role in ("input", "input_quantity"):
            outputs.extend(_materials(doc, ("outputEPCList", "outputQuantityList"), row.event_id))
    known: set[str] = set()
    for _level in range(MAX_CONTAINER_LEVELS):
        frontier -= known
        if not frontier:
            break
        known |= frontier
        containers.extend(sorted(frontier))
        next_frontier: set[str] = set()
        for row in _naming(conn, merchant_id, frontier):
            doc = seen.get(row.seq) or json.loads(row.document)
            seen[row.seq] = doc
            if row.event_type == "AggregationEvent" and row.role == "child":
                parent = doc.get("parentID")
                if row.action in ("ADD", "OBSERVE") and isinstance(parent, str):
                    next_frontier.add(canonical_epc(parent))
        frontier = next_frontier
    orders: dict[tuple[str | None, str], Party] = {}
    destinations: dict[tuple[str | None, str], Party] = {}
    for doc in seen.values():
        for party in _parties(doc.get("bizTransactionList"), "bizTransaction"):
            orders[(party["type"], party["id"])] = party
        for party in _parties(doc.get("destinationList"), "destination"):
            destinations[(party["type"], party["id"])] = party
        location = doc.get("bizLocation")
        step = normalized("bizStep", doc.get("bizStep"))
        if step in _ARRIVALS and isinstance(location, dict) and isinstance(location.get("id"), str):
            place = canonical_epc(location["id"])
            destinations[("bizLocation", place)] = {"type": "bizLocation", "id": place}
    return {
        "gtin": gtin,
        "lot": lot,
        "epc": lot_epc,
        "batch": get_batch(conn, merchant_id, batch_id) if batch_id else None,
        "units": {
            "total": total,
            "byStatus": by_status,
            "items": items,
            "truncated": total > len(items),
        },
        "containers": containers,
        "orders": sorted(orders.values(), key=lambda p: (p["type"] or "", p["id"])),
        "destinations": sorted(destinations.values(), key=lambda p: (p["type"] or "", p["id"])),
        "outputs": outputs,
        "eventCount": len(seen),
    }
