"""RFC 7807 problems of the EPCIS binding, typed with the EPCIS exception names.

``type`` is ``epcisException:<Name>`` as GS1's OpenAPI writes it (``ValidationException``,
``QueryParameterException``, ``NoSuchResourceException``, ``SecurityException``, ...);
``errors`` lists each problem as ``{field, rule, detail}``, where ``field`` is a JSON pointer
into the document for capture problems and the parameter or header name otherwise.
"""

from __future__ import annotations

import json
import logging
from http import HTTPStatus
from typing import Any

from flask import Response, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, RequestEntityTooLarge

from shoptrace.shop_plugin.api.problems import MEDIA_TYPE
from shoptrace.shop_plugin.services.capture import InvalidDocument
from shoptrace.shop_plugin.services.errors import FieldError, ServiceError

__all__ = ["VERSION_HEADERS", "epcis_problem", "from_exception", "from_http_exception", "render"]

log = logging.getLogger("shoptrace.shop_plugin.api.epcis")

VERSION_HEADERS = {"GS1-EPCIS-Version": "2.0.0", "GS1-CBV-Version": "2.0.0"}
"""Sent with every answer of the binding."""

_TYPES = {
    400: "ValidationException",
    401: "SecurityException",
    403: "SecurityException",
    404: "NoSuchResourceException",
    406: "NotAcceptableException",
    409: "ResourceAlreadyExistsException",
    413: "CaptureLimitExceededException",
    414: "URITooLongException",
    415: "UnsupportedMediaTypeException",
    500: "ImplementationException",
}
_DETAIL = {
    400: "The request is malformed.",
    404: "No such resource in this repository.",
    405: "This resource does not support the method.",
    413: "The request body is larger than this repository accepts.",
}


def epcis_problem(
    status: int,
    detail: str,
    *,
    kind: str | None = None,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """A problem+json answer; ``kind`` is the EPCIS exception name (from the status if None)."""
    kind = kind or _TYPES.get(status)
    body: dict[str, Any] = {
        "type": f"epcisException:{kind}" if kind else "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": request.path,
    }
    if errors:
        body["errors"] = [e.as_dict() for e in errors]
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=MEDIA_TYPE)
    response.headers.update(VERSION_HEADERS)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def render(status: int, detail: str, *, headers: dict[str, str] | None = None) -> Response:
    """The renderer the shared request guard uses (auth, rate limit, schema)."""
    return epcis_problem(status, detail, headers=headers)


def from_http_exception(exc: HTTPException) -> Response:
    """A problem for a Werkzeug HTTP error (routing, body size, method)."""
    status = exc.code or 500
    headers = {}
    errors = None
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        headers["Allow"] = ", ".join(sorted(exc.valid_methods))
    detail = _DETAIL.get(status) or HTTPStatus(status).description
    if isinstance(exc, RequestEntityTooLarge):
        limit = request.max_content_length
        errors = [FieldError("(body)", "max-bytes", f"must be at most {limit} bytes")]
    return epcis_problem(status, detail, errors=errors, headers=headers)


def from_exception(exc: Exception) -> Response:
    """A problem for any exception: service errors carry their status, type and problems."""
    if isinstance(exc, InvalidDocument):
        errors = [
            FieldError(pointer or "(root)", "epcis", message) for pointer, message in exc.problems
        ]
        return epcis_problem(400, exc.detail, kind="ValidationException", errors=errors)
    if isinstance(exc, ServiceError):
        kind = exc.slug if exc.slug[0].isupper() else None
        if exc.status == 400 and kind is None:
            kind = "ValidationException"
        return epcis_problem(exc.status, exc.detail, kind=kind, errors=exc.errors)
    if isinstance(exc, HTTPException):
        return from_http_exception(exc)
    log.exception("unhandled error in %s %s", request.method, request.path)
    return epcis_problem(500, "The repository failed to answer; the error is logged.")
