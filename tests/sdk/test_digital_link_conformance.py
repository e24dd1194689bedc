"""The GS1 Barcode Syntax Engine's Digital Link vectors: every default-option case passes."""

from __future__ import annotations

from typing import Any

import pytest

from shoptrace.sdk import digital_link
from shoptrace.sdk.errors import InvalidDigitalLink
from shoptrace.sdk.gs1 import parse_element_string, parse_hri
from tests._conformance import conformance_cases

DL = "digital-link/"
# shoptrace offers the engine's defaults plus legacy_gtin (permitZeroSuppressedGTIN); cases
# that need other engine options (deprecated convenience alphas, unknown AIs) are not run.
SUPPORTED_OPTIONS = {"permitZeroSuppressedGTIN"}


def _default_options(case: dict[str, Any]) -> bool:
    return not set(case.get("parser_options") or case.get("options") or {}) - SUPPORTED_OPTIONS


@pytest.mark.conformance
@pytest.mark.parametrize(
    "case", conformance_cases(DL + "gs1_syntax_engine_dl_parse.json", where=_default_options)
)
def test_engine_parse_vectors(case: dict[str, Any]) -> None:
    legacy = bool(case["parser_options"].get("permitZeroSuppressedGTIN"))
    if not case["valid"]:
        with pytest.raises(InvalidDigitalLink):
            digital_link.parse(case["uri"], legacy_gtin=legacy)
        return
    link = digital_link.parse(case["uri"], legacy_gtin=legacy)
    assert [list(p) for p in link.ais] == case["expected_ais"]
    assert link.element_string(separator="^", fnc1_first=True) == case["expected_element_string"]


@pytest.mark.conformance
@pytest.mark.parametrize(
    "case", conformance_cases(DL + "gs1_syntax_engine_dl_generate.json", where=_default_options)
)
def test_engine_generate_vectors(case: dict[str, Any]) -> None:
    if "input_dl_uri" in case:
        produced = digital_link.parse(case["input_dl_uri"]).with_domain(case["stem"])
        assert produced == case["expected_uri"]
        return
    data = case["ai_data"]
    if data.startswith("("):
        pairs = parse_hri(data, check_associations=False)
    else:  # unbracketed, "^" = FNC1, "|" between the linear and 2D parts of a composite
        pairs = [p for part in data.split("|") for p in parse_element_string(part, separator="^")]
    if not case["valid"]:
        with pytest.raises(InvalidDigitalLink):
            digital_link.from_ais(pairs, case["stem"])
        return
    uri = digital_link.from_ais(pairs, case["stem"])
    assert uri == case["expected_uri"]
    if uri.startswith("http"):
        assert dict(digital_link.parse(uri).ais) == dict(pairs)


@pytest.mark.conformance
@pytest.mark.parametrize(
    "case", conformance_cases(DL + "gs1_syntax_engine_uri_percent_encoding.json")
)
def test_engine_percent_encoding_vectors(case: dict[str, Any]) -> None:
    if case["direction"] == "escape":
        assert digital_link.escape(case["input"]) == case["path_component"]
        assert digital_link.escape(case["input"], query=True) == case["query_component"]
    elif case.get("rejected"):
        with pytest.raises(InvalidDigitalLink, match="NUL"):
            digital_link.unescape(case["input"])
    else:
        assert digital_link.unescape(case["input"]) == case["path_component"]
        assert digital_link.unescape(case["input"], query=True) == case["query_component"]


@pytest.mark.conformance
@pytest.mark.parametrize(
    "case",
    # biip's "date verification off" option has no shoptrace equivalent: dates are checked.
    conformance_cases(
        DL + "biip_dl_vectors.json", "parse_valid", where=lambda c: not c.get("config")
    ),
)
def test_biip_valid_vectors_with_legacy_gtins(case: dict[str, Any]) -> None:
    link = digital_link.parse(case["uri"], legacy_gtin=True)
    assert [list(p) for p in link.ais] == case["expected_ais"]


@pytest.mark.conformance
@pytest.mark.parametrize("case", conformance_cases(DL + "biip_dl_vectors.json", "parse_invalid"))
def test_biip_invalid_vectors(case: dict[str, Any]) -> None:
    with pytest.raises(InvalidDigitalLink):
        digital_link.parse(case["uri"], legacy_gtin=True)


@pytest.mark.conformance
@pytest.mark.parametrize("case", conformance_cases(DL + "biip_dl_vectors.json", "as_canonical_uri"))
def test_biip_canonical_and_hri_vectors(case: dict[str, Any]) -> None:
    link = digital_link.parse(case["uri"], legacy_gtin=True)
    assert link.canonical() == case["expected"]


@pytest.mark.conformance
@pytest.mark.parametrize(
    "case", conformance_cases(DL + "biip_dl_vectors.json", "as_gs1_message_hri")
)
def test_biip_hri_vectors(case: dict[str, Any]) -> None:
    assert digital_link.parse(case["uri"], legacy_gtin=True).hri() == case["expected"]


@pytest.mark.conformance
@pytest.mark.parametrize(
    "case", conformance_cases(DL + "biip_dl_vectors.json", "from_element_strings")
)
def test_biip_element_string_to_uri(case: dict[str, Any]) -> None:
    uri = digital_link.from_ais(parse_hri(case["element_strings_hri"]))
    assert uri == case["expected_uri"]


@pytest.mark.conformance
@pytest.mark.parametrize(
    "seq", conformance_cases(DL + "dl_key_qualifier_sequences.json", "valid_sequences_from_tests")
)
def test_every_valid_key_qualifier_sequence_is_known(seq: list[str]) -> None:
    from shoptrace.sdk.gs1 import DL_PATH_SEQUENCES

    assert tuple(seq) in DL_PATH_SEQUENCES
