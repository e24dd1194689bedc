"""Sealed secrets: they open under the key and context they were sealed with, and only then."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shoptrace.shop_plugin.services.sealing import MAX_PLAINTEXT, SealError, seal, unseal

KEY = "test-signing-key-0123456789-abcdefghijklmnop"
OTHER_KEY = "another-signing-key-0123456789-abcdefghijk"


def _raw(sealed: str) -> bytearray:
    packed = sealed.split(".", 1)[1]
    return bytearray(base64.urlsafe_b64decode(packed + "=" * (-len(packed) % 4)))


def _pack(raw: bytes) -> str:
    return "v1." + base64.urlsafe_b64encode(bytes(raw)).decode("ascii").rstrip("=")


@settings(max_examples=50, deadline=None)
@given(plaintext=st.binary(max_size=300), associated=st.binary(max_size=40))
def test_round_trip(plaintext: bytes, associated: bytes) -> None:
    sealed = seal(KEY, plaintext, associated=associated)
    assert sealed.startswith("v1.")
    assert unseal(KEY, sealed, associated=associated) == plaintext


def test_the_secret_does_not_appear_and_each_seal_differs() -> None:
    secret = b"shpss_0123456789abcdef0123456789abcdef"
    first, second = seal(KEY, secret), seal(KEY, secret)
    assert first != second  # a fresh nonce each time
    for sealed in (first, second):
        assert secret not in _raw(sealed)
        assert secret.decode() not in sealed
        assert base64.b64encode(secret).decode() not in sealed
    # nonce (16) + ciphertext (as long as the secret) + tag (32)
    assert len(_raw(first)) == 16 + len(secret) + 32


def test_a_wrong_key_does_not_open_it() -> None:
    sealed = seal(KEY, b"webhook secret")
    with pytest.raises(SealError):
        unseal(OTHER_KEY, sealed)


def test_other_associated_data_does_not_open_it() -> None:
    sealed = seal(KEY, b"webhook secret", associated=b"merchant 1 shopify acme")
    with pytest.raises(SealError):
        unseal(KEY, sealed, associated=b"merchant 2 shopify acme")
    with pytest.raises(SealError):
        unseal(KEY, sealed)


@pytest.mark.parametrize("where", ["nonce", "ciphertext", "tag"])
def test_every_changed_byte_is_detected(where: str) -> None:
    plaintext = b"a webhook secret of some length, longer than one block of 32 bytes"
    sealed = seal(KEY, plaintext)
    size = len(_raw(sealed))
    positions = {
        "nonce": range(0, 16),
        "ciphertext": range(16, size - 32),
        "tag": range(size - 32, size),
    }[where]
    for position in positions:
        raw = _raw(sealed)
        raw[position] ^= 0x01
        with pytest.raises(SealError):
            unseal(KEY, _pack(raw))


def test_truncated_extended_and_malformed_values_are_refused() -> None:
    sealed = seal(KEY, b"secret")
    raw = _raw(sealed)
    for bad in (
        "",
        "v1.",
        "v1",
        "v2." + sealed[3:],
        sealed + "A",
        _pack(raw[:-1]),
        _pack(raw + b"\x00"),
        _pack(raw[:40]),
        "v1.!!!!",
        "v1.é",
        sealed.replace("v1.", "v1.."),
    ):
        with pytest.raises(SealError):
            unseal(KEY, bad)


def test_the_empty_secret_and_the_largest_seal() -> None:
    assert unseal(KEY, seal(KEY, b"")) == b""
    big = bytes(range(256)) * (MAX_PLAINTEXT // 256)
    assert unseal(KEY, seal(KEY, big)) == big
    with pytest.raises(ValueError):
        seal(KEY, big + b"x")


def test_unicode_keys_and_secrets() -> None:
    key = "签名密钥-signing-key-0123456789-abcdefghij"
    secret = "秘密 secret ✓".encode()
    assert unseal(key, seal(key, secret)) == secret
    with pytest.raises(SealError):
        unseal(KEY, seal(key, secret))
