"""What every merchant API view shares: auth, limits, JSON bodies, transactions, pages.

Views are thin: they parse, call one service with a connection from :func:`read_route` or
:func:`write_route`, and return ``(body, status, headers)``. :func:`write_route` runs the
view in one write transaction and, for a POST or DELETE with an ``Idempotency-Key``, stores
the answer in that same transaction and replays it for retries.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, Protocol
from urllib.parse import urlencode

from flask import Response, current_app, g, request
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from shoptrace.shop_plugin.api.problems import json_bytes, problem
from shoptrace.shop_plugin.services import idempotency
from shoptrace.shop_plugin.services.errors import (
    FieldError,
    InvalidInput,
    Unavailable,
)
from shoptrace.shop_plugin.services.merchants import Principal, authenticate
from shoptrace.shop_plugin.services.pagination import MAX_ID, Page, decode_token
from shoptrace.shop_plugin.services.validation import INVALID, Check, whole_number
from shoptrace.shop_plugin.store.migrate import is_up_to_date

if TYPE_CHECKING:
    from shoptrace.shop_plugin.extension import ShopTraceState

__all__ = [
    "PUBLIC_ENDPOINTS",
    "Answer",
    "after_commit",
    "base_url",
    "before_api_request",
    "guard_request",
    "json_body",
    "json_response",
    "id_arg",
    "merchant_id",
    "next_link",
    "page_args",
    "paged",
    "query_arg",
    "read_route",
    "state",
    "write_route",
]

Answer = tuple[Any, int, dict[str, str]]
"""What a view returns: JSON body, status, headers."""
P = ParamSpec("P")
PUBLIC_ENDPOINTS = frozenset({"openapi"})
"""Endpoints of the blueprint answered without an API key."""


def state() -> ShopTraceState:
    """The shoptrace state of the current app."""
    shop: ShopTraceState = current_app.extensions["shoptrace"]
    return shop


def merchant_id() -> int:
    """The merchant the current request acts for."""
    principal: Principal = g.shoptrace_principal
    return principal.merchant_id


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        return None
    return credentials.strip()


class Render(Protocol):
    """Builds an error response: the merchant API's problems, or the EPCIS binding's."""

    def __call__(
        self, status: int, detail: str, *, headers: dict[str, str] | None = None
    ) -> Response: ...


def _rate_limited(st: ShopTraceState, identity: str, render: Render) -> Response | None:
    if st.limiter is None:
        return None
    for item in st.limits:
        if not st.limiter.hit(item, "shoptrace-api", identity):
            reset = st.limiter.get_window_stats(item, "shoptrace-api", identity).reset_time
            wait = max(1, math.ceil(reset - time.time()))
            return render(
                429,
                f"Rate limit {item} reached; retry in {wait} s.",
                headers={"Retry-After": str(wait)},
            )
    return None


def before_api_request() -> Response | None:
    """Body limit, schema check, authentication and rate limit of every API request."""
    return guard_request(problem)


def guard_request(render: Render) -> Response | None:
    """What :func:`before_api_request` does, with errors built by ``render``."""
    st = state()
    request.max_content_length = st.settings.max_body_bytes
    if not st.schema_ok:
        if not is_up_to_date(st.store):
            return render(
                503, "The database schema is behind this version: run `shoptrace db upgrade`."
            )
        st.schema_ok = True
    endpoint = (request.endpoint or "").rpartition(".")[2]
    if endpoint in PUBLIC_ENDPOINTS:
        return None
    key = _bearer()
    principal = None
    if key is not None:
        with st.store.read() as conn:
            principal = authenticate(conn, key)
    identity = f"key:{principal.key_id}" if principal else f"addr:{request.remote_addr}"
    limited = _rate_limited(st, identity, render)
    if limited is not None:
        return limited
    if principal is None:
        detail = (
            "Send an API key as Authorization: Bearer <key>."
            if key is None
            else "The API key is unknown, revoked or expired."
        )
        return render(401, detail, headers={"WWW-Authenticate": 'Bearer realm="shoptrace"'})
    g.shoptrace_principal = principal
    return None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def json_body() -> Any:
    """The request body parsed as JSON; 415 for another media type, 400 when malformed."""
    if request.mimetype != "application/json" and not request.mimetype.endswith("+json"):
        raise InvalidInput.one(
            "Content-Type", "media-type", "send the body as application/json", status=415
        )
    raw = request.get_data(cache=True)
    try:
        return json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        detail = str(exc) if isinstance(exc, ValueError) else "nested too deeply"
        raise InvalidInput.one("(body)", "json", f"not valid JSON: {detail}", status=400) from None


def query_arg(name: str, check: Check) -> Any:
    """A query parameter checked by ``check`` (None when absent); 400 naming it when bad."""
    value = request.args.get(name)
    if value is None:
        return None
    errors: list[FieldError] = []
    cleaned = check(value, name, errors)
    if cleaned is INVALID:
        raise InvalidInput(errors, status=400)
    return cleaned


def id_arg(name: str) -> int | None:
    """A query parameter holding an id."""
    value = request.args.get(name)
    if value is None:
        return None
    number = whole_number(value, 1, MAX_ID)
    if number is None:
        raise InvalidInput.one(name, "id", "must be a positive whole number", status=400)
    return number


def page_args(*, maximum: int | None = None) -> tuple[int, int]:
    """``(after, limit)`` from ``pageToken`` and ``pageSize``."""
    settings = state().settings
    top = maximum or settings.max_page_size
    raw = request.args.get("pageSize")
    limit = min(settings.page_size, top)
    if raw is not None:
        number = whole_number(raw, 1, top)
        if number is None:
            raise InvalidInput.one(
                "pageSize", "range", f"must be a whole number from 1 to {top}", status=400
            )
        limit = number
    return decode_token(request.args.get("pageToken")), limit


def next_link(token: str) -> str:
    """The absolute URL of the next page: this request with ``pageToken`` replaced."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "pageToken"]
    args.append(("pageToken", token))
    return f"{request.base_url}?{urlencode(args)}"


