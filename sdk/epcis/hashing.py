"""The EPCIS event hash ID (CBV 2.0): a fingerprint of an event that does not depend on how
it was written.

The event becomes a canonical *pre-hash string*: ``eventType=...``, then the event's fields
in the canonical property order as ``key=value`` with no separators; lists sorted; CBV bare
words, CBV 1.x URNs and compact IRIs expanded to full URIs; EPC URNs and Digital Link URIs
turned into the constrained canonical Digital Link on https://id.gs1.org; times in UTC with
milliseconds; numbers without trailing zeros; extension fields as ``{namespace}name`` (the
namespace from the JSON-LD ``@context``), sorted. ``recordTime``, ``eventID``,
``errorDeclaration`` and comments are left out. The SHA-256 of that string, as an RFC 6920
``ni`` URI, is the hash ID: ``ni:///sha-256;<hex>?ver=CBV2.0``.

The rules follow the algorithm's reference implementation
(RalphTro/epcis-event-hash-generator, by R. Troeger and S. Schmittner) and reproduce all
its published JSON-LD vectors. Where that implementation depends on how a document happens
to be written, this one keeps to the algorithm's intent: a business transaction, source or
destination is written type first whatever the JSON key order; JSON booleans as
``true``/``false`` (as in XML); numbers of more than 15 digits exactly; each element of an
extension's JSON array as a sibling of the same name; an extension whose prefix the
``@context`` does not declare is an error.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from shoptrace.sdk.epcis.epc import try_canonical_dl
from shoptrace.sdk.epcis.vocab import VOCABULARIES
from shoptrace.sdk.errors import ShoptraceError

CBV_VERSION: Final = "CBV2.0"

ALGORITHMS: Final[dict[str, Callable[[bytes], Any]]] = {
    "sha-256": hashlib.sha256,
    "sha-384": hashlib.sha384,
    "sha-512": hashlib.sha512,
    "sha3-256": hashlib.sha3_256,
    "sha3-384": hashlib.sha3_384,
    "sha3-512": hashlib.sha3_512,
}
"""Digest algorithms by their name in the IANA Named Information Hash Algorithm Registry."""


class EPCISHashError(ShoptraceError, ValueError):
    """An event (or document) cannot be hashed: ``field`` names where, ``rule`` what is wrong.

    The message names both.
    """

    def __init__(self, message: str, *, field: str | None = None, rule: str | None = None):
        super().__init__(message)
        self.field = field
        self.rule = rule


def _fail(field: str, message: str, rule: str) -> EPCISHashError:
    return EPCISHashError(f"{field}: {message}", field=field, rule=rule)


# --- vocabulary -------------------------------------------------------------------------

_CBV: Final = "https://ref.gs1.org/cbv/"
_GS1: Final = "https://gs1.org/voc/"


def _words(vocabulary: str, prefix: str) -> dict[str, str]:
    return {str(w): prefix + str(w) for w in VOCABULARIES[vocabulary]}


_BIZ_STEP = _words("bizStep", _CBV + "BizStep-")
_DISP = _words("disposition", _CBV + "Disp-")
_BTT = _words("bizTransactionType", _CBV + "BTT-")
_SDT = _words("sourceDestType", _CBV + "SDT-")
_MEASUREMENT = _words("measurementType", _GS1)
_ALERT = _words("sensorAlertType", _GS1)
_COMPONENT = _words("component", _CBV + "Comp-")

# CBV 1.x URNs of standard values and their CBV 2.0 web URIs.
_CBV_URNS: Final = (
    ("urn:epcglobal:cbv:bizstep:", _CBV + "BizStep-"),
    ("urn:epcglobal:cbv:disp:", _CBV + "Disp-"),
    ("urn:epcglobal:cbv:btt:", _CBV + "BTT-"),
    ("urn:epcglobal:cbv:sdt:", _CBV + "SDT-"),
    ("urn:epcglobal:cbv:er:", _CBV + "ER-"),
)

# Compact-IRI prefixes the standard EPCIS 2.0 context declares.
_STANDARD_PREFIXES: Final = {
    "epcis": "https://ref.gs1.org/epcis/",
    "cbv": _CBV,
    "cbvmda": "urn:epcglobal:cbv:mda:",
    "gs1": _GS1,
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "dcterms": "http://purl.org/dc/terms/",
}
_COMMENT: Final = "{http://www.w3.org/2000/01/rdf-schema#}comment"

# --- canonical property order -----------------------------------------------------------
# A spec lists fields as (name, kind, arg):
#   _VAL  value or values; arg: the bare-word map of the field's vocabulary, or None
#   _TIME timestamp value(s)
#   _OBJ  object or objects, each written as name + its fields; arg: the object's spec
#   _LIST a list written once as name + its sorted items; arg: (item name, kind, item arg)

_VAL, _TIME, _OBJ, _LIST = 0, 1, 2, 3
_Field = tuple[str, int, Any]


@dataclass(frozen=True, slots=True)
class _Spec:
    fields: tuple[_Field, ...]
    names: frozenset[str]


def _spec(*fields: _Field) -> _Spec:
    return _Spec(fields, frozenset(f[0] for f in fields))


_EPC_ITEM = ("epc", _VAL, None)
_QUANTITY_ITEM = (
    "quantityElement",
    _OBJ,
    _spec(("epcClass", _VAL, None), ("quantity", _VAL, None), ("uom", _VAL, None)),
)
_SENSOR_METADATA = _spec(
    ("time", _TIME, None),
    ("startTime", _TIME, None),
    ("endTime", _TIME, None),
    ("deviceID", _VAL, None),
    ("deviceMetadata", _VAL, None),
    ("rawData", _VAL, None),
    ("dataProcessingMethod", _VAL, None),
    ("bizRules", _VAL, None),
)
_SENSOR_REPORT = _spec(
    ("type", _VAL, _MEASUREMENT),
    ("exception", _VAL, _ALERT),
    ("deviceID", _VAL, None),
    ("deviceMetadata", _VAL, None),
    ("rawData", _VAL, None),
    ("dataProcessingMethod", _VAL, None),
    ("bizRules", _VAL, None),
    ("time", _TIME, None),
    ("microorganism", _VAL, None),
    ("chemicalSubstance", _VAL, None),
    ("value", _VAL, None),
    ("component", _VAL, _COMPONENT),
    ("stringValue", _VAL, None),
    ("booleanValue", _VAL, None),
    ("hexBinaryValue", _VAL, None),
    ("uriValue", _VAL, None),
    ("minValue", _VAL, None),
    ("maxValue", _VAL, None),
    ("meanValue", _VAL, None),
    ("sDev", _VAL, None),
    ("percRank", _VAL, None),
    ("percValue", _VAL, None),
    ("uom", _VAL, None),
    ("coordinateReferenceSystem", _VAL, None),
)
_SENSOR_ELEMENT = _spec(
    ("sensorMetadata", _OBJ, _SENSOR_METADATA),
    ("sensorReport", _OBJ, _SENSOR_REPORT),
)
_PLACE = _spec(("id", _VAL, None))
_EVENT = _spec(
    ("eventTime", _TIME, None),
    ("eventTimeZoneOffset", _VAL, None),
    ("certificationInfo", _VAL, None),
    ("epcList", _LIST, _EPC_ITEM),
    ("parentID", _VAL, None),
    ("inputEPCList", _LIST, _EPC_ITEM),
    ("childEPCs", _LIST, _EPC_ITEM),
    ("quantityList", _LIST, _QUANTITY_ITEM),
    ("childQuantityList", _LIST, _QUANTITY_ITEM),
    ("inputQuantityList", _LIST, _QUANTITY_ITEM),
    ("outputEPCList", _LIST, _EPC_ITEM),
    ("outputQuantityList", _LIST, _QUANTITY_ITEM),
    ("action", _VAL, None),
    ("transformationID", _VAL, None),
    ("bizStep", _VAL, _BIZ_STEP),
    ("disposition", _VAL, _DISP),
    ("persistentDisposition", _OBJ, _spec(("set", _VAL, _DISP), ("unset", _VAL, _DISP))),
    ("readPoint", _OBJ, _PLACE),
    ("bizLocation", _OBJ, _PLACE),
    ("sensorElementList", _LIST, ("sensorElement", _OBJ, _SENSOR_ELEMENT)),
)

_EVENT_PLACES: Final = {f[0]: (i, f[1], f[2]) for i, f in enumerate(_EVENT.fields)}

# Event fields that take no part in the hash.
_EXCLUDED: Final = frozenset(
    {
        "type",
        "eventID",
        "recordTime",
        "errorDeclaration",
        "@context",
        "comment",
        "rdfs:comment",
        _COMMENT,
    }
)
# Standard fields written after the ordered ones, sorted together with the extensions.
_TYPED_LISTS: Final = {
    "bizTransactionList": ("bizTransaction", _BTT),
    "sourceList": ("source", _SDT),
    "destinationList": ("destination", _SDT),
}


# --- values -----------------------------------------------------------------------------

_TIMESTAMP = re.compile(
    r"([0-9]{4})-([0-9][0-9])-([0-9][0-9])[Tt]([0-9][0-9]):([0-9][0-9]):([0-9][0-9])(?:[.,]([0-9]+))?(?:([Zz])|([+-])([0-9][0-9]):?([0-9][0-9]))"
)
_CANONICAL_TIME = re.compile(
    r"[0-9]{4}-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]\.[0-9]{3}Z"
)
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NUMBER_START = frozenset("+-.0123456789")
_EXACT_FLOAT = 9007199254740992.0  # 2**53: every integer below is exact in a double
_CACHE_SIZE = 8192  # canonical values and times remembered per document


def _utc_millis(text: str, field: str) -> str:
    """``text`` (xsd:dateTimeStamp) in UTC with milliseconds; a 4th fractional digit of 5 to
    9 rounds up."""
    if _CANONICAL_TIME.fullmatch(text):
        return text
    m = _TIMESTAMP.fullmatch(text)
    if m is None:
        raise _fail(
            field,
            f"{text!r} is not an ISO 8601 date-time with a UTC offset (e.g. "
            "2020-03-04T11:00:30.000+01:00)",
            "dateTimeStamp",
        )
    year, month, day, hour, minute, second, frac, zulu, sign, off_h, off_m = m.groups()
    try:
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second))
    except ValueError as exc:
        raise _fail(field, f"{text!r} is not a valid date-time ({exc})", "dateTimeStamp") from None
    millis = 0
    if frac:
        millis = int(frac[:3].ljust(3, "0"))
        if len(frac) > 3 and frac[3] >= "5":
            millis += 1
    try:
        if not zulu:
            offset = timedelta(hours=int(off_h), minutes=int(off_m))
            moment = moment - offset if sign == "+" else moment + offset
        if millis == 1000:
            moment += timedelta(seconds=1)
            millis = 0
    except OverflowError:
        raise _fail(
            field, f"{text!r} in UTC falls outside the years 1 to 9999", "dateTimeStamp"
        ) from None
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{millis:03d}Z"


def _exact_number(text: str) -> str:
    number = Decimal(text)
    if abs(number.adjusted()) > 400:
        return text
    if number == number.to_integral_value():
        return str(int(number))
    return format(number.normalize(), "f")


def _number(text: str) -> str:
    """A decimal number without sign ``+``, leading or trailing zeros, written as Python
    writes a float when that is exact (``0.1``, ``26``, ``1e-05``), else in full."""
    value = float(text)
    if value != value or value in (float("inf"), float("-inf")):
        return text
    integral = value.is_integer()
    short = str(int(value)) if integral else repr(value)
    if len(text) <= 15 and (not integral or abs(value) < _EXACT_FLOAT):
        return short
    try:
        if Decimal(short) == Decimal(text):
            return short
        return _exact_number(text)
    except InvalidOperation:
        return text


class _Context:
    """Prefixes and terms of a JSON-LD ``@context``, the fields to ignore, and a cache of
    canonical values (valid for this context only)."""

    __slots__ = ("prefixes", "terms", "vocab", "ignore", "cache", "times")

    def __init__(self, context: object, ignore: Iterable[object] = ()) -> None:
        self.prefixes: dict[str, str] = dict(_STANDARD_PREFIXES)
        self.terms: dict[str, str] = {}
        self.vocab: str | None = None
        self.cache: dict[str, str] = {}
        self.times: dict[str, str] = {}
        self._add(context)
        names = set(_EXCLUDED)
        for name in (ignore,) if isinstance(ignore, str) else ignore:
            if not isinstance(name, str):
                raise _fail("ignoreFields", f"{name!r} is not a field name", "string")
            names.add(name)
            expanded = self._iri(name)
            if expanded:
                names.add(expanded)
        self.ignore = frozenset(names)

    def derive(self, context: object) -> _Context:
        """A copy with an event's own ``@context`` added on top."""
        child = _Context.__new__(_Context)
        child.prefixes = dict(self.prefixes)
        child.terms = dict(self.terms)
        child.vocab = self.vocab
        child.ignore = self.ignore
        child.cache = {}
        child.times = {}
        child._add(context)
        return child

    def _add(self, context: object) -> None:
        if context is None or isinstance(context, str):
            return
        if isinstance(context, list):
            for part in context:
                self._add(part)
            return
        if not isinstance(context, Mapping):
            raise _fail("@context", "must be a URL, an object or a list of them", "JSON-LD")
        for key, value in context.items():
            if not isinstance(key, str):
                continue
            if key == "@vocab" and isinstance(value, str):
                self.vocab = value
                continue
            if key.startswith("@"):
                continue
            iri = value.get("@id") if isinstance(value, Mapping) else value
            if not isinstance(iri, str) or iri.startswith("@"):
                continue
            head, colon, rest = iri.partition(":")
            if colon and head in self.prefixes and not rest.startswith("//"):
                iri = self.prefixes[head] + rest
            self.prefixes[key] = iri
            self.terms[key] = iri

    def _iri(self, name: str) -> str | None:
        """The ``{namespace}local`` form of an extension field name, or ``None``."""
        head, colon, rest = name.partition(":")
        if colon:
            if rest.startswith("//") or head == "urn":
                return _split_iri(name)
            prefix = self.prefixes.get(head)
            return "{" + prefix + "}" + rest if prefix is not None else None
        term = self.terms.get(name)
        if term is not None:
            return _split_iri(term)
        if self.vocab is not None:
            return "{" + self.vocab + "}" + name
        return None

    def key(self, name: object, where: str) -> str | None:
        """The ``{namespace}local`` form of an extension field, ``None`` when it is ignored."""
        if not isinstance(name, str):
            raise _fail(where, f"field name {name!r} is not a string", "JSON")
        if name in self.ignore:
            return None
        iri = self._iri(name)
        if iri is None:
            field = f"{where}.{name}" if where else name
            if ":" in name:
                prefix = name.partition(":")[0]
                raise _fail(
                    field, f"prefix {prefix!r} is not declared in the @context", "namespace"
                )
            raise _fail(
                field,
                "not a field of this element, and an extension needs a namespace prefix "
                "declared in the @context (prefix:name)",
                "extension",
            )
        return None if iri in self.ignore else iri

    def time(self, raw: object, where: str) -> str:
        """A timestamp in UTC with milliseconds."""
        if raw.__class__ is not str:
            raise _fail(where, f"expected a date-time string, got {raw!r}", "dateTimeStamp")
        hit = self.times.get(raw)
        if hit is None:
            hit = _utc_millis(raw.strip(), where)
            if len(self.times) < _CACHE_SIZE:
                self.times[raw] = hit
        return hit

    def value(self, raw: object, where: str) -> str:
        """The canonical text of a JSON scalar (without vocabulary or timestamp rules)."""
        if isinstance(raw, str):
            hit = self.cache.get(raw)
            if hit is not None:
                return hit
            text = self._string(raw.strip())
            if len(self.cache) < _CACHE_SIZE:
                self.cache[raw] = text
            return text
        if raw is True:
            return "true"
        if raw is False:
            return "false"
        if isinstance(raw, int | float):
            return _number(repr(raw) if isinstance(raw, float) else str(raw))
        raise _fail(where, f"expected a string or a number, got {type(raw).__name__}", "type")

    def _string(self, text: str) -> str:
        if not text:
            return text
        if text.startswith("urn:epcglobal:cbv:"):
            for urn, uri in _CBV_URNS:
                if text.startswith(urn):
                    return uri + text[len(urn) :]
        head, colon, rest = text.partition(":")
        if colon and not rest.startswith("//"):
            prefix = self.prefixes.get(head)
            if prefix is not None:
                text = prefix + rest
        if text[0] in _NUMBER_START and _NUMBER.fullmatch(text):
            return _number(text)
        if text.startswith("urn:epc:") or text[:4].lower() == "http":
            dl = try_canonical_dl(text)
            if dl is not None:
                return dl
        return text


