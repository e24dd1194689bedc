"""Digits of other scripts and other Unicode traps never pass the SDK as GS1 data.

Python's ``\\d``, ``str.isdigit()`` and ``int()`` take Arabic-Indic (٠١٢), Devanagari
(०१२) and fullwidth (０１２) digits, and ``isdigit()`` superscripts (²) that ``int()`` then
refuses. Each public function here either gives the right answer or raises the SDK's own
error class, naming the AI or part concerned: never a wrong acceptance, never a stray
``UnicodeEncodeError`` or ``ValueError`` from deep inside.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
import responses
from click.testing import CliRunner

from shoptrace.sdk import digital_link, labels, qr, serials
from shoptrace.sdk.cli import main
from shoptrace.sdk.client import TraceClient
from shoptrace.sdk.epcis import epc
from shoptrace.sdk.epcis.hashing import EPCISHashError, event_hash
from shoptrace.sdk.epcis.validate import EPCISValidationError, is_date_time, validate_event
from shoptrace.sdk.errors import (
    InvalidDigitalLink,
    InvalidElementString,
    LabelError,
    QRError,
    WebhookSignatureError,
)
from shoptrace.sdk.gs1 import (
    check_digit,
    has_valid_check_digit,
    parse_element_string,
    parse_hri,
    validate_value,
)
from shoptrace.sdk.webhooks import construct_event, sign

GTIN = "09506000134352"
KEY = b"k" * 32
_SCRIPTS = {
    "arabic-indic": "٠١٢٣٤٥٦٧٨٩",
    "eastern-arabic": "۰۱۲۳۴۵۶۷۸۹",
    "devanagari": "०१२३४५६७८९",
    "fullwidth": "０１２３４５６７８９",
    "superscript": "⁰¹²³⁴⁵⁶⁷⁸⁹",  # isdigit() but not isdecimal(): int() refuses them
    "mathematical": "𝟎𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗",
}


def _in(script: str, text: str) -> str:
    return text.translate(str.maketrans("0123456789", _SCRIPTS[script]))


def _last_in(script: str, text: str) -> str:
    """``text`` with only its last character (a check digit) in ``script``."""
    return text[:-1] + _in(script, text[-1])


SCRIPTS = sorted(_SCRIPTS)
# A valid value with one foreign character, or a trap around it.
TRAPS = [
    *(f"last-{s}" for s in SCRIPTS),
    *(f"all-{s}" for s in SCRIPTS),
    "combining",  # a combining acute accent after the first digit
    "line-separator",  # U+2028, which str.strip() and \s take for white space
    "ideographic-space",
    "sharp-s",
    "lone-surrogate",
]


def _trap(kind: str, value: str) -> str:
    head, _, script = kind.partition("-")
    if head == "last":
        return _last_in(script, value)
    if head == "all":
        return _in(script, value)
    return {
        "combining": value[:1] + "\u0301" + value[1:],
        "line-separator": value + "\u2028",
        "ideographic-space": value + "\u3000",
        "sharp-s": value[:-1] + "ß",
        "lone-surrogate": value + "\ud800",
    }[kind]


# --- check digits and AI values ----------------------------------------------------------


@pytest.mark.parametrize("script", SCRIPTS)
def test_check_digit_refuses_other_digits_with_its_own_error(script: str) -> None:
    assert check_digit(GTIN[:13]) == GTIN[13]
    with pytest.raises(InvalidElementString) as caught:
        check_digit(_in(script, GTIN[:13]))
    assert caught.value.rule == "numeric"
    with pytest.raises(InvalidElementString):
        check_digit(_last_in(script, GTIN[:13]))


@pytest.mark.parametrize("kind", TRAPS)
def test_a_key_with_a_foreign_character_has_no_valid_check_digit(kind: str) -> None:
    assert has_valid_check_digit(GTIN)
    assert not has_valid_check_digit(_trap(kind, GTIN))


@pytest.mark.parametrize(
    ("ai", "value"),
    [
        ("01", GTIN),
        ("00", "095060001343520000"),
        ("414", "9506000000022"),
        ("11", "250101"),  # YYMMDD: the date linter reads these digits with int()
        ("17", "271231"),
        ("7007", "250101250131"),
        ("3103", "001250"),
        ("10", "LOT42"),
        ("21", "7KQ2M9XH4C8RT"),
        ("8013", "1987654Ad4X4bL5ttr2310c2K"),
    ],
)
@pytest.mark.parametrize("kind", TRAPS)
def test_ai_values_with_foreign_characters_are_refused_naming_the_ai(
    ai: str, value: str, kind: str
) -> None:
    validate_value(ai, value)
    bad = _trap(kind, value)
    if bad == value:  # no digit to change
        return
    with pytest.raises(InvalidElementString) as caught:
        validate_value(ai, bad)
    assert caught.value.ai == ai


@pytest.mark.parametrize("script", SCRIPTS)
def test_element_strings_refuse_other_digits_in_values_and_in_ais(script: str) -> None:
    assert parse_element_string(f"01{GTIN}10LOT42") == [("01", GTIN), ("10", "LOT42")]
    with pytest.raises(InvalidElementString):
        parse_element_string(f"01{_in(script, GTIN)}")
    with pytest.raises(InvalidElementString):
        parse_element_string(f"{_in(script, '01')}{GTIN}")
    with pytest.raises(InvalidElementString):
        parse_hri(f"(01){_last_in(script, GTIN)}")
    with pytest.raises(InvalidElementString, match="unknown Application Identifier"):
        parse_hri(f"({_in(script, '01')}){GTIN}")
    with pytest.raises(InvalidElementString):
        parse_hri(f"(01){GTIN}(17){_in(script, '271231')}")


# --- Digital Link -----------------------------------------------------------------------


def _escaped(value: str) -> str:
    """``value`` percent-encoded as UTF-8, as a browser sends it."""
    return "".join(
        ch if ch.isascii() else "".join(f"%{b:02X}" for b in ch.encode("utf-8", "surrogatepass"))
        for ch in value
    )


@pytest.mark.parametrize("kind", TRAPS)
@pytest.mark.parametrize("legacy", [False, True])
def test_parse_refuses_foreign_characters_raw_or_percent_encoded(kind: str, legacy: bool) -> None:
    good = f"https://id.gs1.org/01/{GTIN}/10/LOT42/21/S1?17=271231"
    assert digital_link.parse(good, legacy_gtin=legacy).gtin == GTIN
    for uri in (
        f"https://id.gs1.org/01/{_trap(kind, GTIN)}/21/S1",
        f"https://id.gs1.org/01/{_escaped(_trap(kind, GTIN))}/21/S1",
        f"https://id.gs1.org/01/{_escaped(_trap(kind, GTIN[1:]))}",  # a GTIN-13
        f"https://id.gs1.org/01/{GTIN}/10/{_escaped(_trap(kind, 'LOT42'))}",
        f"https://id.gs1.org/01/{GTIN}/21/{_escaped(_trap(kind, 'S12'))}",
        f"https://id.gs1.org/01/{GTIN}?17={_escaped(_trap(kind, '271231'))}",
        f"https://id.gs1.org/{_escaped(_trap(kind, '01'))}/{GTIN}",
        f"https://id.gs1.org/414/{_escaped(_trap(kind, '9506000000022'))}",
    ):
        with pytest.raises(InvalidDigitalLink) as caught:
            digital_link.parse(uri, legacy_gtin=legacy)
        assert caught.value.rule, uri
        assert not digital_link.is_valid(uri, legacy_gtin=legacy)


@pytest.mark.parametrize("kind", TRAPS)
def test_build_and_from_ais_refuse_foreign_characters(kind: str) -> None:
    domain = "https://shop.example.com/trace"
    for call in (
        lambda: digital_link.build(domain, _trap(kind, GTIN)),
        lambda: digital_link.build(domain, GTIN, lot=_trap(kind, "LOT42")),
        lambda: digital_link.build(domain, GTIN, serial=_trap(kind, "S12")),
        lambda: digital_link.build(domain, GTIN, attributes={"17": _trap(kind, "271231")}),
        lambda: digital_link.from_ais([("01", _trap(kind, GTIN))]),
        lambda: digital_link.from_ais([("01", GTIN), ("3103", _trap(kind, "001250"))]),
    ):
        with pytest.raises(InvalidDigitalLink):
            call()


def test_escape_encodes_text_and_refuses_a_lone_surrogate() -> None:
    assert digital_link.escape("٤٢") == "%D9%A4%D9%A2"  # UTF-8, not taken for 42
    with pytest.raises(InvalidDigitalLink) as caught:
        digital_link.escape("LOT\ud800")
    assert caught.value.rule == "URI characters"


# --- EPC URNs and the canonical forms ---------------------------------------------------


@pytest.mark.parametrize("kind", TRAPS)
def test_epc_conversions_refuse_foreign_characters(kind: str) -> None:
    urn = "urn:epc:id:sgtin:9506000.013435.S1"
    assert epc.urn_to_dl(urn) == f"https://id.gs1.org/01/{GTIN}/21/S1"
    bad_urns = [
        f"urn:epc:id:sgtin:{_trap(kind, '9506000')}.013435.S1",
        f"urn:epc:id:sgtin:9506000.{_trap(kind, '013435')}.S1",
        f"urn:epc:id:sscc:9506000.{_trap(kind, '0000000001')}",
        f"urn:epc:id:sgln:{_trap(kind, '9506000')}.00002.0",
        f"urn:epc:class:lgtin:9506000.{_trap(kind, '099999')}.L1",
    ]
    bad_links = [
        f"https://id.gs1.org/01/{_trap(kind, GTIN)}/21/S1",
        f"https://id.gs1.org/01/{_escaped(_trap(kind, GTIN))}/21/S1",
        f"https://id.gs1.org/gtin/{_escaped(_trap(kind, GTIN[1:]))}",
    ]
    for value in bad_urns + bad_links:
        assert epc.classify(value) is None, value
        assert epc.try_canonical_dl(value) is None, value
        assert epc.plain_epc_canonical(value) is None, value
        with pytest.raises(epc.EPCError):
            epc.to_canonical_dl(value)
    for value in bad_urns:
        with pytest.raises(epc.EPCError):
            epc.urn_to_dl(value)
    for value in bad_links:
        with pytest.raises(epc.EPCError):
            epc.dl_to_urn(value, gcp_length=7)


# --- EPCIS events -----------------------------------------------------------------------


def _event(**changes: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "ObjectEvent",
        "eventTime": "2025-03-01T08:00:00.000Z",
        "eventTimeZoneOffset": "+08:00",
        "action": "OBSERVE",
        "epcList": ["urn:epc:id:sgtin:9506000.013435.S1"],
        "bizLocation": {"id": "urn:epc:id:sgln:9506000.00002.0"},
    }
    event.update(changes)
    return event


@pytest.mark.parametrize("kind", TRAPS)
@pytest.mark.parametrize(
    ("member", "value", "pointer"),
    [
        ("eventTime", "2025-03-01T08:00:00.000Z", "/eventTime"),
        ("eventTimeZoneOffset", "+08:00", "/eventTimeZoneOffset"),
        ("epcList", "urn:epc:id:sgtin:9506000.013435.S1", "/epcList/0"),
        ("bizLocation", "urn:epc:id:sgln:9506000.00002.0", "/bizLocation/id"),
    ],
)
def test_events_with_foreign_characters_are_invalid_and_unhashable(
    kind: str, member: str, value: str, pointer: str
) -> None:
    validate_event(_event(), in_document=True)
    event_hash(_event())
    bad = _trap(kind, value)
    if bad == value:  # the value ends in a letter
        return
    wrapped = {"epcList": [bad], "bizLocation": {"id": bad}}.get(member, bad)
    event = _event(**{member: wrapped})
    with pytest.raises(EPCISValidationError) as caught:
        validate_event(event, in_document=True)
    assert [where for where, _ in caught.value.problems] == [pointer]
    # The hash reads the time (not the offset, which it leaves out) and, as the reference
    # implementation, trims white space around values: U+2028 and U+3000 are trimmed.
    if member == "eventTime" and kind not in ("line-separator", "ideographic-space"):
        assert not is_date_time(bad)
        with pytest.raises(EPCISHashError):
            event_hash(event)


@pytest.mark.parametrize("script", SCRIPTS)
def test_a_quantity_written_in_other_digits_is_not_a_number(script: str) -> None:
    quantity = {"epcClass": "urn:epc:class:lgtin:9506000.013435.L1", "uom": "KGM"}
    validate_event(
        _event(epcList=[], quantityList=[{**quantity, "quantity": 10}]), in_document=True
    )
    with pytest.raises(EPCISValidationError) as caught:
        validate_event(
            _event(epcList=[], quantityList=[{**quantity, "quantity": _in(script, "10")}]),
            in_document=True,
        )
    assert [p for p, _ in caught.value.problems] == ["/quantityList/0/quantity"]


# --- serials, webhooks, QR codes and labels ---------------------------------------------


@pytest.mark.parametrize("kind", TRAPS)
def test_serials_are_bound_to_ascii_gtins_and_lots_only(kind: str) -> None:
    serial = serials.new_serial(gtin=GTIN, lot="LOT42", key=KEY)
    assert serials.verify(serial, gtin=GTIN, lot="LOT42", key=KEY)
    assert not serials.verify(serial, gtin=_trap(kind, GTIN), lot="LOT42", key=KEY)
    assert not serials.verify(serial, gtin=GTIN, lot=_trap(kind, "LOT42"), key=KEY)
    if _trap(kind, serial) != serial:  # a serial may end in a letter
        assert not serials.verify(_trap(kind, serial), gtin=GTIN, lot="LOT42", key=KEY)
    with pytest.raises(serials.SerialError):
        serials.new_serial(gtin=_trap(kind, GTIN), key=KEY)
    with pytest.raises(serials.SerialError):
        list(serials.generate(2, gtin=GTIN, lot=_trap(kind, "LOT42"), key=KEY))


@pytest.mark.parametrize("script", SCRIPTS)
def test_a_webhook_timestamp_in_other_digits_is_malformed(script: str) -> None:
    secret = "whsec_test_0123456789abcdefghijklmnopqrstuv"
    header = sign(b"{}", secret, timestamp=1_750_000_000)
    assert construct_event(b"{}", header, secret, now=1_750_000_000) == {}
    foreign = header.replace("t=1750000000", "t=" + _in(script, "1750000000"))
    with pytest.raises(WebhookSignatureError) as caught:
        construct_event(b"{}", foreign, secret, now=1_750_000_000)
    assert caught.value.reason == "malformed-header"


def test_qr_codes_take_any_text_but_refuse_a_lone_surrogate() -> None:
    assert qr.matrix("٠١٢").size > 0  # text is text: encoded as UTF-8 bytes
    for make in (qr.matrix, qr.svg, qr.png):
        with pytest.raises(QRError, match="lone surrogate"):
            make(f"https://id.gs1.org/01/{GTIN}/21/S\ud800")


def test_labels_refuse_a_lone_surrogate_in_the_uri_or_a_line() -> None:
    uri = f"https://id.gs1.org/01/{GTIN}/21/S1"
    out = io.BytesIO()
    assert labels.write_labels([labels.Label(uri, ("(01) " + GTIN, "烟台 ٠١"))], out) == 1
    with pytest.raises(LabelError, match="Label.uri"):
        labels.Label(uri + "\ud800")
    with pytest.raises(LabelError, match="Label.lines"):
        labels.Label(uri, ("(10) LOT\udcff",))


def test_the_label_count_header_is_read_as_ascii_digits_only() -> None:
    base = "http://trace.test/trace"
    client = TraceClient("st_k3j9x2ab_" + "S" * 43, base_url=base)
    try:
        with responses.RequestsMock() as mocked:
            for count in ("²", "٣", "1" * 5000):
                mocked.get(
                    base + "/api/v1/batches/7/codes.pdf",
                    body=b"%PDF",
                    content_type="application/pdf",
                    headers={"X-Label-Count": count},
                )
                assert client.codes.labels(7).count == 0
    finally:
        client.close()


# --- the console command ----------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["dl", "parse", f"https://id.gs1.org/01/{_in('arabic-indic', GTIN)}"],
        ["dl", "parse", f"https://id.gs1.org/01/{_escaped(_in('fullwidth', GTIN))}"],
        ["dl", "build", "--domain", "shop.example.com", "--gtin", _in("devanagari", GTIN)],
        ["dl", "build", "--domain", "shop.example.com", "--gtin", GTIN, "--lot", "L\udcff"],
        ["dl", "build", "--domain", "shop.example.com", "--gtin", GTIN, "--attr", "17=٢٧١٢٣١"],
        ["qr", f"https://id.gs1.org/01/{_in('arabic-indic', GTIN)}", "-o", "x.svg"],
        # Bytes of argv that are not UTF-8 arrive as lone surrogates.
        ["qr", "--no-check", f"https://id.gs1.org/01/{GTIN}/21/S\udcff", "-o", "x.svg"],
        ["labels", "--domain", "shop.example.com", "--gtin", _in("fullwidth", GTIN)]
        + ["--count", "1", "-o", "x.pdf"],
        ["labels", "--domain", "shop.example.com", "--gtin", GTIN, "--expiry", "٢٧١٢٣١"]
        + ["--count", "1", "-o", "x.pdf"],
    ],
)
def test_the_command_refuses_foreign_characters_on_one_line(
    args: list[str], tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, (result.output, result.exception)
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert not list(tmp_path.iterdir())


def test_a_signing_key_that_is_not_utf8_is_refused(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LABEL_KEY", "k" * 32 + "\udcff")  # os.environ's form of byte FF
    result = CliRunner().invoke(
        main,
        ["labels", "--domain", "shop.example.com", "--gtin", GTIN, "--count", "1"]
        + ["-o", str(tmp_path / "x.pdf"), "--key-env", "LABEL_KEY"],
    )
    assert result.exit_code == 2, (result.output, result.exception)
    assert "LABEL_KEY: the environment variable is not UTF-8 text" in result.stderr
