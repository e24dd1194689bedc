"""GS1 Digital Link URIs: parse, build and convert (GS1 Digital Link URI Syntax 1.6).

A Digital Link URI carries GS1 identification as a web address::

    https://shop.example.com/trace/01/09506000134352/10/LOT42/21/7KQ2M9XH4C8RT?17=271231
    └─ domain ────────────┘└stem┘└ primary key ───┘└ key qualifiers ───────┘└ attributes ┘

:func:`parse` follows the rules of the GS1 Barcode Syntax Engine with its default options:
any http(s) domain and path stem; the primary key is the right-most ``/AI/value`` pair whose
AI is a primary key, followed only by that key's qualifiers in their order; data attributes
only in the query and only where the AI table allows them; every value checked against its
AI's format and content rules. It raises :class:`~shoptrace.sdk.errors.InvalidDigitalLink`
and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from shoptrace.sdk.errors import InvalidDigitalLink
from shoptrace.sdk.gs1.ai_table import AI_TABLE, DL_PATH_SEQUENCES, AIEntry
from shoptrace.sdk.gs1.element_strings import GS, build_element_string, build_hri
from shoptrace.sdk.gs1.values import association_problem, value_problem

CANONICAL_DOMAIN = "id.gs1.org"
CANONICAL_STEM = "https://id.gs1.org"

_URI_CHARS = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?#[]@!$&'()*+,;=%"
)
_BAD_DOMAIN_CHARS = frozenset("_~?#@!$&'()*+,;=%")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_HEX = "0123456789ABCDEF"
_HEXVAL = {c: i for i, c in enumerate("0123456789abcdef")} | {
    c: i for i, c in enumerate("0123456789ABCDEF")
}
_DIGITS = frozenset("0123456789")
_PATH_ESCAPE = {chr(i): "%" + _HEX[i >> 4] + _HEX[i & 15] for i in range(256)}
_QUERY_ESCAPE = {**_PATH_ESCAPE, " ": "+"}

AIPair = tuple[str, str]


def _fail(message: str, segment: str | None, rule: str) -> InvalidDigitalLink:
    return InvalidDigitalLink(message, segment=segment, rule=rule)


def unescape(text: str, *, query: bool = False) -> str:
    """Reverse percent-encoding the way the GS1 engine does: ``%XX`` becomes the byte XX
    (kept as the character of that code point), an incomplete or non-hex escape stays as it
    is, and in a query component ``+`` stands for a space. ``%00`` is refused."""
    if "%" not in text and not (query and "+" in text):
        return text
    out: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "%" and i + 2 < n and text[i + 1] in _HEXVAL and text[i + 2] in _HEXVAL:
            code = _HEXVAL[text[i + 1]] * 16 + _HEXVAL[text[i + 2]]
            if code == 0:
                raise _fail("percent-decoded value contains NUL (%00)", text, "no NUL")
            out.append(chr(code))
            i += 3
            continue
        out.append(" " if query and ch == "+" else ch)
        i += 1
    return "".join(out)


def escape(value: str, *, query: bool = False) -> str:
    """Percent-encode an AI value for a path segment, or for a query value (space as ``+``).
    Only the unreserved characters ``A-Z a-z 0-9 - . _ ~`` stay as they are."""
    if _UNRESERVED.issuperset(value):
        return value
    table = _QUERY_ESCAPE if query else _PATH_ESCAPE
    return "".join(ch if ch in _UNRESERVED else table.get(ch) or _utf8_escape(ch) for ch in value)


def _utf8_escape(ch: str) -> str:
    try:
        data = ch.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate has no UTF-8 form to percent-encode
        raise _fail(
            f"character {ch!r} is not text (a lone surrogate)", ch, "URI characters"
        ) from None
    return "".join("%" + _HEX[b >> 4] + _HEX[b & 15] for b in data)


def _sequence_rule(key: str) -> str:
    entry = AI_TABLE[key]
    assert entry.dlpkey is not None
    alternatives = [", ".join(f"({q})" for q in alt) for alt in entry.dlpkey if alt]
    if not alternatives:
        return f"primary key ({key}) takes no key qualifiers"
    return f"key qualifiers of ({key}) must be, in this order, a subset of " + " or ".join(
        alternatives
    )


@dataclass(frozen=True, slots=True)
class DigitalLink:
    """A parsed GS1 Digital Link URI. Immutable; build one with :func:`parse`."""

    scheme: str
    domain: str
    stem: str
    """The path before the primary key, without a trailing slash (``""`` when none)."""
    primary_key: AIPair
    qualifiers: tuple[AIPair, ...]
    attributes: tuple[AIPair, ...]
    """Data attributes from the query string, in URI order."""
    params: tuple[tuple[str, str], ...]
    """Query parameters that are not AIs (``linkType``, ``lang``, ...), in URI order, values
    decoded; a parameter without ``=`` has the value ``""``."""
    fragment: str | None = None

    @property
    def ais(self) -> tuple[AIPair, ...]:
        """Every AI: the path AIs in order, then the query AIs in URI order."""
        return (self.primary_key, *self.qualifiers, *self.attributes)

    @property
    def path_ais(self) -> tuple[AIPair, ...]:
        return (self.primary_key, *self.qualifiers)

    def get(self, ai: str) -> str | None:
        """The value of ``ai`` in this link, or ``None``."""
        for a, v in self.ais:
            if a == ai:
                return v
        return None

    def param(self, name: str) -> str | None:
        """The first non-AI query parameter called ``name``, or ``None``."""
        for k, v in self.params:
            if k == name:
                return v
        return None

    @property
    def gtin(self) -> str | None:
        return self.primary_key[1] if self.primary_key[0] == "01" else None

    @property
    def lot(self) -> str | None:
        return self.get("10")

    @property
    def serial(self) -> str | None:
        return self.get("21")

    def _path(self) -> str:
        return "".join(f"/{ai}/{escape(v)}" for ai, v in self.path_ais)

    def _query(self, attributes: Iterable[AIPair], params: Iterable[tuple[str, str]] = ()) -> str:
        parts = [f"{ai}={escape(v, query=True)}" for ai, v in attributes]
        parts += [f"{k}={escape(v, query=True)}" if v else k for k, v in params]
        return "?" + "&".join(parts) if parts else ""

    def uri(self, *, params: bool = True) -> str:
        """This link written out in the standard encoding: AI attributes first, then the
        non-AI parameters (left out with ``params=False``); the fragment is dropped."""
        return f"{self.scheme}://{self.domain}{self.stem}{self._path()}" + self._query(
            self.attributes, self.params if params else ()
        )

    def canonical(self) -> str:
        """The canonical form: on https://id.gs1.org with no stem, the path AIs, the data
        attributes sorted by AI, no other parameters."""
        return CANONICAL_STEM + self._path() + self._query(sorted(self.attributes))

    def with_domain(self, domain: str, stem: str = "") -> str:
        """This link's AIs on another domain and path stem (the same rules as :func:`build`)."""
        scheme, host, clean_stem = _split_base(
            domain if not stem else domain.rstrip("/") + "/" + stem.strip("/")
        )
        return f"{scheme}://{host}{clean_stem}{self._path()}" + self._query(self.attributes)

    def element_string(self, *, separator: str = GS, fnc1_first: bool = False) -> str:
        """The AI data as an unbracketed GS1 element string (FNC1 as ``separator``)."""
        return build_element_string(self.ais, separator=separator, fnc1_first=fnc1_first)

    def hri(self) -> str:
        """The AI data as bracketed text: ``(01)09506000134352(10)LOT42``."""
        return build_hri(self.ais)

    def __str__(self) -> str:
        return self.uri()


