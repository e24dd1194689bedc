"""Tests for shoptrace.sdk.serials: format, distinctness, uniformity, check tags, validation."""

from __future__ import annotations

import hashlib
import hmac
import tracemalloc
from collections import Counter
from collections.abc import Iterable
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shoptrace.sdk import serials
from shoptrace.sdk.errors import ShoptraceError
from shoptrace.sdk.gs1.charsets import CSET82
from shoptrace.sdk.serials import (
    ALPHABET,
    SerialError,
    generate,
    is_valid_format,
    new_key,
    new_serial,
    verify,
)

GTIN = "09506000134352"
OTHER_GTIN = "09506000134369"
KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))

# Chi-square with 31 degrees of freedom has mean 31 and standard deviation 7.9; 100 is
# about 8.7 standard deviations out (p < 1e-9), loose enough never to flake, while a
# character that skips half the alphabet scores in the thousands.
CHI_SQUARE_BOUND = 100.0


def chi_square(chars: Iterable[str]) -> float:
    counts = Counter(chars)
    total = sum(counts.values())
    expected = total / len(ALPHABET)
    return sum((counts.get(c, 0) - expected) ** 2 / expected for c in ALPHABET)


def reference_tag(key: bytes, gtin: str, lot: str | None, random_part: str, length: int) -> str:
    """The documented tag, computed from its definition, independent of the module."""
    lot_bytes = b"" if lot is None else lot.encode()
    message = (
        b"shoptrace serial tag v1\x00"
        + gtin.encode()
        + bytes([len(lot_bytes)])
        + lot_bytes
        + random_part.encode()
    )
    bits = int.from_bytes(hmac.new(key, message, hashlib.sha256).digest(), "big") >> (
        256 - 5 * length
    )
    return "".join(ALPHABET[(bits >> (5 * (length - 1 - i))) & 31] for i in range(length))


# --- alphabet ---------------------------------------------------------------------------


def test_alphabet_is_32_unambiguous_cset82_url_safe_characters() -> None:
    assert len(ALPHABET) == len(set(ALPHABET)) == 32
    assert set(ALPHABET) <= CSET82
    assert not set(ALPHABET) & set("0O1Iabcdefghijklmnopqrstuvwxyz")
    assert quote(ALPHABET, safe="") == ALPHABET


# --- new_serial ---------------------------------------------------------------------------


def test_new_serial_default_is_13_alphabet_characters() -> None:
    serial = new_serial()
    assert len(serial) == 13
    assert set(serial) <= set(ALPHABET)
    assert is_valid_format(serial)


@pytest.mark.parametrize("tag_length", [4, 5, 6, 7])
def test_new_serial_with_key_appends_a_tag_of_tag_length(tag_length: int) -> None:
    serial = new_serial(gtin=GTIN, lot="LOT42", key=KEY, tag_length=tag_length)
    assert len(serial) == 13 + tag_length
    assert serial[13:] == reference_tag(KEY, GTIN, "LOT42", serial[:13], tag_length)
    assert verify(serial, gtin=GTIN, lot="LOT42", key=KEY, tag_length=tag_length)


def test_new_serial_default_tag_is_5_characters() -> None:
    serial = new_serial(gtin=GTIN, key=KEY)
    assert len(serial) == 18
    assert serial[13:] == reference_tag(KEY, GTIN, None, serial[:13], 5)


@pytest.mark.parametrize("random_length", [13, 16, 20])
def test_new_serial_random_length(random_length: int) -> None:
    serial = new_serial(random_length=random_length)
    assert len(serial) == random_length
    assert is_valid_format(serial, length=random_length)


def test_new_serial_characters_are_uniform() -> None:
    chars = "".join(new_serial() for _ in range(5000))
    assert chi_square(chars) < CHI_SQUARE_BOUND


def test_new_key_is_32_random_bytes() -> None:
    key = new_key()
    assert isinstance(key, bytes) and len(key) == 32
    assert key != new_key()


# --- generate -----------------------------------------------------------------------------


def test_generate_is_distinct_over_many_serials() -> None:
    n = 300_000
    seen = set(generate(n, gtin=GTIN))
    assert len(seen) == n


