"""Merchant API: outbound webhook endpoints, their secrets and their deliveries.

The secret is added to the answers of ``POST /webhooks`` and ``POST .../rotate-secret`` after
the transaction, derived again from the endpoint's salt: an ``Idempotency-Key`` replay
stores the answer without it and shows the current secret, so no secret is ever written to
the database. Views need not wake the outbox runner: a transaction that makes a message due
marks its connection, and the runner wakes when the connection returns to the pool.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import ParamSpec

from flask import Blueprint, Response, request, url_for
from sqlalchemy.engine import Connection

from shoptrace.shop_plugin.api.support import (
    Answer,
    json_body,
    merchant_id,
    page_args,
    paged,
    query_arg,
    read_route,
    state,
    write_route,
)
from shoptrace.shop_plugin.services import webhooks
from shoptrace.shop_plugin.services.validation import enum

__all__ = ["register"]

P = ParamSpec("P")


def _with_secret(view: Callable[P, Response]) -> Callable[P, Response]:
    """Add the endpoint's current ``secret`` to a successful answer."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Response:
        response = view(*args, **kwargs)
        if response.status_code not in (200, 201) or response.mimetype != "application/json":
            return response
        body = json.loads(response.get_data())
        with state().store.read() as conn:
            body["secret"] = webhooks.endpoint_secret_of(
                conn, merchant_id(), body["id"], state().signing_key
            )
        response.set_data(json.dumps(body, ensure_ascii=False).encode("utf-8"))
        response.headers["Cache-Control"] = "no-store"
        return response

    return wrapper


@read_route
def list_webhooks(conn: Connection) -> Answer:
    after, limit = page_args()
    return paged(webhooks.list_endpoints(conn, merchant_id(), after=after, limit=limit), "webhooks")


@_with_secret
@write_route
def create_webhook(conn: Connection) -> Answer:
    endpoint = webhooks.create_endpoint(
        conn, merchant_id(), json_body(), allow_local=state().settings.webhook_local_urls
    )
    return endpoint, 201, {"Location": url_for(".get_webhook", webhook_id=endpoint["id"])}


@read_route
def get_webhook(conn: Connection, webhook_id: int) -> Answer:
    return webhooks.get_endpoint(conn, merchant_id(), webhook_id), 200, {}


@write_route
def update_webhook(conn: Connection, webhook_id: int) -> Answer:
    endpoint = webhooks.update_endpoint(
        conn,
        merchant_id(),
        webhook_id,
        json_body(),
        allow_local=state().settings.webhook_local_urls,
    )
    return endpoint, 200, {}


@write_route
def delete_webhook(conn: Connection, webhook_id: int) -> Answer:
    return webhooks.delete_endpoint(conn, merchant_id(), webhook_id), 200, {}


@_with_secret
@write_route
def rotate_webhook_secret(conn: Connection, webhook_id: int) -> Answer:
    # The body is optional: none (or {}) keeps the previous secret for the default window.
    body = json_body() if request.get_data(cache=True) else None
    return webhooks.rotate_secret(conn, merchant_id(), webhook_id, body), 200, {}


@write_route
def test_webhook(conn: Connection, webhook_id: int) -> Answer:
    delivery = webhooks.send_test(conn, merchant_id(), webhook_id)
    location = url_for(".get_webhook_delivery", webhook_id=webhook_id, delivery_id=delivery["id"])
    return delivery, 202, {"Location": location}


@read_route
def list_webhook_deliveries(conn: Connection, webhook_id: int) -> Answer:
    after, limit = page_args()
    page = webhooks.list_deliveries(
        conn,
        merchant_id(),
        webhook_id,
        after=after,
        limit=limit,
        status=query_arg("status", enum(webhooks.STATUSES)),
        topic=query_arg("topic", enum(webhooks.TOPICS)),
    )
    return paged(page, "deliveries")


@read_route
def get_webhook_delivery(conn: Connection, webhook_id: int, delivery_id: int) -> Answer:
    return webhooks.get_delivery(conn, merchant_id(), webhook_id, delivery_id), 200, {}


@write_route
def redeliver_webhook_delivery(conn: Connection, webhook_id: int, delivery_id: int) -> Answer:
    delivery = webhooks.redeliver(conn, merchant_id(), webhook_id, delivery_id)
    return delivery, 202, {}


def register(bp: Blueprint) -> None:
    """Add the webhook routes to the API blueprint."""
    one = "/webhooks/<shoptrace_id:webhook_id>"
    delivery = one + "/deliveries/<shoptrace_id:delivery_id>"
    bp.add_url_rule("/webhooks", view_func=list_webhooks, methods=["GET"])
    bp.add_url_rule("/webhooks", view_func=create_webhook, methods=["POST"])
    bp.add_url_rule(one, view_func=get_webhook, methods=["GET"])
    bp.add_url_rule(one, view_func=update_webhook, methods=["PATCH"])
    bp.add_url_rule(one, view_func=delete_webhook, methods=["DELETE"])
    bp.add_url_rule(one + "/rotate-secret", view_func=rotate_webhook_secret, methods=["POST"])
    bp.add_url_rule(one + "/test", view_func=test_webhook, methods=["POST"])
    bp.add_url_rule(one + "/deliveries", view_func=list_webhook_deliveries, methods=["GET"])
    bp.add_url_rule(delivery, view_func=get_webhook_delivery, methods=["GET"])
    bp.add_url_rule(delivery + "/redeliver", view_func=redeliver_webhook_delivery, methods=["POST"])