def _split_iri(iri: str) -> str:
    cut = max(iri.rfind("/"), iri.rfind("#"), iri.rfind(":"))
    return "{" + iri[: cut + 1] + "}" + iri[cut + 1 :]


# --- writing the pre-hash string --------------------------------------------------------


def _scalars(value: object) -> list[object]:
    """The values of a JSON-LD property: lists flattened, value objects unwrapped."""
    if isinstance(value, list):
        out: list[object] = []
        for item in value:
            out.extend(_scalars(item))
        return out
    if isinstance(value, Mapping):
        if "@value" in value:
            return [value["@value"]]
        if "@id" in value:
            return [value["@id"]]
    return [value]


def _vocab_value(ctx: _Context, raw: object, words: dict[str, str] | None, where: str) -> str:
    if words is not None and raw.__class__ is str:
        word = words.get(raw) or words.get(raw.strip())
        if word is not None:
            return word
    return ctx.value(raw, where)


def _fields(ctx: _Context, obj: object, spec: _Spec, where: str) -> str:
    """The fields of ``obj`` in the order of ``spec``, then its extensions, sorted."""
    if not isinstance(obj, dict | Mapping):
        raise _fail(where, f"must be an object, got {type(obj).__name__}", "type")
    out: list[str] = []
    for name, kind, arg in spec.fields:
        value = obj.get(name)
        if value is not None:
            part = _field(ctx, name, kind, arg, value, where + "." + name)
            if part:
                out.append(part)
    extensions: list[str] = []
    names = spec.names
    for key, value in obj.items():
        if key not in names:
            extension = ctx.key(key, where)
            if extension is not None:
                _generic(ctx, extension, value, extensions, where)
    if extensions:
        extensions.sort()
        out += extensions
    return "".join(out)


