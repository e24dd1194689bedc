"""One pass that validates and hashes the common EPCIS events, for capture.

A captured document holds the same few shapes again and again: Object, Aggregation,
Transaction, Transformation and Association events with plain fields, EPC lists of strings,
places given by ``id`` and CBV words, naming the same EPCs, places and steps many times.
:class:`FastEvents` checks such an event and computes its hash ID in one walk over its
members, remembering for the rest of the document what it learnt about repeated values
(EPC lists, EPCs, places, steps, dispositions, time zone offsets).

It only ever answers "valid, and this is the hash ID": an event with anything it does not
handle (an extension, a quantity or sensor list, its own ``@context``, a value it cannot
vouch for, any problem at all) gets ``None``, and the caller takes the general path
(:func:`.validate.document_problems` and :func:`.hashing.document_hashes`), which finds and
words the problems. What it decides itself, it decides with the general path's own pieces:
field values are judged by the validator's checkers, hash parts are written by the hashing
module's functions, the event rules are the validator's. What is new is the order of work,
the caches, and two shortcuts whose equivalence the tests prove (tests/sdk/epcis/
test_fastpath.py, on generated events, identifiers and times): a plainly written SGTIN or
SSCC (:func:`.epc.plain_epc_canonical`) checked and made canonical with one regular
expression, and an RFC 3339 eventTime read once for the check, the hash and the store.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Final, NamedTuple

from shoptrace.sdk.epcis import hashing, validate
from shoptrace.sdk.epcis.epc import classify, plain_epc_canonical, try_canonical_dl

__all__ = ["FastEvent", "FastEvents"]

_CACHE_LIMIT: Final = 65536
"""Entries per cache; a full cache is emptied and filled again."""
_LIST_CACHE_LIMIT: Final = 8192

EPC_LIST_FIELDS: Final = ("epcList", "childEPCs", "inputEPCList", "outputEPCList")
_SCALAR_FIELDS: Final = ("eventTimeZoneOffset", "action", "bizStep", "disposition",
                         "transformationID")  # fmt: skip
_PLACE_FIELDS: Final = ("readPoint", "bizLocation")
_TYPED_LIST_FIELDS: Final = ("bizTransactionList", "sourceList", "destinationList")

# What the walk does with each member it handles; any other member sends the event to the
# general path.
_TYPE, _TIME, _RECORD_TIME, _EVENT_ID, _SCALAR, _PLACE, _EPCS, _PARENT, _TYPED = range(9)
_KINDS: Final[dict[str, int]] = {
    "type": _TYPE,
    "eventTime": _TIME,
    "recordTime": _RECORD_TIME,
    "eventID": _EVENT_ID,
    "parentID": _PARENT,
    **dict.fromkeys(_SCALAR_FIELDS, _SCALAR),
    **dict.fromkeys(_PLACE_FIELDS, _PLACE),
    **dict.fromkeys(EPC_LIST_FIELDS, _EPCS),
    **dict.fromkeys(_TYPED_LIST_FIELDS, _TYPED),
}
_ORDER: Final = {key: place[0] for key, place in hashing._EVENT_PLACES.items()}
_ORDERED_FIELDS: Final = len(_ORDER)
# Per event type: (what to do, place in the hash's order) of each handled member that is a
# field of that type.
_ALLOWED: Final[dict[str, dict[str, tuple[int, int]]]] = {
    etype: {
        key: (kind, _ORDER.get(key, -1))
        for key, kind in _KINDS.items()
        if key == "type" or key in fields
    }
    for etype, fields in validate._FIELDS.items()
}
_UNHANDLED: Final = (-1, -1)
_EPC_ORDER: Final = {name: i for i, name in enumerate(("parentID", *EPC_LIST_FIELDS))}
_EXCLUDED: Final = frozenset(hashing._EXCLUDED)

_MISS: Final = object()
_INVALID: Final = "\x00invalid"
"""Cached verdict of a value the general path must judge (never a real hash part)."""

_TIME_PATTERN: Final = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.([0-9]{1,9}))?"
    r"(?:Z|[+-]([0-9]{2}):([0-9]{2}))"
)
_from_iso = datetime.fromisoformat


class FastEvent(NamedTuple):
    """A valid event as the fast path read it."""

    hash_id: str
    """The event hash ID, as :func:`.hashing.document_hashes` gives it in this document."""
    event_time: datetime
    """``eventTime`` as an aware UTC datetime, to the microsecond (further digits dropped)."""
    epcs: tuple[tuple[str, tuple[str, ...]], ...]
    """``(field, EPCs)`` for ``parentID`` and each EPC list the event has, in the order
    ``parentID``, ``epcList``, ``childEPCs``, ``inputEPCList``, ``outputEPCList``: every EPC
    in its canonical Digital Link form (as written when it has none), each once per field."""


def event_moment(text: str) -> tuple[str, datetime] | None:
    """An eventTime read once: its text in the hash (UTC, milliseconds) and its aware UTC
    datetime (microseconds); ``None`` for anything but plain RFC 3339 with ``T``, ``Z`` or
    ``+hh:mm``, up to 9 fraction digits and a second below 60, that the validator, the
    hash and the store all accept. (A ``None`` says nothing: the general path decides.)
    """
    m = _TIME_PATTERN.fullmatch(text)
    if m is None:
        return None
    frac, off_h, off_m = m.groups()
    if off_h is not None and (off_h > "23" or off_m > "59"):
        return None  # validate.is_date_time refuses it
    try:
        # On text of this pattern, fromisoformat reads exactly these fields and refuses
        # every date and time validate.is_date_time refuses (and also year 0 and second 60,
        # which the hash cannot write): those take the general path. A fraction beyond
        # microseconds is cut, as the store cuts it.
        moment = _from_iso(text)
        if off_h is None:
            if frac is not None and len(frac) == 3:
                return text, moment  # already the hash's form (and tzinfo is UTC)
        else:
            moment = moment.astimezone(UTC)
        return _hash_time(moment, frac), moment
    except (ValueError, OverflowError):
        return None


def _hash_time(utc: datetime, frac: str | None) -> str:
    """What ``hashing._utc_millis`` writes, from the UTC moment already computed: the same
    steps (moving by whole minutes leaves the fraction alone, so dropping it before or after
    the move is one)."""
    moment = utc.replace(microsecond=0, tzinfo=None)
    millis = 0
    if frac:
        millis = int(frac[:3].ljust(3, "0"))
        if len(frac) > 3 and frac[3] >= "5":
            millis += 1
    if millis == 1000:
        moment += timedelta(seconds=1)
        millis = 0
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{millis:03d}Z"


class FastEvents:
    """Validate and hash the common events of one document (its ``@context`` given).

    :meth:`check` gives a :class:`FastEvent` for a valid event it handles and ``None`` for
    every other event. Keep one per document: its caches are only good for that
    ``@context``. Not thread-safe (one per capture).
    """

    def __init__(self, context: Any) -> None:
        self._ctx: hashing._Context | None
        try:
            self._ctx = hashing._Context(context)
        except hashing.EPCISHashError:
            self._ctx = None  # no event of this document can be hashed: general path
        if self._ctx is not None and self._ctx.ignore != _EXCLUDED:
            self._ctx = None
        self._urn_plain = self._ctx is not None and "urn" not in self._ctx.prefixes
        self._walk = validate._document_walk(context, "/@context", [])
        self._walk.out = []
        self._scalars: dict[str, dict[str, str]] = {key: {} for key in _SCALAR_FIELDS}
        self._places: dict[str, dict[str, str]] = {key: {} for key in _PLACE_FIELDS}
        self._lists: dict[tuple[Any, ...], tuple[str, tuple[str, ...]] | None] = {}
        self._epcs: dict[str, tuple[str, str] | None] = {}

    def check(self, event: Any) -> FastEvent | None:
        """The event's hash ID and what the store needs of it, or ``None``: take the
        general path (the event may be valid or not)."""
        ctx = self._ctx
        if ctx is None or event.__class__ is not dict:
            return None
        etype = event.get("type")
        if etype.__class__ is not str:
            return None
        allowed = _ALLOWED.get(etype)
        if allowed is None:
            return None
        try:
            return self._walk_event(event, etype, allowed)
        except (hashing.EPCISHashError, TypeError, ValueError, RecursionError):
            return None

    def _walk_event(
        self, event: dict[str, Any], etype: str, allowed: dict[str, tuple[int, int]]
    ) -> FastEvent | None:
        # The hash's ordered fields go to their place in the canonical order, so nothing
        # needs sorting; the other standard fields (business transactions, sources,
        # destinations) are sorted among themselves, as the hash writes them.
        parts = [""] * _ORDERED_FIELDS
        rest: list[str] = []
        epcs: list[tuple[str, tuple[str, ...]]] = []
        moment: datetime | None = None
        scalars, places = self._scalars, self._places
        for key, value in event.items():
            kind, order = allowed.get(key, _UNHANDLED)
            # (the kinds in the order of how often events have them)
            if kind == _SCALAR:
                part = scalars[key].get(value) if value.__class__ is str else _INVALID
                if part is None:
                    part = self._scalar(key, value)
                if part is _INVALID:
                    return None
                parts[order] = part
            elif kind == _TYPE:
                continue
            elif kind == _TIME:
                read = event_moment(value) if value.__class__ is str else None
                if read is None:
                    return None
                parts[order] = "eventTime=" + read[0]
                moment = read[1]
            elif kind == _EPCS:
                if value.__class__ is not list:
                    return None
                known = self._epc_list(tuple(value))
                if known is None:
                    return None
                if known[0]:
                    parts[order] = key + known[0]
                epcs.append((key, known[1]))
            elif kind == _PLACE:
                ident = value.get("id") if value.__class__ is dict and len(value) == 1 else None
                part = places[key].get(ident) if ident.__class__ is str else _INVALID
                if part is None:
                    part = self._place(key, value)
                if part is _INVALID:
                    return None
                parts[order] = part
            elif kind == _PARENT:
                found = self._epc(value) if value.__class__ is str else None
                if found is None:
                    return None
                parts[order] = "parentID=" + found[0]
                epcs.append((key, (found[1],)))
            elif kind == _EVENT_ID:
                if not validate.is_uri(value):
                    return None
            elif kind == _RECORD_TIME:
                if not validate.is_date_time(value):
                    return None
            elif kind == _TYPED:
                part = self._typed(key, value)
                if part is _INVALID:
                    return None
                if part:
                    rest.append(part)
            else:
                return None  # a member the fast path does not handle
        walk = self._walk
        validate._RULES[etype](event, "", walk)
        if walk.out or moment is None:
            walk.out.clear()
            return None
        if len(rest) > 1:
            rest.sort()
        if len(epcs) > 1:
            epcs.sort(key=lambda pair: _EPC_ORDER[pair[0]])
        text = "eventType=" + etype + "".join(parts) + "".join(rest)
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        return FastEvent(f"ni:///sha-256;{digest}?ver={hashing.CBV_VERSION}", moment, tuple(epcs))

    # --- members ------------------------------------------------------------------------

    def _judge(
        self, check: Callable[[Any, str, validate._Walk], None], key: str, value: Any
    ) -> bool:
        """Does the validator's own checker accept ``value`` as ``key``?"""
        walk = self._walk
        check(value, "/" + key, walk)
        if walk.out:
            walk.out.clear()
            return False
        return True

    def _scalar(self, key: str, value: Any) -> str:
        """The hash part of a plain field (``""`` when it writes none), or ``_INVALID``;
        remembered for string values."""
        if value.__class__ is not str:
            return _INVALID
        part = _INVALID
        if self._judge(_CHECKERS[key], key, value):
            _, kind, arg = hashing._EVENT_PLACES[key]
            part = hashing._field(self._context(), key, kind, arg, value, key)
        _remember(self._scalars[key], value, part)
        return part

    def _place(self, key: str, value: Any) -> str:
        """The hash part of ``readPoint`` / ``bizLocation`` given as ``{"id": URI}``, or
        ``_INVALID``; remembered by the id."""
        if value.__class__ is not dict or len(value) != 1:
            return _INVALID
        ident = value.get("id")
        if ident.__class__ is not str:
            return _INVALID
        part = _INVALID
        if self._judge(_CHECKERS[key], key, value):
            _, kind, arg = hashing._EVENT_PLACES[key]
            part = hashing._field(self._context(), key, kind, arg, value, key)
        _remember(self._places[key], ident, part)
        return part

    def _context(self) -> hashing._Context:
        assert self._ctx is not None
        return self._ctx

    def _typed(self, key: str, value: Any) -> str:
        """The hash part of a business transaction, source or destination list."""
        if not self._judge(_CHECKERS[key], key, value):
            return _INVALID
        item, words = hashing._TYPED_LISTS[key]
        return hashing._typed_list(self._context(), key, item, words, value)

    def _epc(self, value: str) -> tuple[str, str] | None:
        """An instance-level EPC's text in the hash and its canonical form for the store;
        ``None`` when it is not one."""
        hit = self._epcs.get(value, _MISS)
        if hit is not _MISS:
            return hit  # type: ignore[return-value]
        found: tuple[str, str] | None
        canonical = plain_epc_canonical(value)
        if canonical is not None:
            # The hash writes a URN through the @context's prefixes first: only a context
            # that declares "urn" makes it anything but the canonical form.
            plain = self._urn_plain or value[:4] != "urn:"
            found = (canonical if plain else self._context().value(value, "epc"), canonical)
        else:
            info = classify(value)
            if info is None or info.level != "instance":
                found = None
            else:
                text = self._context().value(value, "epc")
                found = (text, try_canonical_dl(value) or value)
        _remember(self._epcs, value, found)
        return found

    def _epc_list(self, items: tuple[Any, ...]) -> tuple[str, tuple[str, ...]] | None:
        """An EPC list's hash items (sorted, joined) and its canonical EPCs, once each;
        ``None`` unless every entry is a distinct instance-level EPC."""
        hit = self._lists.get(items, _MISS)
        if hit is not _MISS:
            return hit  # type: ignore[return-value]
        texts: list[str] = []
        canonical: dict[str, None] = {}
        found: tuple[str, tuple[str, ...]] | None = None
        for value in items:
            if value.__class__ is not str:
                break
            epc = self._epc(value)
            if epc is None:
                break
            texts.append(epc[0])
            canonical[epc[1]] = None
        else:
            if len(set(items)) == len(items):
                # Each item is "epc=" and the EPC's text: sorting the texts sorts the items.
                texts.sort()
                found = ("epc=" + "epc=".join(texts) if texts else "", tuple(canonical))
        if len(self._lists) >= _LIST_CACHE_LIMIT:
            self._lists.clear()
        self._lists[items] = found
        return found


_CHECKERS: Final[dict[str, Callable[[Any, str, validate._Walk], None]]] = {
    key: checker
    for fields in validate._FIELDS.values()
    for key, checker in fields.items()
    if key in _SCALAR_FIELDS or key in _PLACE_FIELDS or key in _TYPED_LIST_FIELDS
}


def _remember(cache: dict[Any, Any], key: Any, value: Any) -> None:
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    cache[key] = value
