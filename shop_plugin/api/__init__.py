"""The merchant REST API (``{prefix}/api/v1``): a blueprint of thin views over the services."""

from __future__ import annotations

import os

from flask import Blueprint, Response, request
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BaseConverter, ValidationError

from shoptrace.shop_plugin.api import (
    batches,
    catalogue,
    codes,
    connections,
    locations,
    openapi,
    orders,
    products,
    recalls,
    traces,
    upstream,
    webhooks,
)
from shoptrace.shop_plugin.api.problems import from_exception, from_http_exception
from shoptrace.shop_plugin.api.support import before_api_request, state
from shoptrace.shop_plugin.services.pagination import MAX_ID

__all__ = ["API_PATH", "BLUEPRINT", "IdConverter", "make_blueprint"]

BLUEPRINT = "shoptrace_api"
API_PATH = "/api/v1"


class IdConverter(BaseConverter):
    """A row id in a path: 1 to 2**63-1, so no path reaches the database out of range."""

    regex = r"[1-9][0-9]{0,18}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_ID:
            raise ValidationError()
        return number

    def to_url(self, value: object) -> str:
        return str(value)


def _routing_problem() -> Response | None:
    """Problems for unknown API paths and wrong methods, which never reach the blueprint."""
    error = request.routing_exception
    if not isinstance(error, HTTPException) or (error.code or 500) < 400:
        return None
    api_root = state().settings.url_prefix + API_PATH
    if request.path != api_root and not request.path.startswith(api_root + "/"):
        return None
    return from_http_exception(error)


def make_blueprint() -> Blueprint:
    """The API blueprint; register it with ``url_prefix=SHOPTRACE_URL_PREFIX + API_PATH``."""
    bp = Blueprint(BLUEPRINT, __name__, root_path=os.path.dirname(__file__))
    bp.before_app_request(_routing_problem)
    bp.before_request(before_api_request)
    bp.register_error_handler(Exception, from_exception)
    for module in (
        products,
        batches,
        codes,
        catalogue,
        traces,
        orders,
        recalls,
        webhooks,
        connections,
        upstream,
        locations,
        openapi,
    ):
        module.register(bp)
    return bp