def _field(ctx: _Context, name: str, kind: int, arg: Any, value: object, where: str) -> str:
    """One field of the canonical property order: ``""`` when it has no content."""
    if kind == _VAL and value.__class__ is str:  # the common case, first
        text = _vocab_value(ctx, value, arg, where)
        return name + "=" + text if text else ""
    parts: list[str] = []
    if kind == _LIST:
        item_name, item_kind, item_arg = arg
        items = value if isinstance(value, list) else [value]
        if item_kind == _VAL and item_arg is None:  # EPC lists: cached values, no pointers
            known = ctx.cache
            label = item_name + "="
            for i, item in enumerate(items):
                if item.__class__ is str:
                    hit = known.get(item)
                    text = ctx.value(item, where) if hit is None else hit
                    if text:
                        parts.append(label + text)
                elif item is not None:
                    part = _field(ctx, item_name, item_kind, item_arg, item, f"{where}[{i}]")
                    if part:
                        parts.append(part)
        else:
            for i, item in enumerate(items):
                if item is None:
                    continue
                if item_kind == _VAL and item.__class__ is str:
                    text = _vocab_value(ctx, item, item_arg, where)
                    part = item_name + "=" + text if text else ""
                else:
                    part = _field(ctx, item_name, item_kind, item_arg, item, f"{where}[{i}]")
                if part:
                    parts.append(part)
        if not parts:
            return ""
        parts.sort()
        return name + "".join(parts)
    if kind == _OBJ:
        objs = value if isinstance(value, list) else [value]
        for i, obj in enumerate(objs):
            inner = _fields(ctx, obj, arg, f"{where}[{i}]" if len(objs) > 1 else where)
            if inner:
                parts.append(name + inner)
    else:
        for raw in _scalars(value):
            if raw is None:
                continue
            if kind == _TIME:
                text = ctx.time(raw, where)
            else:
                text = _vocab_value(ctx, raw, arg, where)
            if text:
                parts.append(name + "=" + text)
    parts.sort()
    return "".join(parts)


