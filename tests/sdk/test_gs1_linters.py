"""GS1 content linters: the GS1 Syntax Dictionary's own vectors, rules from the GS1 General
Specifications case by case, and properties that tie each rule to its definition."""

from __future__ import annotations

import datetime
import string
import urllib.parse
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shoptrace.sdk.gs1 import linters
from shoptrace.sdk.gs1.ai_table import AI_TABLE
from shoptrace.sdk.gs1.charsets import CSET82, is_cset82
from shoptrace.sdk.gs1.check_digits import check_digit, check_pair, has_valid_check_pair
from shoptrace.sdk.gs1.linters import LINTERS
from tests._conformance import conformance_cases

VECTORS = "digital-link/gs1_syntax_dictionary_linter_vectors.json"

_VECTOR_CHECKS = {
    "gs1_lint_csum": lambda v: LINTERS["csum"](v) is None,
    "gs1_lint_csumalpha": lambda v: LINTERS["csumalpha"](v) is None,
    "gs1_lint_cset82": is_cset82,
    "gs1_lint_yymmd0": lambda v: LINTERS["yymmd0"](v) is None,
}


def lint(name: str, value: str) -> str | None:
    return LINTERS[name](value)


# -- The GS1 Syntax Dictionary's unit-test vectors ------------------------------------------


@pytest.mark.conformance
@pytest.mark.parametrize("case", conformance_cases(VECTORS))
def test_syntax_dictionary_vector(case: dict[str, Any]) -> None:
    valid = _VECTOR_CHECKS[case["linter"]](case["input"])
    assert valid is case["valid"], case.get("error")
    if case["linter"] == "gs1_lint_csumalpha":
        assert has_valid_check_pair(case["input"]) is case["valid"]


# -- The table and the registry -------------------------------------------------------------


def test_every_linter_named_in_the_ai_table_is_implemented() -> None:
    named = {name for entry in AI_TABLE.values() for c in entry.components for name in c.linters}
    assert named, "the AI table names no linters"
    assert named - set(LINTERS) == set()


@given(st.sampled_from(sorted(LINTERS)), st.text(max_size=40))
def test_linters_never_raise_and_answer_none_or_a_phrase(name: str, value: str) -> None:
    result = LINTERS[name](value)
    assert result is None or (isinstance(result, str) and result.strip())


# -- Case by case, from the GS1 General Specifications --------------------------------------

