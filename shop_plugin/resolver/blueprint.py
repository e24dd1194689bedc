"""The public routes' blueprint: rules, the public rate limit, CORS and error answers."""

from __future__ import annotations

import logging
import math
import os
import time
from typing import Any

from flask import Blueprint, Response, current_app, request
from flask.blueprints import BlueprintSetupState
from werkzeug.exceptions import HTTPException
from werkzeug.routing import PathConverter

from shoptrace.shop_plugin.resolver import orders, views
from shoptrace.shop_plugin.resolver.state import resolver_state
from shoptrace.shop_plugin.store.migrate import is_up_to_date

__all__ = ["BLUEPRINT", "make_blueprint"]

BLUEPRINT = "shoptrace_resolver"
log = logging.getLogger("shoptrace.shop_plugin.resolver")
_METHODS = ["GET", "HEAD", "OPTIONS"]
_NEGOTIATED = frozenset({"resolve", "embed"})


def _guard() -> Response | None:
    """Schema check and the per-client rate limit of every public request."""
    shop = current_app.extensions["shoptrace"]
    if not shop.schema_ok:
        if not is_up_to_date(shop.store):
            return views.problem(503, "The trace service is being upgraded; try again soon.")
        shop.schema_ok = True
    st = resolver_state()
    if st.limiter is None:
        return None
    identity = request.remote_addr or "-"
    for item in st.limits:
        if not st.limiter.hit(item, "shoptrace-public", identity):
            reset = st.limiter.get_window_stats(item, "shoptrace-public", identity).reset_time
            wait = max(1, math.ceil(reset - time.time()))
            return views.problem(
                429,
                f"Too many requests from this client ({item}); retry in {wait} s.",
                {"Retry-After": str(wait)},
            )
    return None


def _headers(response: Response) -> Response:
    """CORS for every public answer (GS1-Conformant Resolver), and what it varies by
    (answers built from the cache carry them already)."""
    headers = response.headers
    if "Access-Control-Allow-Origin" in headers:
        return response
    negotiated = (request.endpoint or "").rpartition(".")[2] in _NEGOTIATED
    for name, value in views.PUBLIC_HEADERS:
        if negotiated or name != "Vary":
            headers[name] = value
    return response


def _error(exc: Exception) -> Response:
    if isinstance(exc, HTTPException):
        return views.problem(exc.code or 500, exc.description or "The request failed.")
    log.exception("unhandled error in %s %s", request.method, request.path)
    return views.problem(500, "The service failed to answer; the error is logged.")


class RestConverter(PathConverter):
    """The rest of a path, whatever it holds (``//`` included): the parser judges it."""

    regex = r"[\s\S]*"
    part_isolating = False


def _converter(state: BlueprintSetupState) -> None:
    state.app.url_map.converters.setdefault("shoptrace_rest", RestConverter)


def make_blueprint() -> Blueprint:
    """The public routes; register with ``url_prefix=SHOPTRACE_URL_PREFIX``."""
    bp = Blueprint(BLUEPRINT, __name__, root_path=os.path.dirname(__file__))
    bp.record_once(_converter)
    bp.before_request(_guard)
    bp.after_request(_headers)
    bp.register_error_handler(Exception, _error)
    keys = ", ".join(f'"{key}"' for key in ("01", "00", "414", "8004"))
    rules: list[tuple[str, Any, dict[str, str]]] = [
        (f"/<any({keys}):key>/<shoptrace_rest:rest>", views.resolve, {}),
        (f"/<any({keys}):key>/", views.resolve, {"rest": ""}),
        ('/embed/<any("01"):key>/<shoptrace_rest:rest>', views.embed, {}),
        ('/embed/<any("01"):key>/', views.embed, {"rest": ""}),
        ("/.well-known/gs1resolver", views.description, {}),
        ("/widget.js", views.widget, {}),
        ("/orders/<token>", orders.order_page, {}),
        ("/listings/<gtin>", orders.listing, {}),
    ]
    for path, view, defaults in rules:
        extra: dict[str, Any] = {"defaults": defaults, "strict_slashes": False} if defaults else {}
        bp.add_url_rule(
            path,
            view_func=view,
            methods=_METHODS,
            provide_automatic_options=False,
            merge_slashes=False,
            **extra,
        )
    return bp