def _generic(ctx: _Context, name: str, value: object, out: list[str], where: str) -> None:
    """Append ``name`` and ``value`` as extensions are written: an object as its members,
    sorted; each element of a list as a sibling of the same name."""
    if value is None:
        return
    if isinstance(value, list):
        for item in value:
            _generic(ctx, name, item, out, where)
        return
    if isinstance(value, Mapping):
        if "@value" in value or ("@id" in value and len(value) == 1):
            _generic(ctx, name, value.get("@value", value.get("@id")), out, where)
            return
        inner: list[str] = []
        for key, item in value.items():
            if isinstance(key, str) and key.startswith("@"):
                continue
            child = ctx.key(key, where)
            if child is not None:
                _generic(ctx, child, item, inner, where)
        inner.sort()
        out.append(name + "".join(inner))
        return
    text = ctx.value(value, where)
    out.append(name + "=" + text if text else name)


def _typed_list(ctx: _Context, name: str, item: str, words: dict[str, str], value: object) -> str:
    """``bizTransactionList``, ``sourceList``, ``destinationList``: each entry as its type,
    then its identifier; the entries sorted."""
    items = value if isinstance(value, list) else [value]
    parts = []
    for i, entry in enumerate(items):
        at = f"{name}[{i}]"
        if entry is None:
            continue
        if not isinstance(entry, Mapping):
            raise _fail(at, f"must be an object with {item!r} and 'type'", "type")
        text = ""
        kind = entry.get("type")
        if kind is not None:
            kind_text = _vocab_value(ctx, kind, words, f"{at}.type")
            if kind_text:
                text = "type=" + kind_text
        ident = entry.get(item)
        if ident is not None:
            text += item + "=" + ctx.value(ident, f"{at}.{item}")
        extensions: list[str] = []
        for key, extra in entry.items():
            if key != "type" and key != item:
                child = ctx.key(key, at)
                if child is not None:
                    _generic(ctx, child, extra, extensions, at)
        extensions.sort()
        text += "".join(extensions)
        if text:
            parts.append(text)
    parts.sort()
    return name + "".join(parts) if parts else ""


