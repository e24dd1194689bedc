"""GS1 Digital Link parse and build, written from the GS1 Digital Link URI Syntax standard."""

from __future__ import annotations

import dataclasses

import pytest

from shoptrace.sdk import digital_link
from shoptrace.sdk.errors import InvalidDigitalLink

GTIN = "09506000134352"
BASE = "https://shop.example.com/trace"


def test_parse_unit_on_merchant_domain() -> None:
    link = digital_link.parse(f"{BASE}/01/{GTIN}/10/LOT42/21/7KQ2M9XH4C8RT?17=271231&lang=zh-CN")
    assert link.scheme == "https"
    assert link.domain == "shop.example.com"
    assert link.stem == "/trace"
    assert link.primary_key == ("01", GTIN)
    assert link.qualifiers == (("10", "LOT42"), ("21", "7KQ2M9XH4C8RT"))
    assert link.attributes == (("17", "271231"),)
    assert link.params == (("lang", "zh-CN"),)
    assert link.ais == (("01", GTIN), ("10", "LOT42"), ("21", "7KQ2M9XH4C8RT"), ("17", "271231"))
    assert (link.gtin, link.lot, link.serial) == (GTIN, "LOT42", "7KQ2M9XH4C8RT")
    assert link.param("lang") == "zh-CN"
    assert link.param("linkType") is None


def test_outputs_of_a_parsed_link() -> None:
    link = digital_link.parse(f"{BASE}/01/{GTIN}/10/A%2FB?99=X%2BY&linkType=gs1:pip#frag")
    assert link.fragment == "frag"
    assert link.qualifiers == (("10", "A/B"),)
    assert link.attributes == (("99", "X+Y"),)
    assert link.uri() == f"{BASE}/01/{GTIN}/10/A%2FB?99=X%2BY&linkType=gs1%3Apip"
    assert link.uri(params=False) == f"{BASE}/01/{GTIN}/10/A%2FB?99=X%2BY"
    assert link.canonical() == f"https://id.gs1.org/01/{GTIN}/10/A%2FB?99=X%2BY"
    assert link.element_string() == f"01{GTIN}10A/B\x1d99X+Y"
    assert link.element_string(separator="^", fnc1_first=True) == f"^01{GTIN}10A/B^99X+Y"
    assert link.hri() == f"(01){GTIN}(10)A/B(99)X+Y"
    assert str(link) == link.uri()


def test_canonical_sorts_attributes_and_drops_stem_and_params() -> None:
    link = digital_link.parse(f"{BASE}/01/{GTIN}?3103=000195&17=271231&linkType=all")
    assert link.canonical() == f"https://id.gs1.org/01/{GTIN}?17=271231&3103=000195"


def test_digital_link_is_immutable() -> None:
    link = digital_link.parse(f"{BASE}/01/{GTIN}")
    with pytest.raises(dataclasses.FrozenInstanceError):
        link.domain = "evil.example"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("uri", "segment", "rule"),
    [
        (f"ftp://a/01/{GTIN}", "ftp:", "scheme"),
        (f"{BASE}/01/09506000134353", "/01/09506000134353", "AI value"),
        (f"{BASE}/01/{GTIN}/21/ABC/10/LOT", "/01/.../21/.../10/...", "key qualifier order"),
        (f"{BASE}/01/{GTIN}/235/X/10/LOT", "/01/.../235/.../10/...", "key qualifier order"),
        (f"{BASE}/01/{GTIN}/", f"/trace/01/{GTIN}/", "primary key"),
        (f"{BASE}/01/{GTIN}/10/", "/10/", "empty value"),
        (f"{BASE}/01/{GTIN}?17=", "17=", "empty value"),
        (f"{BASE}/01/{GTIN}?17=271231&17=271231", "17=271231", "duplicate AI"),
        (f"{BASE}/01/{GTIN}?21=ABC", "21=ABC", "data attribute"),
        (f"{BASE}/01/{GTIN}?10=LOT", "10=LOT", "qualifier in path"),
        (f"{BASE}/01/{GTIN}?89=X", "89=X", "known AI"),
        (f"{BASE}/01/{GTIN}?17=271340", "17=271340", "AI value"),
        (f"{BASE}/01/{GTIN}/10/LOT%00", "/10/LOT%00", "no NUL"),
        (f"{BASE}/01/{GTIN}/10/L%C3%96T", "/10/L%C3%96T", "AI value"),
        (f"{BASE}/01/{GTIN}?8200=https%3A%2F%2Fx", "8200=https%3A%2F%2Fx", "data attribute"),
        (f"{BASE}/00/106141412345678908?37=5", None, "AI association"),
        ("https://sh_op.example/01/09506000134352", "sh_op.example", "domain"),
        ("https://shop.example.com/01/095060001343 52", " ", "URI characters"),
    ],
)
def test_invalid_uris_name_the_segment_and_rule(uri: str, segment: str | None, rule: str) -> None:
    with pytest.raises(InvalidDigitalLink) as info:
        digital_link.parse(uri)
    assert info.value.rule == rule
    assert info.value.segment == segment
    if segment:
        assert segment.strip() in str(info.value) or repr(segment) in str(info.value)


