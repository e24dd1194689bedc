"""EPC identifiers: EPC URNs (EPC Tag Data Standard) and their GS1 Digital Link equivalents.

EPCIS names objects, classes, places and parties either as EPC URNs
(``urn:epc:id:sgtin:0614141.107346.2017``) or as GS1 Digital Link URIs
(``https://id.gs1.org/01/10614141073464/21/2017``). This module converts between the two,
classifies an identifier without raising, and gives the constrained canonical Digital Link
that the EPCIS event hash ID uses.

URN components follow the Tag Data Standard grammar: in serials and other alphanumeric
components the characters ``" % & / < > ?`` are percent-escaped (``%22 %25 %26 %2F %3C %3E
%3F``), and in a CPI reference ``#`` and ``/`` are (``%23 %2F``); every other character is
written as it is. A URN splits the GS1 key at the GS1 Company Prefix, which a Digital Link
does not show, so :func:`dl_to_urn` needs the prefix length.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from shoptrace.sdk import digital_link
from shoptrace.sdk.errors import InvalidDigitalLink, ShoptraceError
from shoptrace.sdk.gs1.ai_table import AI_TABLE, DL_PATH_SEQUENCES
from shoptrace.sdk.gs1.check_digits import check_digit
from shoptrace.sdk.gs1.values import association_problem, value_problem

CANONICAL_STEM: Final = "https://id.gs1.org"


class EPCError(ShoptraceError, ValueError):
    """An identifier cannot be read or converted as an EPC.

    ``component`` names the offending part (a URN component, an AI or the whole value) and
    ``rule`` the rule broken; the message names both.
    """

    def __init__(self, message: str, *, component: str | None = None, rule: str | None = None):
        super().__init__(message)
        self.component = component
        self.rule = rule


@dataclass(frozen=True, slots=True)
class EPCInfo:
    """What an identifier is: its EPC ``scheme`` (``"sgtin"``, ``"lgtin"``, ``"sscc"``, ...),
    its ``level`` (``"instance"`` for one object, place or party, ``"class"`` for a product or
    a lot) and its ``form`` (``"urn"`` or ``"dl"``)."""

    scheme: str
    level: str
    form: str


# --- URN grammar ------------------------------------------------------------------------

# One character of an alphanumeric (GS3A3) component, and of a CPI reference.
_A = r"(?:[A-Za-z0-9!'()*+,\-.:;=_]|%(?:2[256Ff]|3[CcEeFf]))"
_C = r"(?:[0-9A-Z\-]|%2[3Ff])"
_GCP = r"(\d{6,12})"

_URN_ESCAPES: Final = {'"': "%22", "%": "%25", "&": "%26", "/": "%2F", "<": "%3C", ">": "%3E",
                       "?": "%3F"}  # fmt: skip
_CPI_ESCAPES: Final = {"#": "%23", "/": "%2F"}
_URN_NEEDS_ESCAPE = frozenset(_URN_ESCAPES)
_CPI_NEEDS_ESCAPE = frozenset(_CPI_ESCAPES)
_PCT = re.compile(r"%([0-9A-Fa-f]{2})")


def _unescape(text: str) -> str:
    if "%" not in text:
        return text
    return _PCT.sub(lambda m: chr(int(m.group(1), 16)), text)


def _escape(value: str) -> str:
    if _URN_NEEDS_ESCAPE.isdisjoint(value):
        return value
    return "".join(_URN_ESCAPES.get(ch, ch) for ch in value)


def _escape_cpi(value: str) -> str:
    if _CPI_NEEDS_ESCAPE.isdisjoint(value):
        return value
    return "".join(_CPI_ESCAPES.get(ch, ch) for ch in value)


@dataclass(frozen=True, slots=True)
class _Scheme:
    """One URN form: its prefix, grammar, the digit total of company prefix plus reference
    (0 when the reference is alphanumeric and bounded by ``max_total`` instead), and how its
    matched components become Digital Link path pairs (``None``: no Digital Link form)."""

    prefix: str
    name: str
    level: str
    pattern: re.Pattern[str]
    digits: int = 0
    max_total: int = 0
    to_pairs: Callable[[tuple[str, ...]], list[tuple[str, str]]] | None = None
    check: Callable[[tuple[str, ...]], str | None] | None = None


def _cd(body: str) -> str:
    return body + check_digit(body)


def _gtin(gcp: str, item: str) -> str:
    return _cd(item[0] + gcp + item[1:])


def _sgtin(g: tuple[str, ...]) -> list[tuple[str, str]]:
    return [("01", _gtin(g[0], g[1])), ("21", _unescape(g[2]))]


def _lgtin(g: tuple[str, ...]) -> list[tuple[str, str]]:
    return [("01", _gtin(g[0], g[1])), ("10", _unescape(g[2]))]


def _gtin_only(g: tuple[str, ...]) -> list[tuple[str, str]]:
    return [("01", _gtin(g[0], g[1]))]


def _sscc(g: tuple[str, ...]) -> list[tuple[str, str]]:
    return [("00", _cd(g[1][0] + g[0] + g[1][1:]))]


def _sgln(g: tuple[str, ...]) -> list[tuple[str, str]]:
    pairs = [("414", _cd(g[0] + g[1]))]
    ext = _unescape(g[2])
    if ext != "0":
        pairs.append(("254", ext))
    return pairs


def _grai(g: tuple[str, ...]) -> list[tuple[str, str]]:
    serial = _unescape(g[2]) if len(g) > 2 else ""
    return [("8003", "0" + _cd(g[0] + g[1]) + serial)]


def _giai(g: tuple[str, ...]) -> list[tuple[str, str]]:
    return [("8004", g[0] + _unescape(g[1]))]


def _gsrn(g: tuple[str, ...]) -> list[tuple[str, str]]:
    return [("8018", _cd(g[0] + g[1]))]


def _gsrnp(g: tuple[str, ...]) -> list[tuple[str, str]]:
    return [("8017", _cd(g[0] + g[1]))]


def _gdti(g: tuple[str, ...]) -> list[tuple[str, str]]:
    serial = _unescape(g[2]) if len(g) > 2 else ""
    return [("253", _cd(g[0] + g[1]) + serial)]


def _cpi(g: tuple[str, ...]) -> list[tuple[str, str]]:
    pairs = [("8010", g[0] + _unescape(g[1]))]
    if len(g) > 2:
        pairs.append(("8011", g[2]))
    return pairs


def _sgcn(g: tuple[str, ...]) -> list[tuple[str, str]]:
    serial = g[2] if len(g) > 2 else ""
    return [("255", _cd(g[0] + g[1]) + serial)]


def _ginc(g: tuple[str, ...]) -> list[tuple[str, str]]:
    return [("401", g[0] + _unescape(g[1]))]


def _gsin(g: tuple[str, ...]) -> list[tuple[str, str]]:
    return [("402", _cd(g[0] + g[1]))]


def _itip(g: tuple[str, ...]) -> list[tuple[str, str]]:
    pairs = [("8006", _gtin(g[0], g[1]) + g[2] + g[3])]
    if len(g) > 4:
        pairs.append(("21", _unescape(g[4])))
    return pairs


def _upui(g: tuple[str, ...]) -> list[tuple[str, str]]:
    return [("01", _gtin(g[0], g[1])), ("235", _unescape(g[2]))]


def _pgln(g: tuple[str, ...]) -> list[tuple[str, str]]:
    return [("417", _cd(g[0] + g[1]))]


def _itip_check(g: tuple[str, ...]) -> str | None:
    piece, total = g[2], g[3]
    if piece == "00" or total == "00" or piece > total:
        return f"piece {piece} of total {total}: both must be 01 to 99, the piece at most the total"
    return None


def _gid_check(g: tuple[str, ...]) -> str | None:
    limits = (("manager number", 1 << 28), ("object class", 1 << 24), ("serial", 1 << 36))
    for (name, limit), part in zip(limits, g, strict=True):
        if int(part) >= limit:
            return f"{name} {part} exceeds the 96-bit GID range"
    return None


_BIC_VALUES = {ch: v for ch, v in zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ", (
    10, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 34, 35,
    36, 37, 38), strict=True)}  # fmt: skip


def _bic_check(g: tuple[str, ...]) -> str | None:
    code = g[0]
    total = sum(
        (_BIC_VALUES[ch] if ch.isalpha() else int(ch)) << i for i, ch in enumerate(code[:10])
    )
    if total % 11 % 10 != int(code[10]):
        return "ISO 6346 check digit does not match"
    return None


def _imo_check(g: tuple[str, ...]) -> str | None:
    number = g[0]
    if sum(int(d) * w for d, w in zip(number[:6], range(7, 1, -1), strict=True)) % 10 != int(
        number[6]
    ):
        return "IMO check digit does not match"
    return None


def _s(
    prefix: str,
    name: str,
    level: str,
    body: str,
    to_pairs: Callable[[tuple[str, ...]], list[tuple[str, str]]] | None,
    *,
    digits: int = 0,
    max_total: int = 0,
    check: Callable[[tuple[str, ...]], str | None] | None = None,
) -> _Scheme:
    # ASCII: \d would also take other scripts' digits, which no GS1 key may hold.
    return _Scheme(
        prefix, name, level, re.compile(body, re.ASCII), digits, max_total, to_pairs, check
    )


_ID, _CLASS, _PAT = "urn:epc:id:", "urn:epc:class:", "urn:epc:idpat:"
_SCHEMES: Final[dict[str, _Scheme]] = {
    s.prefix: s
    for s in (
        _s(_ID + "sgtin:", "sgtin", "instance", _GCP + rf"\.(\d{{1,7}})\.({_A}{{1,20}})",
           _sgtin, digits=13),
        _s(_ID + "sscc:", "sscc", "instance", _GCP + r"\.(\d{5,11})", _sscc, digits=17),
        _s(_ID + "sgln:", "sgln", "instance", _GCP + rf"\.(\d{{0,6}})\.({_A}{{1,20}})",
           _sgln, digits=12),
        _s(_ID + "grai:", "grai", "instance", _GCP + rf"\.(\d{{0,6}})\.({_A}{{1,16}})",
           _grai, digits=12),
        _s(_ID + "giai:", "giai", "instance", _GCP + rf"\.({_A}{{1,24}})", _giai,
           max_total=30),
        _s(_ID + "gsrn:", "gsrn", "instance", _GCP + r"\.(\d{5,11})", _gsrn, digits=17),
        _s(_ID + "gsrnp:", "gsrnp", "instance", _GCP + r"\.(\d{5,11})", _gsrnp, digits=17),
        _s(_ID + "gdti:", "gdti", "instance", _GCP + rf"\.(\d{{0,6}})\.({_A}{{1,17}})",
           _gdti, digits=12),
        _s(_ID + "cpi:", "cpi", "instance", _GCP + rf"\.({_C}{{1,24}})\.([1-9]\d{{0,11}})", _cpi,
           max_total=30),
        _s(_ID + "sgcn:", "sgcn", "instance", _GCP + r"\.(\d{0,6})\.(\d{1,12})", _sgcn,
           digits=12),
        _s(_ID + "ginc:", "ginc", "instance", _GCP + rf"\.({_A}{{1,24}})", _ginc,
           max_total=30),
        _s(_ID + "gsin:", "gsin", "instance", _GCP + r"\.(\d{4,10})", _gsin, digits=16),
        _s(_ID + "itip:", "itip", "instance",
           _GCP + rf"\.(\d{{1,7}})\.(\d\d)\.(\d\d)\.({_A}{{1,20}})", _itip, digits=13,
           check=_itip_check),
        _s(_ID + "upui:", "upui", "instance", _GCP + rf"\.(\d{{1,7}})\.({_A}{{1,28}})", _upui,
           digits=13),
        _s(_ID + "pgln:", "pgln", "instance", _GCP + r"\.(\d{0,6})", _pgln, digits=12),
        _s(_ID + "gid:", "gid", "instance",
           r"(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,7})\.(0|[1-9]\d{0,10})", None, check=_gid_check),
        _s(_ID + "bic:", "bic", "instance", r"([A-Z]{3}[UJZ]\d{7})", None, check=_bic_check),
        _s(_ID + "imovn:", "imovn", "instance", r"(\d{7})", None, check=_imo_check),
        _s(_CLASS + "lgtin:", "lgtin", "class", _GCP + rf"\.(\d{{1,7}})\.({_A}{{1,20}})",
           _lgtin, digits=13),
        _s(_PAT + "sgtin:", "sgtin", "class", _GCP + r"\.(\d{1,7})\.\*", _gtin_only,
           digits=13),
        _s(_PAT + "grai:", "grai", "class", _GCP + r"\.(\d{0,6})\.\*", _grai, digits=12),
        _s(_PAT + "gdti:", "gdti", "class", _GCP + r"\.(\d{0,6})\.\*", _gdti, digits=12),
        _s(_PAT + "sgcn:", "sgcn", "class", _GCP + r"\.(\d{0,6})\.\*", _sgcn, digits=12),
        _s(_PAT + "cpi:", "cpi", "class", _GCP + rf"\.({_C}{{1,24}})\.\*", _cpi,
           max_total=30),
        _s(_PAT + "itip:", "itip", "class", _GCP + r"\.(\d{1,7})\.(\d\d)\.(\d\d)\.\*", _itip,
           digits=13, check=_itip_check),
        _s(_PAT + "upui:", "upui", "class", _GCP + r"\.(\d{1,7})\.\*", _gtin_only, digits=13),
    )
}  # fmt: skip


def _split_urn(urn: str) -> tuple[_Scheme, str] | None:
    if not urn.startswith("urn:epc:"):
        return None
    colon = urn.find(":", 8)
    if colon < 0:
        return None
    colon = urn.find(":", colon + 1)
    scheme = _SCHEMES.get(urn[: colon + 1]) if colon > 0 else None
    if scheme is None:
        return None
    return scheme, urn[colon + 1 :]


def _urn_problem(scheme: _Scheme, groups: tuple[str, ...]) -> str | None:
    if scheme.digits and len(groups[0]) + len(groups[1]) != scheme.digits:
        return (
            f"company prefix ({len(groups[0])} digits) and the reference after it "
            f"({len(groups[1])} digits) must have {scheme.digits} digits together"
        )
    if scheme.max_total and len(groups[0]) + len(_unescape(groups[1])) > scheme.max_total:
        return (
            f"company prefix and reference must have at most {scheme.max_total} characters together"
        )
    if scheme.check is not None:
        return scheme.check(groups)
    return None


def _parse_urn(urn: str) -> tuple[_Scheme, tuple[str, ...]]:
    split = _split_urn(urn)
    if split is None:
        head = urn[: urn.rfind(":") + 1] if urn.startswith("urn:") else urn[:20]
        raise EPCError(
            f"{urn!r}: {head!r} is not a known EPC URN scheme", component=head, rule="scheme"
        )
    scheme, rest = split
    match = scheme.pattern.fullmatch(rest)
    if match is None:
        raise EPCError(
            f"{urn!r}: {scheme.prefix}... must follow the Tag Data Standard grammar of the "
            f"{scheme.name} {'class' if scheme.level == 'class' else 'EPC'} URN "
            "(digit counts, characters and escapes)",
            component=rest,
            rule="URN grammar",
        )
    groups = match.groups()
    problem = _urn_problem(scheme, groups)
    if problem:
        raise EPCError(f"{urn!r}: {problem}", component=rest, rule="URN grammar")
    return scheme, groups


def _pairs_of_urn(urn: str) -> list[tuple[str, str]]:
    scheme, groups = _parse_urn(urn)
    if scheme.to_pairs is None:
        raise EPCError(
            f"{urn!r}: the {scheme.name} scheme has no GS1 Digital Link equivalent",
            component=scheme.prefix,
            rule="no Digital Link form",
        )
    return scheme.to_pairs(groups)


def urn_to_dl(urn: str) -> str:
    """Convert an EPC URN (``urn:epc:id:...``, ``urn:epc:class:lgtin:...``,
    ``urn:epc:idpat:...:*``) to its canonical GS1 Digital Link URI on https://id.gs1.org.

    Check digits are computed; URN escapes are decoded and the value percent-encoded as the
    Digital Link standard asks. Raises :class:`EPCError`.
    """
    if not isinstance(urn, str):
        raise EPCError(f"EPC URN must be a string, not {type(urn).__name__}", rule="type")
    pairs = _pairs_of_urn(urn)
    return CANONICAL_STEM + "".join(f"/{ai}/{digital_link.escape(v)}" for ai, v in pairs)


# --- Digital Link -> URN ----------------------------------------------------------------


def _check_gcp(value: str, gcp_length: int, ai: str, *, offset: int = 0) -> str:
    gcp = value[offset : offset + gcp_length]
    if len(gcp) != gcp_length or not gcp.isdigit() or not gcp.isascii():
        raise EPCError(
            f"AI ({ai}) {value!r}: has no {gcp_length}-digit GS1 Company Prefix "
            f"at position {offset + 1}",
            component=ai,
            rule="company prefix",
        )
    return gcp


def _no_extra(link: digital_link.DigitalLink, allowed: frozenset[str]) -> None:
    for ai, _ in link.qualifiers:
        if ai not in allowed:
            raise EPCError(
                f"AI ({ai}) after ({link.primary_key[0]}) has no EPC URN equivalent",
                component=ai,
                rule="no URN form",
            )


def dl_to_urn(uri: str, *, gcp_length: int) -> str:
    """Convert a GS1 Digital Link URI to its EPC URN.

    ``gcp_length`` is the length of the GS1 Company Prefix inside the key (6 to 12 digits):
    the URN separates it, the Digital Link does not. (01) with (21) gives an SGTIN (a lot or
    CPV beside the serial is not part of it, as in the Tag Data Standard), with (10) an LGTIN
    class, with (235) a UPUI, alone an ``idpat`` SGTIN class; keys without a serial part
    (GRAI, GDTI, GCN, CPID, ITIP) give their ``idpat`` class. Query attributes are ignored.
    Raises :class:`EPCError`.
    """
    if isinstance(gcp_length, bool) or not isinstance(gcp_length, int):
        raise EPCError(
            "gcp_length must be an integer from 6 to 12", component="gcp_length", rule="type"
        )
    if not 6 <= gcp_length <= 12:
        raise EPCError(
            f"gcp_length {gcp_length}: a GS1 Company Prefix has 6 to 12 digits",
            component="gcp_length",
            rule="6..12",
        )
    try:
        link = digital_link.parse(uri)
    except InvalidDigitalLink as exc:
        raise EPCError(
            f"not a GS1 Digital Link URI: {exc}", component=exc.segment, rule=exc.rule
        ) from exc
    ai, value = link.primary_key
    quals = dict(link.qualifiers)
    n = gcp_length
    if ai in ("01", "8006"):
        gcp = _check_gcp(value, n, ai, offset=1)
        body = f"{gcp}.{value[0]}{value[1 + n : 13]}"
        if ai == "8006":
            _no_extra(link, frozenset({"21", "22", "10"}))
            body += f".{value[14:16]}.{value[16:18]}"
            if "21" in quals:
                return f"{_ID}itip:{body}.{_escape(quals['21'])}"
            if "10" in quals:
                raise EPCError(
                    "AI (10) after (8006): an ITIP lot has no EPC URN form",
                    component="10",
                    rule="no URN form",
                )
            return f"{_PAT}itip:{body}.*"
        if "21" in quals:
            return f"{_ID}sgtin:{body}.{_escape(quals['21'])}"
        if "235" in quals:
            return f"{_ID}upui:{body}.{_escape(quals['235'])}"
        if "10" in quals:
            return f"{_CLASS}lgtin:{body}.{_escape(quals['10'])}"
        return f"{_PAT}sgtin:{body}.*"
    if ai == "00":
        gcp = _check_gcp(value, n, ai, offset=1)
        return f"{_ID}sscc:{gcp}.{value[0]}{value[1 + n : 17]}"
    if ai in ("414", "417"):
        _no_extra(link, frozenset({"254"}) if ai == "414" else frozenset())
        gcp = _check_gcp(value, n, ai)
        ref = value[n:12]
        if ai == "417":
            return f"{_ID}pgln:{gcp}.{ref}"
        return f"{_ID}sgln:{gcp}.{ref}.{_escape(quals.get('254', '0'))}"
    if ai in ("8017", "8018", "402"):
        _no_extra(link, frozenset())
        total = 16 if ai == "402" else 17
        gcp = _check_gcp(value, n, ai)
        name = {"8017": "gsrnp", "8018": "gsrn", "402": "gsin"}[ai]
        return f"{_ID}{name}:{gcp}.{value[n:total]}"
    if ai == "8003":
        if value[0] != "0":
            raise EPCError(
                f"AI (8003) {value!r}: a GRAI starts with the digit 0",
                component="8003",
                rule="GRAI",
            )
        gcp = _check_gcp(value, n, ai, offset=1)
        head = f"{gcp}.{value[1 + n : 13]}"
        serial = value[14:]
        return f"{_ID}grai:{head}.{_escape(serial)}" if serial else f"{_PAT}grai:{head}.*"
    if ai in ("253", "255"):
        gcp = _check_gcp(value, n, ai)
        head = f"{gcp}.{value[n:12]}"
        serial = value[13:]
        name = "gdti" if ai == "253" else "sgcn"
        if not serial:
            return f"{_PAT}{name}:{head}.*"
        return f"{_ID}{name}:{head}.{_escape(serial) if ai == '253' else serial}"
    if ai in ("8004", "401"):
        _no_extra(link, frozenset())
        gcp = _check_gcp(value, n, ai)
        if len(value) <= n:
            raise EPCError(
                f"AI ({ai}) {value!r}: nothing follows the {n}-digit company prefix",
                component=ai,
                rule="company prefix",
            )
        return f"{_ID}{'giai' if ai == '8004' else 'ginc'}:{gcp}.{_escape(value[n:])}"
    if ai == "8010":
        gcp = _check_gcp(value, n, ai)
        if len(value) <= n:
            raise EPCError(
                f"AI (8010) {value!r}: nothing follows the {n}-digit company prefix",
                component=ai,
                rule="company prefix",
            )
        head = f"{gcp}.{_escape_cpi(value[n:])}"
        return f"{_ID}cpi:{head}.{quals['8011']}" if "8011" in quals else f"{_PAT}cpi:{head}.*"
    raise EPCError(
        f"AI ({ai}): this GS1 key has no EPC URN scheme", component=ai, rule="no URN form"
    )


# --- classification ---------------------------------------------------------------------

_DL_SCHEMES: Final[dict[str, str]] = {
    "00": "sscc", "414": "sgln", "417": "pgln", "8004": "giai", "8017": "gsrnp",
    "8018": "gsrn", "401": "ginc", "402": "gsin",
}  # fmt: skip
_CACHE_LIMIT: Final = 65536
_MISSING: Final = object()
_CLASSIFY_CACHE: dict[str, EPCInfo | None] = {}


# The common case again, for classification: a unit's Digital Link with no query, fragment
# or percent-escape. It passes exactly the checks digital_link.parse makes of such a URI (the
# same character sets, value checks, qualifier order and AI associations), without the
# parser's general machinery; anything else goes through the parser.
_FAST_DL_SGTIN = re.compile(
    r"(?:https|HTTPS|http|HTTP)://[^/]+(?:/[^?#%]*)?/01/([0-9]{14})"
    r"(?:/22/([^/?#%]+))?(?:/10/([^/?#%]+))?/21/([^/?#%]+)"
)


def _is_plain_sgtin_dl(uri: str) -> bool:
    """True when ``digital_link.parse(uri)`` returns a GTIN with a serial (AI 21)."""
    match = _FAST_DL_SGTIN.fullmatch(uri)
    if match is None or not digital_link._URI_CHARS.issuperset(uri):
        return False
    rest = uri[uri.index("//") + 2 :]
    if not digital_link._BAD_DOMAIN_CHARS.isdisjoint(rest[: rest.index("/")]):
        return False
    gtin, cpv, lot, serial = match.groups()
    pairs = [("01", gtin)]
    if cpv is not None:
        pairs.append(("22", cpv))
    if lot is not None:
        pairs.append(("10", lot))
    pairs.append(("21", serial))
    for ai, value in pairs:
        if value_problem(AI_TABLE[ai], value):
            return False
    ais = tuple(ai for ai, _ in pairs)
    return ais in DL_PATH_SEQUENCES and association_problem(ais) is None


def _classify_dl(uri: str) -> EPCInfo | None:
    if _is_plain_sgtin_dl(uri):
        return EPCInfo("sgtin", "instance", "dl")
    try:
        link = digital_link.parse(uri)
    except InvalidDigitalLink:
        return None
    ai, value = link.primary_key
    quals = {q for q, _ in link.qualifiers}
    if ai == "01":
        if "21" in quals:
            return EPCInfo("sgtin", "instance", "dl")
        if "235" in quals:
            return EPCInfo("upui", "instance", "dl")
        if "10" in quals:
            return EPCInfo("lgtin", "class", "dl")
        return EPCInfo("sgtin", "class", "dl")
    if ai == "8006":
        if "21" in quals:
            return EPCInfo("itip", "instance", "dl")
        return EPCInfo("itip", "class", "dl") if "10" not in quals else None
    if ai == "8003":
        return EPCInfo("grai", "instance" if len(value) > 14 else "class", "dl")
    if ai == "253":
        return EPCInfo("gdti", "instance" if len(value) > 13 else "class", "dl")
    if ai == "255":
        return EPCInfo("sgcn", "instance" if len(value) > 13 else "class", "dl")
    if ai == "8010":
        return EPCInfo("cpi", "instance" if "8011" in quals else "class", "dl")
    name = _DL_SCHEMES.get(ai)
    return EPCInfo(name, "instance", "dl") if name else None


def _classify(uri: str) -> EPCInfo | None:
    split = _split_urn(uri)
    if split is not None:
        scheme, rest = split
        match = scheme.pattern.fullmatch(rest)
        if match is None or _urn_problem(scheme, match.groups()):
            return None
        return EPCInfo(scheme.name, scheme.level, "urn")
    if uri[:4].lower() == "http":
        return _classify_dl(uri)
    return None


def classify(uri: str) -> EPCInfo | None:
    """What EPC ``uri`` is (scheme, instance or class, URN or Digital Link), or ``None`` when
    it is not a valid EPC URN, EPC class URN (``lgtin``, ``idpat``) or GS1 Digital Link URI
    of an EPC. Never raises."""
    if not isinstance(uri, str):
        return None
    hit = _CLASSIFY_CACHE.get(uri, _MISSING)
    if hit is not _MISSING:
        return hit  # type: ignore[return-value]
    try:
        info = _classify(uri)
    except (ShoptraceError, ValueError, TypeError):
        info = None
    if len(_CLASSIFY_CACHE) >= _CACHE_LIMIT:
        _CLASSIFY_CACHE.clear()
    _CLASSIFY_CACHE[uri] = info
    return info


# --- canonical Digital Link for the event hash ------------------------------------------

_HASH_CACHE: dict[str, str | None] = {}

# Characters a value keeps in the event hash's canonical Digital Link: the unreserved ones
# and the sub-delimiters ' ; = that an EPC URN writes unescaped (as the hash algorithm's
# reference vectors do); every other character is percent-encoded.
_HASH_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~';=")
_HASH_ESCAPE = {chr(i): f"%{i:02X}" for i in range(128)}

# Convenience short names of GS1 Digital Link 1.0/1.1 (withdrawn, still met in the field).
_ALPHAS: Final[dict[str, str]] = {
    "gtin": "01", "itip": "8006", "gmn": "8013", "cpid": "8010", "gln": "414", "party": "417",
    "gsrnp": "8017", "gsrn": "8018", "gcn": "255", "sscc": "00", "gdti": "253", "ginc": "401",
    "gsin": "402", "grai": "8003", "giai": "8004", "cpv": "22", "lot": "10", "ser": "21",
    "tpx": "235", "glnx": "254", "cpsn": "8011", "srin": "8019", "uic-ext": "7040",
}  # fmt: skip

# The key qualifiers the hash keeps: the finest level of identification only.
_HASH_QUALIFIERS: Final[dict[str, tuple[tuple[str, ...], ...]]] = {
    "01": (("21",), ("235",), ("10",)),
    "8006": (("21",), ("10",)),
    "414": (("254",),),
    "8010": (("8011",),),
    **{k: () for k in ("00", "253", "255", "401", "402", "417", "8003", "8004", "8017",
                       "8018")},
}  # fmt: skip


def _hash_escape(value: str) -> str:
    if _HASH_SAFE.issuperset(value):
        return value
    out = []
    for ch in value:
        if ch in _HASH_SAFE:
            out.append(ch)
        else:
            out.append(_HASH_ESCAPE.get(ch) or "".join(f"%{b:02X}" for b in ch.encode("utf-8")))
    return "".join(out)


def _hash_path(pairs: list[tuple[str, str]] | tuple[tuple[str, str], ...]) -> str:
    return CANONICAL_STEM + "".join(f"/{ai}/{_hash_escape(v)}" for ai, v in pairs)


def _lenient_dl(uri: str) -> str:
    """``uri`` with withdrawn short names replaced by AIs and one trailing slash dropped."""
    cut = len(uri)
    for mark in ("?", "#"):
        at = uri.find(mark)
        if 0 <= at < cut:
            cut = at
    head = uri.find("/", uri.find("//") + 2)
    if head < 0:
        return uri
    path = uri[head:cut]
    if path.endswith("/"):
        path = path[:-1]
    segs = path.split("/")
    i = len(segs) - 2
    while i >= 1:
        seg = segs[i]
        if seg in _ALPHAS:
            segs[i] = _ALPHAS[seg]
        elif not seg.isdigit():
            break
        i -= 2
    return uri[:head] + "/".join(segs)


# The common case, a unit on some domain (/01/<GTIN>[/22/..][/10/..]/21/<serial>, nothing
# percent-encoded, no query), is recognised without the full Digital Link parser: capture
# meets it for every EPC of every event, and it yields the same canonical form.
_PLAIN = r"[-.~!$&'()*+,;=:@A-Za-z0-9_]{1,20}"
_FAST_SGTIN = re.compile(
    rf"(?:https?|HTTPS?)://([^/?#%]+)(?:/[^?#%]*)?/01/([0-9]{{14}})"
    rf"(?:/22/{_PLAIN})?(?:/10/{_PLAIN})?/21/({_PLAIN})"
)
_BAD_HOST = frozenset("_~?#@!$&'()*+,;=%")
_CSET82_PLAIN = frozenset(
    "!%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
)


def _fast_sgtin(uri: str) -> str | None:
    match = _FAST_SGTIN.fullmatch(uri)
    if match is None:
        return None
    host, gtin, serial = match.groups()
    if not _BAD_HOST.isdisjoint(host) or check_digit(gtin[:13]) != gtin[13]:
        return None
    if not _CSET82_PLAIN.issuperset(uri[match.start(2) :]):
        return None
    return _hash_path([("01", gtin), ("21", serial)])


# The narrowest common cases, for capture: a unit's Digital Link written with characters
# that both ``_is_plain_sgtin_dl`` (classification) and ``_fast_sgtin`` (canonical form)
# accept as they are: a plain host, a path prefix of unreserved characters, values of
# characters that are in GS1 character set 82, in the canonical form's plain set and in a
# URI. Such a URI splits only one way (no value holds a "/", and no segment after the GTIN
# can start another "/01/<14 digits>" tail), so the lazy prefix here finds the split those
# functions' greedy prefixes find, and they see the same GTIN and serial. And SGTIN and SSCC
# URNs written with ASCII digits and, in a serial, no escapes.
_STRICT_VALUE = r"[A-Za-z0-9!&'()*+,.:;=_\-]{1,20}"
_SGTIN_HEAD = (
    r"(?:https?|HTTPS?)://[A-Za-z0-9.:\-]+(?:/[A-Za-z0-9._~/\-]*?)?/01/([0-9]{14})"
    rf"(?:/22/{_STRICT_VALUE})?(?:/10/{_STRICT_VALUE})?"
)
_STRICT_SGTIN = re.compile(rf"{_SGTIN_HEAD}/21/({_STRICT_VALUE})")
"""The plain SGTIN Digital Links; :func:`plain_epc_canonical` matches them in two parts."""
_STRICT_HEAD = re.compile(_SGTIN_HEAD)
_STRICT_SERIAL = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!&'()*+,.:;=_-"
)
"""The characters of ``_STRICT_VALUE``."""
_PLAIN_SERIAL = _STRICT_SERIAL & _HASH_SAFE
"""Serial characters that need no further check and no escaping."""
_STRICT_URN_SGTIN = re.compile(
    r"urn:epc:id:sgtin:([0-9]{6,12})\.([0-9]{1,7})\.([A-Za-z0-9!'()*+,.:;=_\-]{1,20})"
)
_STRICT_URN_SSCC = re.compile(r"urn:epc:id:sscc:([0-9]{6,12})\.([0-9]{5,11})")
_DL_HEADS: dict[str, str | None] = {}
"""The GTIN of each Digital Link head met (``None``: not plain); emptied by clear_caches()."""
_URN_GTINS: dict[str, str] = {}
"""The GTIN of each URN's company prefix and item reference; emptied by clear_caches()."""


