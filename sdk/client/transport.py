"""The requestor below every service: auth, encoding, retries, error mapping.

One :class:`Transport` per client holds the ``requests`` session. Each logical request gets
an ``X-Request-Id`` and, for a POST or a DELETE, an ``Idempotency-Key``; both are made once,
before the retry loop, so every attempt carries the same ones and the server replays the first
answer of a request it already ran (a DELETE retried after a lost answer gets its 200 again,
not a 404). The rules:

- A request is *replayable* when its method is idempotent (GET, HEAD, OPTIONS, PUT, DELETE,
  and PATCH, which in this API replaces the members it names) or it is a POST carrying an
  ``Idempotency-Key``. A POST without a key is never retried.
- Replayable requests are retried, at most ``max_retries`` times, after a connection error or
  a timeout, a 5xx answer (not 501/505), a 429 (after its ``Retry-After``), and a 409 that
  carries ``Retry-After`` (the server saying the clash is passing). A plain 409 is a real
  conflict with stored data (a GTIN registered already) and is raised at once.
- The wait before retry *n* (0-based) is ``min(8, 0.5 * 2**n)`` seconds with full jitter
  (uniform from 0 to that), or the ``Retry-After`` the server sent (seconds or an HTTP date)
  when that is longer. A ``Retry-After`` above :data:`MAX_RETRY_AFTER` is not waited for:
  the error is raised with it (``RateLimitError.retry_after``).

:meth:`Transport.sleep` and :meth:`Transport.jitter` are methods so tests replace them. The
API key is only ever put in the ``Authorization`` header; it is never logged nor shown.
"""

from __future__ import annotations

import json
import logging
import math
import random
import re
import time
import uuid
from collections.abc import Mapping
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from requests.__version__ import __version__ as _requests_version

from shoptrace.sdk import __version__
from shoptrace.sdk.client.errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    error_for,
)

__all__ = [
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "IDEMPOTENT_METHODS",
    "INITIAL_BACKOFF",
    "MAX_BACKOFF",
    "MAX_RETRY_AFTER",
    "Timeout",
    "Transport",
    "new_idempotency_key",
    "new_request_id",
    "parse_retry_after",
]

log = logging.getLogger("shoptrace.sdk.client")

Timeout = float | tuple[float, float]
"""Seconds: one number for connect and read, or ``(connect, read)``."""

DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_RETRIES = 2
INITIAL_BACKOFF = 0.5
MAX_BACKOFF = 8.0
MAX_RETRY_AFTER = 60.0
"""Longest ``Retry-After`` (s) the client waits for before retrying on its own."""

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "PATCH"})
_NOT_RETRIED_5XX = frozenset({501, 505})
_KEY = re.compile(r"[\x21-\x7e]{1,255}")
_API_KEY = re.compile(r"[\x21-\x7e]+")


def new_request_id() -> str:
    """A fresh ``X-Request-Id``."""
    return "req_" + uuid.uuid4().hex


def new_idempotency_key() -> str:
    """A fresh ``Idempotency-Key`` (a random UUID)."""
    return str(uuid.uuid4())


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delay-seconds or an HTTP date)."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _check_timeout(timeout: Any) -> Timeout:
    def positive(value: Any) -> bool:
        return (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and math.isfinite(value)
            and value > 0
        )

    if positive(timeout):
        return float(timeout)
    if isinstance(timeout, tuple) and len(timeout) == 2 and all(positive(t) for t in timeout):
        return (float(timeout[0]), float(timeout[1]))
    raise ValueError("timeout must be a positive number of seconds or a (connect, read) pair")


def _check_base_url(base_url: Any) -> str:
    if not isinstance(base_url, str):
        raise TypeError("base_url must be a string such as http://127.0.0.1:5000/trace")
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(
            f"base_url must be an http(s) URL such as http://127.0.0.1:5000/trace, not {base_url!r}"
        )
    if parts.query or parts.fragment:
        raise ValueError("base_url takes no query or fragment")
    return base_url.rstrip("/")