CASES: list[tuple[str, str, bool]] = [
    # mod-10 check digit over the whole value
    ("csum", "09506000134352", True),
    ("csum", "09506000134353", False),
    ("csum", "4006381333931", True),
    ("csum", "106141411234567897", True),
    ("csum", "106141411234567890", False),
    ("csum", "0", True),
    ("csum", "", False),
    ("csum", "9506000134352A", False),
    # GMN check character pair
    ("csumalpha", "1987654Ad4X4bL5ttr2310c2K", True),
    ("csumalpha", "1987654Ad4X4bL5ttr2310c2L", False),
    ("csumalpha", "22", True),
    ("csumalpha", "2", False),
    ("csumalpha", "1987654Ad4X4bL5ttr2310 2K", False),
    # GCP at the start (no prefix table: the 4 digits of the shortest GCP)
    ("gcppos1", "9506", True),
    ("gcppos1", "0950600013435", True),
    ("gcppos1", "1234ABC", True),
    ("gcppos1", "123", False),
    ("gcppos1", "12A4567", False),
    ("gcppos2", "09506000134352", True),
    ("gcppos2", "A1234", True),
    ("gcppos2", "01234", True),
    ("gcppos2", "0123", False),
    ("gcppos2", "0A234", False),
    # dates
    ("yymmd0", "250228", True),
    ("yymmd0", "240229", True),
    ("yymmd0", "250229", False),
    ("yymmd0", "250200", True),
    ("yymmd0", "251300", False),
    ("yymmd0", "250431", False),
    ("yymmdd", "250228", True),
    ("yymmdd", "250200", False),
    ("yymmdd", "000229", True),
    ("yymmdd", "991231", True),
    ("yymmdd", "25123", False),
    ("yymmdd", "2512310", False),
    ("yymmdd", "25-231", False),
    ("yyyymmdd", "20240229", True),
    ("yyyymmdd", "20000229", True),
    ("yyyymmdd", "19000229", False),
    ("yyyymmdd", "21000229", False),
    ("yyyymmdd", "20250100", False),
    ("yyyymmdd", "2025013", False),
    ("yyyymmdd", "202501311", False),
    # times
    ("hhmi", "0000", True),
    ("hhmi", "2359", True),
    ("hhmi", "2400", False),
    ("hhmi", "1260", False),
    ("hhmi", "123", False),
    ("hhmi", "12:3", False),
    ("hh", "00", True),
    ("hh", "23", True),
    ("hh", "24", False),
    ("hh", "7", False),
    ("mi", "59", True),
    ("mi", "60", False),
    ("mi", "5a", False),
    ("ss", "00", True),
    ("ss", "59", True),
    ("ss", "60", False),
    ("ss", "005", False),
    # countries and currencies
    ("iso3166", "156", True),
    ("iso3166", "276", True),
    ("iso3166", "840", True),
    ("iso3166", "004", True),
    ("iso3166", "999", False),
    ("iso3166", "000", False),
    ("iso3166", "4", False),
    ("iso3166999", "999", True),
    ("iso3166999", "826", True),
    ("iso3166999", "998", False),
    ("iso3166alpha2", "CN", True),
    ("iso3166alpha2", "DE", True),
    ("iso3166alpha2", "GB", True),
    ("iso3166alpha2", "UK", False),
    ("iso3166alpha2", "EU", False),
    ("iso3166alpha2", "cn", False),
    ("iso4217", "978", True),
    ("iso4217", "840", True),
    ("iso4217", "156", True),
    ("iso4217", "926", True),
    ("iso4217", "924", True),
    ("iso4217", "191", False),
    ("iso4217", "932", False),
    ("iso4217", "000", False),
    ("iso4217", "EUR", False),
    ("iso5218", "0", True),
    ("iso5218", "1", True),
    ("iso5218", "2", True),
    ("iso5218", "9", True),
    ("iso5218", "3", False),
    ("iso5218", "12", False),
    # flags
    ("yesno", "0", True),
    ("yesno", "1", True),
    ("yesno", "2", False),
    ("yesno", "", False),
    ("zero", "0", True),
    ("zero", "1", False),
    ("zero", "00", False),
    ("winding", "0", True),
    ("winding", "1", True),
    ("winding", "9", True),
    ("winding", "2", False),
    ("winding", "01", False),
    # coordinates (AI 4309)
    ("latitude", "0000000000", True),
    ("latitude", "1800000000", True),
    ("latitude", "1800000001", False),
    ("latitude", "180000000", False),
    ("longitude", "3600000000", True),
    ("longitude", "3600000001", False),
    ("longitude", "36000000A0", False),
    # percent-encoding
    ("pcenc", "", True),
    ("pcenc", "100%25%20cotton", True),
    ("pcenc", "%fF", True),
    ("pcenc", "100%", False),
    ("pcenc", "%2", False),
    ("pcenc", "%2G", False),
    ("pcenc", "%20%", False),
    # numbers
    ("nonzero", "0001", True),
    ("nonzero", "10000", True),
    ("nonzero", "000", False),
    ("nonzero", "", False),
    ("nonzero", "1A", False),
    ("nozeroprefix", "", True),
    ("nozeroprefix", "1230", True),
    ("nozeroprefix", "0123", False),
    ("nozeroprefix", "12A", False),
    ("hasnondigit", "ABC123", True),
    ("hasnondigit", "123-", True),
    ("hasnondigit", "123", False),
    ("hasnondigit", "", False),
    ("hyphen", "-", True),
    ("hyphen", "", False),
    ("hyphen", "+", False),
    ("pieceoftotal", "0102", True),
    ("pieceoftotal", "0202", True),
    ("pieceoftotal", "11", True),
    ("pieceoftotal", "0302", False),
    ("pieceoftotal", "0002", False),
    ("pieceoftotal", "0100", False),
    ("pieceoftotal", "010", False),
    ("pieceoftotal", "01a2", False),
    ("posinseqslash", "1/2", True),
    ("posinseqslash", "2/2", True),
    ("posinseqslash", "9/10", True),
    ("posinseqslash", "3/2", False),
    ("posinseqslash", "10/9", False),
    ("posinseqslash", "0/2", False),
    ("posinseqslash", "1/02", False),
    ("posinseqslash", "12", False),
    ("posinseqslash", "1/", False),
    ("posinseqslash", "/1", False),
    ("posinseqslash", "1/2/3", False),
    # EU 2018/574 importer index, package type, AIDC media type
    ("importeridx", "A", True),
    ("importeridx", "z", True),
    ("importeridx", "-", True),
    ("importeridx", "_", True),
    ("importeridx", "7", True),
    ("importeridx", "*", False),
    ("importeridx", "AB", False),
    ("importeridx", "", False),
    ("packagetype", "CT", True),
    ("packagetype", "PX", True),
    ("packagetype", "200", True),
    ("packagetype", "8", True),
    ("packagetype", "X11", True),
    ("packagetype", "ct", False),
    ("packagetype", "00", False),
    ("packagetype", "CTN", False),
    ("mediatype", "01", True),
    ("mediatype", "10", True),
    ("mediatype", "80", True),
    ("mediatype", "99", True),
    ("mediatype", "00", False),
    ("mediatype", "11", False),
    ("mediatype", "79", False),
    ("mediatype", "1", False),
    # IBAN (examples of the IBAN registry and the GS1 reference)
    ("iban", "GB82WEST12345698765432", True),
    ("iban", "DE89370400440532013000", True),
    ("iban", "FR1420041010050500013M02606", True),
    ("iban", "NL91ABNA0417164300", True),
    ("iban", "NO9386011117947", True),
    ("iban", "BE71096123456769", True),
    ("iban", "CH9300762011623852957", True),
    ("iban", "MT84MALT011000012345MTLCAST001S", True),
    ("iban", "LC14BOSL123456789012345678901234", True),
    ("iban", "XK051212012345678906", True),
    ("iban", "GB82WEST12345698765433", False),  # check fails
    ("iban", "GB82WEST1234569876543", False),  # length for GB is 22
    ("iban", "gb82WEST12345698765432", False),
    ("iban", "GB82WEST1234569876543a", False),
    ("iban", "US82WEST12345698765432", False),  # no IBAN in the US
    ("iban", "GBAAWEST12345698765432", False),
    ("iban", "", False),
    # North American coupon code (AI 8110)
    ("couponcode", "012345612345611110123", True),
    ("couponcode", "6" + "061414112345" + "123456" + "2" + "25" + "1" + "1" + "0" + "123", True),
    ("couponcode", "012345612345611110123" + "1" + "2" + "11" + "0" + "456" + "9", True),
    ("couponcode", "012345612345611110123" + "1" + "0" + "11" + "0" + "456" + "0123456", True),
    ("couponcode", "012345612345611110123" + "2" + "11" + "9" + "456" + "9", True),
    ("couponcode", "012345612345611110123" + "3" + "251231" + "4" + "250101", True),
    ("couponcode", "012345612345611110123" + "3" + "250101" + "4" + "251231", False),
    ("couponcode", "012345612345611110123" + "3" + "250229", False),
    ("couponcode", "012345612345611110123" + "3" + "250200", False),
    ("couponcode", "012345612345611110123" + "4" + "2512", False),
    ("couponcode", "012345612345611110123" + "5" + "0" + "123456", True),
    ("couponcode", "012345612345611110123" + "5" + "1" + "123456", False),
    ("couponcode", "012345612345611110123" + "6" + "1" + "1234567", True),
    ("couponcode", "012345612345611110123" + "6" + "0" + "123456", False),
    ("couponcode", "012345612345611110123" + "9" + "0" + "0" + "1" + "1", True),
    ("couponcode", "012345612345611110123" + "9" + "3" + "0" + "1" + "1", False),
    ("couponcode", "012345612345611110123" + "9" + "0" + "3" + "1" + "1", False),
    ("couponcode", "012345612345611110123" + "9" + "0" + "0" + "1" + "2", False),
    ("couponcode", "012345612345611110123" + "9" + "0" + "0" + "1", False),
    ("couponcode", "012345612345611110123" + "1" + "4" + "11" + "0" + "456" + "9", False),
    ("couponcode", "012345612345611110123" + "1" + "0" + "11" + "0" + "456" + "7", False),
    ("couponcode", "012345612345611110123" + "2" + "11" + "5" + "456" + "9", False),
    ("couponcode", "012345612345611110123" + "4" + "250101" + "3" + "251231", False),
    ("couponcode", "012345612345611110123" + "7", False),
    ("couponcode", "712345612345611110123", False),
    ("couponcode", "0123456123456" + "0", False),
    ("couponcode", "0123456123456" + "6" + "123456", False),
    ("couponcode", "0123456123456" + "11" + "6" + "1", False),
    ("couponcode", "0123456123456" + "11" + "11" + "5" + "123", False),
    ("couponcode", "01234561234561111012", False),
    ("couponcode", "01234561234561111012a", False),
    ("couponcode", "", False),
    # positive offer file coupon code (AI 8112)
    ("couponposoffer", "0" + "0" + "614141" + "123456" + "0" + "123456", True),
    ("couponposoffer", "1" + "2" + "06141411" + "123456" + "9" + "123456789012345", True),
    ("couponposoffer", "2" + "0" + "614141" + "123456" + "0" + "123456", False),
    ("couponposoffer", "0" + "7" + "6141411234567" + "123456" + "0" + "123456", False),
    ("couponposoffer", "0" + "1" + "614141" + "123456" + "0" + "123456", False),
    ("couponposoffer", "0" + "0" + "614141" + "12345", False),
    ("couponposoffer", "0" + "0" + "614141" + "123456", False),
    ("couponposoffer", "0" + "0" + "614141" + "123456" + "1" + "123456", False),
    ("couponposoffer", "0" + "0" + "614141" + "123456" + "0" + "1234567", False),
    ("couponposoffer", "0" + "0" + "614141" + "123456" + "0" + "12345X", False),
    ("couponposoffer", "", False),
]


