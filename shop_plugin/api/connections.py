"""Merchant API: shop platform connections (where inbound webhooks come from).

Answers never hold the secret; each connection carries ``webhookUrl``, the address to give the
platform as the webhook's delivery URL.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, url_for
from sqlalchemy.engine import Connection

from shoptrace.shop_plugin.api.support import (
    Answer,
    base_url,
    json_body,
    merchant_id,
    page_args,
    paged,
    query_arg,
    read_route,
    state,
    write_route,
)
from shoptrace.shop_plugin.services import connections
from shoptrace.shop_plugin.services.validation import enum

__all__ = ["register"]

HOOKS_PATH = "/hooks"


def _with_url(connection: dict[str, Any]) -> dict[str, Any]:
    return {**connection, "webhookUrl": f"{base_url()}{HOOKS_PATH}/{connection['platform']}"}


@read_route
def list_connections(conn: Connection) -> Answer:
    after, limit = page_args()
    page = connections.list_connections(
        conn,
        merchant_id(),
        signing_key=state().signing_key,
        after=after,
        limit=limit,
        platform=query_arg("platform", enum(connections.PLATFORMS)),
    )
    page.items[:] = [_with_url(item) for item in page.items]
    return paged(page, "connections")


@write_route
def create_connection(conn: Connection) -> Answer:
    created = connections.create_connection(
        conn, merchant_id(), json_body(), signing_key=state().signing_key
    )
    location = url_for(".get_connection", connection_id=created["id"])
    return _with_url(created), 201, {"Location": location}


@read_route
def get_connection(conn: Connection, connection_id: int) -> Answer:
    found = connections.get_connection(
        conn, merchant_id(), connection_id, signing_key=state().signing_key
    )
    return _with_url(found), 200, {}


@write_route
def update_connection(conn: Connection, connection_id: int) -> Answer:
    updated = connections.update_connection(
        conn, merchant_id(), connection_id, json_body(), signing_key=state().signing_key
    )
    return _with_url(updated), 200, {}


@write_route
def delete_connection(conn: Connection, connection_id: int) -> Answer:
    return connections.delete_connection(conn, merchant_id(), connection_id), 200, {}


def register(bp: Blueprint) -> None:
    """Add the connection routes to the API blueprint."""
    one = "/connections/<shoptrace_id:connection_id>"
    bp.add_url_rule("/connections", view_func=list_connections, methods=["GET"])
    bp.add_url_rule("/connections", view_func=create_connection, methods=["POST"])
    bp.add_url_rule(one, view_func=get_connection, methods=["GET"])
    bp.add_url_rule(one, view_func=update_connection, methods=["PATCH"])
    bp.add_url_rule(one, view_func=delete_connection, methods=["DELETE"])