def plain_epc_canonical(value: str) -> str | None:
    """The canonical Digital Link of ``value`` when it is a plainly written SGTIN (Digital
    Link or URN) or SSCC (URN), see above; else ``None``, which says nothing (ask
    :func:`classify` and :func:`try_canonical_dl`).

    A value this accepts is certainly an instance-level EPC (:func:`classify` gives an
    ``sgtin`` or ``sscc``) and its canonical form is what :func:`try_canonical_dl` gives;
    capture uses it to check and convert each new EPC with at most one regular expression
    (a Digital Link's head, before the serial, is matched once for all its units).
    """
    if value[:4] == "urn:":
        return _plain_urn(value)
    # _STRICT_SGTIN in two parts: a serial holds no "/", so it is what follows the last one,
    # after "/21"; the head before it (host, GTIN, lot) is the same for many units, so it is
    # matched, and its check digit computed, once.
    cut = value.rfind("/")
    serial = value[cut + 1 :]
    if not 0 < len(serial) <= 20 or not value.endswith("/21", 0, cut):
        return None
    if not _PLAIN_SERIAL.issuperset(serial):
        if not _STRICT_SERIAL.issuperset(serial):
            return None
        serial = _hash_escape(serial)
    gtin = _plain_dl_gtin(value[: cut - 3])
    if gtin is None:
        return None
    return f"{CANONICAL_STEM}/01/{gtin}/21/{serial}"  # _hash_path((("01", gtin), ("21", serial)))