@pytest.mark.parametrize(("name", "value", "valid"), CASES)
def test_linter_case(name: str, value: str, valid: bool) -> None:
    result = lint(name, value)
    if valid:
        assert result is None
    else:
        assert isinstance(result, str) and result


def test_every_linter_has_valid_and_invalid_cases() -> None:
    covered = {(name, valid) for name, _, valid in CASES}
    missing = [(n, v) for n in LINTERS for v in (True, False) if (n, v) not in covered]
    assert missing == []


@pytest.mark.parametrize(
    ("name", "value", "phrase"),
    [
        ("csum", "09506000134353", "incorrect check digit"),
        ("csum", "", "too short"),
        ("csumalpha", "1987654Ad4X4bL5ttr2310c2L", "incorrect check character pair"),
        ("csumalpha", "1" * 98 + "22", "too long"),
        ("yymmd0", "251301", "invalid month (YYMMDD)"),
        ("yymmdd", "250230", "invalid day (YYMMDD)"),
        ("yyyymmdd", "2025013X", "invalid date (YYYYMMDD)"),
        ("iso3166", "999", "not an ISO 3166 numeric country code"),
        ("iso4217", "000", "not an ISO 4217 numeric currency code"),
        ("iban", "GB82WEST12345698765433", "incorrect IBAN check digits"),
        ("iban", "GB82WEST1234569876543", "wrong IBAN length"),
        ("pieceoftotal", "0302", "exceeds"),
        ("couponcode", "012345612345611110123" + "7", "excess data"),
        ("couponposoffer", "0" + "0" + "614141" + "12345", "truncated offer code"),
    ],
)
def test_linter_names_the_rule(name: str, value: str, phrase: str) -> None:
    assert phrase in (lint(name, value) or "")


