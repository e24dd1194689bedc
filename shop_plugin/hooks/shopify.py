"""Shopify webhooks: ``orders/create``, ``orders/fulfilled``, ``orders/cancelled``,
``products/create`` and ``products/update``.

Shopify signs the raw body with HMAC-SHA256 under the app's client secret (or, for webhooks
made in the shop admin, the key shown under Settings > Notifications > Webhooks) and sends it
base64 in ``X-Shopify-Hmac-Sha256``; the shop is ``X-Shopify-Shop-Domain`` (its
``myshopify.com`` domain), the topic ``X-Shopify-Topic``. ``X-Shopify-Event-Id`` is shared by
every delivery of one event (``X-Shopify-Webhook-Id`` names one delivery and stays the same on
retries), so it keys redeliveries.

Order payloads carry no barcode, so lines are matched by SKU and by variant id: a variant is
what has a barcode (GTIN), so the shop's "product id" here is the variant id, for order lines
and for the products saved from ``products/*`` (one per variant).
"""

from __future__ import annotations

from typing import Any

from shoptrace.shop_plugin.hooks.common import (
    Headers,
    Mapped,
    OrderChange,
    ProductSave,
    as_dict,
    as_list,
    b64_hmac_matches,
    delivery_key,
    destination,
    first_header,
    gtin_or_none,
    ident,
    name_text,
    opt_ident,
    opt_text,
    quantity,
    timestamp,
)
from shoptrace.shop_plugin.services.connections import Credentials, normalise_shop

__all__ = ["ADAPTER", "ShopifyAdapter", "map_order", "map_products"]

_ORDER_ACTIONS = {
    "orders/create": "placed",
    "orders/fulfilled": "fulfilled",
    "orders/cancelled": "cancelled",
}
_PRODUCT_TOPICS = ("products/create", "products/update")
_DEFAULT_VARIANT = "Default Title"


def map_order(payload: Any) -> dict[str, Any]:
    """A Shopify order (REST resource) as shoptrace's order shape."""
    order = as_dict(payload, "")
    customer = order.get("customer")
    customer_id = (
        opt_ident(as_dict(customer, "customer").get("id"), "customer.id", max_length=200)
        if customer is not None
        else None
    )
    lines = []
    for i, raw in enumerate(as_list(order.get("line_items"), "line_items")):
        path = f"line_items[{i}]"
        line = as_dict(raw, path)
        lines.append(
            {
                "id": opt_ident(line.get("id"), f"{path}.id"),
                "sku": opt_text(line.get("sku"), f"{path}.sku", max_length=100),
                "product_id": opt_ident(line.get("variant_id"), f"{path}.variant_id"),
                "gtin": None,
                "name": opt_text(
                    line.get("name") or line.get("title"), f"{path}.name", max_length=200
                ),
                "quantity": quantity(line.get("quantity"), f"{path}.quantity"),
            }
        )
    number = order.get("name") if order.get("name") is not None else order.get("order_number")
    return {
        "id": ident(order.get("id"), "id"),
        "number": opt_text(number, "name", max_length=100),
        "customer": customer_id,
        "placed_at": timestamp(order.get("created_at"), "created_at"),
        "destination": destination(
            order.get("shipping_address"),
            "shipping_address",
            country="country_code",
            region="province",
            city="city",
            postcode="zip",
        ),
        "lines": lines,
    }


def map_products(payload: Any, shop: str) -> Mapped:
    """One product per variant of a Shopify product; the variant's barcode is its GTIN."""
    product = as_dict(payload, "")
    ident(product.get("id"), "id")
    title = opt_text(product.get("title"), "title", max_length=200)
    handle = opt_text(product.get("handle"), "handle", max_length=500)
    url = f"https://{shop}/products/{handle}" if handle and " " not in handle else None
    mapped = Mapped()
    variants = as_list(product.get("variants"), "variants", optional=True)
    for i, raw in enumerate(variants):
        path = f"variants[{i}]"
        variant = as_dict(raw, path)
        variant_id = ident(variant.get("id"), f"{path}.id")
        barcode = opt_text(variant.get("barcode"), f"{path}.barcode", max_length=100)
        gtin = gtin_or_none(barcode)
        if barcode is not None and gtin is None:
            mapped.notes.append(f"variant {variant_id}: barcode {barcode!r} is not a GTIN")
        variant_title = opt_text(variant.get("title"), f"{path}.title", max_length=200)
        if variant_title == _DEFAULT_VARIANT:
            variant_title = None
        mapped.changes.append(
            ProductSave(
                {
                    "id": variant_id,
                    "gtin": gtin,
                    "sku": opt_text(variant.get("sku"), f"{path}.sku", max_length=100),
                    "name": name_text(title, variant_title),
                    "url": url,
                    "category": None,
                }
            )
        )
    if not mapped.changes:
        mapped.ignored = "the product has no variants"
    return mapped


class ShopifyAdapter:
    """Shopify's headers, signature and topics."""

    platform = "shopify"
    shop_header = "X-Shopify-Shop-Domain"
    signature_header = "X-Shopify-Hmac-Sha256"
    topic_header = "X-Shopify-Topic"

    def is_ping(self, headers: Headers, body: bytes) -> bool:
        return False

    def shops(self, headers: Headers) -> list[str]:
        given = first_header(headers, self.shop_header, "Shopify-Shop-Domain")
        shop = normalise_shop(self.platform, given) if given else None
        return [shop] if shop else []

    def verify(self, headers: Headers, body: bytes, credentials: Credentials) -> bool:
        signature = first_header(headers, self.signature_header, "Shopify-Hmac-Sha256")
        return b64_hmac_matches(signature, body, credentials.secrets)

    def topic(self, headers: Headers) -> str | None:
        return first_header(headers, self.topic_header, "Shopify-Topic")

    def event_id(self, headers: Headers, body: bytes, topic: str) -> str:
        given = first_header(
            headers,
            "X-Shopify-Event-Id",
            "Shopify-Event-Id",
            "X-Shopify-Webhook-Id",
            "Shopify-Webhook-Id",
        )
        return delivery_key(topic, given, body)

    def handles(self, topic: str) -> bool:
        return topic in _ORDER_ACTIONS or topic in _PRODUCT_TOPICS

    def map(self, topic: str, payload: Any, shop: str) -> Mapped:
        if topic in _PRODUCT_TOPICS:
            return map_products(payload, shop)
        return Mapped([OrderChange(_ORDER_ACTIONS[topic], map_order(payload))])


ADAPTER = ShopifyAdapter()
