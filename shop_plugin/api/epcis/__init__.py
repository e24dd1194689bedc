"""The EPCIS 2.0 REST binding (``{prefix}/epcis``): capture, events, top-level resources.

It follows GS1's OpenAPI of the binding: ``POST /capture`` takes an EPCISDocument and answers
202 with the capture job's ``Location``; ``POST /events`` takes one event (201); queries
answer EPCISQueryDocuments paged with ``perPage``/``nextPageToken`` and ``Link: rel="next"``;
errors are RFC 7807 problems typed ``epcisException:...``. Requests authenticate with the
merchant's API key (``Authorization: Bearer``); every query sees only that merchant's events.
"""

from __future__ import annotations

import os

from flask import Blueprint, Response, request
from werkzeug.exceptions import HTTPException

from shoptrace.shop_plugin.api.epcis import capture, events, resources
from shoptrace.shop_plugin.api.epcis.problems import (
    VERSION_HEADERS,
    from_exception,
    from_http_exception,
    render,
)
from shoptrace.shop_plugin.api.support import guard_request, state

__all__ = ["BLUEPRINT", "EPCIS_PATH", "make_blueprint"]

BLUEPRINT = "shoptrace_epcis"
EPCIS_PATH = "/epcis"


def _routing_problem() -> Response | None:
    """Problems for unknown paths and wrong methods under the binding's root."""
    error = request.routing_exception
    if not isinstance(error, HTTPException) or (error.code or 500) < 400:
        return None
    root = state().settings.url_prefix + EPCIS_PATH
    if request.path != root and not request.path.startswith(root + "/"):
        return None
    return from_http_exception(error)


def _guard() -> Response | None:
    return guard_request(render)


def _versions(response: Response) -> Response:
    for name, value in VERSION_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def make_blueprint() -> Blueprint:
    """The binding's blueprint, for ``url_prefix=SHOPTRACE_URL_PREFIX + EPCIS_PATH``."""
    bp = Blueprint(BLUEPRINT, __name__, root_path=os.path.dirname(__file__))
    bp.before_app_request(_routing_problem)
    bp.before_request(_guard)
    bp.after_request(_versions)
    bp.register_error_handler(Exception, from_exception)
    for module in (resources, capture, events):
        module.register(bp)
    return bp