# -- Code lists -----------------------------------------------------------------------------


def test_country_lists_are_complete_and_paired() -> None:
    assert len(linters.ISO3166_ALPHA2) == 249
    assert len(linters.ISO3166_NUMERIC) == 249
    assert all(len(c) == 2 and c.isascii() and c.isupper() for c in linters.ISO3166_ALPHA2)
    assert all(len(c) == 3 and c.isdigit() for c in linters.ISO3166_NUMERIC)


def test_currency_list_holds_current_codes_only() -> None:
    assert {"978", "840", "156", "826", "392", "999"} <= linters.ISO4217_NUMERIC
    assert linters.ISO4217_NUMERIC.isdisjoint({"191", "931", "932", "694", "000"})
    assert all(len(c) == 3 and c.isdigit() for c in linters.ISO4217_NUMERIC)


def test_iban_countries_have_alpha2_codes() -> None:
    # Kosovo (XK) uses IBAN although it has no ISO 3166-1 code; every other entry must.
    assert set(linters.IBAN_LENGTHS) - linters.ISO3166_ALPHA2 == {"XK"}
    assert all(15 <= n <= 34 for n in linters.IBAN_LENGTHS.values())


# -- Properties -----------------------------------------------------------------------------

digit_strings = st.text(alphabet="0123456789", min_size=1, max_size=17)


