"""WooCommerce webhooks: ``order.created``, ``order.updated`` (status ``completed`` or
``cancelled``), ``product.created`` and ``product.updated``.

WooCommerce signs the JSON body with HMAC-SHA256 under the webhook's secret and sends it
base64 in ``X-WC-Webhook-Signature``; the shop is ``X-WC-Webhook-Source`` (the site's home URL,
with a trailing slash), the topic ``X-WC-Webhook-Topic``. Saving a new webhook sends an
unsigned ping, a form body ``webhook_id=<n>`` without topic, which is answered 200 and
recorded nowhere.

``X-WC-Webhook-Delivery-ID`` is a hash of the webhook id and the current second, so two
deliveries of one webhook within a second share it; the delivery key therefore joins it with a
digest of the body, and a redelivery (same id, same body) is still recognised.

An order's "completed" status means shipped (fulfilled), "cancelled" cancelled; other statuses
of ``order.updated`` are ignored: "refunded" says money went back, not that the goods did
(returns are recorded with the units scanned at the returns desk). A line's product is its
variation when it has one, as variations carry their own GTIN: WooCommerce's
``global_unique_id`` (GTIN, UPC, EAN or ISBN, WooCommerce 9.2+) or a GTIN meta field of the
common GTIN plugins.
"""

from __future__ import annotations

import html
import re
from typing import Any

from shoptrace.shop_plugin.hooks.common import (
    Headers,
    Mapped,
    MappingError,
    OrderChange,
    ProductSave,
    as_dict,
    as_list,
    b64_hmac_matches,
    body_digest,
    delivery_key,
    destination,
    first_header,
    gtin_or_none,
    ident,
    opt_ident,
    opt_text,
    quantity,
    timestamp,
)
from shoptrace.shop_plugin.services.connections import Credentials, normalise_shop

__all__ = ["ADAPTER", "GTIN_META_KEYS", "WooCommerceAdapter", "map_order", "map_product"]

_PING = re.compile(rb"webhook_id=[0-9]{1,20}")
_STATUS_ACTIONS = {"completed": "fulfilled", "cancelled": "cancelled"}
_TOPICS = ("order.created", "order.updated", "product.created", "product.updated")
GTIN_META_KEYS = (
    "_global_unique_id",
    "_wpm_gtin_code",
    "hwp_product_gtin",
    "hwp_var_gtin",
    "_alg_ean",
    "_ts_gtin",
    "_gtin",
    "gtin",
    "_ean",
    "ean",
)
"""``meta_data`` keys read for a GTIN when ``global_unique_id`` is empty (WooCommerce's own,
then those of common GTIN and EAN plugins)."""


def _unescaped(value: Any) -> Any:
    """WooCommerce names hold HTML entities (``Ship Your Idea &ndash; Black``)."""
    return html.unescape(value) if isinstance(value, str) else value


def map_order(payload: Any) -> dict[str, Any]:
    """A WooCommerce order (REST API v3 resource) as shoptrace's order shape."""
    order = as_dict(payload, "")
    lines = []
    for i, raw in enumerate(as_list(order.get("line_items"), "line_items")):
        path = f"line_items[{i}]"
        line = as_dict(raw, path)
        product_id = opt_ident(line.get("variation_id"), f"{path}.variation_id") or opt_ident(
            line.get("product_id"), f"{path}.product_id"
        )
        lines.append(
            {
                "id": opt_ident(line.get("id"), f"{path}.id"),
                "sku": opt_text(line.get("sku"), f"{path}.sku", max_length=100),
                "product_id": product_id,
                "gtin": gtin_or_none(line.get("global_unique_id")),
                "name": opt_text(_unescaped(line.get("name")), f"{path}.name", max_length=200),
                "quantity": quantity(line.get("quantity"), f"{path}.quantity"),
            }
        )
    placed = timestamp(order.get("date_created_gmt"), "date_created_gmt", naive_is_utc=True)
    return {
        "id": ident(order.get("id"), "id"),
        "number": opt_text(order.get("number"), "number", max_length=100),
        "customer": opt_ident(order.get("customer_id"), "customer_id", max_length=200),
        "placed_at": placed,
        "destination": destination(
            order.get("shipping"),
            "shipping",
            country="country",
            region="state",
            city="city",
            postcode="postcode",
        ),
        "lines": lines,
    }


def _meta_gtin(product: Any) -> str | None:
    for i, raw in enumerate(as_list(product.get("meta_data"), "meta_data", optional=True)):
        item = as_dict(raw, f"meta_data[{i}]")
        if item.get("key") in GTIN_META_KEYS:
            gtin = gtin_or_none(item.get("value"))
            if gtin is not None:
                return gtin
    return None


def map_product(payload: Any) -> Mapped:
    """A WooCommerce product (or variation) as shoptrace's product shape."""
    product = as_dict(payload, "")
    product_id = ident(product.get("id"), "id")
    mapped = Mapped()
    given = opt_text(product.get("global_unique_id"), "global_unique_id", max_length=100)
    gtin = gtin_or_none(given) or _meta_gtin(product)
    if given is not None and gtin_or_none(given) is None:
        mapped.notes.append(f"product {product_id}: global_unique_id {given!r} is not a GTIN")
    url = opt_text(product.get("permalink"), "permalink", max_length=2000)
    mapped.changes.append(
        ProductSave(
            {
                "id": product_id,
                "gtin": gtin,
                "sku": opt_text(product.get("sku"), "sku", max_length=100),
                "name": opt_text(_unescaped(product.get("name")), "name", max_length=200),
                "url": url if url and url.startswith(("https://", "http://")) else None,
                "category": None,
            }
        )
    )
    return mapped


def _order_change(topic: str, payload: Any) -> Mapped:
    order = map_order(payload)
    if topic == "order.created":
        return Mapped([OrderChange("placed", order)])
    status = as_dict(payload, "").get("status")
    if not isinstance(status, str):
        raise MappingError("status", "type", "must be the order's status")
    action = _STATUS_ACTIONS.get(status)
    if action is None:
        return Mapped(ignored=f"order status {status[:40]!r} changes nothing traced")
    return Mapped([OrderChange(action, order)])


class WooCommerceAdapter:
    """WooCommerce's headers, signature, ping and topics."""

    platform = "woocommerce"
    shop_header = "X-WC-Webhook-Source"
    signature_header = "X-WC-Webhook-Signature"
    topic_header = "X-WC-Webhook-Topic"

    def is_ping(self, headers: Headers, body: bytes) -> bool:
        return first_header(headers, self.topic_header) is None and bool(_PING.fullmatch(body))

    def shops(self, headers: Headers) -> list[str]:
        given = first_header(headers, self.shop_header)
        shop = normalise_shop(self.platform, given) if given else None
        return [shop] if shop else []

    def verify(self, headers: Headers, body: bytes, credentials: Credentials) -> bool:
        signature = first_header(headers, self.signature_header)
        return b64_hmac_matches(signature, body, credentials.secrets)

    def topic(self, headers: Headers) -> str | None:
        return first_header(headers, self.topic_header)

    def event_id(self, headers: Headers, body: bytes, topic: str) -> str:
        given = first_header(headers, "X-WC-Webhook-Delivery-ID")
        if given is None:
            return delivery_key(topic, None, body)
        return delivery_key(topic, f"{given[:64]}:{body_digest(body)[:32]}", body)

    def handles(self, topic: str) -> bool:
        return topic in _TOPICS

    def map(self, topic: str, payload: Any, shop: str) -> Mapped:
        if topic.startswith("product."):
            return map_product(payload)
        return _order_change(topic, payload)


ADAPTER = WooCommerceAdapter()
