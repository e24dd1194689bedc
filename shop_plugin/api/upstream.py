"""Merchant API: upstream EPCIS endpoints (trace platforms, marketplaces, partners) and the
state of pushing the merchant's events to each.

Credentials go in (``auth``) and never come out. Views need not wake the sync runner: a
transaction that makes an endpoint due marks its connection, and the runner wakes when the
connection returns to the pool.
"""

from __future__ import annotations

from flask import Blueprint, request, url_for
from sqlalchemy.engine import Connection

from shoptrace.shop_plugin.api.support import (
    Answer,
    json_body,
    merchant_id,
    page_args,
    paged,
    read_route,
    state,
    write_route,
)
from shoptrace.shop_plugin.services import upstream
from shoptrace.shop_plugin.services.errors import InvalidInput
from shoptrace.shop_plugin.services.pagination import MAX_ID
from shoptrace.shop_plugin.services.validation import whole_number

__all__ = ["register"]


@read_route
def list_upstreams(conn: Connection) -> Answer:
    after, limit = page_args()
    page = upstream.list_endpoints(
        conn, merchant_id(), state().signing_key, after=after, limit=limit
    )
    return paged(page, "upstreams")


@write_route
def create_upstream(conn: Connection) -> Answer:
    st = state()
    endpoint = upstream.create_endpoint(
        conn,
        merchant_id(),
        json_body(),
        st.signing_key,
        allow_local=st.settings.sync_local_urls,
    )
    return endpoint, 201, {"Location": url_for(".get_upstream", upstream_id=endpoint["id"])}


@read_route
def get_upstream(conn: Connection, upstream_id: int) -> Answer:
    return upstream.get_endpoint(conn, merchant_id(), upstream_id, state().signing_key), 200, {}


@write_route
def update_upstream(conn: Connection, upstream_id: int) -> Answer:
    st = state()
    endpoint = upstream.update_endpoint(
        conn,
        merchant_id(),
        upstream_id,
        json_body(),
        st.signing_key,
        allow_local=st.settings.sync_local_urls,
    )
    return endpoint, 200, {}


@write_route
def delete_upstream(conn: Connection, upstream_id: int) -> Answer:
    return upstream.delete_endpoint(conn, merchant_id(), upstream_id), 200, {}


@write_route
def resume_upstream(conn: Connection, upstream_id: int) -> Answer:
    endpoint = upstream.resume_endpoint(conn, merchant_id(), upstream_id, state().signing_key)
    return endpoint, 200, {}


def _seq_arg() -> int:
    raw = request.args.get("seq")
    if raw is None:
        raise InvalidInput.one("seq", "required", "give the position to rewind to", status=400)
    seq = whole_number(raw, 0, MAX_ID)
    if seq is None:
        raise InvalidInput.one("seq", "integer", "must be a whole number from 0", status=400)
    return seq


@write_route
def rewind_upstream(conn: Connection, upstream_id: int) -> Answer:
    seq = _seq_arg()
    endpoint = upstream.rewind_endpoint(conn, merchant_id(), upstream_id, seq, state().signing_key)
    return endpoint, 200, {}


def register(bp: Blueprint) -> None:
    """Add the upstream routes to the API blueprint."""
    one = "/upstreams/<shoptrace_id:upstream_id>"
    bp.add_url_rule("/upstreams", view_func=list_upstreams, methods=["GET"])
    bp.add_url_rule("/upstreams", view_func=create_upstream, methods=["POST"])
    bp.add_url_rule(one, view_func=get_upstream, methods=["GET"])
    bp.add_url_rule(one, view_func=update_upstream, methods=["PATCH"])
    bp.add_url_rule(one, view_func=delete_upstream, methods=["DELETE"])
    bp.add_url_rule(one + "/resume", view_func=resume_upstream, methods=["POST"])
    bp.add_url_rule(one + "/rewind", view_func=rewind_upstream, methods=["POST"])