def _check_value(entry: AIEntry, value: str, segment: str, where: str) -> None:
    problem = value_problem(entry, value)
    if problem:
        raise _fail(f"{where} {segment!r}: AI ({entry.ai}) {problem}", segment, "AI value")


def _unescape_in(raw: str, segment: str, *, query: bool) -> str:
    try:
        return unescape(raw, query=query)
    except InvalidDigitalLink:
        where = "query parameter" if query else "path segment"
        raise _fail(f"{where} {segment!r}: %00 (NUL) is not allowed", segment, "no NUL") from None


def _pad_gtin(value: str) -> str:
    return value.zfill(14) if len(value) in (8, 12, 13) and _DIGITS.issuperset(value) else value


def parse(uri: str, *, legacy_gtin: bool = False) -> DigitalLink:
    """Parse a GS1 Digital Link URI.

    ``legacy_gtin=True`` accepts GTIN-8, GTIN-12 and GTIN-13 values for AI (01) and pads them
    to 14 digits (the current standard asks for GTIN-14, so this is off by default).
    """
    if not isinstance(uri, str):
        raise _fail(f"URI must be a string, not {type(uri).__name__}", None, "type")
    if not _URI_CHARS.issuperset(uri):
        bad = next(ch for ch in uri if ch not in _URI_CHARS)
        raise _fail(
            f"character {bad!r} at position {uri.index(bad) + 1} is not allowed in a URI "
            "(percent-encode it)",
            bad,
            "URI characters",
        )
    if uri.startswith("https://") or uri.startswith("HTTPS://"):
        scheme, rest = "https", uri[8:]
    elif uri.startswith("http://") or uri.startswith("HTTP://"):
        scheme, rest = "http", uri[7:]
    else:
        head = uri.split("/", 1)[0] or uri
        raise _fail(f"scheme {head!r}: must be http:// or https://", head, "scheme")
    slash = rest.find("/")
    if slash < 1:
        raise _fail(
            "URI needs a domain followed by a path with a primary key",
            rest or uri,
            "domain and path",
        )
    domain = rest[:slash]
    if not _BAD_DOMAIN_CHARS.isdisjoint(domain):
        bad = next(ch for ch in domain if ch in _BAD_DOMAIN_CHARS)
        raise _fail(f"domain {domain!r}: character {bad!r} is not allowed", domain, "domain")
    path = rest[slash:]
    fragment = None
    hash_at = path.find("#")
    if hash_at >= 0:
        path, fragment = path[:hash_at], path[hash_at + 1 :]
    query = None
    q_at = path.find("?")
    if q_at >= 0:
        path, query = path[:q_at], path[q_at + 1 :]

    segs = path[1:].split("/")
    key_at = -1
    stopped_at = None
    i = len(segs) - 2
    while i >= 0:
        entry = AI_TABLE.get(segs[i])
        if entry is None:
            stopped_at = segs[i]
            break
        if entry.dlpkey is not None:
            key_at = i
            break
        i -= 2
    if key_at < 0:
        if stopped_at and _DIGITS.issuperset(stopped_at) and len(stopped_at) <= 4:
            seg = f"/{stopped_at}/{segs[i + 1]}"
            raise _fail(f"path segment {seg!r}: ({stopped_at}) is not a known AI", seg, "known AI")
        raise _fail(
            f"path {path!r}: no GS1 primary key (such as /01/<GTIN>) followed only by its "
            "key qualifiers",
            path,
            "primary key",
        )
    stem = "/" + "/".join(segs[:key_at]) if key_at else ""

    path_pairs: list[AIPair] = []
    for j in range(key_at, len(segs), 2):
        ai = segs[j]
        raw = segs[j + 1]
        if not raw:
            raise _fail(f"path segment /{ai}/: value is empty", f"/{ai}/", "empty value")
        value = _unescape_in(raw, f"/{ai}/{raw}", query=False)
        if legacy_gtin and ai == "01":
            value = _pad_gtin(value)
        _check_value(AI_TABLE[ai], value, f"/{ai}/{raw}", "path segment")
        path_pairs.append((ai, value))
    path_ais = tuple(ai for ai, _ in path_pairs)
    if path_ais not in DL_PATH_SEQUENCES:
        shown = "/" + "/".join(f"{a}/..." for a in path_ais)
        raise _fail(f"path {shown}: {_sequence_rule(path_ais[0])}", shown, "key qualifier order")

    attributes: list[AIPair] = []
    params: list[tuple[str, str]] = []
    if query:
        seen = set(path_ais)
        for part in query.split("&"):
            if not part:
                continue
            eq = part.find("=")
            if eq < 0:
                params.append((unescape(part, query=True), ""))
                continue
            name = part[:eq]
            raw = part[eq + 1 :]
            if not name or not _DIGITS.issuperset(name):
                params.append((unescape(name, query=True), unescape(raw, query=True)))
                continue
            entry = AI_TABLE.get(name)
            if entry is None:
                raise _fail(
                    f"query parameter {part!r}: ({name}) is not a known AI", part, "known AI"
                )
            if not raw:
                raise _fail(f"query parameter {part!r}: value is empty", part, "empty value")
            value = _unescape_in(raw, part, query=True)
            if legacy_gtin and name == "01":
                value = _pad_gtin(value)
            _check_value(entry, value, part, "query parameter")
            if name in seen:
                raise _fail(
                    f"query parameter {part!r}: AI ({name}) appears twice", part, "duplicate AI"
                )
            seen.add(name)
            if not entry.dl_attr:
                raise _fail(
                    f"query parameter {part!r}: AI ({name}) is not permitted as a data attribute",
                    part,
                    "data attribute",
                )
            for k in range(1, len(path_ais) + 1):
                if (*path_ais[:k], name, *path_ais[k:]) in DL_PATH_SEQUENCES:
                    raise _fail(
                        f"query parameter {part!r}: AI ({name}) is a key qualifier of "
                        f"({path_ais[0]}) and belongs in the path",
                        part,
                        "qualifier in path",
                    )
            attributes.append((name, value))

    if attributes or len(path_pairs) > 1:
        problem = association_problem([*path_ais, *(a for a, _ in attributes)])
        if problem:
            raise _fail(f"AI combination: {problem}", None, "AI association")

    return DigitalLink(
        scheme=scheme,
        domain=domain,
        stem=stem,
        primary_key=path_pairs[0],
        qualifiers=tuple(path_pairs[1:]),
        attributes=tuple(attributes),
        params=tuple(params),
        fragment=fragment,
    )


