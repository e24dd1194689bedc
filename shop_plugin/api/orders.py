"""Merchant API: shop orders, by the shop's own order id, and their life cycle.

``POST /orders`` places an order (the order shape of ``shop_plugin/README.md``); the actions
``fulfil``, ``deliver``, ``cancel`` and ``return`` take ``{"units": [codes], "order": {...}}``
(both optional: ``order`` places an order not known yet). The ``order_traced`` signal is sent
after the transaction commits.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, request, url_for
from sqlalchemy.engine import Connection

from shoptrace.shop_plugin.api.support import (
    Answer,
    after_commit,
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
from shoptrace.shop_plugin.services import orders
from shoptrace.shop_plugin.services.errors import FieldError, InvalidInput, NotFound
from shoptrace.shop_plugin.services.validation import Field, enum, obj, text, validate
from shoptrace.shop_plugin.store.tables import ORDER_STATUSES

__all__ = ["register"]


def _context() -> orders.OrderContext:
    return orders.order_context(state(), base_url=base_url())


def _signals_after_commit(context: orders.OrderContext) -> None:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    after_commit(lambda: orders.send_order_signals(app, context))


def _any(value: Any, path: str, errors: list[FieldError]) -> Any:
    return value


_ACTION_BODY = obj({"units": Field(_any), "order": Field(_any)})


@read_route
def list_orders(conn: Connection) -> Answer:
    after, limit = page_args()
    page = orders.list_orders(
        conn,
        merchant_id(),
        context=_context(),
        after=after,
        limit=limit,
        status=query_arg("status", enum(ORDER_STATUSES)),
        customer=query_arg("customer", text(max_length=200)),
    )
    return paged(page, "orders")


@read_route
def get_order(conn: Connection, order_id: str) -> Answer:
    return orders.get_order(conn, merchant_id(), order_id, context=_context()), 200, {}


@write_route
def place_order(conn: Connection) -> Answer:
    context = _context()
    outcome = orders.run_action(conn, merchant_id(), "placed", json_body(), context=context)
    _signals_after_commit(context)
    if not outcome.created:
        return outcome.order, 200, {}
    location = url_for(".get_order", order_id=outcome.order["id"])
    return outcome.order, 201, {"Location": location}


def _act(conn: Connection, action: str, order_id: str) -> Answer:
    body: Any = {}
    if request.get_data(cache=True):
        body = validate(json_body(), _ACTION_BODY)
    order = body.get("order")
    if order is None:
        if orders.get_order_row(conn, merchant_id(), order_id) is None:
            raise NotFound.of("order_id", f"order {order_id} does not exist")
        order = {"id": order_id}
    elif not isinstance(order, dict):
        raise InvalidInput.one("order", "type", "must be an object (the order shape)")
    elif str(order.get("id")) != order_id:
        raise InvalidInput.one("order.id", "path", f"must be {order_id!r}, the order in the path")
    context = _context()
    outcome = orders.run_action(
        conn,
        merchant_id(),
        action,
        order,
        units=body.get("units"),
        context=context,
        field_prefix="order",
    )
    _signals_after_commit(context)
    return outcome.order, 200, {}


@write_route
def fulfil_order(conn: Connection, order_id: str) -> Answer:
    return _act(conn, "fulfilled", order_id)


@write_route
def deliver_order(conn: Connection, order_id: str) -> Answer:
    return _act(conn, "delivered", order_id)


@write_route
def cancel_order(conn: Connection, order_id: str) -> Answer:
    return _act(conn, "cancelled", order_id)


@write_route
def return_order(conn: Connection, order_id: str) -> Answer:
    return _act(conn, "returned", order_id)


def register(bp: Blueprint) -> None:
    """Add the order routes to the API blueprint (the shop's order id may hold ``/``)."""
    bp.add_url_rule("/orders", view_func=list_orders, methods=["GET"])
    bp.add_url_rule("/orders", view_func=place_order, methods=["POST"])
    bp.add_url_rule("/orders/<path:order_id>", view_func=get_order, methods=["GET"])
    for name, view in (
        ("fulfil", fulfil_order),
        ("deliver", deliver_order),
        ("cancel", cancel_order),
        ("return", return_order),
    ):
        bp.add_url_rule(f"/orders/<path:order_id>/{name}", view_func=view, methods=["POST"])
