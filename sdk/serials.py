"""Unit serials (GS1 AI 21): random, short, unambiguous, with an optional keyed check tag.

A serial is a random part and, when the merchant gives a key, a check tag::

    7KQ2M9XH4C8RT        13 random characters: 65 bits from the OS CSPRNG
    7KQ2M9XH4C8RTW3HZP   the same with the default 5-character check tag

Characters come from :data:`ALPHABET`, GS1's own 32-character set (the one of the GMN check
pair): digits 2-9 and A-Z without I and O, so nobody reads 0/O or 1/I wrong. Every character
is in GS1 CSET 82 and an RFC 3986 unreserved character, so a serial goes into a Digital Link
path segment as is. Each character carries 5 bits: 13 random characters are 65 bits, above
the 64-bit floor, and guessing any one of a million issued serials takes about 2**45 tries.

The check tag is the leftmost ``5 * tag_length`` bits of HMAC-SHA256(key, message) in the
same alphabet; the message binds the GTIN, the lot (length-prefixed, so ``None`` and every
lot differ) and the random part. A resolver holding the key rejects a made-up serial without
a database read: a forged serial passes with probability ``32 ** -tag_length`` per try, 1 in
33.5 million for the default 5 characters. The tag is a filter, not the proof: a serial that
passes is still looked up, so 5 characters (18 in all, 2 to spare under AI 21's 20) keep
labels small while a flood of forgeries costs about one index lookup per 33 million tries.
``tag_length=7`` gives 35 bits, above the 32-bit floor NIST SP 800-107 sets for truncated
MACs, for tags that are checked where no lookup follows.

:func:`generate` streams ``n`` serials that are distinct by construction, in memory that does
not grow with ``n``: the low 64 bits of each random part are a counter enciphered with
Speck64/128 under a fresh key from :mod:`secrets`, a permutation, so no two counters give the
same serial; the remaining bits come straight from the CSPRNG. Serials of separate calls are
independent 65-bit values: collisions across calls are a birthday event (about 1 in 7,000 for
100 million serials under one GTIN), which the store's unique (GTIN, serial) index catches.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from array import array
from collections.abc import Iterator
from typing import TypeGuard

from shoptrace.sdk.errors import ShoptraceError
from shoptrace.sdk.gs1.charsets import CSET82
from shoptrace.sdk.gs1.check_digits import has_valid_check_digit

__all__ = [
    "ALPHABET",
    "MAX_LENGTH",
    "MIN_KEY_BYTES",
    "RANDOM_LENGTH",
    "TAG_LENGTH",
    "SerialError",
    "generate",
    "is_valid_format",
    "new_key",
    "new_serial",
    "verify",
]

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
"""The 32 serial characters: GS1 CSET 32, digits 2-9 and A-Z without I and O."""
RANDOM_LENGTH = 13
"""Default and least length of the random part: 13 characters are 65 bits."""
TAG_LENGTH = 5
"""Default check tag length when a key is given: a forgery passes 1 time in 33.5 million."""
MIN_TAG_LENGTH = 4
MAX_TAG_LENGTH = 7
MAX_LENGTH = 20
"""Longest serial: GS1 AI 21 holds up to 20 characters."""
MIN_KEY_BYTES = 16
"""Shortest merchant key: 128 bits."""
MAX_COUNT = 2**64
"""Most serials one :func:`generate` call can give: the counter is 64 bits."""

_CHARS = ALPHABET.encode("ascii")
_ALPHABET_SET = frozenset(ALPHABET)
_BYTE_TO_CHAR = bytes(_CHARS[b & 31] for b in range(256))
_DOMAIN = b"shoptrace serial tag v1\x00"
_LANE_ONE = (1).to_bytes(8, "little")
_M32 = 0xFFFFFFFF
_CHUNK = 4096
_SPECK_ROUNDS = 27


class SerialError(ShoptraceError, ValueError):
    """A serial parameter is out of range: ``parameter`` names it, ``rule`` the rule broken."""

    def __init__(self, message: str, *, parameter: str, rule: str) -> None:
        super().__init__(message)
        self.parameter = parameter
        self.rule = rule


def new_key() -> bytes:
    """Return a fresh 32-byte merchant key for check tags, from :mod:`secrets`."""
    return secrets.token_bytes(32)


def new_serial(
    *,
    gtin: str | None = None,
    lot: str | None = None,
    key: bytes | None = None,
    random_length: int = RANDOM_LENGTH,
    tag_length: int | None = None,
) -> str:
    """Return one serial; with ``key`` it ends in a check tag bound to ``gtin`` and ``lot``.

    ``tag_length`` defaults to :data:`TAG_LENGTH` with a key and must stay unset without one.
    """
    tag_length, prefix = _check_options(gtin, lot, key, random_length, tag_length)
    random_part = secrets.token_bytes(random_length).translate(_BYTE_TO_CHAR)
    if key is None:
        return random_part.decode("ascii")
    return (random_part + _tag(key, prefix + random_part, tag_length)).decode("ascii")


def generate(
    n: int,
    *,
    gtin: str,
    lot: str | None = None,
    key: bytes | None = None,
    random_length: int = RANDOM_LENGTH,
    tag_length: int | None = None,
) -> Iterator[str]:
    """Stream ``n`` distinct serials for ``gtin`` (and ``lot``), tagged when ``key`` is given.

    Options are checked now; serials are made lazily, a few thousand at a time, so memory
    stays flat however large ``n`` is. Options as in :func:`new_serial`.
    """
    if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= MAX_COUNT:
        raise SerialError(
            f"n: must be an int from 0 to 2**64 (the counter is 64 bits), got {n!r}",
            parameter="n",
            rule="range",
        )
    if gtin is None:
        raise SerialError(
            "gtin: required, serials are issued per GTIN", parameter="gtin", rule="required"
        )
    tag_length, prefix = _check_options(gtin, lot, key, random_length, tag_length)
    hmac_states = None if key is None else _hmac_states(key, prefix)
    return _stream(n, random_length, tag_length, hmac_states)


def verify(
    serial: object,
    *,
    gtin: object,
    lot: object = None,
    key: bytes,
    tag_length: int = TAG_LENGTH,
) -> bool:
    """True when ``serial`` carries the check tag ``key`` gives for ``gtin`` and ``lot``.

    ``serial``, ``gtin`` and ``lot`` come from scanned URLs: anything malformed there gives
    False, never an exception. ``key`` and ``tag_length`` are the merchant's configuration
    and raise :class:`SerialError` when wrong. The tags are compared in constant time.
    """
    _check_key(key)
    _check_tag_length(tag_length)
    if (
        not isinstance(serial, str)
        or not RANDOM_LENGTH + tag_length <= len(serial) <= MAX_LENGTH
        or not _ALPHABET_SET.issuperset(serial)
        or not _is_gtin(gtin)
        or not (lot is None or _is_lot(lot))
    ):
        return False
    data = serial.encode("ascii")
    expected = _tag(key, _message_prefix(gtin, lot) + data[:-tag_length], tag_length)
    return hmac.compare_digest(expected, data[-tag_length:])


def is_valid_format(serial: object, *, length: int | None = None) -> bool:
    """True when ``serial`` could come from this module: its alphabet, 13 to 20 characters.

    ``length`` asks for that exact length instead (a merchant's random plus tag length).
    """
    if length is not None:
        _check_int("length", length, RANDOM_LENGTH, MAX_LENGTH, "a serial's whole length")
    low, high = (RANDOM_LENGTH, MAX_LENGTH) if length is None else (length, length)
    return (
        isinstance(serial, str) and low <= len(serial) <= high and _ALPHABET_SET.issuperset(serial)
    )


def _check_options(
    gtin: str | None,
    lot: str | None,
    key: bytes | None,
    random_length: int,
    tag_length: int | None,
) -> tuple[int, bytes]:
    """Validate the shared options; return the effective tag length and the HMAC prefix."""
    _check_int(
        "random_length",
        random_length,
        RANDOM_LENGTH,
        MAX_LENGTH,
        "13 characters are 65 bits, the least above the 64-bit floor",
    )
    if gtin is not None and not _is_gtin(gtin):
        raise SerialError(
            f"gtin: must be a GTIN-14, 14 digits ending in a valid check digit, got {gtin!r}",
            parameter="gtin",
            rule="gtin-14",
        )
    if lot is not None and not _is_lot(lot):
        raise SerialError(
            f"lot: must be 1 to 20 characters of GS1 CSET 82 (AI 10), got {lot!r}",
            parameter="lot",
            rule="cset82",
        )
    if key is None:
        if tag_length is not None:
            raise SerialError(
                "tag_length: only meaningful with key; a tag needs the merchant key",
                parameter="tag_length",
                rule="needs-key",
            )
        return 0, b""
    _check_key(key)
    if gtin is None:
        raise SerialError(
            "gtin: required with key, the check tag binds the serial to its GTIN",
            parameter="gtin",
            rule="required",
        )
    tag_length = TAG_LENGTH if tag_length is None else tag_length
    _check_tag_length(tag_length)
    if random_length + tag_length > MAX_LENGTH:
        raise SerialError(
            f"random_length: {random_length} plus tag_length {tag_length} exceeds the "
            f"{MAX_LENGTH} characters of AI 21",
            parameter="random_length",
            rule="length",
        )
    return tag_length, _message_prefix(gtin, lot)


def _check_int(name: str, value: object, low: int, high: int, why: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise SerialError(
            f"{name}: must be an int from {low} to {high} ({why}), got {value!r}",
            parameter=name,
            rule="range",
        )


def _check_tag_length(tag_length: object) -> None:
    _check_int(
        "tag_length",
        tag_length,
        MIN_TAG_LENGTH,
        MAX_TAG_LENGTH,
        "a forged tag passes 32**-tag_length of the time",
    )


def _check_key(key: object) -> None:
    """Refuse a key that is not bytes or too short; the message never shows the key."""
    if not isinstance(key, bytes | bytearray):
        raise SerialError(
            f"key: must be bytes (a merchant secret), got {type(key).__name__}",
            parameter="key",
            rule="type",
        )
    if len(key) < MIN_KEY_BYTES:
        raise SerialError(
            f"key: must be at least {MIN_KEY_BYTES} bytes, got {len(key)}",
            parameter="key",
            rule="length",
        )


def _is_gtin(gtin: object) -> TypeGuard[str]:
    return isinstance(gtin, str) and len(gtin) == 14 and has_valid_check_digit(gtin)


def _is_lot(lot: object) -> TypeGuard[str]:
    return isinstance(lot, str) and 1 <= len(lot) <= 20 and CSET82.issuperset(lot)


def _message_prefix(gtin: str, lot: str | None) -> bytes:
    """The HMAC message before the random part: domain, GTIN (fixed 14), lot length and lot."""
    lot_bytes = b"" if lot is None else lot.encode("ascii")
    return _DOMAIN + gtin.encode("ascii") + bytes((len(lot_bytes),)) + lot_bytes


def _tag(key: bytes, message: bytes, tag_length: int) -> bytes:
    """The leftmost ``5 * tag_length`` bits of HMAC-SHA256 as ``tag_length`` characters."""
    value = int.from_bytes(hmac.digest(key, message, "sha256")[:8], "big")
    return bytes(_CHARS[(value >> (59 - 5 * i)) & 31] for i in range(tag_length))


def _hmac_states(key: bytes, prefix: bytes) -> tuple[hashlib._Hash, hashlib._Hash]:
    """RFC 2104 inner state after ``prefix`` and outer state, to copy once per serial."""
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    block = bytes(key).ljust(64, b"\x00")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in block) + prefix)
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))
    return inner, outer


def _speck_round_keys(key: bytes) -> list[int]:
    """Speck64/128 key schedule; ``key`` holds k0, l0, l1, l2 as little-endian words."""
    words = [int.from_bytes(key[i : i + 4], "little") for i in range(0, 16, 4)]
    round_keys, ell = [words[0]], words[1:]
    for i in range(_SPECK_ROUNDS - 1):
        k = round_keys[i]
        ell.append(((((ell[i] >> 8) | (ell[i] << 24)) & _M32) + k) & _M32 ^ i)
        round_keys.append((((k << 3) | (k >> 29)) & _M32) ^ ell[-1])
    return round_keys


def _speck_lanes(x: int, y: int, round_keys: list[int], ones: int) -> tuple[int, int]:
    """Encipher many blocks at once: lane j of ``x``/``y`` is bits 64j..64j+31 of each int.

    Lanes are 64 bits wide and hold 32-bit words, so shifts and the carry of an addition
    stay inside a lane until the mask clears them.
    """
    mask = ones * _M32
    for k in round_keys:
        x = (((((x >> 8) | (x << 24)) & mask) + y) & mask) ^ (k * ones)
        y = (((y << 3) | (y >> 29)) & mask) ^ x
    return x, y


def _lane_bytes(packed: int, count: int) -> bytes:
    """The low byte of each of ``count`` 64-bit lanes."""
    return packed.to_bytes(8 * count, "little")[::8]


def _stream(
    n: int,
    random_length: int,
    tag_length: int,
    hmac_states: tuple[hashlib._Hash, hashlib._Hash] | None,
) -> Iterator[str]:
    """Yield the serials of :func:`generate`, one chunk of counters at a time."""
    round_keys = _speck_round_keys(secrets.token_bytes(16))
    stride = random_length + tag_length
    start = 0
    size = 0
    while start < n:
        count = min(_CHUNK, n - start)
        if count != size:
            size = count
            ones = int.from_bytes(_LANE_ONE * count, "little")
            low4, low5 = ones * 15, ones * 31
            random_slices = [slice(j * stride, j * stride + random_length) for j in range(count)]
            serial_slices = [slice(j * stride, (j + 1) * stride) for j in range(count)]
        counters = int.from_bytes(array("Q", range(start, start + count)).tobytes(), "little")
        words = ones * _M32
        x, y = _speck_lanes((counters >> 32) & words, counters & words, round_keys, ones)
        permuted = (x << 32) | y
        fresh = int.from_bytes(secrets.token_bytes(8 * count), "little")
        out = bytearray(stride * count)
        for k in range(random_length):
            shift = 5 * k
            if shift < 60:
                digit = (permuted >> shift) & low5
            elif shift == 60:
                digit = ((permuted >> 60) & low4) | ((fresh & ones) << 4)
            else:
                digit = (fresh >> (shift - 64)) & low5
            out[random_length - 1 - k :: stride] = _lane_bytes(digit, count)
        out = out.translate(_BYTE_TO_CHAR)
        if hmac_states is not None:
            _write_tags(out, random_slices, hmac_states, random_length, tag_length, ones)
        text = out.decode("ascii")
        yield from map(text.__getitem__, serial_slices)
        start += count


def _write_tags(
    out: bytearray,
    random_slices: list[slice],
    hmac_states: tuple[hashlib._Hash, hashlib._Hash],
    random_length: int,
    tag_length: int,
    ones: int,
) -> None:
    """Fill the tag characters of a chunk: one HMAC per serial, the encoding lane-parallel."""
    inner_copy, outer_copy = hmac_states[0].copy, hmac_states[1].copy
    macs: list[bytes] = []
    append = macs.append
    for random_part in map(out.__getitem__, random_slices):
        inner = inner_copy()
        inner.update(random_part)
        outer = outer_copy()
        outer.update(inner.digest())
        append(outer.digest())
    joined = b"".join(macs)
    count = len(macs)
    leading = bytearray(8 * count)
    for i in range(8):
        leading[7 - i :: 8] = joined[i::32]
    value = int.from_bytes(leading, "little")
    stride = random_length + tag_length
    low5 = ones * 31
    for i in range(tag_length):
        digit = (value >> (59 - 5 * i)) & low5
        out[random_length + i :: stride] = _lane_bytes(digit, count).translate(_BYTE_TO_CHAR)
