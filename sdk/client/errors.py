"""Errors of the trace service client, mapped from RFC 7807 problem+json answers.

Every error the client raises on purpose derives from :class:`APIError`, which carries the
HTTP ``status`` (None when no answer came), the ``problem`` body as sent, the answer's
``headers`` and the ``request_id`` (the ``X-Request-Id`` the client sent, or the one the
server answered with). ``str(err)`` starts with the request id, so a log line is enough to
find the request. :func:`error_for` picks the class from the status.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shoptrace.sdk.errors import ShoptraceError

__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AuthenticationError",
    "ConflictError",
    "FieldError",
    "NotFoundError",
    "PermissionDeniedError",
    "PermissionError",
    "RateLimitError",
    "ValidationError",
    "WaitTimeoutError",
    "error_for",
]


@dataclass(frozen=True)
class FieldError:
    """One broken rule of a problem's ``errors``: the field (a name, a path such as
    ``certifications[0].validUntil``, or a JSON pointer into an EPCIS document), the rule's
    short name and what is wrong."""

    field: str
    rule: str
    detail: str

    @classmethod
    def from_json(cls, data: Any) -> FieldError:
        if not isinstance(data, Mapping):
            return cls("", "", str(data))
        return cls(
            str(data.get("field") or data.get("pointer") or ""),
            str(data.get("rule") or ""),
            str(data.get("detail") or ""),
        )


class APIError(ShoptraceError):
    """An answer the client cannot turn into a result; base of every client error.

    Raised as such for statuses without a class of their own (5xx, 406, ...).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        problem: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        request_id: str | None = None,
        method: str | None = None,
        url: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.problem: Mapping[str, Any] | None = problem
        self.headers: Mapping[str, str] = dict(headers or {})
        self.request_id = request_id
        self.method = method
        self.url = url
        raw = problem.get("errors") if problem is not None else None
        self.errors: tuple[FieldError, ...] = tuple(
            FieldError.from_json(e) for e in (raw if isinstance(raw, list) else [])
        )

    @property
    def type(self) -> str | None:
        """The problem's ``type`` (``about:blank``, ``epcisException:...``), if any."""
        value = self.problem.get("type") if self.problem is not None else None
        return value if isinstance(value, str) else None

    @property
    def detail(self) -> str | None:
        """The problem's ``detail``, if any."""
        value = self.problem.get("detail") if self.problem is not None else None
        return value if isinstance(value, str) else None

    def __str__(self) -> str:
        head = f"[{self.request_id}] " if self.request_id else ""
        fields = "; ".join(f"{e.field} ({e.rule}): {e.detail}" for e in self.errors[:5])
        if len(self.errors) > 5:
            fields += f"; {len(self.errors) - 5} more"
        return head + self.message + (f" -- {fields}" if fields else "")

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, request_id={self.request_id!r}, "
            f"message={self.message!r})"
        )


class APIConnectionError(APIError):
    """No answer: the connection failed or broke (the cause is in ``__cause__``)."""


class APITimeoutError(APIConnectionError):
    """No answer within the timeout."""


class AuthenticationError(APIError):
    """401: the API key is missing, unknown, revoked or expired."""


class PermissionError(APIError):  # shadows the builtin here only; see PermissionDeniedError
    """403: the key may not do this."""


PermissionDeniedError = PermissionError
"""The same class under a name that does not shadow the builtin ``PermissionError``."""


class NotFoundError(APIError):
    """404: no such resource for this merchant (or no such path)."""


class ConflictError(APIError):
    """409: the request clashes with stored data (a GTIN or lot registered already, ...)."""


class ValidationError(APIError, ValueError):
    """400, 413, 415, 422: the request breaks a rule; ``errors`` names each field and rule.
    Nothing was written."""


class RateLimitError(APIError):
    """429: the rate limit is reached; ``retry_after`` is the wait the server asked for (s)."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class WaitTimeoutError(ShoptraceError, builtins.TimeoutError):
    """A job (capture, code issuance) did not finish within the time :meth:`wait` was given;
    ``job`` is its last state seen."""

    def __init__(self, message: str, *, job: Any) -> None:
        super().__init__(message)
        self.job = job


_CLASSES: dict[int, type[APIError]] = {
    400: ValidationError,
    401: AuthenticationError,
    403: PermissionError,
    404: NotFoundError,
    409: ConflictError,
    413: ValidationError,
    415: ValidationError,
    422: ValidationError,
    429: RateLimitError,
}


def error_for(
    status: int,
    problem: Mapping[str, Any] | None,
    *,
    headers: Mapping[str, str] | None = None,
    request_id: str | None = None,
    method: str | None = None,
    url: str | None = None,
    text: str | None = None,
    retry_after: float | None = None,
) -> APIError:
    """The error for an answer with ``status`` and (when it was JSON) ``problem``."""
    cls = _CLASSES.get(status, APIError)
    title = problem.get("title") if problem is not None else None
    detail = problem.get("detail") if problem is not None else None
    if not isinstance(detail, str) or not detail:
        detail = (text or "").strip()[:200] or "no problem details in the answer"
    phrase = f" {title}" if isinstance(title, str) and title else ""
    where = f" ({method} {url})" if method and url else ""
    message = f"{status}{phrase}: {detail}{where}"
    kwargs: dict[str, Any] = {
        "status": status,
        "problem": problem,
        "headers": headers,
        "request_id": request_id,
        "method": method,
        "url": url,
    }
    if cls is RateLimitError:
        return RateLimitError(message, retry_after=retry_after, **kwargs)
    return cls(message, **kwargs)