def is_valid(uri: str, *, legacy_gtin: bool = False) -> bool:
    """True when :func:`parse` accepts ``uri``."""
    try:
        parse(uri, legacy_gtin=legacy_gtin)
    except InvalidDigitalLink:
        return False
    return True


def _split_base(domain: str) -> tuple[str, str, str]:
    """Split ``https://host[:port]/stem`` (scheme optional, https assumed) into its parts."""
    if not isinstance(domain, str) or not domain:
        raise _fail("domain must be a non-empty string", None, "domain")
    low = domain[:8].lower()
    if low.startswith("https://"):
        scheme, rest = "https", domain[8:]
    elif low.startswith("http://"):
        scheme, rest = "http", domain[7:]
    elif "://" in domain:
        raise _fail(f"domain {domain!r}: scheme must be http or https", domain, "scheme")
    else:
        scheme, rest = "https", domain
    host, _, stem = rest.partition("/")
    stem = stem.strip("/")
    if not host or not _URI_CHARS.issuperset(host) or not _BAD_DOMAIN_CHARS.isdisjoint(host):
        raise _fail(f"domain {host!r}: not a valid host name", host, "domain")
    if stem and (
        not _URI_CHARS.issuperset(stem) or "?" in stem or "#" in stem or "//" in f"/{stem}/"
    ):
        raise _fail(f"path stem {stem!r}: not a valid URI path", stem, "stem")
    return scheme, host, "/" + stem if stem else ""


