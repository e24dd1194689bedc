"""Hypothesis properties of the Digital Link parser and builders."""

from __future__ import annotations

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from shoptrace.sdk import digital_link
from shoptrace.sdk.errors import InvalidDigitalLink
from shoptrace.sdk.gs1 import AI_TABLE, DL_PATH_SEQUENCES, check_digit, check_pair
from shoptrace.sdk.gs1.ai_table import Component
from shoptrace.sdk.gs1.charsets import CSET39, CSET64, CSET82
from shoptrace.sdk.gs1.values import association_problem, value_problem

_SETS = {
    "N": "0123456789",
    "X": "".join(sorted(CSET82)),
    "Y": "".join(sorted(CSET39)),
    "Z": "".join(sorted(CSET64 - {"="})),
}


@st.composite
def component_value(draw: st.DrawFn, c: Component) -> str:
    """A value of one component that satisfies its linters (built, not filtered)."""
    if "zero" in c.linters:
        return "0"
    if "importeridx" in c.linters:
        return draw(
            st.sampled_from("-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz")
        )
    if "pieceoftotal" in c.linters:
        total = draw(st.integers(1, 99))
        return f"{draw(st.integers(1, total)):02d}{total:02d}"
    size = c.max_len if c.min_len == c.max_len else draw(st.integers(max(c.min_len, 3), c.max_len))
    alphabet = _SETS[c.cset]
    if "csum" in c.linters:
        body = draw(st.text("0123456789", min_size=size - 1, max_size=size - 1))
        body = "9" + body[1:] if "gcppos1" in c.linters or "gcppos2" in c.linters else body
        return body + check_digit(body)
    if "csumalpha" in c.linters:
        chars = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
        body = "9520" + draw(st.text(chars, min_size=1, max_size=c.max_len - 6))
        return body + check_pair(body)
    text = draw(st.text(alphabet, min_size=size, max_size=size))
    if "nozeroprefix" in c.linters:
        text = "1" + text[1:]
    if c.cset in "XY" and ("gcppos1" in c.linters or "gcppos2" in c.linters):
        text = "9520" + text[4:] if len(text) >= 4 else text
    return text


@st.composite
def ai_value(draw: st.DrawFn, ai: str) -> str:
    entry = AI_TABLE[ai]
    parts = []
    for c in entry.components:
        if c.optional and draw(st.booleans()):
            break
        parts.append(draw(component_value(c)))
    value = "".join(parts)
    assume(value_problem(entry, value) is None)
    return value


# Sequences valid as a path whose AIs may also stand together ((415) alone needs (8020)).
_SEQUENCES = sorted(s for s in DL_PATH_SEQUENCES if association_problem(s) is None)


@st.composite
def path_link(draw: st.DrawFn) -> list[tuple[str, str]]:
    seq = draw(st.sampled_from(_SEQUENCES))
    return [(ai, draw(ai_value(ai))) for ai in seq]


_stems = st.sampled_from(
    ["https://id.gs1.org", "https://shop.example.com/trace", "http://a.b:8080/x/y"]
)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(pairs=path_link(), stem=_stems)
def test_every_key_qualifier_combination_round_trips(
    pairs: list[tuple[str, str]], stem: str
) -> None:
    uri = digital_link.from_ais(pairs, stem)
    link = digital_link.parse(uri)
    assert list(link.ais) == pairs
    assert link.uri() == uri
    assert digital_link.parse(link.canonical()).ais == link.ais


_values = st.text(_SETS["X"], min_size=1, max_size=20)


@settings(max_examples=300)
@given(
    body=st.text("0123456789", min_size=13, max_size=13),
    cpv=st.none() | _values,
    lot=st.none() | _values,
    serial=st.none() | _values,
    stem=_stems,
)
def test_build_output_parses_back_to_the_same_ais(
    body: str, cpv: str | None, lot: str | None, serial: str | None, stem: str
) -> None:
    gtin = body + check_digit(body)
    uri = digital_link.build(stem, gtin, cpv=cpv, lot=lot, serial=serial)
    link = digital_link.parse(uri)
    expected = [("01", gtin)] + [
        (ai, v) for ai, v in (("22", cpv), ("10", lot), ("21", serial)) if v is not None
    ]
    assert list(link.ais) == expected


def _parse_only_raises_invalid(text: str) -> None:
    try:
        link = digital_link.parse(text)
    except InvalidDigitalLink as exc:
        assert str(exc)
    else:
        assert link.primary_key[0] in AI_TABLE


@settings(max_examples=500)
@given(st.text())
def test_parse_of_arbitrary_text_raises_only_invalid_digital_link(text: str) -> None:
    _parse_only_raises_invalid(text)


_uri_alphabet = st.sampled_from(
    list("0123456789/?&=%+#:.aAzZ-_~") + ["01", "10", "21", "%00", "%2F"]
)


@settings(max_examples=500)
@given(
    tail=st.lists(_uri_alphabet, max_size=30).map("".join),
    head=st.sampled_from(
        ["https://a/", "http://a/01/09506000134352", "https://a/01/09506000134352/", "HTTPS://x/"]
    ),
)
def test_parse_of_uri_like_text_raises_only_invalid_digital_link(head: str, tail: str) -> None:
    _parse_only_raises_invalid(head + tail)
