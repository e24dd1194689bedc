"""Validation of EPCIS 2.0 events and documents in the JSON/JSON-LD binding.

Hand-written and one pass: every rule of the official EPCIS 2.0 JSON Schema, plus the rules
the standard states in prose that a schema cannot express (``parentID`` of an
AggregationEvent, ``uom`` only with a ``quantity``, EPCs that are EPC URNs or GS1 Digital
Link URIs of the right level, extension prefixes declared in ``@context``). Every problem is
collected as ``(JSON pointer, message)``; nothing stops at the first one.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, Final

from shoptrace.sdk.epcis import vocab
from shoptrace.sdk.epcis.epc import classify
from shoptrace.sdk.errors import ShoptraceError

Problem = tuple[str, str]
"""``(JSON pointer, message)``: where the problem is and which rule it breaks."""


class EPCISValidationError(ShoptraceError, ValueError):
    """An EPCIS event or document breaks rules of the EPCIS 2.0 JSON binding.

    ``problems`` lists every problem found, in document order, as ``(JSON pointer,
    message)``; ``str()`` shows one per line.
    """

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(self._describe())

    def _describe(self) -> str:
        count = len(self.problems)
        head = f"EPCIS validation failed: {count} problem{'s' if count != 1 else ''}"
        return "\n".join([head, *(f"  {format_problem(p)}" for p in self.problems)])

    def __str__(self) -> str:
        return self._describe()


def format_problem(problem: Problem) -> str:
    """``"POINTER: message"``; the root, whose pointer is empty, shows as ``(root)``."""
    pointer, message = problem
    return f"{pointer or '(root)'}: {message}"


_GS1_CONTEXTS: Final = ("https://ref.gs1.org/standards/epcis/", "https://gs1.github.io/EPCIS/")
_URI_RE: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*")
_BAD_PERCENT: Final = re.compile(r"%(?![0-9A-Fa-f]{2})")
_TIME_RE: Final = re.compile(
    r"([0-9]{4})-([0-9][0-9])-([0-9][0-9])[Tt]([0-9][0-9]):([0-9][0-9]):([0-9][0-9])(?:\.[0-9]+)?(?:[Zz]|[+-]([0-9][0-9]):([0-9][0-9]))"
)
_TZ_OFFSET_RE: Final = re.compile(r"[+-](?:(?:0[0-9]|1[0-3]):[0-5][0-9]|14:00)")
_VERSION_RE: Final = re.compile(r"[0-9]+(?:\.[0-9]+)*")
_UOM_RE: Final = re.compile(r"[A-Z0-9]{2,3}")
_HEX_RE: Final = re.compile(r"[A-Fa-f0-9]+")
_CBV_URI_RE: Final = re.compile(r"urn:epcglobal:cbv|https?://ns\.gs1\.org/cbv/")
_GS1_VOC_RE: Final = re.compile(r"https?://(?:www\.)?gs1\.org/voc/")
_DAYS: Final = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_MAX_DEPTH: Final = 64


def _esc(key: object) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _name(p: str) -> str:
    return p.rsplit("/", 1)[-1].replace("~1", "/").replace("~0", "~")


def is_uri(value: Any) -> bool:
    """True for an absolute URI (RFC 3986: a scheme, a colon, then URI characters only)."""
    return (
        isinstance(value, str)
        and _URI_RE.fullmatch(value) is not None
        and ("%" not in value or _BAD_PERCENT.search(value) is None)
    )


def is_date_time(value: Any) -> bool:
    """True for an RFC 3339 date-time with a time zone (``Z`` or ``+hh:mm``)."""
    if not isinstance(value, str):
        return False
    m = _TIME_RE.fullmatch(value)
    if m is None:
        return False
    year, month, day, hour, minute, second, off_h, off_m = m.groups()
    mo, d = int(month), int(day)
    if not 1 <= mo <= 12 or not 1 <= d <= _DAYS[mo]:
        return False
    if mo == 2 and d == 29 and (int(year) % 4 or (int(year) % 100 == 0 and int(year) % 400)):
        return False
    if int(hour) > 23 or int(minute) > 59 or int(second) > 60:
        return False
    return off_h is None or (int(off_h) <= 23 and int(off_m) <= 59)


def _is_number(value: Any) -> bool:
    kind = type(value)
    if kind is int:
        return True
    if kind is float:
        return math.isfinite(value)
    return kind is Decimal and value.is_finite()


class _Walk:
    """One validation run: the problems found, the prefixes in force, EPCs seen."""

    __slots__ = ("out", "prefixes", "epcs")

    def __init__(
        self, out: list[Problem], prefixes: frozenset[str] | None, epcs: dict[str, Any]
    ) -> None:
        self.out = out
        self.prefixes = prefixes
        """Compact-IRI prefixes declared in ``@context``; ``None`` when they cannot be known."""
        self.epcs = epcs
        """``classify`` results by EPC: documents name the same objects again and again."""

    def bad(self, pointer: str, message: str) -> None:
        self.out.append((pointer, message))


Checker = Callable[[Any, str, _Walk], None]


# --- @context and extension names ---------------------------------------------------------


def _context_terms(value: Any, p: str, w: _Walk, *, require_epcis: bool) -> set[str] | None:
    """Terms an ``@context`` declares; ``None`` when it loads a context we cannot know."""
    entries = value if isinstance(value, list | tuple) else [value]
    terms: set[str] = set()
    known = True
    has_epcis = False
    for i, entry in enumerate(entries):
        ep = f"{p}/{i}" if entries is value else p
        if entry in entries[:i]:
            w.bad(ep, "@context entries must be unique")
        if is_uri(entry):
            if entry.startswith(_GS1_CONTEXTS):
                has_epcis = has_epcis or entry.endswith("epcis-context.jsonld")
            else:
                known = False
        elif isinstance(entry, Mapping):
            terms.update(k for k in entry if isinstance(k, str) and not k.startswith("@"))
        else:
            w.bad(ep, f"@context entries must be URIs or objects, got {_show(entry)}")
    if require_epcis and not has_epcis:
        w.bad(p, f"@context must include the EPCIS 2.0 context {vocab.EPCIS_CONTEXT}")
    return terms if known else None


def _extension_key(key: Any, p: str, w: _Walk, where: str) -> bool:
    """A member name outside the standard ones must be ``prefix:name`` or an absolute URI."""
    if not isinstance(key, str) or ":" not in key:
        w.bad(
            p,
            f"{_show(key)} is not a field of {where}; extension fields are named "
            "prefix:name with the prefix declared in @context",
        )
        return False
    if not is_uri(key):
        w.bad(p, f"extension field name {_show(key)} must be a URI or prefix:name")
        return False
    prefix, _, rest = key.partition(":")
    if w.prefixes is not None and prefix not in w.prefixes and not rest.startswith("//"):
        if prefix != "urn":
            w.bad(
                p,
                f"extension field {key!r} uses prefix {prefix!r}, which @context does not declare",
            )
            return False
    return True


def _extension_value(value: Any, p: str, w: _Walk, depth: int = 0) -> None:
    """Check the prefixes of member names nested inside an extension value."""
    if depth > _MAX_DEPTH:
        w.bad(p, f"extension values may nest at most {_MAX_DEPTH} levels")
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            kp = f"{p}/{_esc(key)}"
            if isinstance(key, str) and ":" in key:
                _extension_key(key, kp, w, "an extension")
            if isinstance(item, Mapping | list | tuple):
                _extension_value(item, kp, w, depth + 1)
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            if isinstance(item, Mapping | list | tuple):
                _extension_value(item, f"{p}/{i}", w, depth + 1)


def _extension(key: Any, value: Any, p: str, w: _Walk, where: str) -> None:
    kp = f"{p}/{_esc(key)}"
    if _extension_key(key, kp, w, where) and isinstance(value, Mapping | list | tuple):
        _extension_value(value, kp, w)


# --- field checkers: (value, pointer, walk) -----------------------------------------------


def _time(value: Any, p: str, w: _Walk) -> None:
    if not is_date_time(value):
        w.bad(
            p,
            f"{_name(p)} must be a date-time with a time zone offset "
            f"(RFC 3339, e.g. 2024-05-01T10:00:00Z), got {_show(value)}",
        )


def _uri(value: Any, p: str, w: _Walk) -> None:
    if not is_uri(value):
        w.bad(p, f"{_name(p)} must be an absolute URI, got {_show(value)}")


def _string(value: Any, p: str, w: _Walk) -> None:
    if not isinstance(value, str):
        w.bad(p, f"{_name(p)} must be a string, got {_show(value)}")


def _number(value: Any, p: str, w: _Walk) -> None:
    if not _is_number(value):
        w.bad(p, f"{_name(p)} must be a number, got {_show(value)}")


def _boolean(value: Any, p: str, w: _Walk) -> None:
    if type(value) is not bool:
        w.bad(p, f"{_name(p)} must be true or false, got {_show(value)}")


def _hex(value: Any, p: str, w: _Walk) -> None:
    if not isinstance(value, str) or _HEX_RE.fullmatch(value) is None:
        w.bad(p, f"{_name(p)} must be hexadecimal digits, got {_show(value)}")


def _version(value: Any, p: str, w: _Walk) -> None:
    if not isinstance(value, str) or _VERSION_RE.fullmatch(value) is None:
        w.bad(p, f'schemaVersion must be a version string such as "2.0", got {_show(value)}')


def _tz_offset(value: Any, p: str, w: _Walk) -> None:
    if not isinstance(value, str) or _TZ_OFFSET_RE.fullmatch(value) is None:
        w.bad(
            p,
            "eventTimeZoneOffset must be +hh:mm or -hh:mm between -14:00 and +14:00, "
            f"got {_show(value)}",
        )


def _action(value: Any, p: str, w: _Walk) -> None:
    if not isinstance(value, str) or value not in vocab.ACTIONS:
        w.bad(p, f"action must be one of ADD, OBSERVE, DELETE, got {_show(value)}")


def _certification_info(value: Any, p: str, w: _Walk) -> None:
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            if not is_uri(item):
                w.bad(f"{p}/{i}", f"certificationInfo entries must be URIs, got {_show(item)}")
    elif not is_uri(value):
        w.bad(p, f"certificationInfo must be a URI or a list of URIs, got {_show(value)}")


def _vocabulary(kind: str, label: str, reserved: re.Pattern[str]) -> Checker:
    """A field whose standard values are bare words; other values are private URIs."""
    words = frozenset(map(str, vocab.VOCABULARIES[kind]))

    def check(value: Any, p: str, w: _Walk) -> None:
        if isinstance(value, str) and value in words:
            return
        if not is_uri(value):
            near = difflib.get_close_matches(value, words, n=1) if isinstance(value, str) else []
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            w.bad(
                p,
                f"{label} must be a standard CBV 2.0 value written as a bare word, or a URI "
                f"for a private value; {_show(value)} is neither{hint}",
            )
        elif reserved.match(value):
            word = vocab.bare_word(kind, value)
            use = f"use {word!r}" if word != value else "use the bare word"
            w.bad(p, f"{label}: standard values are bare words in JSON; {use}, not a URI")

    return check


_biz_step = _vocabulary("bizStep", "bizStep", _CBV_URI_RE)
_disposition = _vocabulary("disposition", "disposition", _CBV_URI_RE)
_btt = _vocabulary("bizTransactionType", "bizTransaction type", _CBV_URI_RE)
_sdt = _vocabulary("sourceDestType", "source/destination type", _CBV_URI_RE)
_error_reason = _vocabulary("errorReason", "errorDeclaration reason", _CBV_URI_RE)
_component = _vocabulary("component", "sensorReport component", _CBV_URI_RE)
_measurement = _vocabulary("measurementType", "sensorReport type", _GS1_VOC_RE)
_alert = _vocabulary("sensorAlertType", "sensorReport exception", _GS1_VOC_RE)


def _epc(value: Any, p: str, w: _Walk, level: str, label: str | None = None) -> None:
    """An EPC of ``level``; ``label`` names it in messages (default: "<list> entry")."""
    if isinstance(value, str):
        found = w.epcs.get(value, w)
        if found is w:
            info = classify(value)
            found = w.epcs[value] = None if info is None else (info.level, info.scheme)
    else:
        found = None
    if found is not None and found[0] == level:
        return
    if label is None:
        label = f"{_name(p.rsplit('/', 1)[0])} entry"
    if found is None:
        w.bad(
            p,
            f"{label} must be an EPC: an EPC pure-identity URN or a GS1 Digital Link URI, "
            f"got {_show(value)}",
        )
    else:
        want = "an instance-level" if level == "instance" else "a class-level"
        w.bad(p, f"{label} must be {want} identifier, got {found[0]}-level {found[1]}")


def _instance_epc(value: Any, p: str, w: _Walk) -> None:
    _epc(value, p, w, "instance", _name(p))


def _epc_list(value: Any, p: str, w: _Walk) -> None:
    if not isinstance(value, list | tuple):
        w.bad(p, f"{_name(p)} must be an array of EPCs, got {_show(value)}")
        return
    known = w.epcs
    for i, epc in enumerate(value):
        if isinstance(epc, str):
            found = known.get(epc)
            if found is not None and found[0] == "instance":
                continue  # seen before in this walk: no pointer to build
        _epc(epc, f"{p}/{i}", w, "instance")
    if len(value) > 1 and len(set(map(str, value))) != len(value):
        seen: set[str] = set()
        for i, epc in enumerate(value):
            if str(epc) in seen:
                w.bad(f"{p}/{i}", f"{_name(p)} must not repeat an EPC: {_show(epc)}")
            seen.add(str(epc))


def _list_of(check: Checker, what: str, *, min_items: int = 0) -> Checker:
    def check_list(value: Any, p: str, w: _Walk) -> None:
        if not isinstance(value, list | tuple) or len(value) < min_items:
            size = "a non-empty array" if min_items else "an array"
            w.bad(p, f"{_name(p)} must be {size} of {what}, got {_show(value)}")
            return
        for i, item in enumerate(value):
            check(item, f"{p}/{i}", w)

    return check_list


def _object(
    label: str,
    fields: Mapping[str, Checker],
    required: tuple[str, ...] = (),
    *,
    closed: bool = False,
) -> Checker:
    """An object of known fields; other members are extension fields, or none (closed)."""
    allowed = ", ".join(fields)

    def check(value: Any, p: str, w: _Walk) -> None:
        if not isinstance(value, Mapping):
            w.bad(p, f"{label} must be an object, got {_show(value)}")
            return
        for key in required:
            if key not in value:
                w.bad(f"{p}/{key}", f"{label} requires {key}")
        for key, item in value.items():
            field = fields.get(key)
            if field is not None:
                field(item, f"{p}/{key}", w)
            elif closed:
                w.bad(
                    f"{p}/{_esc(key)}", f"{label} has only {allowed}; {_show(key)} is not allowed"
                )
            else:
                _extension(key, item, p, w, label)

    return check


def _class_epc(value: Any, p: str, w: _Walk) -> None:
    _epc(value, p, w, "class", "epcClass")


def _uom(value: Any, p: str, w: _Walk) -> None:
    if not isinstance(value, str) or _UOM_RE.fullmatch(value) is None:
        w.bad(
            p, f"uom must be a UN/CEFACT Rec 20 code of 2-3 capitals or digits, got {_show(value)}"
        )


_quantity_fields = _object(
    "a quantity element",
    {"epcClass": _class_epc, "quantity": _number, "uom": _uom},
    ("epcClass",),
    closed=True,
)


def _quantity_element(value: Any, p: str, w: _Walk) -> None:
    _quantity_fields(value, p, w)
    if not isinstance(value, Mapping):
        return
    amount: Any = value.get("quantity")
    if "uom" in value:
        if "quantity" not in value:
            w.bad(f"{p}/uom", "uom must be omitted when quantity is omitted")
    elif _is_number(amount) and amount != int(amount):
        w.bad(
            f"{p}/quantity",
            f"quantity without uom counts instances and must be a whole number, got {amount!r}",
        )


_quantity_list = _list_of(_quantity_element, "quantity elements")


def _persistent_disposition(value: Any, p: str, w: _Walk) -> None:
    if not isinstance(value, Mapping):
        w.bad(p, f"persistentDisposition must be an object, got {_show(value)}")
        return
    if "set" not in value and "unset" not in value:
        w.bad(p, "persistentDisposition requires set or unset")
    for key, item in value.items():
        kp = f"{p}/{_esc(key)}"
        if key not in ("set", "unset"):
            w.bad(kp, f"persistentDisposition has only set and unset; {_show(key)} is not allowed")
        elif not isinstance(item, list | tuple) or not item:
            w.bad(kp, f"persistentDisposition {key} must be a non-empty array of dispositions")
        else:
            for i, disposition in enumerate(item):
                _disposition(disposition, f"{kp}/{i}", w)
            if len(set(map(str, item))) != len(item):
                w.bad(kp, f"persistentDisposition {key} must not repeat a disposition")


_sensor_report = _object(
    "a sensorReport",
    {
        "type": _measurement,
        "exception": _alert,
        "deviceID": _uri,
        "deviceMetadata": _uri,
        "rawData": _uri,
        "dataProcessingMethod": _uri,
        "bizRules": _uri,
        "time": _time,
        "microorganism": _uri,
        "chemicalSubstance": _uri,
        "coordinateReferenceSystem": _uri,
        "value": _number,
        "component": _component,
        "stringValue": _string,
        "booleanValue": _boolean,
        "hexBinaryValue": _hex,
        "uriValue": _uri,
        "minValue": _number,
        "maxValue": _number,
        "meanValue": _number,
        "sDev": _number,
        "percRank": _number,
        "percValue": _number,
        "uom": _string,
    },
    ("type",),
)

_sensor_metadata = _object(
    "sensorMetadata",
    {
        "time": _time,
        "deviceID": _uri,
        "deviceMetadata": _uri,
        "rawData": _uri,
        "startTime": _time,
        "endTime": _time,
        "dataProcessingMethod": _uri,
        "bizRules": _uri,
    },
)

_sensor_element = _object(
    "a sensorElement",
    {
        "sensorMetadata": _sensor_metadata,
        "sensorReport": _list_of(_sensor_report, "sensor reports", min_items=1),
    },
    ("sensorReport",),
)


def _ilmd(value: Any, p: str, w: _Walk) -> None:
    if not isinstance(value, Mapping):
        w.bad(p, f"ilmd must be an object, got {_show(value)}")
        return
    for key, item in value.items():
        _extension(key, item, p, w, "ilmd")


def _handled_before(value: Any, p: str, w: _Walk) -> None:
    """``@context`` of an event: read before its fields (it changes the prefixes in force)."""


# --- event types --------------------------------------------------------------------------

_COMMON: Final[dict[str, Checker]] = {
    "@context": _handled_before,
    "eventTime": _time,
    "recordTime": _time,
    "eventTimeZoneOffset": _tz_offset,
    "eventID": _uri,
    "certificationInfo": _certification_info,
    "errorDeclaration": _object(
        "errorDeclaration",
        {
            "declarationTime": _time,
            "reason": _error_reason,
            "correctiveEventIDs": _list_of(_uri, "event IDs (URIs)"),
        },
        ("declarationTime",),
    ),
}

_CONTEXT_FIELDS: Final[dict[str, Checker]] = {
    "bizStep": _biz_step,
    "disposition": _disposition,
    "readPoint": _object("readPoint", {"id": _uri}, ("id",)),
    "bizLocation": _object("bizLocation", {"id": _uri}, ("id",)),
    "bizTransactionList": _list_of(
        _object(
            "a bizTransaction",
            {"type": _btt, "bizTransaction": _uri},
            ("bizTransaction",),
            closed=True,
        ),
        "bizTransaction objects",
    ),
    "sourceList": _list_of(
        _object("a source", {"type": _sdt, "source": _uri}, ("type", "source"), closed=True),
        "source objects",
    ),
    "destinationList": _list_of(
        _object(
            "a destination",
            {"type": _sdt, "destination": _uri},
            ("type", "destination"),
            closed=True,
        ),
        "destination objects",
    ),
    "sensorElementList": _list_of(_sensor_element, "sensorElement objects"),
}

_FIELDS: Final[dict[str, dict[str, Checker]]] = {
    "ObjectEvent": {
        **_COMMON,
        "action": _action,
        "epcList": _epc_list,
        "quantityList": _quantity_list,
        **_CONTEXT_FIELDS,
        "persistentDisposition": _persistent_disposition,
        "ilmd": _ilmd,
    },
    "AggregationEvent": {
        **_COMMON,
        "action": _action,
        "parentID": _instance_epc,
        "childEPCs": _epc_list,
        "childQuantityList": _quantity_list,
        **_CONTEXT_FIELDS,
    },
    "TransactionEvent": {
        **_COMMON,
        "action": _action,
        "parentID": _instance_epc,
        "epcList": _epc_list,
        "quantityList": _quantity_list,
        **_CONTEXT_FIELDS,
    },
    "TransformationEvent": {
        **_COMMON,
        "inputEPCList": _epc_list,
        "inputQuantityList": _quantity_list,
        "outputEPCList": _epc_list,
        "outputQuantityList": _quantity_list,
        "transformationID": _uri,
        **_CONTEXT_FIELDS,
        "persistentDisposition": _persistent_disposition,
        "ilmd": _ilmd,
    },
    "AssociationEvent": {
        **_COMMON,
        "action": _action,
        "parentID": _instance_epc,
        "childEPCs": _epc_list,
        "childQuantityList": _quantity_list,
        **_CONTEXT_FIELDS,
    },
}

_STANDARD_FIELDS: Final = frozenset(k for fields in _FIELDS.values() for k in fields)
_TYPES_TEXT: Final = ", ".join(_FIELDS)


def _nonempty(event: Mapping[str, Any], key: str) -> bool:
    value = event.get(key)
    return isinstance(value, list | tuple) and len(value) > 0


def _require(event: Mapping[str, Any], p: str, w: _Walk, label: str, keys: tuple[str, ...]) -> None:
    for key in keys:
        if key not in event:
            w.bad(f"{p}/{key}", f"{label} requires {key}")


_WHEN: Final = ("eventTime", "eventTimeZoneOffset")


def _object_rules(event: Mapping[str, Any], p: str, w: _Walk) -> None:
    _require(event, p, w, "ObjectEvent", (*_WHEN, "action"))
    if not (
        "epcList" in event
        or _nonempty(event, "quantityList")
        or (_nonempty(event, "sensorElementList") and "readPoint" in event)
    ):
        w.bad(
            p,
            "an ObjectEvent needs epcList, a non-empty quantityList, or a non-empty "
            "sensorElementList together with readPoint",
        )
    if "ilmd" in event and event.get("action") != "ADD":
        w.bad(f"{p}/ilmd", "ilmd is only allowed on an ObjectEvent whose action is ADD")


def _children_rule(event: Mapping[str, Any], p: str, w: _Walk, label: str) -> None:
    if not (
        _nonempty(event, "childEPCs")
        or _nonempty(event, "childQuantityList")
        or event.get("action") == "DELETE"
    ):
        w.bad(
            p,
            f"an {label} with action ADD or OBSERVE needs a non-empty childEPCs "
            "or childQuantityList",
        )


def _aggregation_rules(event: Mapping[str, Any], p: str, w: _Walk) -> None:
    _require(event, p, w, "AggregationEvent", (*_WHEN, "action"))
    _children_rule(event, p, w, "AggregationEvent")
    action = event.get("action")
    if "parentID" not in event and action in ("ADD", "DELETE"):
        w.bad(f"{p}/parentID", f"an AggregationEvent with action {action} requires parentID")


def _transaction_rules(event: Mapping[str, Any], p: str, w: _Walk) -> None:
    _require(event, p, w, "TransactionEvent", (*_WHEN, "action", "bizTransactionList"))
    if event.get("bizTransactionList") == []:
        w.bad(f"{p}/bizTransactionList", "a TransactionEvent needs at least one bizTransaction")
    if not (
        "epcList" in event or _nonempty(event, "quantityList") or event.get("action") == "DELETE"
    ):
        w.bad(
            p,
            "a TransactionEvent with action ADD or OBSERVE needs epcList "
            "or a non-empty quantityList",
        )


def _transformation_rules(event: Mapping[str, Any], p: str, w: _Walk) -> None:
    _require(event, p, w, "TransformationEvent", _WHEN)
    has_in = _nonempty(event, "inputEPCList") or _nonempty(event, "inputQuantityList")
    has_out = _nonempty(event, "outputEPCList") or _nonempty(event, "outputQuantityList")
    if has_in and has_out:
        return
    if "transformationID" not in event:
        w.bad(
            p,
            "a TransformationEvent needs non-empty inputs and outputs (EPC or quantity lists), "
            "or a transformationID with at least one of them",
        )
    elif not (has_in or has_out):
        w.bad(p, "a TransformationEvent needs at least one non-empty input or output list")


def _association_rules(event: Mapping[str, Any], p: str, w: _Walk) -> None:
    _require(event, p, w, "AssociationEvent", (*_WHEN, "action", "parentID"))
    _children_rule(event, p, w, "AssociationEvent")


def _extension_event_rules(event: Mapping[str, Any], p: str, w: _Walk) -> None:
    _require(event, p, w, "an event", _WHEN)


_RULES: Final[dict[str, Callable[[Mapping[str, Any], str, _Walk], None]]] = {
    "ObjectEvent": _object_rules,
    "AggregationEvent": _aggregation_rules,
    "TransactionEvent": _transaction_rules,
    "TransformationEvent": _transformation_rules,
    "AssociationEvent": _association_rules,
}


def _check_event(event: Any, p: str, w: _Walk, standalone: bool) -> None:
    if not isinstance(event, Mapping):
        w.bad(p, f"an event must be a JSON object, got {_show(event)}")
        return
    etype: Any = event.get("type")
    fields = _FIELDS.get(etype) if isinstance(etype, str) else None
    if fields is None:
        if "type" not in event:
            w.bad(f"{p}/type", f"an event requires type ({_TYPES_TEXT})")
        elif not (is_uri(etype) and ":" in etype):
            w.bad(
                f"{p}/type",
                f"type must be one of {_TYPES_TEXT}, or a URI naming an extension event "
                f"type, got {_show(etype)}",
            )
    if "@context" in event:
        terms = _context_terms(event["@context"], f"{p}/@context", w, require_epcis=standalone)
        if w.prefixes is None or terms is None:
            w = _Walk(w.out, None, w.epcs)
        elif terms:
            w = _Walk(w.out, w.prefixes | terms, w.epcs)
    elif standalone:
        w.bad(
            f"{p}/@context",
            f"an event outside a document requires @context ({vocab.EPCIS_CONTEXT})",
        )
    if fields is None:
        for key, value in event.items():
            field = _COMMON.get(key)
            if field is not None:
                field(value, f"{p}/{key}", w)
            elif key != "type" and isinstance(key, str) and ":" in key:
                _extension(key, value, p, w, "an event")
        _extension_event_rules(event, p, w)
        return
    for key, value in event.items():
        field = fields.get(key)
        if field is not None:
            field(value, f"{p}/{key}", w)
        elif key == "type":
            continue
        elif key in _STANDARD_FIELDS:
            w.bad(f"{p}/{key}", f"{key} is not a field of {etype}")
        else:
            _extension(key, value, p, w, etype)
    _RULES[etype](event, p, w)


# --- documents ----------------------------------------------------------------------------


def _event_list(value: Any, p: str, w: _Walk) -> None:
    if not isinstance(value, list | tuple):
        w.bad(p, f"eventList must be an array of events, got {_show(value)}")
        return
    for i, event in enumerate(value):
        _check_event(event, f"{p}/{i}", w, False)


def _attribute_value(value: Any, p: str, w: _Walk) -> None:
    if not (_is_number(value) or isinstance(value, str | Mapping)):
        w.bad(p, f"attribute must be a number, a string or an object, got {_show(value)}")


_vocabulary_list = _list_of(
    _object(
        "a vocabulary",
        {
            "type": _uri,
            "vocabularyElementList": _list_of(
                _object(
                    "a vocabulary element",
                    {
                        "id": _uri,
                        "attributes": _list_of(
                            _object(
                                "a master data attribute",
                                {"id": _uri, "attribute": _attribute_value},
                                ("id",),
                            ),
                            "attributes",
                        ),
                        "children": _list_of(_uri, "URIs"),
                    },
                    ("id",),
                ),
                "vocabulary elements",
            ),
        },
        ("type",),
    ),
    "vocabularies",
)

_DOCUMENT_FIELDS: Final[dict[str, dict[str, Checker]]] = {
    "EPCISDocument": {
        "id": _uri,
        "schemaVersion": _version,
        "creationDate": _time,
        "instanceIdentifier": _string,
        "sender": _string,
        "receiver": _string,
        "epcisHeader": _object(
            "epcisHeader",
            {"epcisMasterData": _object("epcisMasterData", {"vocabularyList": _vocabulary_list})},
        ),
        "epcisBody": _object("epcisBody", {"eventList": _event_list}, ("eventList",)),
    },
    "EPCISQueryDocument": {
        "id": _uri,
        "schemaVersion": _version,
        "creationDate": _time,
        "epcisBody": _object(
            "epcisBody",
            {
                "queryResults": _object(
                    "queryResults",
                    {
                        "queryName": _string,
                        "subscriptionID": _string,
                        "resultsBody": _object(
                            "resultsBody",
                            {"eventList": _event_list, "vocabularyList": _vocabulary_list},
                            ("eventList",),
                        ),
                    },
                    ("queryName", "resultsBody"),
                )
            },
            ("queryResults",),
        ),
    },
}

_DOCUMENT_REQUIRED: Final = {
    "EPCISDocument": ("@context", "schemaVersion", "creationDate", "epcisBody"),
    "EPCISQueryDocument": ("@context", "epcisBody"),
}


def _document_walk(context: Any, p: str, out: list[Problem]) -> _Walk:
    w = _Walk(out, vocab.STANDARD_PREFIXES, {})
    terms = _context_terms(context, p, w, require_epcis=True)
    w.prefixes = None if terms is None else vocab.STANDARD_PREFIXES | terms
    return w


def _check_document(doc: Any, out: list[Problem]) -> None:
    if not isinstance(doc, Mapping):
        out.append(("", f"an EPCIS document must be a JSON object, got {_show(doc)}"))
        return
    dtype: Any = doc.get("type")
    fields = _DOCUMENT_FIELDS.get(dtype) if isinstance(dtype, str) else None
    if fields is None:
        out.append(
            ("/type", f"type must be EPCISDocument or EPCISQueryDocument, got {_show(dtype)}")
        )
        return
    for key in _DOCUMENT_REQUIRED[dtype]:
        if key not in doc:
            out.append((f"/{key}", f"{dtype} requires {key}"))
    if "@context" in doc:
        w = _document_walk(doc["@context"], "/@context", out)
    else:
        w = _Walk(out, vocab.STANDARD_PREFIXES, {})
    for key, value in doc.items():
        field = fields.get(key)
        if field is not None:
            field(value, f"/{key}", w)
        elif key not in ("@context", "type"):
            _extension(key, value, "", w, dtype)


# --- public API ---------------------------------------------------------------------------


def event_problems(event: Any, *, context: Any = None, in_document: bool = False) -> list[Problem]:
    """Every problem of one event, as ``(JSON pointer, message)``; empty when valid.

    By default the event stands alone (as sent to ``POST /events``) and must carry its own
    ``@context``. ``context`` is the ``@context`` of the document the event sits in;
    ``in_document=True`` without it says the event belongs in a document not at hand, so
    ``@context`` is not required and extension prefixes cannot be checked.
    """
    out: list[Problem] = []
    if context is not None:
        w = _document_walk(context, "/@context", [])
        w.out = out
        _check_event(event, "", w, False)
    else:
        prefixes = None if in_document else vocab.STANDARD_PREFIXES
        _check_event(event, "", _Walk(out, prefixes, {}), not in_document)
    return out


def document_problems(doc: Any) -> list[Problem]:
    """Every problem of an EPCISDocument or EPCISQueryDocument; empty when valid."""
    out: list[Problem] = []
    _check_document(doc, out)
    return out


def validate_event(event: Any, *, context: Any = None, in_document: bool = False) -> None:
    """Raise :class:`EPCISValidationError` listing every problem of ``event``.

    See :func:`event_problems` for ``context`` and ``in_document``.
    """
    problems = event_problems(event, context=context, in_document=in_document)
    if problems:
        raise EPCISValidationError(problems)


def validate_document(doc: Any) -> None:
    """Raise :class:`EPCISValidationError` listing every problem of an EPCIS document."""
    problems = document_problems(doc)
    if problems:
        raise EPCISValidationError(problems)
