"""Retrying outbound HTTP: the backoff schedule and how a failed try is described.

Shared by the outbox (webhooks) and the upstream exchange (EPCIS pushes): a failed try waits
30 s, 2 min, 8 min, 32 min, ... capped at 12 h, each times a random factor so many retries
spread; a ``Retry-After`` on 429 or 503 is honoured. Failures are described in one line that
names no URL (URLs may hold credentials) and keeps at most :data:`MAX_ERROR` characters of
the answer.
"""

from __future__ import annotations

import logging
import random
import socket
from dataclasses import dataclass
from datetime import timedelta
from email.utils import parsedate_to_datetime

import requests

from shoptrace.sdk import __version__
from shoptrace.shop_plugin.services.clock import utcnow

__all__ = [
    "BACKOFF_BASE",
    "BACKOFF_CAP",
    "BACKOFF_FACTOR",
    "JITTER",
    "MAX_ERROR",
    "USER_AGENT",
    "Outcome",
    "answer_error",
    "backoff",
    "clean_text",
    "describe_failure",
    "next_delay",
    "post",
    "retry_after",
]

log = logging.getLogger(__name__)

BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_FACTOR = 4
BACKOFF_CAP = timedelta(hours=12)
JITTER = 0.15
"""Each delay is the nominal one times a random factor in 1 +- JITTER."""
USER_AGENT = f"shoptrace/{__version__}"
MAX_ERROR = 500
"""Characters of an answer (or of the failure) kept as the last error."""


def backoff(attempts: int, *, rng: random.Random | None = None) -> timedelta:
    """The wait after the ``attempts``-th failed try: 30 s, 2 min, 8 min, 32 min, ... capped
    at 12 h, each times a random factor in 1 +- 15 % so retries of many messages spread."""
    steps = min(max(0, attempts - 1), 30)  # past the cap long before; no overflow
    nominal = BACKOFF_BASE.total_seconds() * float(BACKOFF_FACTOR) ** steps
    capped = timedelta(seconds=min(nominal, BACKOFF_CAP.total_seconds()))
    factor = (rng or random).uniform(1 - JITTER, 1 + JITTER)
    return capped * factor


def next_delay(
    attempts: int, retry_after_seconds: float | None, *, rng: random.Random | None = None
) -> timedelta:
    """The wait before the next try: :func:`backoff`, or longer when the answer asked for it
    with ``Retry-After`` (never past the cap)."""
    delay = backoff(attempts, rng=rng)
    if retry_after_seconds is not None:
        delay = max(delay, min(timedelta(seconds=retry_after_seconds), BACKOFF_CAP))
    return delay


def retry_after(response: requests.Response) -> float | None:
    """Seconds a 429 or 503 answer asks to wait (``Retry-After``), None otherwise."""
    if response.status_code not in (429, 503):
        return None
    value = response.headers.get("Retry-After", "").strip()
    # ASCII only: "²" (byte B2 of a Latin-1 header) passes isdigit() and float() refuses it.
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, (moment - utcnow()).total_seconds()) if moment.tzinfo else None


def clean_text(text: str) -> str:
    """``text`` on one printable line, cut to :data:`MAX_ERROR` characters."""
    return "".join(c if c.isprintable() else " " for c in text).strip()[:MAX_ERROR]


def _causes(exc: BaseException) -> list[BaseException]:
    """``exc`` and what it wraps (causes, contexts, urllib3 reasons, exceptions in args)."""
    found: list[BaseException] = []
    todo = [exc]
    while todo and len(found) < 20:
        current = todo.pop(0)
        if any(current is seen for seen in found):
            continue
        found.append(current)
        nested = [current.__cause__, current.__context__, getattr(current, "reason", None)]
        nested.extend(getattr(current, "args", ()))
        todo.extend(n for n in nested if isinstance(n, BaseException))
    return found


def describe_failure(exc: BaseException, timeout: float) -> str:
    """A description of a failed request that names no URL (it may hold credentials)."""
    if isinstance(exc, requests.Timeout):
        return f"timeout: no answer within {timeout:g} s"
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS error: the certificate or handshake failed"
    if isinstance(exc, requests.ConnectionError):
        for cause in _causes(exc):
            if isinstance(cause, ConnectionRefusedError):
                return "connection refused"
            if isinstance(cause, socket.gaierror):
                return "host name not found"
            if isinstance(cause, ConnectionResetError):
                return "connection reset"
        return "connection refused" if "refused" in str(exc).lower() else "connection failed"
    if isinstance(exc, requests.RequestException):
        return f"request failed: {type(exc).__name__}"
    return f"internal error: {type(exc).__name__}"


def answer_error(response: requests.Response) -> str:
    """``HTTP <status>: <start of the body>`` for an answer that is not a 2xx (the body is
    read only as far as needed, from a streamed response)."""
    try:
        head = next(response.iter_content(MAX_ERROR * 2), b"")
    except Exception:  # a broken answer body: the status says enough
        head = b""
    text = head.decode("utf-8", "replace") if isinstance(head, bytes) else str(head)
    reason = f"HTTP {response.status_code}"
    if 300 <= response.status_code < 400:
        reason += " (redirects are not followed: register the final URL)"
    snippet = clean_text(text)
    return (f"{reason}: {snippet}" if snippet else reason)[:MAX_ERROR]


@dataclass(frozen=True)
class Outcome:
    """One try: accepted (2xx) or not, the answer's status (None when none came), the
    failure in one line, and the delay a 429 or 503 asked for."""

    ok: bool
    status: int | None
    error: str | None
    retry_after: float | None = None


def post(
    session: requests.Session,
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    timeout: float,
    what: str,
) -> Outcome:
    """POST ``body`` once, redirects not followed, and say how it went. Never raises: a
    failure of any kind becomes an :class:`Outcome` (``what`` names the message in logs)."""
    try:
        response = session.post(
            url, data=body, headers=headers, timeout=timeout, allow_redirects=False, stream=True
        )
    except requests.RequestException as exc:
        return Outcome(False, None, describe_failure(exc, timeout))
    except Exception as exc:  # a bug or an odd adapter: never let it stop the worker
        log.exception("%s: sending failed", what)
        return Outcome(False, None, describe_failure(exc, timeout))
    try:
        if 200 <= response.status_code < 300:
            return Outcome(True, response.status_code, None)
        return Outcome(False, response.status_code, answer_error(response), retry_after(response))
    finally:
        response.close()