def _plain_dl_gtin(head: str) -> str | None:
    """The GTIN of a plain SGTIN Digital Link's head (``_STRICT_HEAD``, with a right check
    digit), else ``None``; remembered."""
    gtin = _DL_HEADS.get(head, _MISSING)
    if gtin is _MISSING:
        match = _STRICT_HEAD.fullmatch(head)
        gtin = match[1] if match is not None else None
        if gtin is not None and check_digit(gtin[:13]) != gtin[13]:
            gtin = None
        if len(_DL_HEADS) >= _CACHE_LIMIT:
            _DL_HEADS.clear()
        _DL_HEADS[head] = gtin
    return gtin  # type: ignore[return-value]


def _plain_urn(value: str) -> str | None:
    match = _STRICT_URN_SGTIN.fullmatch(value)
    if match is not None:
        gcp, item, serial = match.groups()
        if len(gcp) + len(item) != 13:
            return None
        if not _HASH_SAFE.issuperset(serial):
            serial = _hash_escape(serial)
        return f"{CANONICAL_STEM}/01/{_urn_gtin(gcp, item)}/21/{serial}"  # _hash_path(_sgtin(...))
    match = _STRICT_URN_SSCC.fullmatch(value)
    if match is not None:
        gcp, ref = match.groups()
        if len(gcp) + len(ref) != 17:
            return None
        return f"{CANONICAL_STEM}/00/{_cd(ref[0] + gcp + ref[1:])}"  # _hash_path(_sscc(...))
    return None


