"""EPC URN <-> GS1 Digital Link conversion, classification and the hash's canonical form."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shoptrace.sdk import digital_link
from shoptrace.sdk.epcis.epc import (
    EPCError,
    EPCInfo,
    classify,
    dl_to_urn,
    to_canonical_dl,
    try_canonical_dl,
    urn_to_dl,
)
from shoptrace.sdk.errors import InvalidDigitalLink, ShoptraceError
from shoptrace.sdk.gs1.charsets import CSET39, CSET82

# (URN, canonical Digital Link, GCP length, scheme, level), worked out by hand from the Tag
# Data Standard rules: check digits over indicator/extension + company prefix + reference.
CASES = [
    ("urn:epc:id:sgtin:0614141.107346.2017", "https://id.gs1.org/01/10614141073464/21/2017",
     7, "sgtin", "instance"),
    ("urn:epc:id:sgtin:4012345.011111.9876", "https://id.gs1.org/01/04012345111118/21/9876",
     7, "sgtin", "instance"),
    ("urn:epc:id:sscc:0614141.1234567890", "https://id.gs1.org/00/106141412345678908",
     7, "sscc", "instance"),
    ("urn:epc:id:sgln:0614141.12345.400", "https://id.gs1.org/414/0614141123452/254/400",
     7, "sgln", "instance"),
    ("urn:epc:id:sgln:0614141.12345.0", "https://id.gs1.org/414/0614141123452",
     7, "sgln", "instance"),
    ("urn:epc:id:grai:0614141.12345.400", "https://id.gs1.org/8003/00614141123452400",
     7, "grai", "instance"),
    ("urn:epc:id:giai:0614141.12345400", "https://id.gs1.org/8004/061414112345400",
     7, "giai", "instance"),
    ("urn:epc:id:gsrn:0614141.1234567890", "https://id.gs1.org/8018/061414112345678902",
     7, "gsrn", "instance"),
    ("urn:epc:id:gsrnp:0614141.1234567890", "https://id.gs1.org/8017/061414112345678902",
     7, "gsrnp", "instance"),
    ("urn:epc:id:gdti:0614141.12345.400", "https://id.gs1.org/253/0614141123452400",
     7, "gdti", "instance"),
    ("urn:epc:id:cpi:0614141.123ABC.123456789", "https://id.gs1.org/8010/0614141123ABC/8011/123456789",
     7, "cpi", "instance"),
    ("urn:epc:id:sgcn:4012345.67890.04711", "https://id.gs1.org/255/401234567890104711",
     7, "sgcn", "instance"),
    ("urn:epc:id:ginc:0614141.xyz3311cba", "https://id.gs1.org/401/0614141xyz3311cba",
     7, "ginc", "instance"),
    ("urn:epc:id:gsin:0614141.123456789", "https://id.gs1.org/402/06141411234567890",
     7, "gsin", "instance"),
    ("urn:epc:id:itip:4012345.012345.01.02.987", "https://id.gs1.org/8006/040123451234560102/21/987",
     7, "itip", "instance"),
    ("urn:epc:id:upui:4012345.012345.AB12", "https://id.gs1.org/01/04012345123456/235/AB12",
     7, "upui", "instance"),
    ("urn:epc:id:pgln:0614141.00001", "https://id.gs1.org/417/0614141000012",
     7, "pgln", "instance"),
    ("urn:epc:class:lgtin:4012345.012345.998877", "https://id.gs1.org/01/04012345123456/10/998877",
     7, "lgtin", "class"),
    ("urn:epc:idpat:sgtin:4012345.012345.*", "https://id.gs1.org/01/04012345123456",
     7, "sgtin", "class"),
    ("urn:epc:idpat:grai:0614141.12345.*", "https://id.gs1.org/8003/00614141123452",
     7, "grai", "class"),
    ("urn:epc:idpat:gdti:0614141.12345.*", "https://id.gs1.org/253/0614141123452",
     7, "gdti", "class"),
    ("urn:epc:idpat:sgcn:4012345.67890.*", "https://id.gs1.org/255/4012345678901",
     7, "sgcn", "class"),
    ("urn:epc:idpat:cpi:0614141.123ABC.*", "https://id.gs1.org/8010/0614141123ABC",
     7, "cpi", "class"),
    ("urn:epc:idpat:itip:4012345.012345.01.02.*", "https://id.gs1.org/8006/040123451234560102",
     7, "itip", "class"),
    ("urn:epc:id:sgtin:415056789012.0.987654", "https://id.gs1.org/01/04150567890128/21/987654",
     12, "sgtin", "instance"),
    ("urn:epc:id:pgln:999999999999.", "https://id.gs1.org/417/9999999999994",
     12, "pgln", "instance"),
]  # fmt: skip


@pytest.mark.parametrize(("urn", "dl", "gcp", "scheme", "level"), CASES)
def test_urn_to_dl_and_back(urn: str, dl: str, gcp: int, scheme: str, level: str) -> None:
    assert urn_to_dl(urn) == dl
    assert dl_to_urn(dl, gcp_length=gcp) == urn
    assert classify(urn) == EPCInfo(scheme, level, "urn")
    assert classify(dl) == EPCInfo(scheme, level, "dl")
    assert to_canonical_dl(urn) == to_canonical_dl(dl) == dl


def test_idpat_upui_is_the_gtin_class() -> None:
    dl = urn_to_dl("urn:epc:idpat:upui:4012345.012345.*")
    assert dl == "https://id.gs1.org/01/04012345123456"
    assert classify("urn:epc:idpat:upui:4012345.012345.*") == EPCInfo("upui", "class", "urn")
    assert dl_to_urn(dl, gcp_length=7) == "urn:epc:idpat:sgtin:4012345.012345.*"


# --- URN escaping -----------------------------------------------------------------------


def test_urn_escapes_are_decoded_and_percent_encoded_for_the_link() -> None:
    urn = "urn:epc:id:sgtin:0614141.812345.6789%2F%26%25%22!%3F()"
    assert urn_to_dl(urn) == (
        "https://id.gs1.org/01/80614141123458/21/6789%2F%26%25%22%21%3F%28%29"
    )
    assert dl_to_urn(urn_to_dl(urn), gcp_length=7) == urn


def test_lowercase_escape_hex_is_accepted() -> None:
    assert urn_to_dl("urn:epc:id:sgtin:0614141.812345.A%2fB") == urn_to_dl(
        "urn:epc:id:sgtin:0614141.812345.A%2FB"
    )


@pytest.mark.parametrize(
    "urn",
    [
        "urn:epc:id:sgtin:0614141.812345.A/B",  # "/" must be escaped
        "urn:epc:id:sgtin:0614141.812345.A%41",  # only " % & / < > ? are escaped
        "urn:epc:id:sgtin:0614141.812345.A%2",  # incomplete escape
        "urn:epc:id:sgtin:0614141.812345.A B",  # space is not a GS1 character
        "urn:epc:id:sgtin:0614141.812345.",  # empty serial
        "urn:epc:id:sgtin:0614141.812345.123456789012345678901",  # serial of 21
        "urn:epc:id:sgtin:0614141.81234.1",  # 12 digits, not 13
        "urn:epc:id:sgtin:06141.8123456.1",  # company prefix of 5 digits
        "urn:epc:id:sscc:0614141.123456789",  # 16 digits, not 17
        "urn:epc:id:giai:061414112345.1234567890123456789",  # more than 30 characters
        "urn:epc:id:cpi:0614141.123abc.1",  # CPI reference is upper case
        "urn:epc:id:cpi:0614141.123ABC.0123",  # CPI serial without leading zero
        "urn:epc:id:itip:4012345.012345.03.02.1",  # piece 3 of 2
        "urn:epc:idpat:sgtin:4012345.*.*",  # a pattern, not a class
        "urn:epc:id:xyz:1.2",
        "urn:epc:id",
    ],
)
def test_invalid_urns_raise_and_classify_as_none(urn: str) -> None:
    with pytest.raises(EPCError) as err:
        urn_to_dl(urn)
    assert err.value.rule
    assert urn.split(":")[0] in str(err.value)
    assert classify(urn) is None
    assert try_canonical_dl(urn) is None


def test_epc_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="13 digits"):
        urn_to_dl("urn:epc:id:sgtin:0614141.81234.1")
    assert issubclass(EPCError, ShoptraceError)


# --- schemes without a Digital Link -----------------------------------------------------


@pytest.mark.parametrize(
    ("urn", "scheme"),
    [
        ("urn:epc:id:gid:95100000.12345.400", "gid"),
        ("urn:epc:id:bic:CSQU3054383", "bic"),
        ("urn:epc:id:imovn:9176187", "imovn"),
    ],
)
def test_non_gs1_schemes_classify_but_have_no_link(urn: str, scheme: str) -> None:
    assert classify(urn) == EPCInfo(scheme, "instance", "urn")
    with pytest.raises(EPCError, match="no GS1 Digital Link"):
        urn_to_dl(urn)


@pytest.mark.parametrize(
    "urn",
    ["urn:epc:id:bic:CSQU3054384", "urn:epc:id:imovn:9176188", "urn:epc:id:gid:268435456.1.1"],
)
def test_non_gs1_scheme_checks(urn: str) -> None:
    assert classify(urn) is None


# --- Digital Link -> URN ----------------------------------------------------------------


def test_dl_to_urn_follows_tds_for_serial_lot_and_cpv() -> None:
    dl = "https://shop.example.com/trace/01/09506000134352/22/2A/10/LOT42/21/7KQ2?17=271231"
    assert dl_to_urn(dl, gcp_length=7) == "urn:epc:id:sgtin:9506000.013435.7KQ2"
    assert dl_to_urn("https://id.gs1.org/01/09506000134352/10/L%2F1", gcp_length=9) == (
        "urn:epc:class:lgtin:950600013.0435.L%2F1"
    )


def test_dl_to_urn_escapes_for_the_urn() -> None:
    dl = "https://id.gs1.org/8010/0614141123%23%2F/8011/12"
    assert dl_to_urn(dl, gcp_length=7) == "urn:epc:id:cpi:0614141.123%23%2F.12"
    dl = "https://id.gs1.org/01/04012345123456/21/a%22b%3Cc%3Ed%3Fe"
    assert dl_to_urn(dl, gcp_length=7) == "urn:epc:id:sgtin:4012345.012345.a%22b%3Cc%3Ed%3Fe"


@pytest.mark.parametrize("gcp_length", [5, 13, 0, -1])
def test_gcp_length_out_of_range(gcp_length: int) -> None:
    with pytest.raises(EPCError, match="6 to 12") as err:
        dl_to_urn("https://id.gs1.org/01/04012345123456", gcp_length=gcp_length)
    assert err.value.component == "gcp_length"


def test_gcp_length_must_be_int() -> None:
    with pytest.raises(EPCError, match="gcp_length"):
        dl_to_urn("https://id.gs1.org/01/04012345123456", gcp_length=True)


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("https://id.gs1.org/01/04012345123457", "Digital Link"),  # bad check digit
        ("urn:epc:id:sgtin:4012345.012345.1", "Digital Link"),
        ("https://id.gs1.org/8013/1987654Ad4X4bL5ttr2310c2K", "no EPC URN"),
        ("https://id.gs1.org/8006/040123451234560102/10/L1", "lot has no EPC URN"),
        ("https://id.gs1.org/8018/401234598765400000/8019/12", "(8019)"),
        ("https://id.gs1.org/8004/0614141", "nothing follows"),
    ],
)
def test_dl_to_urn_errors(uri: str, message: str) -> None:
    with pytest.raises(EPCError, match=message.replace("(", r"\(").replace(")", r"\)")):
        dl_to_urn(uri, gcp_length=7)


# --- the hash's canonical Digital Link --------------------------------------------------


@pytest.mark.parametrize(
    ("uri", "canonical"),
    [
        # custom domain and stem, query string, lot beside serial, CPV
        ("https://shop.example.com/trace/01/09506000134352/22/2A/10/L1/21/S1?17=271231",
         "https://id.gs1.org/01/09506000134352/21/S1"),
        ("http://example.com/01/09506000134352/10/L1#top",
         "https://id.gs1.org/01/09506000134352/10/L1"),
        ("https://example.com/01/09506000134352/22/2A", "https://id.gs1.org/01/09506000134352"),
        # withdrawn short names, short GTINs, a trailing slash
        ("https://id.gs1.org/gtin/09780345418913/ser/765tz", "https://id.gs1.org/01/09780345418913/21/765tz"),
        ("https://example.com/gtin/9780345418913", "https://id.gs1.org/01/09780345418913"),
        ("https://example.com/01/09780345418913/", "https://id.gs1.org/01/09780345418913"),
        ("https://example.com/gln/4012345000115/glnx/987", "https://id.gs1.org/414/4012345000115/254/987"),
        # values re-encoded the one canonical way
        ("https://example.com/01/09506000134352/21/a%2fb", "https://id.gs1.org/01/09506000134352/21/a%2Fb"),
        ("https://example.com/01/09506000134352/21/a%27b", "https://id.gs1.org/01/09506000134352/21/a'b"),
        ("https://example.com/01/09506000134352/21/(1)", "https://id.gs1.org/01/09506000134352/21/%281%29"),
        # qualifiers the hash does not keep
        ("https://id.gs1.org/8018/401234598765400000/8019/12", "https://id.gs1.org/8018/401234598765400000"),
        # a key outside the hash's list keeps its path
        ("https://example.com/8013/1987654Ad4X4bL5ttr2310c2K", "https://id.gs1.org/8013/1987654Ad4X4bL5ttr2310c2K"),
    ],
)  # fmt: skip
def test_to_canonical_dl(uri: str, canonical: str) -> None:
    assert to_canonical_dl(uri) == canonical
    assert try_canonical_dl(uri) == canonical


def test_hash_form_keeps_apostrophe_unlike_the_link_canonical() -> None:
    urn = "urn:epc:id:upui:1234567.098765.51qIgY)%3C%26Jp3*j7'SDB"
    assert to_canonical_dl(urn) == (
        "https://id.gs1.org/01/01234567987651/235/51qIgY%29%3C%26Jp3%2Aj7'SDB"
    )
    assert urn_to_dl(urn).endswith("/235/51qIgY%29%3C%26Jp3%2Aj7%27SDB")


@pytest.mark.parametrize(
    "value",
    ["geo:50.94,6.92", "http://transaction.acme.com/po/12345678", "urn:uuid:1", "", "shipping",
     "https://id.gs1.org/01/04012345123457"],
)  # fmt: skip
def test_non_epcs_have_no_canonical_form(value: str) -> None:
    assert try_canonical_dl(value) is None
    with pytest.raises(EPCError):
        to_canonical_dl(value)


def test_non_string_input_raises_epc_error() -> None:
    with pytest.raises(EPCError, match="string"):
        to_canonical_dl(42)  # type: ignore[arg-type]
    with pytest.raises(EPCError, match="string"):
        urn_to_dl(None)  # type: ignore[arg-type]
    assert classify(b"urn:epc:id:sgtin:0614141.107346.2017") is None  # type: ignore[arg-type]


def test_classify_is_strict_about_links() -> None:
    assert classify("https://id.gs1.org/gtin/09780345418913") is None
    assert classify("https://id.gs1.org/01/04012345123457") is None
    assert classify("https://example.com/8013/1987654Ad4X4bL5ttr2310c2K") is None
    assert classify("https://id.gs1.org/8006/040123451234560102/10/L1") is None
    assert classify("https://example.com/x/01/04012345123456/10/L1?17=261231") == EPCInfo(
        "lgtin", "class", "dl"
    )


# --- round trips for every scheme (hypothesis) ------------------------------------------

_URN_ESCAPE = {'"': "%22", "%": "%25", "&": "%26", "/": "%2F", "<": "%3C", ">": "%3E", "?": "%3F"}
_CPI_ESCAPE = {"#": "%23", "/": "%2F"}
GS1_CHARS = "".join(sorted(CSET82))
CPI_CHARS = "".join(sorted(CSET39))


def _esc(raw: str, table: dict[str, str] = _URN_ESCAPE) -> str:
    return "".join(table.get(ch, ch) for ch in raw)


def _digits(n: int) -> st.SearchStrategy[str]:
    return st.text("0123456789", min_size=n, max_size=n)


def _serial(n: int) -> st.SearchStrategy[str]:
    return st.text(GS1_CHARS, min_size=1, max_size=n)


@st.composite
def urns(draw: st.DrawFn) -> tuple[str, int]:
    """A valid EPC URN of any scheme with a Digital Link form, and its GCP length."""
    n = draw(st.integers(6, 12))
    gcp = draw(_digits(n))
    kind = draw(
        st.sampled_from(
            ["sgtin", "sscc", "sgln", "grai", "giai", "gsrn", "gsrnp", "gdti", "cpi", "sgcn",
             "ginc", "gsin", "itip", "upui", "pgln", "lgtin", "p-sgtin", "p-grai", "p-gdti",
             "p-sgcn", "p-cpi", "p-itip"]
        )
    )  # fmt: skip
    item = draw(_digits(13 - n))
    ref12 = draw(_digits(12 - n))
    piece = draw(st.integers(1, 99))
    total = draw(st.integers(piece, 99))
    pt = f"{piece:02d}.{total:02d}"
    cpref = draw(st.text(CPI_CHARS, min_size=1, max_size=30 - n))
    free = draw(st.text(GS1_CHARS, min_size=1, max_size=30 - n))
    cpi_serial = draw(st.integers(1, 10**12 - 1))
    coupon = draw(st.text("0123456789", min_size=1, max_size=12))
    urn = {
        "sgtin": lambda: f"urn:epc:id:sgtin:{gcp}.{item}.{_esc(draw(_serial(20)))}",
        "sscc": lambda: f"urn:epc:id:sscc:{gcp}.{draw(_digits(17 - n))}",
        "sgln": lambda: f"urn:epc:id:sgln:{gcp}.{ref12}.{_esc(draw(_serial(20)))}",
        "grai": lambda: f"urn:epc:id:grai:{gcp}.{ref12}.{_esc(draw(_serial(16)))}",
        "giai": lambda: f"urn:epc:id:giai:{gcp}.{_esc(free)}",
        "gsrn": lambda: f"urn:epc:id:gsrn:{gcp}.{draw(_digits(17 - n))}",
        "gsrnp": lambda: f"urn:epc:id:gsrnp:{gcp}.{draw(_digits(17 - n))}",
        "gdti": lambda: f"urn:epc:id:gdti:{gcp}.{ref12}.{_esc(draw(_serial(17)))}",
        "cpi": lambda: f"urn:epc:id:cpi:{gcp}.{_esc(cpref, _CPI_ESCAPE)}.{cpi_serial}",
        "sgcn": lambda: f"urn:epc:id:sgcn:{gcp}.{ref12}.{coupon}",
        "ginc": lambda: f"urn:epc:id:ginc:{gcp}.{_esc(free)}",
        "gsin": lambda: f"urn:epc:id:gsin:{gcp}.{draw(_digits(16 - n))}",
        "itip": lambda: f"urn:epc:id:itip:{gcp}.{item}.{pt}.{_esc(draw(_serial(20)))}",
        "upui": lambda: f"urn:epc:id:upui:{gcp}.{item}.{_esc(draw(_serial(28)))}",
        "pgln": lambda: f"urn:epc:id:pgln:{gcp}.{ref12}",
        "lgtin": lambda: f"urn:epc:class:lgtin:{gcp}.{item}.{_esc(draw(_serial(20)))}",
        "p-sgtin": lambda: f"urn:epc:idpat:sgtin:{gcp}.{item}.*",
        "p-grai": lambda: f"urn:epc:idpat:grai:{gcp}.{ref12}.*",
        "p-gdti": lambda: f"urn:epc:idpat:gdti:{gcp}.{ref12}.*",
        "p-sgcn": lambda: f"urn:epc:idpat:sgcn:{gcp}.{ref12}.*",
        "p-cpi": lambda: f"urn:epc:idpat:cpi:{gcp}.{_esc(cpref, _CPI_ESCAPE)}.*",
        "p-itip": lambda: f"urn:epc:idpat:itip:{gcp}.{item}.{pt}.*",
    }[kind]()
    return urn, n


@given(urns())
def test_every_scheme_round_trips(case: tuple[str, int]) -> None:
    urn, n = case
    dl = urn_to_dl(urn)
    link = digital_link.parse(dl)
    assert link.canonical() == dl
    assert dl_to_urn(dl, gcp_length=n) == urn
    info = classify(urn)
    assert info is not None and info.form == "urn"
    assert classify(dl) == EPCInfo(info.scheme, info.level, "dl")
    assert to_canonical_dl(urn) == to_canonical_dl(dl)


@given(st.text(max_size=80))
def test_classify_never_raises_on_text(text: str) -> None:
    info = classify(text)
    assert info is None or isinstance(info, EPCInfo)


_PREFIXES = ["urn:epc:id:sgtin:", "urn:epc:id:cpi:", "urn:epc:class:lgtin:",
             "urn:epc:idpat:itip:", "urn:epc:id:gid:", "urn:epc:id:bic:", "https://id.gs1.org/",
             "http://example.com/01/", "https://x/8006/", "HTTPS://a.b/414/"]  # fmt: skip


@given(st.sampled_from(_PREFIXES), st.text("0123456789.%*/#?&=AZaz-'!:", max_size=40))
def test_classify_never_raises_near_valid_input(prefix: str, rest: str) -> None:
    info = classify(prefix + rest)
    if info is not None:
        assert info.level in ("instance", "class")
        assert info.form == ("urn" if prefix.startswith("urn") else "dl")
    assert try_canonical_dl(prefix + rest) is None or info is not None or "http" in prefix


_CSET82_TEXT = st.text(alphabet=st.sampled_from(sorted(CSET82)), min_size=1, max_size=22)


@settings(max_examples=300)
@given(
    serial=_CSET82_TEXT,
    lot=st.none() | _CSET82_TEXT,
    raw=st.booleans(),
    stem=st.sampled_from(["https://id.gs1.org", "https://shop.example.com/trace", "HTTP://a/b"]),
)
def test_fast_unit_path_agrees_with_the_full_parser(
    serial: str, lot: str | None, raw: bool, stem: str
) -> None:
    """The shortcut for /01/<GTIN>/.../21/<serial> gives what the full Digital Link parse gives,
    and declines (None) whatever it cannot decide."""
    from shoptrace.sdk.epcis import epc as epc_module

    lot_part = "" if lot is None else f"/10/{lot if raw else digital_link.escape(lot)}"
    uri = f"{stem}/01/09506000134352{lot_part}/21/{serial if raw else digital_link.escape(serial)}"
    fast = epc_module._fast_sgtin(uri)
    try:
        link = digital_link.parse(uri)
    except InvalidDigitalLink:
        assert fast is None
        return
    slow = epc_module._hash_path([link.primary_key, ("21", link.serial or "")])
    assert fast in (None, slow)
    if all(v is None or v.isalnum() for v in (serial, lot)):
        assert fast == slow