def _prehash(event: object, ctx: _Context) -> str:
    try:
        return _event_prehash(event, ctx)
    except RecursionError:
        raise _fail("event", "nested too deeply to hash", "depth") from None


def _event_prehash(event: object, ctx: _Context) -> str:
    if not isinstance(event, Mapping):
        raise _fail("event", f"must be an object, got {type(event).__name__}", "type")
    kind = event.get("type")
    if not isinstance(kind, str) or not kind.strip():
        raise _fail("type", "an event needs its event type (e.g. 'ObjectEvent')", "required")
    own_context = event.get("@context")
    if own_context is not None:
        ctx = ctx.derive(own_context)
    ordered: list[tuple[int, str]] = []
    rest: list[str] = []
    ignore = ctx.ignore
    for key, value in event.items():
        if value is None or key in ignore:
            continue
        place = _EVENT_PLACES.get(key)
        if place is not None:
            part = _field(ctx, key, place[1], place[2], value, key)
            if part:
                ordered.append((place[0], part))
            continue
        typed = _TYPED_LISTS.get(key)
        if typed is not None:
            part = _typed_list(ctx, key, typed[0], typed[1], value)
            if part:
                rest.append(part)
        elif key == "ilmd":
            _generic(ctx, key, value, rest, key)
        else:
            extension = ctx.key(key, "")
            if extension is not None:
                _generic(ctx, extension, value, rest, key)
    ordered.sort()
    rest.sort()
    return "eventType=" + kind.strip() + "".join(p for _, p in ordered) + "".join(rest)