def paged(page: Page, name: str) -> Answer:
    """A list answer: ``{name: [...], "nextPageToken": ...}`` and ``Link: rel="next"``."""
    headers = {}
    if page.next_token is not None:
        headers["Link"] = f'<{next_link(page.next_token)}>; rel="next"'
    return {name: page.items, "nextPageToken": page.next_token}, 200, headers


def base_url() -> str:
    """Base of Digital Link URIs: SHOPTRACE_PUBLIC_BASE_URL, else this host and the prefix."""
    settings = state().settings
    return settings.public_base_url or request.url_root.rstrip("/") + settings.url_prefix


def json_response(body: Any, status: int, headers: dict[str, str]) -> Response:
    """A JSON answer."""
    response = Response(json_bytes(body), status=status, mimetype="application/json")
    response.headers.update(headers)
    return response


def read_route(view: Callable[Concatenate[Connection, P], Answer]) -> Callable[P, Response]:
    """Run ``view(conn, **args)`` in a read transaction and answer JSON."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Response:
        with state().store.read() as conn:
            answer = view(conn, *args, **kwargs)
        return json_response(*answer)

    return wrapper


def after_commit(action: Callable[[], None]) -> None:
    """Run ``action`` once the current write transaction has committed."""
    g.shoptrace_after_commit.append(action)


def write_route(view: Callable[Concatenate[Connection, P], Answer]) -> Callable[P, Response]:
    """Run ``view(conn, **args)`` in one write transaction, with idempotent POST and DELETE
    replay."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Response:
        st = state()
        key = request.headers.get(idempotency.HEADER)
        if key is not None and request.method in idempotency.METHODS:
            key = idempotency.check_key(key)
        else:
            key = None
        raw = request.get_data(cache=True)
        print_ = idempotency.fingerprint(
            request.method, request.path, raw, key=idempotency.fingerprint_key(st.signing_key)
        )
        for attempt in range(2):
            actions: list[Callable[[], None]] = []
            g.shoptrace_after_commit = actions
            try:
                with st.store.begin() as conn:
                    reservation = None
                    if key is not None:
                        stored = idempotency.lookup(
                            conn, merchant_id(), key, print_, ttl=st.settings.idempotency_ttl
                        )
                        if stored is not None:
                            response = Response(
                                stored.body, status=stored.status, mimetype="application/json"
                            )
                            response.headers.update(stored.headers)
                            response.headers["Idempotent-Replayed"] = "true"
                            return response
                        reservation = idempotency.reserve(
                            conn, merchant_id(), key, request.method, request.path, print_
                        )
                    body, status, headers = view(conn, *args, **kwargs)
                    response = json_response(body, status, headers)
                    if reservation is not None:
                        kept = {k: v for k, v in headers.items() if k in ("Location",)}
                        idempotency.store_answer(
                            conn,
                            reservation,
                            idempotency.Stored(status, response.get_data(as_text=True), kept),
                        )
            except IntegrityError:
                if key is None or attempt:
                    raise
                continue  # a concurrent request with the same key committed first: replay it
            for action in actions:
                action()
            return response
        raise Unavailable("could not settle the idempotency key; retry")

    return wrapper
