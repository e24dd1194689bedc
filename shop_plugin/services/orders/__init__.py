"""Shop orders: placed, fulfilled, delivered, cancelled, returned; and the shop's listings.

The shop reports what happens to an order (:func:`apply_order`, with one of
:data:`ORDER_ACTIONS`) as a plain dict of the shape documented in ``shop_plugin/README.md``
("Orders and listings"), from the Python API, blinker signals, a platform webhook or the
merchant API. Every action takes the full shape and places an order it does not know yet; an
action already applied changes nothing, so a redelivered event is harmless.

- **Placing** records the order and matches each line to a product: by GTIN, else the shop's
  product id (``products.shop_product_id``), else the SKU. A line that matches nothing (or
  several products) is kept as ``untraced`` with a problem the merchant reads in both
  languages; it is matched again at fulfilment, so registering the product in between is
  enough. While an order is only placed, a new report of it replaces its details and lines.
- **Fulfilment** binds lines to units (scanned at the packing station, else first expiry first
  out from stock) or, for products traced by lot, to a lot (:mod:`..allocation`), moves the
  units to ``shipped`` and captures two EPCIS events with the order as a ``po`` business
  transaction: ``retail_selling`` (the units became the customer's) and ``shipping``, with
  the destination masked to country and region. It queues the ``order.traced`` webhook;
  :func:`send_order_signals` sends the ``order_traced`` signal once the caller committed.
- **Delivery** moves the units to ``delivered`` (an ``arriving`` event); an order delivered
  before it was reported fulfilled is fulfilled first.
- **Cancelling** is for orders not fulfilled yet (409 otherwise: record a return).
- **Returns** put the units named (or all of the order's) back in stock as ``returned``, with
  a ``receiving``/``returned`` event.

Each order has a signed token (:func:`order_token`): the shopper's order page
``{base}/orders/{token}`` shows every line with its trace links and QR codes, never customer
or address data (:func:`public_order`).
"""

from shoptrace.shop_plugin.services.orders.context import (
    OrderContext,
    Outcome,
    order_context,
    send_order_signals,
)
from shoptrace.shop_plugin.services.orders.epcis import order_uri
from shoptrace.shop_plugin.services.orders.lifecycle import ORDER_ACTIONS, apply_order, run_action
from shoptrace.shop_plugin.services.orders.listings import listing_lot, save_product
from shoptrace.shop_plugin.services.orders.problems import PROBLEM_CODES
from shoptrace.shop_plugin.services.orders.public_page import public_order
from shoptrace.shop_plugin.services.orders.rendering import get_order, list_orders
from shoptrace.shop_plugin.services.orders.rows import get_order_row
from shoptrace.shop_plugin.services.orders.shapes import MAX_LINES
from shoptrace.shop_plugin.services.orders.shapes import MAX_QUANTITY as MAX_QUANTITY
from shoptrace.shop_plugin.services.orders.shop_api import apply_for_shop, save_for_shop
from shoptrace.shop_plugin.services.orders.tokens import (
    order_row_by_token,
    order_token,
    read_token,
    token_key,
)

__all__ = [
    "MAX_LINES",
    "ORDER_ACTIONS",
    "PROBLEM_CODES",
    "OrderContext",
    "Outcome",
    "apply_for_shop",
    "apply_order",
    "get_order",
    "get_order_row",
    "list_orders",
    "listing_lot",
    "order_context",
    "order_row_by_token",
    "order_token",
    "order_uri",
    "public_order",
    "read_token",
    "run_action",
    "save_for_shop",
    "save_product",
    "send_order_signals",
    "token_key",
]