# --- public API -------------------------------------------------------------------------


def prehash(event: Mapping[str, Any], context: object = None, *, ignore: Iterable[str] = ()) -> str:
    """The canonical pre-hash string of an EPCIS 2.0 JSON(-LD) event.

    ``context`` is the ``@context`` of the enclosing document: it declares the prefixes of
    extension fields (``example:myField``) and of compact IRI values. ``ignore`` names more
    fields to leave out (a repository's own fields, see ``ignoreFields`` in
    :func:`document_hashes`). Raises :class:`EPCISHashError`.
    """
    return _prehash(event, _Context(context, ignore))


def _digest(text: str, algorithm: str) -> str:
    make = ALGORITHMS.get(algorithm)
    if make is None:
        raise _fail(
            "algorithm",
            f"{algorithm!r} is not one of {', '.join(ALGORITHMS)}",
            "named information hash algorithm",
        )
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate, which JSON can write ("\ud800")
        raise _fail(
            "event",
            f"holds {text[exc.start : exc.end]!r}, which is not Unicode text: the pre-hash "
            "string has no UTF-8 form to hash",
            "Unicode",
        ) from None
    return f"ni:///{algorithm};{make(data).hexdigest()}?ver={CBV_VERSION}"


def event_hash(
    event: Mapping[str, Any],
    context: object = None,
    *,
    ignore: Iterable[str] = (),
    algorithm: str = "sha-256",
) -> str:
    """The event hash ID of an EPCIS 2.0 JSON(-LD) event: ``ni:///sha-256;<hex>?ver=CBV2.0``.

    ``context`` and ``ignore`` as for :func:`prehash`; ``algorithm`` is a name of
    :data:`ALGORITHMS`. Raises :class:`EPCISHashError`.
    """
    return _digest(prehash(event, context, ignore=ignore), algorithm)