def build(
    domain: str,
    gtin: str,
    *,
    cpv: str | None = None,
    lot: str | None = None,
    serial: str | None = None,
    attributes: Mapping[str, str] | Iterable[AIPair] | None = None,
) -> str:
    """Build the Digital Link URI of a product, a lot or a unit on the merchant's domain.

    ``domain`` is a host (``shop.example.com``) or a base URI with a path stem
    (``https://shop.example.com/trace``). The result always parses back to the same AIs.
    """
    scheme, host, stem = _split_base(domain)
    pairs: list[AIPair] = [("01", gtin)]
    if cpv is not None:
        pairs.append(("22", cpv))
    if lot is not None:
        pairs.append(("10", lot))
    if serial is not None:
        pairs.append(("21", serial))
    for ai, value in pairs:
        if not isinstance(value, str):
            raise _fail(f"AI ({ai}) value must be a string", ai, "type")
        _check_value(AI_TABLE[ai], value, value, f"AI ({ai}) value")
    attrs: list[AIPair] = []
    if attributes:
        items = attributes.items() if isinstance(attributes, Mapping) else attributes
        path_ais = tuple(ai for ai, _ in pairs)
        seen = set(path_ais)
        for ai, value in items:
            entry = AI_TABLE.get(ai)
            if entry is None:
                raise _fail(f"attribute ({ai}): not a known AI", ai, "known AI")
            if not entry.dl_attr:
                raise _fail(
                    f"attribute ({ai}): not permitted as a Digital Link data attribute",
                    ai,
                    "data attribute",
                )
            if ai in seen:
                raise _fail(f"attribute ({ai}): appears twice", ai, "duplicate AI")
            if ai in ("22", "10", "21", "235"):
                raise _fail(
                    f"attribute ({ai}): a key qualifier of (01); pass it as a keyword",
                    ai,
                    "qualifier in path",
                )
            if not isinstance(value, str):
                raise _fail(f"attribute ({ai}) value must be a string", ai, "type")
            _check_value(entry, value, value, f"attribute ({ai})")
            seen.add(ai)
            attrs.append((ai, value))
        problem = association_problem([*path_ais, *(a for a, _ in attrs)])
        if problem:
            raise _fail(f"AI combination: {problem}", None, "AI association")
    path = "".join(f"/{ai}/{escape(v)}" for ai, v in pairs)
    query = "&".join(f"{ai}={escape(v, query=True)}" for ai, v in attrs)
    return f"{scheme}://{host}{stem}{path}" + (f"?{query}" if query else "")


