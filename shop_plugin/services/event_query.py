"""EPCIS queries: the standard query parameters, pages of events, EPCISQueryDocuments.

Parameters come as ``{name: [values]}`` (each value may list several, ``|``-separated, as
the REST binding writes them). EPCs, classes and places are matched in the canonical Digital
Link form, so URN and Digital Link spellings of one item match; a class-level value (a GTIN,
a lot, an ``idpat`` pattern) also matches everything below it (every serial of the GTIN).
A malformed or unsupported parameter is a 400 naming it. Pages are cut with keyset tokens,
so a page costs one index range scan at any depth.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shoptrace.sdk.epcis import vocab
from shoptrace.sdk.epcis.epc import classify
from shoptrace.shop_plugin.services.errors import FieldError, NotFound, ServiceError
from shoptrace.shop_plugin.services.event_store import (
    MAX_KEY_LENGTH,
    canonical_epc,
    normalized,
    parse_time,
)
from shoptrace.shop_plugin.services.pagination import MAX_ID
from shoptrace.shop_plugin.services.validation import whole_number
from shoptrace.shop_plugin.store.tables import (
    VOCABULARY_KINDS,
    epc_list_members,
    epcis_contexts,
    epcis_vocabulary,
    event_epcs,
    events,
)

__all__ = [
    "DEFAULT_PER_PAGE",
    "MATCH_ROLES",
    "SUPPORTED",
    "EventQuery",
    "QueryParameterError",
    "ResultPage",
    "event_by_id",
    "known_epc",
    "known_value",
    "list_epcs",
    "list_values",
    "parse_query",
    "query_document",
    "restrict",
    "run_query",
]

DEFAULT_PER_PAGE = 30
"""``perPage`` when a request does not give one (the REST binding's default)."""

MATCH_ROLES: dict[str, tuple[str, ...]] = {
    "MATCH_epc": ("epc", "child"),
    "MATCH_parentID": ("parent",),
    "MATCH_inputEPC": ("input",),
    "MATCH_outputEPC": ("output",),
    "MATCH_anyEPC": ("epc", "child", "parent", "input", "output"),
    "MATCH_epcClass": ("quantity", "child_quantity"),
}
"""Which roles of the EPC index each MATCH_ parameter looks in."""

_TIMES = ("GE_eventTime", "LT_eventTime", "GE_recordTime", "LT_recordTime")
_LISTS = ("eventType", "EQ_action", "EQ_bizStep", "EQ_disposition", "EQ_readPoint")
SUPPORTED = frozenset(
    {
        *_TIMES,
        *_LISTS,
        "EQ_bizLocation",
        "EQ_eventID",
        *MATCH_ROLES,
        "perPage",
        "nextPageToken",
        "orderBy",
        "orderDirection",
    }
)
"""The query parameters this repository answers."""
_STANDARD = frozenset(
    {
        "EQ_persistentDisposition_set",
        "EQ_persistentDisposition_unset",
        "WD_readPoint",
        "WD_bizLocation",
        "EQ_transformationID",
        "MATCH_inputEPCClass",
        "MATCH_outputEPCClass",
        "MATCH_anyEPCClass",
        "EQ_quantity",
        "GT_quantity",
        "GE_quantity",
        "LT_quantity",
        "LE_quantity",
        "EXISTS_errorDeclaration",
        "GE_errorDeclarationTime",
        "LT_errorDeclarationTime",
        "EQ_errorReason",
        "EQ_correctiveEventID",
        "eventCountLimit",
        "maxEventCount",
        "GE_startTime",
        "LT_startTime",
        "GE_endTime",
        "LT_endTime",
        "EQ_type",
        "EQ_deviceID",
        "EQ_dataProcessingMethod",
        "EQ_microorganism",
        "EQ_chemicalSubstance",
        "EQ_bizRules",
        "EQ_stringValue",
        "EQ_hexBinaryValue",
        "EQ_uriValue",
        "EQ_booleanValue",
    }
)
_ACTIONS = ("ADD", "OBSERVE", "DELETE")
_MAX_VALUES = 100


class QueryParameterError(ServiceError):
    """A query parameter is malformed or not supported (EPCIS QueryParameterException)."""

    status = 400
    slug = "QueryParameterException"
    title = "Invalid query parameter"

    def __init__(self, name: str, rule: str, detail: str) -> None:
        shown = name.encode("utf-8", "backslashreplace").decode("utf-8")[:100]
        super().__init__(f"{shown}: {detail}", errors=[FieldError(shown, rule, detail)])


@dataclass(frozen=True)
class _Match:
    """EPCs a MATCH_ parameter asks for: exact values, and prefixes of class patterns."""

    roles: tuple[str, ...]
    exact: tuple[str, ...]
    prefixes: tuple[str, ...]


@dataclass
class EventQuery:
    """A parsed EPCIS query."""

    event_types: list[str] | None = None
    times: dict[str, datetime] = field(default_factory=dict)
    actions: list[str] | None = None
    biz_steps: list[str] | None = None
    dispositions: list[str] | None = None
    read_points: list[str] | None = None
    biz_locations: list[str] | None = None
    event_ids: list[str] | None = None
    matches: list[_Match] = field(default_factory=list)
    per_page: int = DEFAULT_PER_PAGE
    order_by: str | None = None
    descending: bool = True
    after: tuple[str, int] | None = None
    """Keyset of the last event of the previous page: ``(order value, seq)``."""


@dataclass(frozen=True)
class ResultPage:
    """Stored event documents of one page, their @context ids, and the next page's token."""

    documents: list[str]
    context_ids: list[int | None]
    next_token: str | None


def _values(params: Mapping[str, Sequence[str]], name: str) -> list[str]:
    out: list[str] = []
    for raw in params.get(name, ()):
        for value in raw.split("|"):
            value = value.strip()
            if not value:
                raise QueryParameterError(name, "empty", "a value is empty")
            if len(value) > MAX_KEY_LENGTH or not value.isprintable():
                raise QueryParameterError(
                    name, "format", f"values must be printable and at most {MAX_KEY_LENGTH} long"
                )
            out.append(value)
    if len(out) > _MAX_VALUES:
        raise QueryParameterError(name, "max-items", f"give at most {_MAX_VALUES} values")
    return out


def _one(params: Mapping[str, Sequence[str]], name: str) -> str | None:
    given = params.get(name)
    if not given:
        return None
    if len(given) > 1:
        raise QueryParameterError(name, "repeated", "give this parameter once")
    return given[0]


def _match(name: str, values: list[str]) -> _Match:
    exact: list[str] = []
    prefixes: list[str] = []
    for value in values:
        canonical = canonical_epc(value)
        exact.append(canonical)
        info = classify(value)
        if info is not None and info.level == "class":
            prefixes.append(canonical + "/")
    return _Match(MATCH_ROLES[name], tuple(exact), tuple(prefixes))


def parse_query(params: Mapping[str, Sequence[str]], *, max_per_page: int) -> EventQuery:
    """Check and parse the query parameters of ``GET /events`` (and the resources below it).

    Raises :class:`QueryParameterError` naming the first bad parameter.
    """
    for name in params:
        if name in SUPPORTED:
            continue
        if name in _STANDARD or name.startswith(("EQ_", "GT_", "GE_", "LT_", "LE_", "MATCH_")):
            raise QueryParameterError(name, "unsupported", "not supported by this repository")
        raise QueryParameterError(name, "unknown", "not an EPCIS query parameter")
    query = EventQuery()
    for name in _TIMES:
        raw = _one(params, name)
        if raw is not None:
            moment = parse_time(raw)
            if moment is None:
                raise QueryParameterError(
                    name,
                    "date-time",
                    "must be a date-time with a time zone, e.g. 2024-05-01T10:00:00Z",
                )
            query.times[name] = moment
    if "eventType" in params:
        query.event_types = _values(params, "eventType")
    if "EQ_action" in params:
        actions = _values(params, "EQ_action")
        for action in actions:
            if action not in _ACTIONS:
                raise QueryParameterError(
                    "EQ_action", "enum", "each value must be ADD, OBSERVE or DELETE"
                )
        query.actions = actions
    if "EQ_bizStep" in params:
        query.biz_steps = [normalized("bizStep", v) or v for v in _values(params, "EQ_bizStep")]
    if "EQ_disposition" in params:
        query.dispositions = [
            normalized("disposition", v) or v for v in _values(params, "EQ_disposition")
        ]
    if "EQ_readPoint" in params:
        query.read_points = [canonical_epc(v) for v in _values(params, "EQ_readPoint")]
    if "EQ_bizLocation" in params:
        query.biz_locations = [canonical_epc(v) for v in _values(params, "EQ_bizLocation")]
    if "EQ_eventID" in params:
        query.event_ids = _values(params, "EQ_eventID")
    for name in MATCH_ROLES:
        if name in params:
            query.matches.append(_match(name, _values(params, name)))
    per_page = _one(params, "perPage")
    if per_page is not None:
        number = whole_number(per_page, 1, max_per_page)
        if number is None:
            raise QueryParameterError(
                "perPage", "range", f"must be a whole number from 1 to {max_per_page}"
            )
        query.per_page = number
    order_by = _one(params, "orderBy")
    if order_by is not None:
        if order_by not in ("eventTime", "recordTime"):
            raise QueryParameterError(
                "orderBy", "enum", "this repository orders by eventTime or recordTime"
            )
        query.order_by = order_by
    direction = _one(params, "orderDirection")
    if direction is not None:
        if direction not in ("ASC", "DESC"):
            raise QueryParameterError("orderDirection", "enum", "must be ASC or DESC")
        query.descending = direction == "DESC"
    token = _one(params, "nextPageToken")
    if token:
        query.after = _decode_token(token, query)
    return query


def restrict(query: EventQuery, name: str, value: str) -> None:
    """Add the one-value parameter ``name`` that a resource path fixes."""
    if name == "eventType":
        query.event_types = [value]
    elif name == "EQ_bizStep":
        query.biz_steps = [normalized("bizStep", value) or value]
    elif name == "EQ_disposition":
        query.dispositions = [normalized("disposition", value) or value]
    elif name == "EQ_readPoint":
        query.read_points = [canonical_epc(value)]
    elif name == "EQ_bizLocation":
        query.biz_locations = [canonical_epc(value)]
    elif name == "MATCH_anyEPC":
        query.matches.append(_match(name, [value]))
    else:
        raise ValueError(f"{name} is not a resource parameter")


# --- page tokens ---------------------------------------------------------------------------


def _order_key(query: EventQuery) -> str:
    if query.order_by is None:
        return "seq"
    return f"{query.order_by}:{'DESC' if query.descending else 'ASC'}"


def _encode_token(query: EventQuery, value: str, seq: int) -> str:
    text = f"e1|{_order_key(query)}|{value}|{seq}"
    return base64.urlsafe_b64encode(text.encode("ascii")).decode("ascii").rstrip("=")


def _decode_token(token: str, query: EventQuery) -> tuple[str, int]:
    bad = QueryParameterError(
        "nextPageToken", "page-token", "is not a token this repository returned for this query"
    )
    if len(token) > 200:
        raise bad
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise bad from None
    parts = text.split("|")
    if len(parts) != 4 or parts[0] != "e1" or parts[1] != _order_key(query):
        raise bad
    value, seq = parts[2], parts[3]
    if not seq.isdigit() or not 0 < int(seq) <= MAX_ID:
        raise bad
    if query.order_by is not None:
        try:
            datetime.fromisoformat(value)
        except ValueError:
            raise bad from None
    return value, int(seq)


# --- running -------------------------------------------------------------------------------


def _in_index(merchant_id: int, match: _Match) -> Any:
    """Events naming an EPC of ``match`` in one of its roles: one index search for the exact
    EPCs and one range per class pattern, united (as one OR, SQLite walked all of the
    merchant's EPCs)."""
    ee = event_epcs.c
    options: list[Any] = [ee.epc.in_(match.exact)] if match.exact or not match.prefixes else []
    for prefix in match.prefixes:
        options.append(sa.and_(ee.epc >= prefix, ee.epc < prefix[:-1] + "0"))
    selects = [
        sa.select(ee.seq).where(ee.merchant_id == merchant_id, ee.role.in_(match.roles), option)
        for option in options
    ]
    return events.c.seq.in_(selects[0] if len(selects) == 1 else sa.union_all(*selects))


def _conditions(merchant_id: int, query: EventQuery) -> list[Any]:
    e = events.c
    where: list[Any] = [e.merchant_id == merchant_id]
    bounds = {
        "GE_eventTime": e.event_time.__ge__,
        "LT_eventTime": e.event_time.__lt__,
        "GE_recordTime": e.record_time.__ge__,
        "LT_recordTime": e.record_time.__lt__,
    }
    for name, moment in query.times.items():
        where.append(bounds[name](moment))
    for column, values in (
        (e.event_type, query.event_types),
        (e.action, query.actions),
        (e.biz_step, query.biz_steps),
        (e.disposition, query.dispositions),
        (e.read_point, query.read_points),
        (e.biz_location, query.biz_locations),
        (e.event_id, query.event_ids),
    ):
        if values is not None:
            where.append(column.in_(values))
    for match in query.matches:
        where.append(_in_index(merchant_id, match))
    return where


def run_query(conn: Connection, merchant_id: int, query: EventQuery) -> ResultPage:
    """One page of the merchant's events matching ``query``."""
    e = events.c
    where = _conditions(merchant_id, query)
    if query.order_by is None:
        key: Any = e.seq
        order: list[Any] = [e.seq]
        if query.after is not None:
            where.append(e.seq > query.after[1])
    else:
        key = e.event_time if query.order_by == "eventTime" else e.record_time
        if query.after is not None:
            moment = datetime.fromisoformat(query.after[0])
            seq = query.after[1]
            if query.descending:
                where.append(sa.or_(key < moment, sa.and_(key == moment, e.seq < seq)))
            else:
                where.append(sa.or_(key > moment, sa.and_(key == moment, e.seq > seq)))
        order = [key.desc(), e.seq.desc()] if query.descending else [key, e.seq]
    rows = conn.execute(
        sa.select(e.seq, key.label("key"), e.document, e.context_id)
        .where(*where)
        .order_by(*order)
        .limit(query.per_page + 1)
    ).all()
    token = None
    if len(rows) > query.per_page:
        rows = rows[: query.per_page]
        last = rows[-1]
        shown = "" if query.order_by is None else last.key.astimezone(UTC).isoformat()
        token = _encode_token(query, shown, int(last.seq))
    return ResultPage([row.document for row in rows], [row.context_id for row in rows], token)


def event_by_id(conn: Connection, merchant_id: int, event_id: str) -> ResultPage:
    """The page holding the one event with ``event_id``; NotFound otherwise."""
    row = conn.execute(
        sa.select(events.c.document, events.c.context_id).where(
            events.c.merchant_id == merchant_id, events.c.event_id == event_id
        )
    ).one_or_none()
    if row is None:
        raise NotFound.of("eventID", "no event with this eventID")
    return ResultPage([row.document], [row.context_id], None)


# --- EPCISQueryDocument ----------------------------------------------------------------------


def _contexts(conn: Connection, merchant_id: int, ids: set[int]) -> dict[int, Any]:
    if not ids:
        return {}
    rows = conn.execute(
        sa.select(epcis_contexts.c.id, epcis_contexts.c.body).where(
            epcis_contexts.c.merchant_id == merchant_id, epcis_contexts.c.id.in_(sorted(ids))
        )
    )
    return {row.id: json.loads(row.body) for row in rows}


def _merge(contexts: dict[int, Any]) -> tuple[list[Any], set[int]]:
    """The document @context for events of these contexts, and the contexts that clash with
    it (their events carry their own @context)."""
    urls: list[str] = [vocab.EPCIS_CONTEXT]
    terms: dict[str, Any] = {}
    clashing: set[int] = set()
    for key in sorted(contexts):
        parts = contexts[key] if isinstance(contexts[key], list) else [contexts[key]]
        if any(
            isinstance(part, dict) and any(k in terms and terms[k] != v for k, v in part.items())
            for part in parts
        ):
            clashing.add(key)
            continue
        for part in parts:
            if isinstance(part, str) and part not in urls:
                urls.append(part)
            elif isinstance(part, dict):
                terms.update(part)
    return ([*urls, terms] if terms else urls), clashing


def query_document(
    conn: Connection,
    merchant_id: int,
    page: ResultPage,
    *,
    created: datetime,
    query_name: str = "SimpleEventQuery",
) -> str:
    """The page as EPCISQueryDocument JSON text (stored event texts are not re-encoded)."""
    contexts = _contexts(conn, merchant_id, {i for i in page.context_ids if i is not None})
    context, clashing = _merge(contexts)
    parts: list[str] = []
    for document, context_id in zip(page.documents, page.context_ids, strict=True):
        if context_id in clashing:
            own = json.dumps(contexts[context_id], ensure_ascii=False, separators=(",", ":"))
            document = '{"@context":' + own + "," + document[1:]
        parts.append(document)
    head = {
        "@context": context,
        "type": "EPCISQueryDocument",
        "schemaVersion": vocab.SCHEMA_VERSION,
        "creationDate": created.astimezone(UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z"),
    }
    body = json.dumps(head, ensure_ascii=False, separators=(",", ":"))[:-1]
    results = json.dumps({"queryName": query_name}, separators=(",", ":"))[:-1]
    return (
        body
        + ',"epcisBody":{"queryResults":'
        + results
        + ',"resultsBody":{"eventList":['
        + ",".join(parts)
        + "]}}}}"
    )


# --- top-level resources -------------------------------------------------------------------


def list_values(
    conn: Connection, merchant_id: int, kind: str, *, after: str | None, limit: int
) -> tuple[list[str], str | None]:
    """Values of ``kind`` (a :data:`VOCABULARY_KINDS` member) the merchant's events use, in
    code point order; with the next page's start value."""
    assert kind in VOCABULARY_KINDS
    v = epcis_vocabulary.c
    where = [v.merchant_id == merchant_id, v.kind == kind]
    if after is not None:
        where.append(v.value > after)
    found = list(
        conn.execute(sa.select(v.value).where(*where).order_by(v.value).limit(limit + 1)).scalars()
    )
    more = len(found) > limit
    found = found[:limit]
    return found, (found[-1] if more and found else None)


def list_epcs(
    conn: Connection, merchant_id: int, *, after: str | None, limit: int
) -> tuple[list[str], str | None]:
    """EPCs the merchant's events name (canonical form), in code point order, paged."""
    ee = epc_list_members.c
    where = [ee.merchant_id == merchant_id]
    if after is not None:
        where.append(ee.epc > after)
    found = list(
        conn.execute(
            sa.select(ee.epc).where(*where).group_by(ee.epc).order_by(ee.epc).limit(limit + 1)
        ).scalars()
    )
    more = len(found) > limit
    found = found[:limit]
    return found, (found[-1] if more and found else None)


def known_value(conn: Connection, merchant_id: int, kind: str, value: str) -> bool:
    """Whether the merchant's events use ``value`` of ``kind`` (normalised as stored)."""
    v = epcis_vocabulary.c
    found = conn.execute(
        sa.select(v.id).where(v.merchant_id == merchant_id, v.kind == kind, v.value == value)
    ).first()
    return found is not None


def known_epc(conn: Connection, merchant_id: int, epc: str) -> bool:
    """Whether the merchant's events name ``epc`` (any spelling)."""
    ee = epc_list_members.c
    found = conn.execute(
        sa.select(ee.list_id)
        .where(ee.merchant_id == merchant_id, ee.epc == canonical_epc(epc))
        .limit(1)
    ).first()
    return found is not None