def test_invalid_digital_link_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        digital_link.parse("not a uri")


@pytest.mark.parametrize("junk", [None, 42, b"https://a/01/09506000134352", ["x"]])
def test_non_string_input_raises_invalid_digital_link(junk: object) -> None:
    with pytest.raises(InvalidDigitalLink, match="must be a string"):
        digital_link.parse(junk)  # type: ignore[arg-type]


def test_legacy_gtin_pads_short_gtins_only_when_asked() -> None:
    uri = "https://example.com/01/9506000134352"
    with pytest.raises(InvalidDigitalLink, match="too short"):
        digital_link.parse(uri)
    assert digital_link.parse(uri, legacy_gtin=True).gtin == GTIN
    assert digital_link.parse("https://a/01/96385074", legacy_gtin=True).gtin == "00000096385074"


def test_path_stem_may_contain_ai_like_segments() -> None:
    link = digital_link.parse(f"https://a/10/x/01/{GTIN}/21/S1")
    assert link.stem == "/10/x"
    assert link.ais == (("01", GTIN), ("21", "S1"))


def test_plus_is_literal_in_path_and_space_in_query() -> None:
    link = digital_link.parse(f"https://a/01/{GTIN}/10/A+B?99=C%2BD")
    assert link.lot == "A+B"
    assert link.get("99") == "C+D"


def test_other_primary_keys() -> None:
    sscc = digital_link.parse("https://a/00/106141412345678908?02=00614141123452&37=25")
    assert sscc.primary_key == ("00", "106141412345678908")
    gln = digital_link.parse("https://a/414/9520123456788/254/32a%2Fb")
    assert gln.qualifiers == (("254", "32a/b"),)
    giai = digital_link.parse("https://a/8004/9520614141234567")
    assert giai.primary_key == ("8004", "9520614141234567")


def test_build_unit_lot_product() -> None:
    assert digital_link.build("shop.example.com", GTIN) == f"https://shop.example.com/01/{GTIN}"
    assert (
        digital_link.build(BASE + "/", GTIN, lot="LOT/42", serial="7KQ2M9XH4C8RT")
        == f"{BASE}/01/{GTIN}/10/LOT%2F42/21/7KQ2M9XH4C8RT"
    )
    assert (
        digital_link.build(
            "http://a.example/x/y", GTIN, cpv="2A", lot="L/1", attributes={"17": "271231"}
        )
        == f"http://a.example/x/y/01/{GTIN}/22/2A/10/L%2F1?17=271231"
    )
    uri = digital_link.build(BASE, GTIN, lot="L+1", attributes=[("99", "a&b"), ("3103", "000195")])
    assert uri == f"{BASE}/01/{GTIN}/10/L%2B1?99=a%26b&3103=000195"
    assert digital_link.parse(uri).ais == (
        ("01", GTIN),
        ("10", "L+1"),
        ("99", "a&b"),
        ("3103", "000195"),
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"gtin": "123"}, "AI (01)"),
        ({"gtin": GTIN, "lot": ""}, "AI (10)"),
        ({"gtin": GTIN, "lot": "x" * 21}, "too long"),
        ({"gtin": GTIN, "serial": "ä"}, "character 'ä'"),
        (
            {"gtin": GTIN, "attributes": {"21": "X"}},
            "not permitted as a Digital Link data attribute",
        ),
        ({"gtin": GTIN, "attributes": {"10": "X"}}, "key qualifier"),
        ({"gtin": GTIN, "attributes": {"17": "991340"}}, "attribute (17)"),
        ({"gtin": GTIN, "attributes": {"89": "X"}}, "not a known AI"),
        ({"gtin": GTIN, "attributes": {"250": "X"}}, "requires"),
    ],
)
def test_build_rejects_bad_values(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidDigitalLink, match=message.replace("(", r"\(").replace(")", r"\)")):
        digital_link.build(BASE, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("domain", ["", "ftp://x.example", "bad_host.example", "x.example/a?b"])
def test_build_rejects_bad_domains(domain: str) -> None:
    with pytest.raises(InvalidDigitalLink):
        digital_link.build(domain, GTIN)


def test_with_domain_moves_a_link() -> None:
    link = digital_link.parse(f"https://id.gs1.org/01/{GTIN}/21/X?17=271231&linkType=all")
    assert link.with_domain("https://shop.example.com", "trace") == (
        f"https://shop.example.com/trace/01/{GTIN}/21/X?17=271231"
    )


def test_from_ais_chooses_key_and_orders_like_the_engine() -> None:
    pairs = [("21", "S"), ("17", "271231"), ("01", GTIN), ("99", "Z"), ("10", "L")]
    assert digital_link.from_ais(pairs, "https://a.example") == (
        f"https://a.example/01/{GTIN}/10/L/21/S?17=271231&99=Z"
    )
    with pytest.raises(InvalidDigitalLink, match="no GS1 primary key"):
        digital_link.from_ais([("99", "Z")])


def test_is_valid() -> None:
    assert digital_link.is_valid(f"{BASE}/01/{GTIN}")
    assert not digital_link.is_valid(f"{BASE}/01/{GTIN}/99/x")