def test_generate_tagged_serials_verify_across_chunk_boundaries() -> None:
    n = 2 * serials._CHUNK + 17
    batch = list(generate(n, gtin=GTIN, lot="LOT42", key=KEY))
    assert len(batch) == len(set(batch)) == n
    assert all(len(s) == 18 and is_valid_format(s, length=18) for s in batch)
    assert all(verify(s, gtin=GTIN, lot="LOT42", key=KEY) for s in batch)


def test_generate_tags_match_the_documented_definition() -> None:
    for serial in generate(200, gtin=GTIN, lot="A-1/2", key=KEY, tag_length=7):
        assert serial[13:] == reference_tag(KEY, GTIN, "A-1/2", serial[:13], 7)


@pytest.mark.parametrize("key_length", [16, 63, 64, 65, 100])
def test_generate_tags_agree_with_stdlib_hmac_for_any_key_length(key_length: int) -> None:
    key = bytes(range(7, 7 + key_length))
    for serial in generate(50, gtin=GTIN, key=key):
        assert serial[13:] == reference_tag(key, GTIN, None, serial[:13], 5)


def test_generate_accepts_a_bytearray_key() -> None:
    key = bytearray(KEY)
    serial = next(generate(1, gtin=GTIN, key=key))
    assert verify(serial, gtin=GTIN, key=bytes(key))


def test_generate_characters_are_uniform_at_every_position() -> None:
    batch = list(generate(64_000, gtin=GTIN, key=KEY, random_length=15))
    for position in range(20):
        score = chi_square(s[position] for s in batch)
        assert score < CHI_SQUARE_BOUND, (position, score)


@pytest.mark.parametrize("n", [0, 1, 2, serials._CHUNK - 1, serials._CHUNK, serials._CHUNK + 1])
def test_generate_yields_exactly_n(n: int) -> None:
    batch = list(generate(n, gtin=GTIN))
    assert len(batch) == len(set(batch)) == n


def test_generate_is_lazy_and_validates_at_call_time() -> None:
    stream = generate(serials.MAX_COUNT, gtin=GTIN, key=KEY)
    assert is_valid_format(next(stream), length=18)
    with pytest.raises(SerialError):
        generate(-1, gtin=GTIN)


def test_generate_calls_differ() -> None:
    assert list(generate(3, gtin=GTIN)) != list(generate(3, gtin=GTIN))


def test_generate_memory_is_flat_in_n() -> None:
    def peak(n: int) -> int:
        tracemalloc.start()
        try:
            for _ in generate(n, gtin=GTIN):
                pass
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = peak(5 * serials._CHUNK), peak(50 * serials._CHUNK)
    assert large < 1.5 * small
    assert large < 8 * 1024 * 1024


@settings(max_examples=30, deadline=None)
@given(
    lengths=st.integers(4, 7).flatmap(
        lambda tag: st.tuples(st.integers(13, serials.MAX_LENGTH - tag), st.just(tag))
    ),
    lot=st.none() | st.text(alphabet=sorted(CSET82), min_size=1, max_size=20),
    n=st.integers(1, 40),
)
def test_generate_any_valid_options_gives_verifiable_serials(
    lengths: tuple[int, int], lot: str | None, n: int
) -> None:
    random_length, tag_length = lengths
    batch = list(
        generate(
            n,
            gtin=GTIN,
            lot=lot,
            key=KEY,
            random_length=random_length,
            tag_length=tag_length,
        )
    )
    assert len(set(batch)) == n
    length = random_length + tag_length
    assert all(is_valid_format(s, length=length) for s in batch)
    assert all(verify(s, gtin=GTIN, lot=lot, key=KEY, tag_length=tag_length) for s in batch)


# --- the enciphered counter ---------------------------------------------------------------


def test_speck_matches_the_designers_test_vector() -> None:
    # Speck64/128, Beaulieu et al. 2013, appendix C: key 1b1a1918 13121110 0b0a0908 03020100.
    round_keys = serials._speck_round_keys(bytes.fromhex("0001020308090a0b1011121318191a1b"))
    assert serials._speck_lanes(0x3B726574, 0x7475432D, round_keys, 1) == (
        0x8C6FA548,
        0x454E028B,
    )


