"""Hypothesis strategies for EPCIS events: common ones, and near misses of every kind.

The fast path of capture (:mod:`shoptrace.sdk.epcis.fastpath`) is tested against the
general path on these: valid events of every type in the shapes it handles, and events that
differ from them in one or many ways (wrong types, bad EPCs, bad times, missing fields,
unknown fields, extensions, their own @context), with members in any order.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
CONTEXTS = [
    EPCIS_CONTEXT,
    [EPCIS_CONTEXT],
    [EPCIS_CONTEXT, {"example": "https://ns.example.com/epcis/"}],
    # A context that declares "urn" and "http" as prefixes changes how the hash writes
    # URNs (and not Digital Links); one without the EPCIS context is a frame problem only.
    [EPCIS_CONTEXT, {"urn": "https://odd.example.com/", "http": "https://odd.example.com/"}],
    [{"@vocab": "https://vocab.example.com/"}],
]

GTIN = "09506000134352"
SHOP = "https://shop.example.com/trace"

# --- identifiers -----------------------------------------------------------------------

VALID_EPCS = [
    f"{SHOP}/01/{GTIN}/10/LOT42/21/A1",
    f"{SHOP}/01/{GTIN}/21/A2",
    f"https://id.gs1.org/01/{GTIN}/21/A3",
    f"HTTPS://SHOP.EXAMPLE.COM/01/{GTIN}/21/A4",
    f"http://shop.example.com:8080/a/b/01/{GTIN}/22/CPV/10/L1/21/A5",
    f"{SHOP}/01/{GTIN}/10/01/21/A6",  # a lot called "01"
    f"{SHOP}/01/{GTIN}/21/A!&'()*+,.:;=_-",
    f"{SHOP}/01/{GTIN}/21/A%2F7",  # escaped: not plain, still valid
    f"https://shop.example.com/trace/01/{GTIN}/21/X/01/{GTIN}/21/Y",
    "urn:epc:id:sgtin:9506000.013435.B1",
    "urn:epc:id:sgtin:9506000.013435.B%2F2",
    "urn:epc:id:sgtin:9506000134.035.B3",
    "urn:epc:id:sscc:9506000.0000000001",
    "urn:epc:id:sscc:950600012345.00001",
    "urn:epc:id:sgln:9506000.00001.0",
    "urn:epc:id:grai:9506000.00001.77",
    "urn:epc:id:giai:9506000.TOOL1",
    "urn:epc:id:gid:1.2.3",
    "https://id.gs1.org/00/095060000000000015",
    "https://id.gs1.org/414/9506000000015/254/5",
]
INVALID_EPCS = [
    f"{SHOP}/01/{GTIN}/10/LOT42",  # class level
    "urn:epc:class:lgtin:9506000.013435.LOT1",
    "urn:epc:idpat:sgtin:9506000.013435.*",
    f"{SHOP}/01/09506000134353/21/BADCHECK",
    f"{SHOP}/01/{GTIN}/21/" + "S" * 21,
    f"{SHOP}/01/{GTIN}/21/",
    f"{SHOP}/01/{GTIN}/21/A B",
    f"{SHOP}/01/{GTIN}/21/\u00e9",
    "https://shop_example.com/01/09506000134352/21/U",
    "urn:epc:id:sgtin:9506000.01343.B4",
    "urn:epc:id:sgtin:\u0669506000.013435.B5",
    "urn:epc:id:sscc:9506000.000000001",
    "not an epc",
    "",
    " urn:epc:id:sgtin:9506000.013435.B6",
    "Http://shop.example.com/01/09506000134352/21/C1",
]
NOT_STRINGS: list[Any] = [None, 5, 1.5, True, [], {}, {"id": VALID_EPCS[0]}]


def _urn(kind: str, gcp: int, off: int, odd: str, serial: str) -> str:
    """A URN whose company prefix has ``gcp`` digits and whose digits are ``off`` from the
    right total, with ``odd`` in the reference."""
    total = {"sgtin": 13, "sscc": 17, "sgln": 12}[kind] + off
    ref = odd + "1" * max(total - gcp - len(odd), 0)
    head = f"urn:epc:id:{kind}:{'9' * gcp}.{ref}"
    return head if kind == "sscc" else f"{head}.{serial}"


_SAFE_CHARS = "AZaz09!&'()*+,.:;=_-"
_ODD_CHARS = '~%/?#@$"<> \u00e9\u0669\t'


@st.composite
def _value(draw: st.DrawFn) -> str:
    """An AI value: plain characters, sometimes one odd one, sometimes too short or long."""
    text = draw(st.text(alphabet=_SAFE_CHARS, min_size=0, max_size=22))
    if draw(st.booleans()):
        at = draw(st.integers(min_value=0, max_value=len(text)))
        text = text[:at] + draw(st.sampled_from(_ODD_CHARS)) + text[at:]
    return text


def _near_epc() -> st.SearchStrategy[str]:
    """Digital Links and URNs built from parts, each part sometimes wrong."""
    value = _value()
    gtin = st.sampled_from([GTIN, "09506000134353", "9506000134352", "0950600013435X"])
    host = st.sampled_from(["shop.example.com", "id.gs1.org", "h:80", "a_b.com", "x.com?", "é.cn"])
    prefix = st.sampled_from(["", "/trace", "/a/b", "/01/" + GTIN + "/21/Z", "/%41", "//", "/~x"])
    scheme = st.sampled_from(["https", "http", "HTTPS", "HTTP", "Https", "ftp"])
    dl = st.builds(
        lambda sc, h, p, g, cpv, lot, ser: f"{sc}://{h}{p}/01/{g}{cpv}{lot}/21/{ser}",
        scheme,
        host,
        prefix,
        gtin,
        st.one_of(st.just(""), value.map(lambda v: "/22/" + v)),
        st.one_of(st.just(""), value.map(lambda v: "/10/" + v)),
        value,
    )
    urn = st.builds(
        _urn,
        st.sampled_from(["sgtin", "sscc", "sgln"]),
        st.integers(min_value=5, max_value=13),
        st.integers(min_value=-1, max_value=1),
        st.sampled_from(["", "", "", "\u0669", "a"]),
        value,
    )
    return st.one_of(dl, urn)


epc_strings = st.one_of(st.sampled_from(VALID_EPCS), st.sampled_from(INVALID_EPCS), _near_epc())
any_epc: st.SearchStrategy[Any] = st.one_of(epc_strings, st.sampled_from(NOT_STRINGS))

# --- times -------------------------------------------------------------------------------

VALID_TIMES = [
    "2024-05-01T10:00:00Z",
    "2024-05-01T10:00:00.000Z",
    "2024-05-01T10:00:00.5+08:00",
    "2024-02-29T23:59:59.9995-05:30",
    "2024-05-01T10:00:00.123456789+00:00",
    "2024-05-01T10:00:00.1234-00:00",
    "1999-12-31T23:59:59.999Z",
]
INVALID_TIMES: list[Any] = [
    "2024-05-01",
    "2024-13-01T00:00:00Z",
    "2024-05-01T10:00:00",
    "2023-02-29T00:00:00Z",
    "2016-12-31T23:59:60Z",  # a leap second: valid, but no hash
    "0000-01-01T00:00:00Z",
    "2024-05-01t10:00:00z",
    "2024-05-01T10:00:00,5Z",
    "9999-12-31T23:59:59.9999Z",
    "0001-01-01T00:00:00+01:00",
    "2024-05-01T10:00:00+24:00",
    "2024-05-01T10:00:00+10:60",
    " 2024-05-01T10:00:00Z",
    20240501,
    None,
]


def _time_text() -> st.SearchStrategy[str]:
    """RFC 3339 look-alikes built from parts, each part sometimes out of range."""
    two = st.integers(min_value=0, max_value=99).map(lambda n: f"{n:02d}")
    return st.builds(
        lambda y, mo, d, sep, h, mi, s, frac, zone: f"{y}-{mo}-{d}{sep}{h}:{mi}:{s}{frac}{zone}",
        st.sampled_from(["2024", "2023", "0000", "0001", "9999", "1900", "2000", "\u0662024"]),
        st.sampled_from(["00", "01", "02", "12", "13"]),
        st.sampled_from(["00", "01", "28", "29", "30", "31", "32"]),
        st.sampled_from(["T", "t", " "]),
        st.sampled_from(["00", "23", "24"]),
        st.sampled_from(["00", "59", "60"]),
        st.sampled_from(["00", "59", "60", "61"]),
        st.one_of(
            st.just(""),
            st.text(alphabet="0123456789", min_size=0, max_size=11).map(lambda f: "." + f),
            st.just(",5"),
        ),
        st.one_of(
            st.sampled_from(["Z", "z", "", "+00:00", "-00:00"]),
            st.builds(lambda sign, h, m: f"{sign}{h}:{m}", st.sampled_from("+-"), two, two),
        ),
    )


time_strings = st.one_of(st.sampled_from(VALID_TIMES), _time_text())
any_time: st.SearchStrategy[Any] = st.one_of(time_strings, st.sampled_from(INVALID_TIMES))

# --- other members -----------------------------------------------------------------------

VALID_VALUES: dict[str, list[Any]] = {
    "eventTimeZoneOffset": ["+00:00", "-05:30", "+14:00", "+08:00"],
    "action": ["ADD", "OBSERVE", "DELETE"],
    "bizStep": [
        "shipping",
        "receiving",
        "commissioning",
        "packing",
        "retail_selling",
        "https://example.com/steps/x",
        "https://ref.gs1.org/cbv/BizStep-shipping",
        "cbv:BizStep-shipping",
        "urn:example:step:1",
    ],
    "disposition": ["in_transit", "in_progress", "active", "https://example.com/disp/y"],
    "readPoint": [
        {"id": "urn:epc:id:sgln:9506000.00001.0"},
        {"id": "https://id.gs1.org/414/9506000000015"},
        {"id": "https://example.com/loc/1"},
    ],
    "bizLocation": [
        {"id": "urn:epc:id:sgln:9506000.00002.0"},
        {"id": "https://example.com/loc/2"},
    ],
    "eventID": ["urn:uuid:6f6b2c3e-1d2a-4c3b-9a8e-000000000001", "ni:///sha-256;ab?ver=CBV2.0"],
    "recordTime": VALID_TIMES,
    "transformationID": ["urn:uuid:6f6b2c3e-1d2a-4c3b-9a8e-000000000002"],
    "bizTransactionList": [
        [{"type": "po", "bizTransaction": "urn:epcglobal:cbv:bt:0614141073467:1152"}],
        [{"bizTransaction": "https://example.com/po/1"}],
        [
            {"type": "inv", "bizTransaction": "https://example.com/inv/2"},
            {"bizTransaction": "urn:x:1"},
        ],
    ],
    "sourceList": [[{"type": "owning_party", "source": "urn:epc:id:pgln:9506000.00001"}]],
    "destinationList": [
        [{"type": "location", "destination": "urn:epc:id:sgln:9506000.00002.0"}],
        [],
    ],
}
INVALID_VALUES: dict[str, list[Any]] = {
    "eventTimeZoneOffset": ["+14:01", "Z", "+1:00", 0, None, "+00:00 "],
    "action": ["add", "", None, 1, "OBSERVE "],
    "bizStep": [
        "urn:epcglobal:cbv:bizstep:shipping",
        "https://ns.gs1.org/cbv/BizStep-shipping",
        "shiping",
        "",
        None,
        ["shipping"],
        "not a uri",
    ],
    "disposition": ["urn:epcglobal:cbv:disp:in_transit", "in transit", 7],
    "readPoint": [
        {"id": "not a uri"},
        {"id": 5},
        {},
        {"id": "urn:epc:id:sgln:9506000.00001.0", "example:x": 1},
        {"id": "urn:epc:id:sgln:9506000.00001.0", "other": 1},
        "urn:epc:id:sgln:9506000.00001.0",
        None,
        [],
    ],
    "bizLocation": [{"id": ""}, {"ID": "urn:x:1"}, 3],
    "eventID": ["not a uri", 5, "", None],
    "recordTime": INVALID_TIMES,
    "transformationID": ["bad id", 1],
    "bizTransactionList": [
        [],
        [{"type": "xx", "bizTransaction": "urn:x:1"}],
        [{"type": "po"}],
        "po",
        [{"type": "po", "bizTransaction": "urn:x:1", "extra": 1}],
        [None],
    ],
    "sourceList": [[{"source": "urn:x:1"}], {"type": "location"}],
    "destinationList": [[{"type": "location", "destination": "nope"}]],
}
# Members the fast path leaves to the general path, valid or not.
OTHER_MEMBERS: dict[str, list[Any]] = {
    "example:note": ["hello", {"example:deep": 1}],
    "urn:example:flag": [True],
    "unknown": [1],
    "comment": ["a comment"],
    "rdfs:comment": ["a comment"],
    "ilmd": [{"example:lot": "L1"}, {}],
    "quantityList": [[{"epcClass": "urn:epc:class:lgtin:9506000.013435.L1", "quantity": 2}]],
    "childQuantityList": [[]],
    "inputQuantityList": [[{"epcClass": "urn:epc:idpat:sgtin:9506000.013435.*"}]],
    "certificationInfo": ["https://cert.example.com/1"],
    "errorDeclaration": [{"declarationTime": "2024-05-02T00:00:00Z", "reason": "incorrect_data"}],
    "sensorElementList": [[]],
    "persistentDisposition": [{"set": ["sellable_accessible"]}],
    "@context": [EPCIS_CONTEXT, [EPCIS_CONTEXT, {"example": "https://ns.example.com/"}]],
    "type2": ["ObjectEvent"],
}
EPC_LISTS = ("epcList", "childEPCs", "inputEPCList", "outputEPCList")
TYPES = [
    "ObjectEvent",
    "AggregationEvent",
    "TransactionEvent",
    "TransformationEvent",
    "AssociationEvent",
]

epc_lists = st.lists(st.sampled_from(VALID_EPCS), max_size=5)


def _valid(key: str) -> st.SearchStrategy[Any]:
    if key in EPC_LISTS:
        return epc_lists.map(lambda epcs: list(dict.fromkeys(epcs)))
    if key == "parentID":
        return st.sampled_from([e for e in VALID_EPCS if "414" not in e and "sgln" not in e])
    if key == "eventTime":
        return st.sampled_from(VALID_TIMES)
    return st.sampled_from(VALID_VALUES[key])


def _any(key: str) -> st.SearchStrategy[Any]:
    if key in EPC_LISTS:
        return st.one_of(
            _valid(key),
            st.lists(any_epc, max_size=4),
            st.lists(st.sampled_from(VALID_EPCS), min_size=2, max_size=4),  # repeats
            st.sampled_from(NOT_STRINGS),
        )
    if key == "parentID":
        return any_epc
    if key in ("eventTime", "recordTime"):
        return any_time
    if key in OTHER_MEMBERS:
        return st.sampled_from(OTHER_MEMBERS[key])
    return st.one_of(_valid(key), st.sampled_from(INVALID_VALUES[key]))


_COMMON_KEYS = ("eventTime", "eventTimeZoneOffset", "eventID", "recordTime", "bizStep",
                "disposition", "readPoint", "bizLocation", "bizTransactionList",
                "sourceList", "destinationList")  # fmt: skip
_KEYS = {
    "ObjectEvent": (*_COMMON_KEYS, "action", "epcList"),
    "AggregationEvent": (*_COMMON_KEYS, "action", "parentID", "childEPCs"),
    "TransactionEvent": (*_COMMON_KEYS, "action", "parentID", "epcList"),
    "TransformationEvent": (*_COMMON_KEYS, "inputEPCList", "outputEPCList", "transformationID"),
    "AssociationEvent": (*_COMMON_KEYS, "action", "parentID", "childEPCs"),
}
_ALL_KEYS = tuple(dict.fromkeys(k for keys in _KEYS.values() for k in keys))


@st.composite
def valid_events(draw: st.DrawFn) -> dict[str, Any]:
    """A valid event of a shape the fast path handles, members in any order."""
    etype = draw(st.sampled_from(TYPES))
    event: dict[str, Any] = {"type": etype}
    for key in ("eventTime", "eventTimeZoneOffset"):
        event[key] = draw(_valid(key))
    if etype != "TransformationEvent":
        event["action"] = draw(_valid("action"))
    for key in _KEYS[etype]:
        if key not in event and draw(st.booleans()):
            event[key] = draw(_valid(key))
    action = event.get("action")
    if etype == "ObjectEvent":
        event.setdefault("epcList", draw(_valid("epcList")))
    elif etype in ("AggregationEvent", "AssociationEvent"):
        if action != "DELETE" or etype == "AssociationEvent":
            event["childEPCs"] = event.get("childEPCs") or [VALID_EPCS[0]]
        if action in ("ADD", "DELETE") or etype == "AssociationEvent":
            event.setdefault("parentID", "urn:epc:id:sscc:9506000.0000000001")
    elif etype == "TransactionEvent":
        event["bizTransactionList"] = VALID_VALUES["bizTransactionList"][0]
        event.setdefault("epcList", [])
    else:
        event["inputEPCList"] = event.get("inputEPCList") or [VALID_EPCS[1]]
        event["outputEPCList"] = event.get("outputEPCList") or [VALID_EPCS[2]]
    items = list(event.items())
    return dict(draw(st.permutations(items)))


@st.composite
def any_events(draw: st.DrawFn) -> Any:
    """An event that may be valid or wrong in any number of ways."""
    base = draw(valid_events())
    etype = base["type"]
    changes = draw(st.integers(min_value=0, max_value=4))
    for _ in range(changes):
        what = draw(st.sampled_from(["change", "drop", "add", "other", "type"]))
        if what == "change" or what == "add":
            key = draw(st.sampled_from(_KEYS[etype] if what == "change" else _ALL_KEYS))
            base[key] = draw(_any(key))
        elif what == "drop" and base:
            base.pop(draw(st.sampled_from(sorted(base))))
        elif what == "other":
            key = draw(st.sampled_from(sorted(OTHER_MEMBERS)))
            base[key] = draw(_any(key))
        else:
            base["type"] = draw(
                st.sampled_from([*TYPES, "urn:example:MyEvent", "objectEvent", 5, None])
            )
    if draw(st.integers(min_value=0, max_value=30)) == 0:
        return draw(st.sampled_from([[], "event", None, 3]))
    items = list(base.items())
    return dict(draw(st.permutations(items)))
