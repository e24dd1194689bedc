"""The endpoint shape a merchant sends: a public https URL (local ones only when allowed),
a mode, the authentication and its header, the batch size."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from shoptrace.shop_plugin.services.endpoint_urls import endpoint_url
from shoptrace.shop_plugin.services.errors import FieldError
from shoptrace.shop_plugin.services.validation import (
    INVALID,
    Check,
    Field,
    enum,
    integer,
    obj,
    text,
)
from shoptrace.shop_plugin.store.tables import UPSTREAM_AUTH_TYPES, UPSTREAM_KINDS, UPSTREAM_MODES

MAX_BATCH_SIZE = 1000

_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_VISIBLE = re.compile(r"[\x21-\x7e]+")
_HEADER_VALUE = re.compile(r"[\x20-\x7e]+")
_RESERVED_HEADERS = frozenset(
    {
        "host",
        "content-type",
        "content-length",
        "content-encoding",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "te",
        "trailer",
        "upgrade",
        "user-agent",
        "accept",
        "expect",
    }
)


def _bad(errors: list[FieldError], path: str, rule: str, detail: str) -> Any:
    errors.append(FieldError(path, rule, detail))
    return INVALID


def _boolean(value: Any, path: str, errors: list[FieldError]) -> Any:
    if not isinstance(value, bool):
        return _bad(errors, path, "type", "must be true or false")
    return value


def _pattern(regex: re.Pattern[str], max_length: int, rule: str, detail: str) -> Check:
    as_text = text(max_length=max_length)

    def check(value: Any, path: str, errors: list[FieldError]) -> Any:
        value = as_text(value, path, errors)
        if value is INVALID:
            return INVALID
        if not regex.fullmatch(value) or value != value.strip():
            return _bad(errors, path, rule, detail)
        return value

    return check


def _header_name(value: Any, path: str, errors: list[FieldError]) -> Any:
    name = _pattern(_TOKEN, 100, "header-name", "must be an HTTP header name such as X-API-Key")(
        value, path, errors
    )
    if name is INVALID:
        return INVALID
    lowered = name.lower()
    if lowered in _RESERVED_HEADERS or lowered.startswith(("gs1-", "proxy-", "sec-")):
        return _bad(errors, path, "reserved-header", f"{name} is set by shoptrace itself")
    return name


_SECRET = _pattern(
    _VISIBLE, 4000, "characters", "must be printable ASCII without spaces (as a header takes it)"
)
_AUTH_FIELDS: dict[str, dict[str, Field]] = {
    "none": {},
    "bearer": {"token": Field(_SECRET, required=True)},
    "basic": {
        "username": Field(
            _pattern(
                re.compile(r"[\x20-\x39\x3b-\x7e]+"),
                200,
                "characters",
                "must be printable ASCII without ':'",
            ),
            required=True,
        ),
        "password": Field(
            _pattern(_HEADER_VALUE, 1000, "characters", "must be printable ASCII"),
            required=True,
        ),
    },
    "header": {
        "name": Field(_header_name, required=True),
        "value": Field(
            _pattern(_HEADER_VALUE, 4000, "characters", "must be printable ASCII"),
            required=True,
        ),
    },
}


def _auth(value: Any, path: str, errors: list[FieldError]) -> Any:
    if not isinstance(value, dict):
        return _bad(errors, path, "type", "must be an object with a type")
    kind = enum(UPSTREAM_AUTH_TYPES)(value.get("type"), f"{path}.type", errors)
    if kind is INVALID:
        return INVALID
    fields = {"type": Field(enum(UPSTREAM_AUTH_TYPES), required=True), **_AUTH_FIELDS[kind]}
    return obj(fields)(value, path, errors)


def _schema(*, partial: bool, allow_local: bool) -> Check:
    fields = {
        "name": Field(text(max_length=100), required=True, nullable=False),
        "url": Field(
            endpoint_url(
                allow_local=allow_local, setting="SHOPTRACE_SYNC_LOCAL_URLS", credentials=False
            ),
            required=True,
            nullable=False,
        ),
        "kind": Field(enum(UPSTREAM_KINDS), nullable=False),
        "partner": Field(_boolean, nullable=False),
        "mode": Field(enum(UPSTREAM_MODES), nullable=False),
        "auth": Field(_auth, nullable=False),
        "batchSize": Field(integer(minimum=1, maximum=MAX_BATCH_SIZE), nullable=False),
        "enabled": Field(_boolean, nullable=False),
    }
    if partial:
        return obj(fields, partial=True)
    fields["backfill"] = Field(_boolean, nullable=False)
    return obj(fields, post=_capture_url)


def _capture_url(data: dict[str, Any], path: str, errors: list[FieldError]) -> None:
    """In ``capture`` mode ``/capture`` is appended to the URL: it cannot carry a query."""
    if data.get("mode", "capture") == "capture" and urlsplit(data["url"]).query:
        _bad(
            errors,
            "url",
            "epcis-base-url",
            "in capture mode give the EPCIS base URL without a ?query (/capture is added)",
        )
