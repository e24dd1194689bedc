"""RFC 7807 problem details for every error the merchant API answers.

Problems use the ``about:blank`` type, so ``title`` is the HTTP status phrase; ``detail``
says what went wrong and ``errors`` lists each broken rule as ``{field, rule, detail}``.
"""

from __future__ import annotations

import json
import logging
from http import HTTPStatus
from typing import Any

from flask import Response, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, RequestEntityTooLarge

from shoptrace.shop_plugin.services.errors import FieldError, ServiceError

__all__ = ["MEDIA_TYPE", "from_exception", "from_http_exception", "json_bytes", "problem"]

MEDIA_TYPE = "application/problem+json"
log = logging.getLogger("shoptrace.shop_plugin.api")


def json_bytes(body: Any) -> bytes:
    """``body`` as UTF-8 JSON; text that cannot be UTF-8 (lone surrogates) is escaped."""
    try:
        return json.dumps(body, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(body).encode("ascii")


def problem(
    status: int,
    detail: str,
    *,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """A problem+json response."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": request.path,
    }
    if errors:
        body["errors"] = [e.as_dict() for e in errors]
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=MEDIA_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


_HTTP_DETAIL = {
    400: "The request is malformed.",
    404: "No such resource in this API.",
    405: "This resource does not support the method.",
    413: "The request body is larger than this API accepts.",
    415: "Send the body as application/json.",
}


def from_http_exception(exc: HTTPException) -> Response:
    """A problem for a Werkzeug HTTP error (routing, body size, method)."""
    status = exc.code or 500
    headers = {}
    errors = None
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        headers["Allow"] = ", ".join(sorted(exc.valid_methods))
    detail = _HTTP_DETAIL.get(status) or HTTPStatus(status).description
    if isinstance(exc, RequestEntityTooLarge):
        limit = request.max_content_length
        errors = [FieldError("(body)", "max-bytes", f"must be at most {limit} bytes")]
    return problem(status, detail, errors=errors, headers=headers)


def from_exception(exc: Exception) -> Response:
    """A problem for any exception: service errors carry their status and fields."""
    if isinstance(exc, ServiceError):
        return problem(exc.status, exc.detail, errors=exc.errors)
    if isinstance(exc, HTTPException):
        return from_http_exception(exc)
    log.exception("unhandled error in %s %s", request.method, request.path)
    return problem(500, "The service failed to answer; the error is logged.")
