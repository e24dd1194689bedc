"""WooCommerce webhooks: the creation ping, documented payloads signed as WooCommerce signs
them, order statuses mapped to fulfilment and cancellation, listings saved."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask

from shoptrace.shop_plugin.hooks.woocommerce import ADAPTER, map_order, map_product
from shoptrace.shop_plugin.store.tables import hook_events, orders
from tests.shop_plugin.helpers import GTIN, GTIN2, Api, count_rows
from tests.shop_plugin.hooks_helpers import (
    FIXTURES,
    WOO_SECRET,
    WOO_SITE,
    connect,
    fixture,
    fixture_json,
    post,
    woo_headers,
)


@pytest.fixture
def shop(api: Api) -> Api:
    """A merchant whose WooCommerce site is connected, selling the variation 23 (SKU Bar3)
    traced by lot."""
    connect(api, "woocommerce", WOO_SITE, secret=WOO_SECRET)
    product = api.product(GTIN2, sku="Bar3", name={"en": "Ship Your Idea"})
    api.batch(product["id"], "LOT7", expiryDate="2070-06-30")
    return api


def deliver(api: Api, name: str, topic: str, delivery_id: str = "d1", **kw: Any) -> Any:
    body = fixture("woocommerce", name)
    return post(api, "woocommerce", body, woo_headers(body, topic, delivery_id=delivery_id, **kw))


def order(api: Api) -> dict[str, Any]:
    response = api.get("/orders/727")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


# --- mapping --------------------------------------------------------------------------------


def test_an_order_maps_onto_the_order_shape() -> None:
    assert map_order(fixture_json("woocommerce", "order_created")) == {
        "id": "727",
        "number": "727",
        "customer": "26",
        "placed_at": "2017-03-22T19:28:02+00:00",
        "destination": {
            "country": "US",
            "region": "CA",
            "city": "San Francisco",
            "postcode": "94103",
        },
        "lines": [
            {
                "id": "315",
                "sku": None,
                "product_id": "93",
                "gtin": None,
                "name": "Woo Single #1",
                "quantity": 2,
            },
            {
                "id": "316",
                "sku": "Bar3",
                "product_id": "23",
                "gtin": None,
                "name": "Ship Your Idea \u2013 Color: Black, Size: M Test",
                "quantity": 1,
            },
        ],
    }


def test_guests_and_orders_without_shipping_map_to_none() -> None:
    payload = fixture_json("woocommerce", "order_created")
    payload["customer_id"] = 0
    payload["shipping"] = {"country": "", "state": "", "city": "", "postcode": ""}
    mapped = map_order(payload)
    assert mapped["customer"] is None and mapped["destination"] is None


def test_products_map_their_gtin_from_global_unique_id_or_plugin_meta() -> None:
    created = map_product(fixture_json("woocommerce", "product_created"))
    assert [c.product for c in created.changes] == [  # type: ignore[union-attr]
        {
            "id": "794",
            "gtin": GTIN,
            "sku": "PQ-19",
            "name": "Premium Quality",
            "url": "https://example.com/product/premium-quality-19/",
            "category": None,
        }
    ]
    updated = map_product(fixture_json("woocommerce", "product_updated"))
    assert updated.changes[0].product["gtin"] == GTIN2  # type: ignore[union-attr]
    assert updated.changes[0].product["id"] == "23"  # type: ignore[union-attr]
    odd = fixture_json("woocommerce", "product_created")
    odd["global_unique_id"] = "978-0-306-40615"
    mapped = map_product(odd)
    assert mapped.changes[0].product["gtin"] is None  # type: ignore[union-attr]
    assert mapped.notes == ["product 794: global_unique_id '978-0-306-40615' is not a GTIN"]


# --- the ping -------------------------------------------------------------------------------


def ping_body() -> bytes:
    return (FIXTURES / "woocommerce" / "ping.txt").read_bytes()


def test_the_creation_ping_answers_200_and_records_nothing(app: Flask, api: Api) -> None:
    body = ping_body()
    assert body == b"webhook_id=3"
    response = api.client.post(
        "/trace/hooks/woocommerce",
        data=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "User-Agent": "WooCommerce/9.4.0 Hookshot (WordPress/6.7)",
        },
    )
    assert response.status_code == 200
    assert response.get_json() == {"outcome": "ping", "platform": "woocommerce"}
    assert count_rows(app, hook_events) == 0


def test_only_the_bare_ping_passes_unsigned(app: Flask, api: Api) -> None:
    for body, headers in (
        (b"webhook_id=3&x=1", {}),
        (b"webhook_id=abc", {}),
        (b"webhook_id=3", {"X-WC-Webhook-Topic": "order.created"}),
    ):
        response = api.client.post("/trace/hooks/woocommerce", data=body, headers=headers)
        assert response.status_code == 401, body
    assert count_rows(app, hook_events) == 0


def test_a_ping_is_a_bare_form_body_without_topic() -> None:
    body = ping_body()
    assert ADAPTER.is_ping({}, body)
    assert not ADAPTER.is_ping({"X-WC-Webhook-Topic": "order.created"}, body)
    assert not ADAPTER.is_ping({}, body + b"\n")


# --- orders ---------------------------------------------------------------------------------


def test_order_created_places_the_order(app: Flask, shop: Api) -> None:
    response = deliver(shop, "order_created", "order.created")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["outcome"] == "handled" and body["result"] == "placed order 727"
    assert body["eventId"].startswith("order.created:d1:")
    placed = order(shop)
    assert (placed["status"], placed["source"], placed["customer"]) == (
        "placed",
        "woocommerce",
        "26",
    )
    first, second = placed["lines"]
    assert first["status"] == "untraced"
    assert first["problem"]["code"] in ("unknown-product", "no-identifier", "unknown-sku")
    assert (second["sku"], second["status"], second["gtin"]) == ("Bar3", "open", GTIN2)


def test_order_updated_completed_fulfils(shop: Api) -> None:
    deliver(shop, "order_created", "order.created", "d1")
    response = deliver(shop, "order_updated_completed", "order.updated", "d2")
    assert response.get_json()["result"] == "fulfilled order 727"
    fulfilled = order(shop)
    assert fulfilled["status"] == "fulfilled"
    assert fulfilled["lines"][1]["lot"] == "LOT7"


def test_order_updated_cancelled_cancels(shop: Api) -> None:
    deliver(shop, "order_created", "order.created", "d1")
    response = deliver(shop, "order_updated_cancelled", "order.updated", "d2")
    assert response.get_json()["result"] == "cancelled order 727"
    assert order(shop)["status"] == "cancelled"


def test_other_statuses_are_ignored(app: Flask, shop: Api) -> None:
    response = deliver(shop, "order_updated_on_hold", "order.updated")
    assert response.status_code == 200
    assert response.get_json()["outcome"] == "ignored"
    assert response.get_json()["result"] == "ignored: order status 'on-hold' changes nothing traced"
    refunded = fixture_json("woocommerce", "order_created")
    refunded["status"] = "refunded"
    body = json.dumps(refunded).encode()
    answer = post(shop, "woocommerce", body, woo_headers(body, "order.updated", delivery_id="d9"))
    assert answer.get_json()["outcome"] == "ignored"
    assert count_rows(app, orders) == 0 and count_rows(app, hook_events) == 2


def test_a_redelivery_changes_nothing_but_a_new_delivery_in_the_same_second_counts(
    app: Flask, shop: Api
) -> None:
    deliver(shop, "order_created", "order.created", "same-second")
    again = deliver(shop, "order_created", "order.created", "same-second")
    assert again.get_json()["outcome"] == "duplicate"
    # WooCommerce's delivery id is a hash of the webhook id and the second: another payload
    # delivered in the same second shares it, and is still handled.
    other = deliver(shop, "order_updated_completed", "order.updated", "same-second")
    assert other.get_json()["outcome"] == "handled"
    assert order(shop)["status"] == "fulfilled"
    assert count_rows(app, hook_events) == 2


def test_the_site_url_is_matched_however_it_is_written(shop: Api) -> None:
    response = deliver(
        shop, "order_created", "order.created", source="HTTPS://Shop.Acme-Orchards.example"
    )
    assert response.get_json()["outcome"] == "handled"


@pytest.mark.parametrize(
    ("change", "field", "rule"),
    [
        (lambda o: o.update(status=None), "status", "type"),
        (lambda o: o["line_items"][0].update(quantity=-1), "line_items[0].quantity", "range"),
        (lambda o: o["line_items"][0].update(product_id=[1]), "line_items[0].product_id", "type"),
        (lambda o: o.update(date_created_gmt="22/03/2017"), "date_created_gmt", "date-time"),
        (lambda o: o.update(shipping="US"), "shipping", "type"),
    ],
)
def test_a_signed_order_that_does_not_map_is_a_422(
    app: Flask, shop: Api, change: Any, field: str, rule: str
) -> None:
    payload = fixture_json("woocommerce", "order_updated_completed")
    change(payload)
    body = json.dumps(payload).encode()
    response = post(shop, "woocommerce", body, woo_headers(body, "order.updated"))
    assert response.status_code == 422, response.get_json()
    assert [(e["field"], e["rule"]) for e in response.get_json()["errors"]] == [(field, rule)]
    assert count_rows(app, orders) == 0 and count_rows(app, hook_events) == 0


# --- products -------------------------------------------------------------------------------


def test_product_updated_links_the_variation(shop: Api) -> None:
    response = deliver(shop, "product_updated", "product.updated")
    assert response.get_json()["result"] == "saved product 23"
    [product] = shop.get(f"/products?gtin={GTIN2}").get_json()["products"]
    assert product["shopProductId"] == "23" and product["sku"] == "Bar3"
    assert product["listingUrl"].startswith("https://example.com/product/ship-your-idea/")
    # an order line naming the variation now matches it by product id
    deliver(shop, "order_created", "order.created", "d2")
    assert order(shop)["lines"][1]["status"] == "open"


def test_product_created_of_an_unregistered_gtin_is_noted(shop: Api) -> None:
    response = deliver(shop, "product_created", "product.created")
    body = response.get_json()
    assert body["outcome"] == "handled"
    assert body["result"] == "skipped product 794"
    assert body["notes"] == [
        f"product 794: not registered in shoptrace; register GTIN {GTIN} with its catalogue "
        "class and the next update of the listing links it"
    ]
    assert shop.get(f"/products?gtin={GTIN}").get_json()["products"] == []