@given(
    key=st.binary(min_size=16, max_size=16),
    blocks=st.lists(st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1)), min_size=1),
)
def test_speck_lanes_do_not_leak_into_each_other(key: bytes, blocks: list[tuple[int, int]]) -> None:
    round_keys = serials._speck_round_keys(key)
    ones = sum(1 << (64 * j) for j in range(len(blocks)))
    x = sum(b[0] << (64 * j) for j, b in enumerate(blocks))
    y = sum(b[1] << (64 * j) for j, b in enumerate(blocks))
    px, py = serials._speck_lanes(x, y, round_keys, ones)
    for j, (bx, by) in enumerate(blocks):
        lane = ((px >> (64 * j)) & 0xFFFFFFFF, (py >> (64 * j)) & 0xFFFFFFFF)
        assert lane == serials._speck_lanes(bx, by, round_keys, 1)


# --- verify -------------------------------------------------------------------------------


@pytest.fixture
def tagged() -> str:
    return new_serial(gtin=GTIN, lot="LOT42", key=KEY, tag_length=7)


def test_verify_accepts_its_own_serial(tagged: str) -> None:
    assert verify(tagged, gtin=GTIN, lot="LOT42", key=KEY, tag_length=7)


def test_verify_rejects_any_changed_character(tagged: str) -> None:
    for position, char in enumerate(tagged):
        other = ALPHABET[(ALPHABET.index(char) + 1) % 32]
        forged = tagged[:position] + other + tagged[position + 1 :]
        assert not verify(forged, gtin=GTIN, lot="LOT42", key=KEY, tag_length=7), position


def test_verify_rejects_other_gtin_lot_or_key(tagged: str) -> None:
    assert not verify(tagged, gtin=OTHER_GTIN, lot="LOT42", key=KEY, tag_length=7)
    assert not verify(tagged, gtin=GTIN, lot="LOT43", key=KEY, tag_length=7)
    assert not verify(tagged, gtin=GTIN, lot=None, key=KEY, tag_length=7)
    assert not verify(tagged, gtin=GTIN, lot="LOT42", key=OTHER_KEY, tag_length=7)


def test_verify_binds_lot_none_apart_from_every_lot() -> None:
    serial = new_serial(gtin=GTIN, key=KEY, tag_length=7)
    assert verify(serial, gtin=GTIN, key=KEY, tag_length=7)
    assert not verify(serial, gtin=GTIN, lot="A", key=KEY, tag_length=7)


def test_verify_rejects_wrong_length_and_case(tagged: str) -> None:
    assert not verify(tagged[:-1], gtin=GTIN, lot="LOT42", key=KEY, tag_length=7)
    assert not verify(tagged + "2", gtin=GTIN, lot="LOT42", key=KEY, tag_length=7)
    assert not verify(tagged, gtin=GTIN, lot="LOT42", key=KEY, tag_length=6)
    assert not verify(tagged.lower(), gtin=GTIN, lot="LOT42", key=KEY, tag_length=7)
    assert not verify(tagged[:13], gtin=GTIN, lot="LOT42", key=KEY, tag_length=7)


def test_verify_rejects_malformed_gtin_and_lot(tagged: str) -> None:
    assert not verify(tagged, gtin="09506000134353", lot="LOT42", key=KEY, tag_length=7)
    assert not verify(tagged, gtin=9506000134352, lot="LOT42", key=KEY, tag_length=7)
    assert not verify(tagged, gtin=GTIN, lot="LOT 42", key=KEY, tag_length=7)
    assert not verify(tagged, gtin=GTIN, lot="", key=KEY, tag_length=7)


junk = st.one_of(st.text(), st.none(), st.integers(), st.binary(), st.floats())


@given(serial=junk, gtin=st.one_of(junk, st.just(GTIN)), lot=junk)
def test_verify_never_raises_on_junk(serial: object, gtin: object, lot: object) -> None:
    assert verify(serial, gtin=gtin, lot=lot, key=KEY) is False


@given(serial=st.text(alphabet=ALPHABET, min_size=18, max_size=18))
def test_verify_rejects_made_up_serials(serial: str) -> None:
    # A made-up serial passes 1 time in 2**35 with a 7-character tag.
    assert not verify(serial, gtin=GTIN, key=KEY, tag_length=7)


