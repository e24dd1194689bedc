"""Webhook signatures: sign a body, and verify one a shoptrace service sent.

A webhook carries ``ShopTrace-Signature: t=<unix time>,v1=<hex HMAC-SHA256>`` where the HMAC
is keyed with the endpoint's secret (``whsec_...``, the whole string) over
``"<t>." + raw body``. A header may hold several ``v1`` values (a sender signing with an old
and a new secret while they rotate); one matching is enough. The timestamp bounds replays:
a signature older or newer than ``tolerance`` seconds is refused.

In a Flask receiver::

    from shoptrace.sdk.webhooks import WebhookSignatureError, construct_event

    @app.post("/hooks/shoptrace")
    def shoptrace_hook():
        try:
            event = construct_event(
                request.get_data(), request.headers.get("ShopTrace-Signature"), SECRET
            )
        except WebhookSignatureError:
            return "", 400
        if event["type"] == "recall.created":
            ...
        return "", 204

Always verify the raw body as received, never a re-serialised parse of it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterable
from typing import Any

from shoptrace.sdk.errors import WebhookSignatureError

__all__ = [
    "DEFAULT_TOLERANCE",
    "SIGNATURE_HEADER",
    "WebhookSignatureError",
    "compute_signature",
    "construct_event",
    "sign",
    "verify_header",
]

SIGNATURE_HEADER = "ShopTrace-Signature"
"""The HTTP header that carries the signature."""

DEFAULT_TOLERANCE = 300
"""Seconds a signature's timestamp may be away from the receiver's clock, either way."""

SCHEME = "v1"
_MAX_HEADER = 4096


def _bytes(payload: bytes | str) -> bytes:
    if isinstance(payload, bytes | bytearray | memoryview):
        return bytes(payload)
    if isinstance(payload, str):
        return payload.encode("utf-8")
    raise TypeError(f"payload must be bytes or str, got {type(payload).__name__}")


def _secrets(secret: str | Iterable[str]) -> list[str]:
    found = [secret] if isinstance(secret, str) else list(secret)
    if not found or not all(isinstance(s, str) and s for s in found):
        raise TypeError("secret must be a non-empty string (or several)")
    return found


def compute_signature(payload: bytes | str, secret: str, timestamp: int) -> str:
    """The hex HMAC-SHA256 of ``"<timestamp>." + payload`` under ``secret``."""
    message = str(int(timestamp)).encode("ascii") + b"." + _bytes(payload)
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def sign(payload: bytes | str, secret: str | Iterable[str], *, timestamp: int | None = None) -> str:
    """The ``ShopTrace-Signature`` value for ``payload``: ``t=<timestamp>,v1=<hex>``.

    ``timestamp`` defaults to now (Unix seconds). Several secrets give several ``v1`` values,
    in the order given (signing with both secrets while a receiver moves to the new one).
    """
    t = int(time.time()) if timestamp is None else int(timestamp)
    body = _bytes(payload)
    parts = [f"t={t}"]
    parts.extend(f"{SCHEME}={compute_signature(body, s, t)}" for s in _secrets(secret))
    return ",".join(parts)


def _parse(header: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    signatures: list[str] = []
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            raise WebhookSignatureError(
                f"malformed {SIGNATURE_HEADER} header: expected key=value items",
                reason="malformed-header",
                header=header,
            )
        key, value = key.strip(), value.strip()
        if key == "t":
            if timestamp is not None or not (
                value.isascii() and value.isdigit() and len(value) <= 15
            ):
                raise WebhookSignatureError(
                    f"malformed {SIGNATURE_HEADER} header: t must appear once, as Unix seconds",
                    reason="malformed-header",
                    header=header,
                )
            timestamp = int(value)
        elif key == SCHEME:
            signatures.append(value)
    if timestamp is None:
        raise WebhookSignatureError(
            f"malformed {SIGNATURE_HEADER} header: no timestamp t=",
            reason="malformed-header",
            header=header,
        )
    return timestamp, signatures


def verify_header(
    payload: bytes | str,
    header: str | None,
    secret: str | Iterable[str],
    tolerance: int | None = DEFAULT_TOLERANCE,
    *,
    now: float | None = None,
) -> int:
    """Check ``header`` against ``payload`` and ``secret``; return the signed timestamp.

    ``secret`` may be several secrets (a receiver accepting an old and a new one while they
    rotate). ``tolerance=None`` skips the time check. Raises :class:`WebhookSignatureError`.
    """
    if header is None or not str(header).strip():
        raise WebhookSignatureError(
            f"no {SIGNATURE_HEADER} header", reason="missing-header", header=header
        )
    if not isinstance(header, str) or len(header) > _MAX_HEADER:
        raise WebhookSignatureError(
            f"malformed {SIGNATURE_HEADER} header: too long or not text",
            reason="malformed-header",
            header=None,
        )
    keys = _secrets(secret)
    body = _bytes(payload)
    timestamp, signatures = _parse(header)
    if not signatures:
        raise WebhookSignatureError(
            f"{SIGNATURE_HEADER} holds no {SCHEME} signature", reason="no-signature", header=header
        )
    expected = [compute_signature(body, key, timestamp).encode("ascii") for key in keys]
    matched = False
    for candidate in signatures:
        given = candidate.encode("utf-8", "replace")
        for wanted in expected:
            # Every pair is compared, in constant time each, so timing tells nothing.
            matched |= hmac.compare_digest(given, wanted)
    if not matched:
        raise WebhookSignatureError(
            "no signature matches the secret and the body", reason="mismatch", header=header
        )
    if tolerance is not None:
        current = time.time() if now is None else now
        if timestamp < current - tolerance:
            raise WebhookSignatureError(
                f"the signature is more than {tolerance} s old", reason="too-old", header=header
            )
        if timestamp > current + tolerance:
            raise WebhookSignatureError(
                f"the signature is more than {tolerance} s in the future",
                reason="too-new",
                header=header,
            )
    return timestamp


def construct_event(
    payload: bytes | str,
    header: str | None,
    secret: str | Iterable[str],
    tolerance: int | None = DEFAULT_TOLERANCE,
    *,
    now: float | None = None,
) -> dict[str, Any]:
    """Verify a webhook (see :func:`verify_header`) and return its JSON body as a dict:
    ``{"id", "type", "created", "merchant", "data"}``."""
    verify_header(payload, header, secret, tolerance, now=now)
    try:
        event = json.loads(_bytes(payload))
    except (ValueError, RecursionError):
        event = None
    if not isinstance(event, dict):
        raise WebhookSignatureError(
            "the signed body is not a JSON object", reason="payload", header=header
        )
    return event