def _is_ignore_key(key: object) -> bool:
    return isinstance(key, str) and (key == "ignoreFields" or key.endswith(":ignoreFields"))


def _document_events(doc: Mapping[str, Any]) -> tuple[list[Any], list[object]]:
    """The events of an EPCIS document or query document, and its ``ignoreFields``."""
    ignore: list[object] = []
    for key, value in doc.items():
        if _is_ignore_key(key):
            ignore.extend(_scalars(value))
    body = doc.get("epcisBody")
    if not isinstance(body, Mapping):
        raise _fail("epcisBody", "the document needs an epcisBody object", "required")
    if "queryResults" in body:
        results = body["queryResults"]
        if not isinstance(results, Mapping):
            raise _fail("epcisBody.queryResults", "must be an object", "type")
        for key, value in results.items():
            if _is_ignore_key(key):
                ignore.extend(_scalars(value))
        results_body = results.get("resultsBody")
        events = results_body.get("eventList") if isinstance(results_body, Mapping) else None
        where = "epcisBody.queryResults.resultsBody.eventList"
    elif "event" in body and "eventList" not in body:
        events, where = [body["event"]], "epcisBody.event"
    else:
        events, where = body.get("eventList"), "epcisBody.eventList"
    if not isinstance(events, list):
        raise _fail(where, "must be a list of events", "required")
    return events, ignore


def document_prehashes(doc: Mapping[str, Any]) -> list[str]:
    """The pre-hash string of every event of an EPCIS (query) document, in document order.

    The document's ``@context`` declares the extension prefixes; field names listed in a
    ``...:ignoreFields`` member of the document (or of its ``queryResults``) are left out.
    """
    if not isinstance(doc, Mapping):
        raise _fail("document", f"must be an object, got {type(doc).__name__}", "type")
    events, ignore = _document_events(doc)
    ctx = _Context(doc.get("@context"), ignore)
    out = []
    for i, event in enumerate(events):
        try:
            out.append(_prehash(event, ctx))
        except EPCISHashError as exc:
            raise EPCISHashError(
                f"event {i}: {exc}", field=f"eventList[{i}].{exc.field}", rule=exc.rule
            ) from exc
    return out


def document_hashes(doc: Mapping[str, Any], *, algorithm: str = "sha-256") -> list[str]:
    """The event hash ID of every event of an EPCIS (query) document, in document order
    (see :func:`document_prehashes`). Raises :class:`EPCISHashError`."""
    return [_digest(text, algorithm) for text in document_prehashes(doc)]
