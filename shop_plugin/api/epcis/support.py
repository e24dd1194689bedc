"""What the EPCIS binding's views share: version headers, query parameters, answers."""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any
from urllib.parse import quote, urlencode

from flask import Response, request, url_for

from shoptrace.shop_plugin.api.epcis.problems import VERSION_HEADERS
from shoptrace.shop_plugin.api.support import merchant_id, state
from shoptrace.shop_plugin.services import event_query
from shoptrace.shop_plugin.services.clock import utcnow
from shoptrace.shop_plugin.services.errors import FieldError, ServiceError
from shoptrace.shop_plugin.services.event_query import EventQuery, QueryParameterError
from shoptrace.shop_plugin.services.event_store import MAX_KEY_LENGTH
from shoptrace.shop_plugin.services.validation import whole_number

__all__ = [
    "CONTEXT",
    "NotAcceptable",
    "check_versions",
    "collection",
    "event_location",
    "json_answer",
    "list_link",
    "page_params",
    "path_value",
    "query_answer",
    "query_params",
]

CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
_VERSION = re.compile(r"[0-9]{1,4}(?:\.[0-9]{1,4}){0,3}")
_LIST_TOKEN_MAX = 700


class NotAcceptable(ServiceError):
    """The client asks for EPCIS or CBV versions this repository does not serve."""

    status = 406
    slug = "NotAcceptableException"
    title = "Not acceptable"


def _version(name: str) -> tuple[int, ...] | None:
    value = request.headers.get(name)
    if value is None:
        return None
    value = value.strip()
    if not _VERSION.fullmatch(value):
        raise ServiceError(
            f"{name}: must be a version such as 2.0.0",
            errors=[FieldError(name, "version", "must be a version such as 2.0.0")],
        )
    return tuple(int(p) for p in value.split("."))


def check_versions() -> None:
    """Refuse ``GS1-EPCIS-*`` / ``GS1-CBV-*`` version headers that exclude 2.0."""
    for family in ("EPCIS", "CBV"):
        exact = _version(f"GS1-{family}-Version")
        low = _version(f"GS1-{family}-Min")
        high = _version(f"GS1-{family}-Max")
        if exact is not None and exact[0] != 2:
            raise NotAcceptable(f"GS1-{family}-Version: this repository speaks {family} 2.0")
        if (low is not None and low[0] > 2) or (high is not None and high < (2,)):
            raise NotAcceptable(f"GS1-{family}-Min/Max: this repository speaks {family} 2.0")


def path_value(name: str, value: str) -> str:
    """A value taken from the path (an EPC, eventID, place): printable, at most 500 long."""
    if not value or len(value) > MAX_KEY_LENGTH or not value.isprintable():
        raise QueryParameterError(
            name, "format", f"must be 1 to {MAX_KEY_LENGTH} printable characters"
        )
    return value


def json_answer(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON answer with the binding's version headers."""
    text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
    response = Response(text, status=status, mimetype="application/json")
    response.headers.update(VERSION_HEADERS)
    response.headers.update(headers or {})
    return response


def _next_link(token: str) -> str:
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "nextPageToken"]
    args.append(("nextPageToken", token))
    return f'<{request.base_url}?{urlencode(args)}>; rel="next"'


def query_params(path: tuple[str, str] | None = None) -> EventQuery:
    """The request's EPCIS query parameters; ``path`` is ``(parameter, value)`` a resource
    path fixes (``/bizSteps/shipping/events``: ``("EQ_bizStep", "shipping")``)."""
    params: dict[str, list[str]] = {k: request.args.getlist(k) for k in request.args}
    query = event_query.parse_query(params, max_per_page=state().settings.max_page_size)
    if path is not None:
        name, value = path
        path_value(name, value)
        if name in params:
            raise QueryParameterError(name, "repeated", "already given by the path")
        event_query.restrict(query, name, value)
    return query


def query_answer(conn: Any, query: EventQuery) -> Response:
    """A page of events as an EPCISQueryDocument, with ``Link: rel="next"``."""
    page = event_query.run_query(conn, merchant_id(), query)
    text = event_query.query_document(conn, merchant_id(), page, created=utcnow())
    headers = {"Link": _next_link(page.next_token)} if page.next_token else {}
    return json_answer(text, 200, headers)


def page_params() -> tuple[str | None, int]:
    """``(after, perPage)`` of a list of values (``nextPageToken`` carries the last value)."""
    limit = 30
    raw = request.args.get("perPage")
    top = state().settings.max_page_size
    if raw is not None:
        number = whole_number(raw, 1, top)
        if number is None:
            raise QueryParameterError("perPage", "range", f"must be a whole number from 1 to {top}")
        limit = number
    for name in request.args:
        if name not in ("perPage", "nextPageToken"):
            raise QueryParameterError(name, "unknown", "this list takes perPage and nextPageToken")
    token = request.args.get("nextPageToken")
    if not token:
        return None, limit
    try:
        if len(token) > _LIST_TOKEN_MAX:
            raise ValueError
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("utf-8")
        if not text.startswith("v1|"):
            raise ValueError
    except (binascii.Error, ValueError):
        raise QueryParameterError(
            "nextPageToken", "page-token", "is not a token this repository returned"
        ) from None
    return text[3:], limit


def list_link(last: str | None) -> dict[str, str]:
    """``Link: rel="next"`` of a list continued after the value ``last`` (none if None)."""
    if last is None:
        return {}
    token = base64.urlsafe_b64encode(("v1|" + last).encode("utf-8")).decode("ascii")
    return {"Link": _next_link(token.rstrip("="))}


def collection(members: list[str], last: str | None) -> Response:
    """A JSON-LD ``Collection`` of values, continued with ``nextPageToken``."""
    body = {"@context": CONTEXT, "type": "Collection", "member": members}
    return json_answer(body, 200, list_link(last))


def event_location(event_id: str) -> str:
    """The URL of a stored event (eventID percent-encoded as one path segment)."""
    root = url_for(".top_level")
    return f"{root.rstrip('/')}/events/{quote(event_id, safe='')}"