@given(digit_strings)
def test_csum_accepts_the_computed_check_digit_only(body: str) -> None:
    good = check_digit(body)
    assert lint("csum", body + good) is None
    for other in "0123456789".replace(good, ""):
        assert lint("csum", body + other) == "incorrect check digit"


@given(st.text(alphabet=sorted(CSET82), max_size=97), st.integers(0, 1), st.data())
def test_csumalpha_accepts_the_computed_pair_only(body: str, which: int, data: Any) -> None:
    pair = check_pair(body)
    assert lint("csumalpha", body + pair) is None
    others = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ".replace(pair[which], "")
    wrong = pair[:which] + data.draw(st.sampled_from(others)) + pair[which + 1 :]
    assert lint("csumalpha", body + wrong) == "incorrect check character pair"


def _real_date(year: int, month: int, day: int) -> bool:
    try:
        datetime.date(year, month, day)
    except ValueError:
        return False
    return True


@given(st.integers(0, 999_999))
def test_yymmdd_is_a_calendar_date(n: int) -> None:
    value = f"{n:06d}"
    yy, mm, dd = int(value[:2]), int(value[2:4]), int(value[4:])
    assert (lint("yymmdd", value) is None) is _real_date(2000 + yy, mm, dd)
    day_zero_ok = dd == 0 and 1 <= mm <= 12
    assert (lint("yymmd0", value) is None) is (_real_date(2000 + yy, mm, dd) or day_zero_ok)


@given(st.integers(1, 9999), st.integers(0, 99), st.integers(0, 99))
def test_yyyymmdd_is_a_calendar_date(year: int, month: int, day: int) -> None:
    value = f"{year:04d}{month:02d}{day:02d}"
    assert (lint("yyyymmdd", value) is None) is _real_date(year, month, day)


@given(st.integers(0, 99), st.integers(0, 99))
def test_hhmi_is_a_time_of_day(hour: int, minute: int) -> None:
    assert (lint("hhmi", f"{hour:02d}{minute:02d}") is None) is (hour < 24 and minute < 60)


@given(st.integers(0, 9_999_999_999))
def test_coordinates_stay_in_range(n: int) -> None:
    value = f"{n:010d}"
    assert (lint("latitude", value) is None) is (n <= 1_800_000_000)
    assert (lint("longitude", value) is None) is (n <= 3_600_000_000)


@given(st.text(max_size=30))
def test_pcenc_accepts_any_percent_encoded_text(text: str) -> None:
    assert lint("pcenc", urllib.parse.quote(text, safe="")) is None


