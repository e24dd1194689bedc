"""``client.orders``: shop orders by the shop's own order id, and their life cycle.

The order shape is the one the plugin's README documents ("Orders and listings"):
``id``, ``number``, ``customer``, ``placed_at``, ``destination`` and ``lines`` (each with
``id``, ``sku``, ``product_id``, ``gtin``, ``name``, ``quantity``). Every action accepts the
full order too, so an order the service has not seen yet is placed first; repeating an action
changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote

from shoptrace.sdk.client.models import Order
from shoptrace.sdk.client.pagination import Pager, fetch_pages
from shoptrace.sdk.client.resources.base import Service, body

__all__ = ["OrdersService"]


def _path(order_id: str | int) -> str:
    text = str(order_id)
    if isinstance(order_id, bool) or not text or len(text) > 100:
        raise ValueError(
            f"order_id must be the shop's order id (1-100 characters), not {order_id!r}"
        )
    return "/orders/" + quote(text, safe="")


class OrdersService(Service):
    """Place orders and record fulfilment, delivery, cancellation and returns."""

    def place(
        self,
        *,
        id: str | int,  # the order shape's name, so place(**order) works
        lines: Sequence[Mapping[str, Any]],
        number: str | None = None,
        customer: str | None = None,
        placed_at: datetime | str | None = None,
        destination: Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Order:
        """Place an order (``client.orders.place(**order)`` with an order dict). An order
        placed already is answered as it is, or updated while it is not fulfilled."""
        payload = body(
            {
                "id": id,
                "number": number,
                "customer": customer,
                "placed_at": placed_at,
                "destination": destination,
                "lines": [dict(line) for line in lines],
            },
            extra,
            skip_none=True,
        )
        return Order.from_json(self._post("/orders", payload, idempotency_key).json())

    def get(self, order_id: str | int) -> Order:
        """An order with its lines, bound units and lots, and its trace page URL."""
        return Order.from_json(self._get(_path(order_id)))

    def list(
        self,
        *,
        status: str | None = None,
        customer: str | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> Pager[Order]:
        """Orders in the order they were recorded, optionally of one status or customer."""
        return fetch_pages(
            self._transport,
            self._transport.api("/orders"),
            {"status": status, "customer": customer, "pageSize": page_size},
            extract=lambda page: page["orders"],
            build=Order.from_json,
            token_param="pageToken",
            start=page_token,
        )

    def _act(
        self,
        order_id: str | int,
        action: str,
        units: Sequence[str] | None,
        order: Mapping[str, Any] | None,
        idempotency_key: str | None,
    ) -> Order:
        payload = body({"units": units, "order": order}, skip_none=True)
        response = self._post(f"{_path(order_id)}/{action}", payload or None, idempotency_key)
        return Order.from_json(response.json())

    def fulfil(
        self,
        order_id: str | int,
        *,
        units: Sequence[str] | None = None,
        order: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Order:
        """The order was shipped: its lines are bound to the ``units`` scanned at the packing
        station (Digital Link URIs or ``(01)...(21)...`` text), else to stock (first expiry
        first out) or a lot."""
        return self._act(order_id, "fulfil", units, order, idempotency_key)

    def deliver(
        self,
        order_id: str | int,
        *,
        units: Sequence[str] | None = None,
        order: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Order:
        """The order reached the customer (fulfilled first if it was not)."""
        return self._act(order_id, "deliver", units, order, idempotency_key)

    def cancel(
        self,
        order_id: str | int,
        *,
        order: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Order:
        """The order was cancelled before fulfilment."""
        return self._act(order_id, "cancel", None, order, idempotency_key)

    def return_(
        self,
        order_id: str | int,
        *,
        units: Sequence[str] | None = None,
        order: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Order:
        """Units came back (the ``units`` scanned at the returns desk, else all of them)."""
        return self._act(order_id, "return", units, order, idempotency_key)
