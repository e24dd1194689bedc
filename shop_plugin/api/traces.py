"""Merchant API: trace assembly, forward tracing of a batch, and the hash chain's integrity."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request
from sqlalchemy.engine import Connection

from shoptrace.shop_plugin.api.support import (
    Answer,
    json_response,
    merchant_id,
    next_link,
    query_arg,
    read_route,
    state,
)
from shoptrace.shop_plugin.services import chain, trace
from shoptrace.shop_plugin.services.batches import batch_row
from shoptrace.shop_plugin.services.errors import FieldError, InvalidInput
from shoptrace.shop_plugin.services.validation import INVALID, text, whole_number

__all__ = ["register"]

_code = text(max_length=2000)
MAX_UNIT_LIMIT = 100_000
INTEGRITY_PAGE_SIZE = 100_000
"""Events one ``GET /integrity`` checks unless ``pageSize`` says otherwise (about 3 s)."""
MAX_INTEGRITY_PAGE_SIZE = 1_000_000


@read_route
def get_trace(conn: Connection) -> Answer:
    code = query_arg("code", _code)
    if code is None:
        raise InvalidInput.one("code", "required", "give the code to trace", status=400)
    return trace.assemble_trace(conn, merchant_id(), code), 200, {}


@read_route
def batch_downstream(conn: Connection, batch_id: int) -> Answer:
    batch = batch_row(conn, merchant_id(), batch_id)
    limit = query_arg("unitLimit", _unit_limit)
    result = trace.forward_trace(
        conn, merchant_id(), batch.gtin, batch.lot, unit_limit=1000 if limit is None else limit
    )
    return result, 200, {}


def _unit_limit(value: str, path: str, errors: list[FieldError]) -> Any:
    number = whole_number(value, 0, MAX_UNIT_LIMIT)
    if number is None:
        errors.append(
            FieldError(path, "range", f"must be a whole number from 0 to {MAX_UNIT_LIMIT}")
        )
        return INVALID
    return number


def integrity() -> Response:
    """The chain checked a page of events at a time (``pageSize``, ``pageToken``)."""
    limit = INTEGRITY_PAGE_SIZE
    raw = request.args.get("pageSize")
    if raw is not None:
        number = whole_number(raw, 1, MAX_INTEGRITY_PAGE_SIZE)
        if number is None:
            raise InvalidInput.one(
                "pageSize",
                "range",
                f"must be a whole number from 1 to {MAX_INTEGRITY_PAGE_SIZE}",
                status=400,
            )
        limit = number
    token = request.args.get("pageToken")
    owner = merchant_id()
    after = chain.decode_token(owner, token) if token else None
    report = chain.verify(state().store, owner, after=after, limit=limit)
    headers = {}
    if report["nextPageToken"] is not None:
        headers["Link"] = f'<{next_link(report["nextPageToken"])}>; rel="next"'
    return json_response(report, 200, headers)


def register(bp: Blueprint) -> None:
    """Add the trace and integrity routes to the API blueprint."""
    bp.add_url_rule("/trace", view_func=get_trace, methods=["GET"])
    bp.add_url_rule(
        "/batches/<shoptrace_id:batch_id>/downstream", view_func=batch_downstream, methods=["GET"]
    )
    bp.add_url_rule("/integrity", view_func=integrity, methods=["GET"])