@given(st.integers(1, 4), st.data())
def test_pieceoftotal_and_posinseqslash_order(width: int, data: Any) -> None:
    top = 10**width - 1
    piece = data.draw(st.integers(1, top))
    total = data.draw(st.integers(1, top))
    fine = piece <= total
    assert (lint("pieceoftotal", f"{piece:0{width}d}{total:0{width}d}") is None) is fine
    assert (lint("posinseqslash", f"{piece}/{total}") is None) is fine


_IBAN_BBAN = string.digits + string.ascii_uppercase


def _with_check_digits(country: str, bban: str) -> str:
    rearranged = (bban + country + "00").translate(
        str.maketrans({c: str(10 + i) for i, c in enumerate(string.ascii_uppercase)})
    )
    return f"{country}{98 - int(rearranged) % 97:02d}{bban}"


@given(st.sampled_from(sorted(linters.IBAN_LENGTHS)), st.data())
def test_iban_accepts_computed_check_digits_and_catches_a_changed_digit(
    country: str, data: Any
) -> None:
    size = linters.IBAN_LENGTHS[country] - 4
    bban = data.draw(st.text(alphabet=_IBAN_BBAN, min_size=size, max_size=size))
    good = _with_check_digits(country, bban)
    assert lint("iban", good) is None
    digit_positions = [i for i, c in enumerate(good) if i >= 4 and c.isdigit()]
    if digit_positions:
        i = data.draw(st.sampled_from(digit_positions))
        other = data.draw(st.sampled_from("0123456789".replace(good[i], "")))
        assert lint("iban", good[:i] + other + good[i + 1 :]) is not None


def _digits(n: int) -> st.SearchStrategy[str]:
    return st.text(alphabet="0123456789", min_size=n, max_size=n)


@st.composite
def posoffer_codes(draw: st.DrawFn) -> str:
    funder = draw(st.integers(0, 6))
    serial = draw(st.integers(0, 9))
    return (
        draw(st.sampled_from("01"))
        + str(funder)
        + draw(_digits(funder + 6))
        + draw(_digits(6))
        + str(serial)
        + draw(_digits(serial + 6))
    )


@given(posoffer_codes())
def test_couponposoffer_structure(code: str) -> None:
    assert lint("couponposoffer", code) is None
    assert lint("couponposoffer", code[:-1]) is not None
    assert lint("couponposoffer", code + "0") is not None


@st.composite
def coupon_codes(draw: st.DrawFn) -> str:
    def vli(indicators: str, extra: int, nine_is_empty: bool = False) -> str:
        i = draw(st.sampled_from(indicators))
        return i + draw(_digits(0 if nine_is_empty and i == "9" else int(i) + extra))

    def purchase() -> str:
        return vli("12345", 0) + draw(st.sampled_from("012349")) + draw(_digits(3))

    code = vli("0123456", 6) + draw(_digits(6)) + vli("12345", 0) + purchase()
    if draw(st.booleans()):
        code += (
            "1"
            + draw(st.sampled_from("0123"))
            + purchase()
            + vli("01234569", 6, nine_is_empty=True)
        )
    if draw(st.booleans()):
        code += "2" + purchase() + vli("01234569", 6, nine_is_empty=True)
    start, end = sorted(
        draw(st.dates(datetime.date(2000, 1, 1), datetime.date(2099, 12, 31))).strftime("%y%m%d")
        for _ in range(2)
    )
    if draw(st.booleans()):
        code += "3" + end
    if draw(st.booleans()):
        code += "4" + start
    if draw(st.booleans()):
        code += "5" + vli("0123456789", 6)
    if draw(st.booleans()):
        code += "6" + vli("1234567", 6)
    if draw(st.booleans()):
        code += "9" + draw(st.sampled_from("01256")) + draw(st.sampled_from("012"))
        code += draw(_digits(1)) + draw(st.sampled_from("01"))
    return code


@given(coupon_codes())
def test_couponcode_structure(code: str) -> None:
    assert lint("couponcode", code) is None
    assert lint("couponcode", code[:-1]) is not None
    assert lint("couponcode", code + "0") is not None
