"""GS1 foundations: check digits, character sets, AI values and element strings."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shoptrace.sdk.errors import InvalidElementString
from shoptrace.sdk.gs1 import (
    AI_TABLE,
    PRIMARY_KEYS,
    build_element_string,
    build_hri,
    check_digit,
    has_valid_check_digit,
    is_cset39,
    is_cset64,
    is_cset82,
    parse_element_string,
    parse_hri,
    validate_value,
)
from tests._conformance import conformance_cases


@pytest.mark.parametrize(
    ("body", "digit"),
    [("0950600013435", "2"), ("10614141234567890", "8"), ("1234567", "0"), ("950600013435", "2")],
)
def test_check_digit_known_keys(body: str, digit: str) -> None:
    assert check_digit(body) == digit
    assert has_valid_check_digit(body + digit)
    assert not has_valid_check_digit(body + str((int(digit) + 1) % 10))


@given(st.text("0123456789", min_size=1, max_size=30))
def test_check_digit_detects_every_single_digit_error(body: str) -> None:
    full = body + check_digit(body)
    for i, ch in enumerate(full):
        wrong = str((int(ch) + 1) % 10)
        assert not has_valid_check_digit(full[:i] + wrong + full[i + 1 :])


@given(st.text("0123456789", min_size=1, max_size=40))
def test_check_digit_is_the_weighted_sum_from_the_right(body: str) -> None:
    weights = [3, 1] * len(body)
    total = sum(int(ch) * w for ch, w in zip(reversed(body), weights, strict=False))
    assert check_digit(body) == str((10 - total % 10) % 10)


@pytest.mark.parametrize("bad", ["", "12a4", "١٢٣"])
def test_check_digit_rejects_non_digits(bad: str) -> None:
    with pytest.raises(InvalidElementString, match="digits"):
        check_digit(bad)


def test_character_sets() -> None:
    assert is_cset82("AZaz09!\"%&'()*+,-./:;<=>?_")
    assert not is_cset82("A B") and not is_cset82("#") and not is_cset82("é")
    assert is_cset39("AB-12/#") and not is_cset39("ab")
    assert is_cset64("AbC-_09==") and not is_cset64("A=B") and not is_cset64("AB===")


def test_ai_table_roles() -> None:
    assert {
        "00",
        "01",
        "253",
        "255",
        "414",
        "417",
        "8003",
        "8004",
        "8006",
        "8010",
        "8013",
    } <= PRIMARY_KEYS
    gtin = AI_TABLE["01"]
    assert gtin.fixed and gtin.dl_attr and gtin.format() == "N14"
    assert gtin.dlpkey == (("22", "10", "21"), ("235",))
    assert AI_TABLE["10"].format() == "X..20" and not AI_TABLE["10"].fixed
    assert AI_TABLE["253"].format() == "N13 [X..17]"
    assert not AI_TABLE["21"].dl_attr
    assert all(len(ai) in (2, 3, 4) for ai in AI_TABLE)


@pytest.mark.parametrize(
    ("ai", "value", "message"),
    [
        ("01", "0950600013435", "too short"),
        ("01", "09506000134353", "check digit"),
        ("10", "A" * 21, "too long"),
        ("10", "A B", "character ' '"),
        ("17", "271340", "(?i)date|month"),
        ("8010", "abc", "character 'a'"),
        ("99", "", "empty"),
    ],
)
def test_validate_value_names_ai_and_rule(ai: str, value: str, message: str) -> None:
    with pytest.raises(InvalidElementString, match=message) as info:
        validate_value(ai, value)
    assert info.value.ai == ai
    assert f"({ai})" in str(info.value)


def test_unknown_ai() -> None:
    with pytest.raises(InvalidElementString, match="unknown") as info:
        validate_value("89", "X")
    assert info.value.rule == "known AI"


def test_element_string_round_trip_with_separators() -> None:
    pairs = [("01", "09506000134352"), ("17", "271231"), ("10", "LOT42"), ("21", "SER1")]
    data = build_element_string(pairs)
    assert data == "0109506000134352172712311" + "0LOT42\x1d21SER1"
    assert parse_element_string(data) == pairs
    assert parse_element_string("]d2" + data) == pairs
    assert parse_element_string("\x1d" + data) == pairs
    assert build_element_string(pairs, separator="^", fnc1_first=True).startswith("^01")


def test_hri_round_trip_and_escaped_bracket() -> None:
    pairs = [("01", "09506000134352"), ("10", "A(B")]
    assert build_hri(pairs) == "(01)09506000134352(10)A\\(B"
    assert parse_hri(build_hri(pairs)) == pairs


@pytest.mark.parametrize(
    ("data", "rule"),
    [
        ("", "not empty"),
        ("0109506000134352\x1d", "no trailing FNC1"),
        ("8912345", "known AI"),
        ("01095060001343", "format"),
        ("10LOT\x1d10OTHER", "duplicate AI"),
        ("3103000195", "AI association"),
    ],
)
def test_parse_element_string_errors(data: str, rule: str) -> None:
    with pytest.raises(InvalidElementString) as info:
        parse_element_string(data)
    assert info.value.rule == rule


@pytest.mark.conformance
@pytest.mark.parametrize(
    "case", conformance_cases("digital-link/gs1_syntax_engine_ai_element_strings.json")
)
def test_engine_bracketed_to_element_string_vectors(case: dict[str, Any]) -> None:
    if not case["valid"]:
        with pytest.raises(InvalidElementString):
            parse_hri(case["bracketed_ai_data"], check_associations=False)
        return
    pairs = parse_hri(case["bracketed_ai_data"], check_associations=False)
    expected = case["expected_element_string"]
    assert build_element_string(pairs, separator="^", fnc1_first=True) == expected
    assert parse_element_string(expected, separator="^", check_associations=False) == pairs