def test_verify_refuses_a_bad_key_or_tag_length(tagged: str) -> None:
    with pytest.raises(SerialError) as info:
        verify(tagged, gtin=GTIN, key=b"short")
    assert info.value.parameter == "key"
    with pytest.raises(SerialError) as info:
        verify(tagged, gtin=GTIN, key=KEY, tag_length=3)
    assert info.value.parameter == "tag_length"


# --- is_valid_format ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "serial",
    ["23456789ABCDE", "Z" * 20, "ZZZZZZZZZZZZZZZZZZ"],
)
def test_is_valid_format_accepts(serial: str) -> None:
    assert is_valid_format(serial)


@pytest.mark.parametrize(
    "serial",
    [
        "23456789ABCD",
        "Z" * 21,
        "23456789ABCD0",
        "23456789ABCDO",
        "23456789ABCD1",
        "23456789abcde",
        "23456789ABCD-",
        "",
        None,
        23456789,
        b"23456789ABCDE",
    ],
)
def test_is_valid_format_rejects(serial: object) -> None:
    assert not is_valid_format(serial)


def test_is_valid_format_length() -> None:
    assert is_valid_format("Z" * 18, length=18)
    assert not is_valid_format("Z" * 17, length=18)
    with pytest.raises(SerialError):
        is_valid_format("Z" * 18, length=21)


# --- parameter validation -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "parameter", "rule"),
    [
        ({"random_length": 12}, "random_length", "range"),
        ({"random_length": 21}, "random_length", "range"),
        ({"random_length": True}, "random_length", "range"),
        ({"random_length": "13"}, "random_length", "range"),
        ({"tag_length": 5}, "tag_length", "needs-key"),
        ({"gtin": GTIN, "key": KEY, "tag_length": 3}, "tag_length", "range"),
        ({"gtin": GTIN, "key": KEY, "tag_length": 8}, "tag_length", "range"),
        ({"gtin": GTIN, "key": KEY, "random_length": 16}, "random_length", "length"),
        ({"gtin": "09506000134353"}, "gtin", "gtin-14"),
        ({"gtin": "9506000134352"}, "gtin", "gtin-14"),
        ({"gtin": "0950600013435X"}, "gtin", "gtin-14"),
        ({"lot": ""}, "lot", "cset82"),
        ({"lot": "L" * 21}, "lot", "cset82"),
        ({"lot": "LOT 42"}, "lot", "cset82"),
        ({"lot": "LÖT"}, "lot", "cset82"),
        ({"key": KEY}, "gtin", "required"),
        ({"gtin": GTIN, "key": "a string secret of 32 chars long"}, "key", "type"),
        ({"gtin": GTIN, "key": bytes(15)}, "key", "length"),
    ],
)
def test_new_serial_validation(kwargs: dict[str, object], parameter: str, rule: str) -> None:
    with pytest.raises(SerialError) as info:
        new_serial(**kwargs)  # type: ignore[arg-type]
    error = info.value
    assert isinstance(error, ValueError) and isinstance(error, ShoptraceError)
    assert (error.parameter, error.rule) == (parameter, rule)
    assert str(error).startswith(f"{parameter}: ")


@pytest.mark.parametrize("n", [-1, True, 1.0, "10", serials.MAX_COUNT + 1])
def test_generate_validates_n(n: object) -> None:
    with pytest.raises(SerialError) as info:
        generate(n, gtin=GTIN)  # type: ignore[arg-type]
    assert info.value.parameter == "n"
    assert str(info.value).startswith("n: ")


def test_generate_requires_gtin() -> None:
    with pytest.raises(SerialError) as info:
        generate(1, gtin=None)  # type: ignore[arg-type]
    assert info.value.parameter == "gtin"


def test_errors_never_show_the_key() -> None:
    secret = b"merchant-secret"  # 15 bytes: too short
    with pytest.raises(SerialError) as info:
        new_serial(gtin=GTIN, key=secret)
    assert "merchant" not in str(info.value) and secret.hex() not in str(info.value)