def from_ais(pairs: Iterable[AIPair], stem: str | None = None) -> str:
    """Generate a Digital Link URI from AI data, as the GS1 engine does.

    The first AI that is a primary key becomes the key; of its qualifier sequences the one
    matching most of the given AIs is used, in its order; the other AIs become data
    attributes, those of pre-defined length first, each group in the given order. Repeated
    identical AIs collapse; ``stem`` defaults to https://id.gs1.org.
    """
    unique: dict[str, str] = {}
    for ai, value in pairs:
        entry = AI_TABLE.get(ai)
        if entry is None:
            raise _fail(f"({ai}): not a known AI", ai, "known AI")
        if ai in unique and unique[ai] != value:
            raise _fail(f"({ai}): appears twice with different values", ai, "duplicate AI")
        problem = value_problem(entry, value)
        if problem:
            raise _fail(f"({ai}) {value!r}: {problem}", ai, "AI value")
        unique[ai] = value
    key = next((ai for ai in unique if AI_TABLE[ai].dlpkey is not None), None)
    if key is None:
        raise _fail(
            "AI data has no GS1 primary key to build a Digital Link from", None, "primary key"
        )
    dlpkey = AI_TABLE[key].dlpkey
    assert dlpkey is not None
    best = max(dlpkey, key=lambda alt: sum(q in unique for q in alt))
    path = [(key, unique[key])] + [(q, unique[q]) for q in best if q in unique]
    in_path = {ai for ai, _ in path}
    rest = [(ai, v) for ai, v in unique.items() if ai not in in_path]
    for ai, _ in rest:
        if not AI_TABLE[ai].dl_attr:
            raise _fail(
                f"({ai}): not permitted as a Digital Link data attribute", ai, "data attribute"
            )
        path_ais = tuple(a for a, _ in path)
        for k in range(1, len(path_ais) + 1):
            if (*path_ais[:k], ai, *path_ais[k:]) in DL_PATH_SEQUENCES or ai in {
                q for alt in dlpkey for q in alt
            }:
                raise _fail(
                    f"({ai}): a key qualifier of ({key}) that cannot join the others in the path",
                    ai,
                    "key qualifier order",
                )
    problem = association_problem(unique)
    if problem:
        raise _fail(f"AI combination: {problem}", None, "AI association")
    attrs = [p for p in rest if AI_TABLE[p[0]].fixed] + [
        p for p in rest if not AI_TABLE[p[0]].fixed
    ]
    base = (CANONICAL_STEM if stem is None else stem).rstrip("/")
    out = base + "".join(f"/{ai}/{escape(v)}" for ai, v in path)
    if attrs:
        out += "?" + "&".join(f"{ai}={escape(v, query=True)}" for ai, v in attrs)
    return out