def key_hint(api_key: str) -> str:
    """What may be shown of a key: its public prefix (``st_k3j9x2ab``), never the secret."""
    prefix, sep, _secret = api_key.rpartition("_")
    if sep and prefix.startswith("st_") and prefix.count("_") == 1 and len(prefix) <= 20:
        return prefix + "_***"
    return "***"


class Transport:
    """Sends requests to one trace service with one API key (see the module docstring)."""

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str,
        timeout: Timeout = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        session: requests.Session | None = None,
    ) -> None:
        if not isinstance(api_key, str) or not api_key:
            raise ValueError("api_key must be the merchant's API key (a non-empty string)")
        if not _API_KEY.fullmatch(api_key):
            raise ValueError("api_key must hold visible ASCII characters only")
        if (
            not isinstance(max_retries, int)
            or isinstance(max_retries, bool)
            or not 0 <= max_retries <= 10
        ):
            raise ValueError("max_retries must be a whole number from 0 to 10")
        if session is not None and not isinstance(session, requests.Session):
            raise TypeError("session must be a requests.Session")
        self.base_url = _check_base_url(base_url)
        self.api_url = self.base_url + "/api/v1"
        self.epcis_url = self.base_url + "/epcis"
        self.timeout = _check_timeout(timeout)
        self.max_retries = max_retries
        self.key_hint = key_hint(api_key)
        self._authorization = f"Bearer {api_key}"
        self._session = session if session is not None else requests.Session()
        self._owns_session = session is None
        self.user_agent = f"shoptrace-sdk/{__version__} python-requests/{_requests_version}"

    def __repr__(self) -> str:
        return f"<Transport {self.base_url} key={self.key_hint}>"

    def close(self) -> None:
        """Close the session, when the transport made it."""
        if self._owns_session:
            self._session.close()

    # --- URLs ------------------------------------------------------------------------------

    def api(self, path: str) -> str:
        """The URL of ``path`` under the merchant API (``{base_url}/api/v1``)."""
        return self.api_url + path

    def epcis(self, path: str) -> str:
        """The URL of ``path`` under the EPCIS binding (``{base_url}/epcis``)."""
        return self.epcis_url + path

    def resolve(self, location: str) -> str:
        """An absolute URL for a ``Location`` or ``Link`` the server sent, which must be on
        the service's own origin (the API key is never sent anywhere else)."""
        url = urljoin(self.base_url + "/", location)
        own, other = urlsplit(self.base_url), urlsplit(url)
        if (own.scheme, own.netloc) != (other.scheme, other.netloc):
            raise APIError(
                f"the service pointed to another origin ({other.scheme}://{other.netloc}); "
                "not following it with the API key"
            )
        return url

    # --- requests --------------------------------------------------------------------------

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        body: bytes | None = None,
        content_type: str | None = None,
        accept: str = "application/json",
        headers: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> requests.Response:
        """Send one logical request, retrying as the module docstring says; return the
        answer (status below 400) or raise an :class:`~.errors.APIError`.

        ``json_body`` is encoded once (UTF-8), so every attempt sends the same bytes; or give
        the ``body`` bytes and their ``content_type``. ``idempotency_key`` goes with a POST
        or a DELETE.
        """
        method = method.upper()
        sent = {
            "Authorization": self._authorization,
            "Accept": accept,
            "User-Agent": self.user_agent,
            "X-Request-Id": new_request_id(),
        }
        if json_body is not None:
            if body is not None:
                raise ValueError("give json_body or body, not both")
            body = json.dumps(json_body, ensure_ascii=False, allow_nan=False).encode("utf-8")
            content_type = content_type or "application/json"
        if body is not None:
            sent["Content-Type"] = content_type or "application/octet-stream"
        if idempotency_key is not None:
            if method not in ("POST", "DELETE"):
                raise ValueError("an Idempotency-Key goes with a POST or a DELETE only")
            if not _KEY.fullmatch(idempotency_key):
                raise ValueError("idempotency_key must be 1 to 255 visible ASCII characters")
            sent["Idempotency-Key"] = idempotency_key
        if headers:
            sent.update(headers)
        replayable = method in IDEMPOTENT_METHODS or (
            method == "POST" and "Idempotency-Key" in sent
        )
        attempt = 0
        while True:
            outcome = self._attempt(method, url, params, body, sent)
            if isinstance(outcome, requests.Response):
                return outcome
            error = outcome
            delay = self.retry_delay(error, attempt) if replayable else None
            if delay is None:
                raise error
            attempt += 1
            log.info(
                "%s %s failed (%s); retry %d of %d in %.2f s",
                method,
                url,
                error.status or type(error).__name__,
                attempt,
                self.max_retries,
                delay,
            )
            self.sleep(delay)

    def _attempt(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None,
        body: bytes | None,
        sent: dict[str, str],
    ) -> requests.Response | APIError:
        """One attempt: the answer when it is a success, else the error it maps to."""
        request_id = sent["X-Request-Id"]
        try:
            response = self._session.request(
                method, url, params=params, data=body, headers=sent, timeout=self.timeout
            )
        except requests.Timeout as exc:
            error: APIError = APITimeoutError(
                f"no answer within {self.timeout} s ({method} {url})",
                request_id=request_id,
                method=method,
                url=url,
            )
            error.__cause__ = exc
            return error
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
            error = APIConnectionError(
                f"could not reach the service: {type(exc).__name__} ({method} {url})",
                request_id=request_id,
                method=method,
                url=url,
            )
            error.__cause__ = exc
            return error
        except requests.RequestException as exc:
            raise APIConnectionError(
                f"the request could not be sent: {exc} ({method} {url})",
                request_id=request_id,
                method=method,
                url=url,
            ) from exc
        status: int = response.status_code
        log.debug("%s %s -> %d [%s]", method, response.url, status, request_id)
        if status < 400:
            return response
        return self.error(response, method=method, request_id=request_id)

    def error(self, response: requests.Response, *, method: str, request_id: str) -> APIError:
        """The error an answer of status 400 or more maps to."""
        problem: dict[str, Any] | None = None
        media = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if media == "application/json" or media.endswith("+json"):
            try:
                parsed = response.json()
            except ValueError:
                parsed = None
            if isinstance(parsed, dict):
                problem = parsed
        headers = dict(response.headers)
        return error_for(
            response.status_code,
            problem,
            headers=headers,
            request_id=(
                response.headers.get("X-Request-Id")
                or response.headers.get("Request-Id")
                or request_id
            ),
            method=method,
            url=response.url,
            text=None if problem is not None else response.text,
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
        )

    # --- retry policy ----------------------------------------------------------------------

    def retry_delay(self, error: APIError, attempt: int) -> float | None:
        """Seconds to wait before retrying a replayable request after ``error`` on retry
        ``attempt`` (0-based), or None when it is not retried."""
        if attempt >= self.max_retries:
            return None
        if isinstance(error, APIConnectionError):
            return self.backoff(attempt)
        status = error.status or 0
        retry_after = parse_retry_after(error.headers.get("Retry-After"))
        if status == 429 or (status == 409 and retry_after is not None):
            wait = self.backoff(attempt) if retry_after is None else retry_after
        elif status >= 500 and status not in _NOT_RETRIED_5XX:
            wait = max(self.backoff(attempt), retry_after or 0.0)
        else:
            return None
        if wait > MAX_RETRY_AFTER:
            return None
        return wait

    def backoff(self, attempt: int) -> float:
        """The jittered exponential wait before retry ``attempt`` (0-based)."""
        return self.jitter(min(MAX_BACKOFF, INITIAL_BACKOFF * 2**attempt))

    def jitter(self, delay: float) -> float:
        """Full jitter: a uniform wait from 0 to ``delay``."""
        return random.uniform(0, delay)

    def sleep(self, seconds: float) -> None:
        """Wait (replaced in tests)."""
        time.sleep(seconds)

    def monotonic(self) -> float:
        """The clock :meth:`sleep` waits on (replaced in tests together with it)."""
        return time.monotonic()