def _urn_gtin(gcp: str, item: str) -> str:
    """:func:`_gtin`, remembered: a product's units share its GTIN, and a check digit costs
    more than the rest of a plain URN's conversion."""
    body = item[0] + gcp + item[1:]
    gtin = _URN_GTINS.get(body)
    if gtin is None:
        if len(_URN_GTINS) >= _CACHE_LIMIT:
            _URN_GTINS.clear()
        gtin = _URN_GTINS[body] = _cd(body)
    return gtin


def _canonical_of_dl(uri: str) -> str:
    fast = _fast_sgtin(uri)
    if fast is not None:
        return fast
    try:
        link = digital_link.parse(_lenient_dl(uri), legacy_gtin=True)
    except InvalidDigitalLink as exc:
        raise EPCError(
            f"{uri!r}: not a GS1 Digital Link URI: {exc}", component=exc.segment, rule=exc.rule
        ) from exc
    key = link.primary_key
    keep = _HASH_QUALIFIERS.get(key[0])
    if keep is None:
        return _hash_path(link.path_ais)
    quals = dict(link.qualifiers)
    for choice in keep:
        if all(q in quals for q in choice):
            return _hash_path([key, *((q, quals[q]) for q in choice)])
    return _hash_path([key])


def _canonical(value: str) -> str:
    if value.startswith("urn:epc:"):
        return _hash_path(_pairs_of_urn(value))
    if value[:4].lower() == "http":
        return _canonical_of_dl(value)
    raise EPCError(
        f"{value[:60]!r}: neither an EPC URN nor a GS1 Digital Link URI",
        component=value[:60],
        rule="EPC",
    )


