"""Webhook signatures: ``sign`` and ``construct_event`` agree, and every bad header is refused
with its own reason."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shoptrace.sdk.errors import ShoptraceError, WebhookSignatureError
from shoptrace.sdk.webhooks import (
    SIGNATURE_HEADER,
    compute_signature,
    construct_event,
    sign,
    verify_header,
)

SECRET = "whsec_test_0123456789abcdefghijklmnopqrstuv"
OTHER = "whsec_other_0123456789abcdefghijklmnopqrst"
NOW = 1_750_000_000
BODY = json.dumps(
    {"id": "evt_1", "type": "recall.created", "created": "2025-06-15T15:06:40Z", "data": {}}
).encode()


def _reason(payload: Any, header: Any, secret: Any = SECRET, **kwargs: Any) -> str:
    with pytest.raises(WebhookSignatureError) as caught:
        construct_event(payload, header, secret, now=NOW, **kwargs)
    return caught.value.reason


def test_the_header_is_t_and_v1_over_t_dot_body() -> None:
    header = sign(BODY, SECRET, timestamp=NOW)
    expected = hmac.new(SECRET.encode(), f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert header == f"t={NOW},v1={expected}"
    assert compute_signature(BODY, SECRET, NOW) == expected
    assert SIGNATURE_HEADER == "ShopTrace-Signature"


def test_construct_event_returns_the_body() -> None:
    event = construct_event(BODY, sign(BODY, SECRET, timestamp=NOW), SECRET, now=NOW)
    assert event["type"] == "recall.created" and event["id"] == "evt_1"


def test_sign_defaults_to_now_and_accepts_text() -> None:
    header = sign(BODY.decode(), SECRET)
    assert verify_header(BODY, header, SECRET) > NOW


def test_several_v1_values_one_matching_is_enough() -> None:
    both = sign(BODY, [OTHER, SECRET], timestamp=NOW)
    assert both.count("v1=") == 2
    assert construct_event(BODY, both, SECRET, now=NOW)["id"] == "evt_1"
    assert construct_event(BODY, both, OTHER, now=NOW)["id"] == "evt_1"
    # A receiver may accept several secrets too (its own rotation).
    single = sign(BODY, OTHER, timestamp=NOW)
    assert construct_event(BODY, single, [SECRET, OTHER], now=NOW)["id"] == "evt_1"
    # Unknown schemes and spaces are ignored.
    padded = f" t={NOW} , v0=abc, v1={compute_signature(BODY, SECRET, NOW)} "
    assert construct_event(BODY, padded, SECRET, now=NOW)["id"] == "evt_1"


def test_a_receiver_with_either_secret_verifies_during_a_rotation_and_only_the_new_after() -> None:
    # The service signs with the new secret first, then the previous one, until the rotation's
    # window ends (ShopTrace-Signature: t=...,v1=<new>,v1=<old>); after it, the new one only.
    new, old = OTHER, SECRET
    during = sign(BODY, [new, old], timestamp=NOW)
    assert during == (
        f"t={NOW},v1={compute_signature(BODY, new, NOW)},v1={compute_signature(BODY, old, NOW)}"
    )
    for held in (new, old, [old, new]):
        assert construct_event(BODY, during, held, now=NOW)["id"] == "evt_1"
    after = sign(BODY, new, timestamp=NOW)
    assert construct_event(BODY, after, new, now=NOW)["id"] == "evt_1"
    assert construct_event(BODY, after, [old, new], now=NOW)["id"] == "evt_1"
    assert _reason(BODY, after, old) == "mismatch"


@pytest.mark.parametrize("header", [None, "", "   "])
def test_a_missing_header_is_refused(header: Any) -> None:
    assert _reason(BODY, header) == "missing-header"


@pytest.mark.parametrize(
    "header",
    [
        "v1=abc",
        "garbage",
        "t=,v1=abc",
        "t=12x,v1=abc",
        "t=-5,v1=abc",
        f"t={NOW},t={NOW},v1=abc",
        "t=1234567890123456789,v1=abc",
        "t=１２３,v1=abc",
        "x" * 5000,
    ],
)
def test_a_malformed_header_is_refused(header: str) -> None:
    assert _reason(BODY, header) == "malformed-header"


def test_a_header_without_v1_is_refused() -> None:
    assert _reason(BODY, f"t={NOW},v0={compute_signature(BODY, SECRET, NOW)}") == "no-signature"


def test_wrong_secret_changed_body_and_changed_time_are_refused() -> None:
    header = sign(BODY, SECRET, timestamp=NOW)
    assert _reason(BODY, header, OTHER) == "mismatch"
    assert _reason(BODY + b" ", header) == "mismatch"
    moved = header.replace(f"t={NOW}", f"t={NOW + 1}")
    assert _reason(BODY, moved) == "mismatch"
    assert _reason(BODY, f"t={NOW},v1=zz{'é' * 30}") == "mismatch"


def test_too_old_and_too_new_are_refused_within_the_tolerance_accepted() -> None:
    old = sign(BODY, SECRET, timestamp=NOW - 301)
    new = sign(BODY, SECRET, timestamp=NOW + 301)
    assert _reason(BODY, old) == "too-old"
    assert _reason(BODY, new) == "too-new"
    for edge in (NOW - 300, NOW + 300):
        assert construct_event(BODY, sign(BODY, SECRET, timestamp=edge), SECRET, now=NOW)
    assert _reason(BODY, sign(BODY, SECRET, timestamp=NOW - 11), tolerance=10) == "too-old"
    assert construct_event(BODY, old, SECRET, tolerance=None, now=NOW)["id"] == "evt_1"


@pytest.mark.parametrize(
    "payload", [b"not json", b"[1, 2]", b"", "\ud800".encode("utf-8", "surrogatepass")]
)
def test_a_signed_body_that_is_not_a_json_object_is_refused(payload: bytes) -> None:
    assert _reason(payload, sign(payload, SECRET, timestamp=NOW)) == "payload"


def test_the_error_is_typed() -> None:
    with pytest.raises(WebhookSignatureError) as caught:
        construct_event(BODY, "t=1", SECRET)
    assert isinstance(caught.value, ShoptraceError) and isinstance(caught.value, ValueError)
    assert caught.value.header == "t=1"
    assert SECRET not in str(caught.value)


def test_bad_arguments_are_type_errors() -> None:
    with pytest.raises(TypeError):
        sign(BODY, "")
    with pytest.raises(TypeError):
        sign(BODY, [])
    with pytest.raises(TypeError):
        sign(123, SECRET)  # type: ignore[arg-type]


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(
    data=st.dictionaries(st.text(max_size=20), _json, max_size=6),
    secret=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=80),
    timestamp=st.integers(min_value=0, max_value=10**12),
    skew=st.integers(min_value=-300, max_value=300),
)
def test_round_trip(data: dict[str, Any], secret: str, timestamp: int, skew: int) -> None:
    payload = json.dumps(data, ensure_ascii=False).encode("utf-8")
    header = sign(payload, secret, timestamp=timestamp)
    assert construct_event(payload, header, secret, now=timestamp + skew) == data


@settings(max_examples=200, deadline=None)
@given(
    payload=st.binary(max_size=200),
    flip=st.integers(min_value=0, max_value=10_000),
    secret=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40),
)
def test_any_change_to_the_body_breaks_the_signature(
    payload: bytes, flip: int, secret: str
) -> None:
    header = sign(payload, secret, timestamp=NOW)
    verify_header(payload, header, secret, now=NOW)
    changed = bytearray(payload + b"x")
    changed[flip % len(changed)] ^= 0x01
    with pytest.raises(WebhookSignatureError) as caught:
        verify_header(bytes(changed), header, secret, now=NOW)
    assert caught.value.reason == "mismatch"


@settings(max_examples=300, deadline=None)
@given(header=st.text(max_size=300))
def test_any_header_text_gives_a_typed_error_never_a_crash(header: str) -> None:
    with pytest.raises(WebhookSignatureError):
        verify_header(BODY, header, SECRET, now=NOW)
