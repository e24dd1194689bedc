"""What every service object shares: the transport, request bodies, the "not given" marker."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any, Final, TypeVar

import requests

from shoptrace.sdk.client.errors import APIError, WaitTimeoutError
from shoptrace.sdk.client.transport import Transport, new_idempotency_key

__all__ = ["NOT_GIVEN", "NotGiven", "Service", "body", "id_path", "poll"]

J = TypeVar("J")


class NotGiven:
    """The type of :data:`NOT_GIVEN`: an argument left out (unlike None, which sends null)."""

    _instance: NotGiven | None = None

    def __new__(cls) -> NotGiven:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Final = NotGiven()
"""Default of the optional arguments of updates: the member is not sent at all."""


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    return value


def body(
    members: Mapping[str, Any],
    extra: Mapping[str, Any] | None = None,
    *,
    skip_none: bool,
) -> dict[str, Any]:
    """A JSON body from API-named ``members``: NOT_GIVEN ones are left out (and None ones
    when ``skip_none``), dates become ISO text; ``extra`` members are added as given."""
    out = {
        name: _json_value(value)
        for name, value in members.items()
        if value is not NOT_GIVEN and not (skip_none and value is None)
    }
    if extra:
        out.update({str(k): _json_value(v) for k, v in extra.items()})
    return out


def id_path(value: Any, name: str) -> str:
    """A row id for a URL path: a positive whole number (fails early, before any request)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive whole number, not {value!r}")
    return str(value)


class Service:
    """A service object: builds the requests of one resource, the transport sends them."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def _get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        query = {k: v for k, v in (params or {}).items() if v is not None}
        return self._transport.request("GET", self._transport.api(path), params=query).json()

    def _post(self, path: str, json_body: Any, idempotency_key: str | None) -> requests.Response:
        return self._transport.request(
            "POST",
            self._transport.api(path),
            json_body=json_body,
            idempotency_key=idempotency_key or new_idempotency_key(),
        )

    def _delete(self, path: str) -> requests.Response:
        """A DELETE with an ``Idempotency-Key``: retried after a lost answer, it gets the
        first answer again rather than a 404."""
        return self._transport.request(
            "DELETE", self._transport.api(path), idempotency_key=new_idempotency_key()
        )

    def _send(self, method: str, path: str, json_body: Any = None) -> requests.Response:
        return self._transport.request(method, self._transport.api(path), json_body=json_body)

    def _location(self, response: requests.Response) -> str | None:
        """The answer's ``Location`` as an absolute URL (as sent when it is elsewhere)."""
        location = response.headers.get("Location")
        if not location:
            return None
        try:
            return self._transport.resolve(location)
        except APIError:
            return location


def poll(
    transport: Transport,
    fetch: Callable[[], J],
    finished: Callable[[J], bool],
    *,
    timeout: float,
    interval: float,
    what: str,
    seen: J | None = None,
) -> J:
    """Fetch a job until ``finished`` says so; WaitTimeoutError after ``timeout`` seconds.
    ``seen`` is the job as last seen (unfinished), so the first fetch waits its turn.

    The wait between polls starts at ``interval`` and grows by half each time, up to 5 s.
    """
    if not timeout > 0 or not interval > 0:
        raise ValueError("timeout and interval must be positive numbers of seconds")
    deadline = transport.monotonic() + timeout
    pause = interval
    job = seen
    while True:
        if job is None:
            job = fetch()
            if finished(job):
                return job
        left = deadline - transport.monotonic()
        if left <= 0:
            raise WaitTimeoutError(f"{what} not finished after {timeout} s", job=job)
        transport.sleep(min(pause, left))
        pause = min(pause * 1.5, max(interval, 5.0))
        job = None