def to_canonical_dl(uri_or_urn: str) -> str:
    """The constrained canonical GS1 Digital Link the EPCIS event hash ID uses.

    EPC URNs are converted; Digital Link URIs are moved to https://id.gs1.org without query
    string, and kept at the finest level of identification only (a serial wins over a lot,
    a CPV is dropped). Withdrawn short names (``/gtin/``) and GTIN-8/12/13 are accepted.
    Values keep ``' ; =`` unescaped, as the hash algorithm's reference vectors write them.
    Raises :class:`EPCError`.
    """
    if not isinstance(uri_or_urn, str):
        raise EPCError(f"identifier must be a string, not {type(uri_or_urn).__name__}", rule="type")
    return _canonical(uri_or_urn)


def clear_caches() -> None:
    """Forget the cached classifications and canonical forms (for measurements that must
    start cold, as a server meeting new identifiers does)."""
    _CLASSIFY_CACHE.clear()
    _HASH_CACHE.clear()
    _DL_HEADS.clear()
    _URN_GTINS.clear()


def try_canonical_dl(value: str) -> str | None:
    """:func:`to_canonical_dl` of ``value``, or ``None`` when ``value`` is not an EPC.

    Results are cached (bounded), so repeated identifiers cost one dictionary lookup.
    """
    hit = _HASH_CACHE.get(value, _MISSING)
    if hit is not _MISSING:
        return hit  # type: ignore[return-value]
    try:
        result: str | None = _canonical(value)
    except EPCError:
        result = None
    if len(_HASH_CACHE) >= _CACHE_LIMIT:
        _HASH_CACHE.clear()
    _HASH_CACHE[value] = result
    return result
