"""Shopify webhooks: documented payloads signed as Shopify signs them, mapped onto orders and
listings; redeliveries change nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from shoptrace.shop_plugin.hooks.shopify import map_order, map_products
from shoptrace.shop_plugin.signals import order_traced
from shoptrace.shop_plugin.store.tables import hook_events, orders, products
from tests.shop_plugin.helpers import GTIN, GTIN2, Api, count_rows
from tests.shop_plugin.hooks_helpers import (
    SHOPIFY_SECRET,
    SHOPIFY_SHOP,
    connect,
    fixture,
    fixture_json,
    post,
    shopify_headers,
)

ORDER_ID = "820982911946154508"


@pytest.fixture
def shop(api: Api) -> Api:
    """A merchant whose Shopify shop is connected, selling one registered product (the pink
    iPod, SKU IPOD2008PINK) traced by lot."""
    connect(api, "shopify", SHOPIFY_SHOP, secret=SHOPIFY_SECRET)
    product = api.product(GTIN, sku="IPOD2008PINK", name={"en": "IPod Nano - 8GB"})
    api.batch(product["id"], "LOT42", expiryDate="2070-12-31")
    return api


def deliver(api: Api, name: str, topic: str, **headers: Any) -> Any:
    body = fixture("shopify", name)
    return post(api, "shopify", body, shopify_headers(body, topic, **headers))


def order(api: Api) -> dict[str, Any]:
    response = api.get(f"/orders/{ORDER_ID}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


# --- mapping (no database) ------------------------------------------------------------------


def test_an_order_maps_onto_the_order_shape() -> None:
    assert map_order(fixture_json("shopify", "orders_create")) == {
        "id": ORDER_ID,
        "number": "#9999",
        "customer": "115310627314723954",
        "placed_at": "2021-12-31T19:00:00-05:00",
        "destination": {
            "country": "US",
            "region": "Kentucky",
            "city": "Shippington",
            "postcode": "40003",
        },
        "lines": [
            {
                "id": "866550311766439020",
                "sku": "IPOD2008PINK",
                "product_id": "808950810",
                "gtin": None,
                "name": "IPod Nano - 8GB",
                "quantity": 1,
            },
            {
                "id": "141249953214522974",
                "sku": "IPOD2008BLACK",
                "product_id": "457924702",
                "gtin": None,
                "name": "IPod Nano - 8GB - Black",
                "quantity": 1,
            },
        ],
    }


def test_a_product_maps_to_one_listing_per_variant() -> None:
    mapped = map_products(fixture_json("shopify", "products_create"), SHOPIFY_SHOP)
    assert [c.product for c in mapped.changes] == [  # type: ignore[union-attr]
        {
            "id": "642667041472713922",
            "gtin": GTIN,
            "sku": "example-shirt-s",
            "name": "Example T-Shirt - Small",
            "url": f"https://{SHOPIFY_SHOP}/products/example-t-shirt",
            "category": None,
        },
        {
            "id": "757650484644203962",
            "gtin": None,
            "sku": "example-shirt-m",
            "name": "Example T-Shirt - Medium",
            "url": f"https://{SHOPIFY_SHOP}/products/example-t-shirt",
            "category": None,
        },
    ]
    assert mapped.notes == ["variant 757650484644203962: barcode 'SHIRT-M-0042' is not a GTIN"]


def test_orders_without_address_customer_or_sku_map_with_nones() -> None:
    payload = {
        "id": 1,
        "name": "#1",
        "created_at": "2025-01-01T00:00:00Z",
        "line_items": [{"id": 2, "title": "Tip", "quantity": 1, "sku": "", "variant_id": None}],
    }
    assert map_order(payload) == {
        "id": "1",
        "number": "#1",
        "customer": None,
        "placed_at": "2025-01-01T00:00:00+00:00",
        "destination": None,
        "lines": [
            {"id": "2", "sku": None, "product_id": None, "gtin": None, "name": "Tip", "quantity": 1}
        ],
    }


# --- orders -----------------------------------------------------------------------------------


def test_orders_create_places_the_order_and_flags_the_unknown_line(app: Flask, shop: Api) -> None:
    response = deliver(shop, "orders_create", "orders/create")
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {
        "platform": "shopify",
        "topic": "orders/create",
        "eventId": "orders/create:a8a2b5c4-8d2f-4c1e-9f0b-1c2d3e4f5a6b",
        "outcome": "handled",
        "result": f"placed order {ORDER_ID}",
    }
    placed = order(shop)
    assert placed["status"] == "placed" and placed["source"] == "shopify"
    assert placed["number"] == "#9999" and placed["customer"] == "115310627314723954"
    assert placed["placedAt"] == "2022-01-01T00:00:00Z"
    assert placed["destination"] == {
        "country": "US",
        "region": "Kentucky",
        "city": "Shippington",
        "postcode": "40003",
    }
    known, unknown = placed["lines"]
    assert (known["sku"], known["status"], known["problem"]) == ("IPOD2008PINK", "open", None)
    assert known["gtin"] == GTIN
    assert (unknown["sku"], unknown["status"]) == ("IPOD2008BLACK", "untraced")
    assert unknown["problem"]["code"] in ("unknown-sku", "unknown-product")
    assert placed["untracedLines"] == 1
    with app.extensions["shoptrace"].store.read() as conn:
        [event] = conn.execute(sa.select(hook_events)).all()
    assert (event.platform, event.topic, event.merchant_id) == (
        "shopify",
        "orders/create",
        shop.merchant_id,
    )
    assert event.outcome == f"placed order {ORDER_ID}"


def test_a_redelivered_event_changes_nothing(app: Flask, shop: Api) -> None:
    first = deliver(shop, "orders_create", "orders/create")
    before = order(shop)
    again = deliver(shop, "orders_create", "orders/create")
    assert again.status_code == 200
    assert again.get_json()["outcome"] == "duplicate"
    assert again.get_json()["result"] == first.get_json()["result"]
    assert order(shop) == before
    assert count_rows(app, hook_events) == 1 and count_rows(app, orders) == 1


def test_the_webhook_id_keys_deliveries_without_an_event_id(app: Flask, shop: Api) -> None:
    body = fixture("shopify", "orders_create")
    headers = shopify_headers(body, "orders/create")
    del headers["X-Shopify-Event-Id"]
    assert post(shop, "shopify", body, headers).get_json()["outcome"] == "handled"
    again = post(shop, "shopify", body, headers).get_json()
    assert again["outcome"] == "duplicate"
    assert again["eventId"] == "orders/create:b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"


def test_orders_fulfilled_traces_the_order_once(app: Flask, shop: Api) -> None:
    deliver(shop, "orders_create", "orders/create", event_id="e-1")
    sent: list[dict[str, Any]] = []

    def receive(sender: Any, **extra: Any) -> None:
        sent.append(extra)

    order_traced.connect(receive)
    try:
        response = deliver(shop, "orders_fulfilled", "orders/fulfilled", event_id="e-2")
        assert response.get_json()["outcome"] == "handled", response.get_json()
        assert response.get_json()["result"] == f"fulfilled order {ORDER_ID}"
        fulfilled = order(shop)
        assert fulfilled["status"] == "fulfilled" and fulfilled["fulfilledAt"] is not None
        assert fulfilled["lines"][0]["tracedBy"] == "lot"
        assert fulfilled["lines"][0]["lot"] == "LOT42"
        assert [s["order"]["id"] for s in sent] == [ORDER_ID]
        assert sent[0]["merchant_id"] == shop.merchant_id
        again = deliver(shop, "orders_fulfilled", "orders/fulfilled", event_id="e-2")
        assert again.get_json()["outcome"] == "duplicate"
        # the same fulfilment reported again as another event changes nothing either
        other = deliver(shop, "orders_fulfilled", "orders/fulfilled", event_id="e-3")
        assert other.get_json()["outcome"] == "handled"
        assert order(shop)["updatedAt"] == fulfilled["updatedAt"]
        assert len(sent) == 1
    finally:
        order_traced.disconnect(receive)


def test_a_fulfilment_of_an_unknown_order_places_it_first(shop: Api) -> None:
    response = deliver(shop, "orders_fulfilled", "orders/fulfilled")
    assert response.get_json()["outcome"] == "handled"
    assert order(shop)["status"] == "fulfilled"


def test_orders_cancelled(shop: Api) -> None:
    deliver(shop, "orders_create", "orders/create", event_id="e-1")
    response = deliver(shop, "orders_cancelled", "orders/cancelled", event_id="e-2")
    assert response.get_json()["result"] == f"cancelled order {ORDER_ID}"
    cancelled = order(shop)
    assert cancelled["status"] == "cancelled"
    assert {line["status"] for line in cancelled["lines"]} == {"cancelled"}


def test_cancelling_a_shipped_order_is_recorded_as_refused(app: Flask, shop: Api) -> None:
    deliver(shop, "orders_fulfilled", "orders/fulfilled", event_id="e-1")
    before = order(shop)
    response = deliver(shop, "orders_cancelled", "orders/cancelled", event_id="e-2")
    assert response.status_code == 200
    body = response.get_json()
    assert body["outcome"] == "refused"
    assert body["result"].startswith(f"refused to record cancelled order {ORDER_ID}")
    assert order(shop) == before
    assert count_rows(app, hook_events) == 2


def test_topics_shoptrace_does_not_use_are_recorded_and_acknowledged(app: Flask, shop: Api) -> None:
    body = b'{"id": 820982911946154508, "note": "not JSON we read"}'
    response = post(shop, "shopify", body, shopify_headers(body, "orders/updated"))
    assert response.status_code == 200
    assert response.get_json()["outcome"] == "ignored"
    assert response.get_json()["result"] == "ignored: topic 'orders/updated' is not used"
    assert count_rows(app, orders) == 0 and count_rows(app, hook_events) == 1
    again = post(shop, "shopify", body, shopify_headers(body, "orders/updated"))
    assert again.get_json()["outcome"] == "duplicate"


@pytest.mark.parametrize(
    ("change", "field", "rule"),
    [
        (lambda o: o["line_items"][1].update(quantity="two"), "line_items[1].quantity", "type"),
        (lambda o: o["line_items"][0].update(quantity=0), "line_items[0].quantity", "range"),
        (lambda o: o.pop("line_items"), "line_items", "type"),
        (lambda o: o.update(id=None), "id", "required"),
        (lambda o: o.update(created_at="yesterday"), "created_at", "date-time"),
        (
            lambda o: o["shipping_address"].update(country_code="USA"),
            "shipping_address.country_code",
            "iso-3166-alpha-2",
        ),
        (lambda o: o.update(customer=[]), "customer", "type"),
        (lambda o: o["line_items"].__setitem__(0, "x"), "line_items[0]", "type"),
    ],
)
def test_a_signed_order_that_does_not_map_is_a_422_and_writes_nothing(
    app: Flask, shop: Api, change: Any, field: str, rule: str
) -> None:
    payload = fixture_json("shopify", "orders_create")
    change(payload)
    body = json.dumps(payload).encode()
    response = post(shop, "shopify", body, shopify_headers(body, "orders/create"))
    assert response.status_code == 422, response.get_json()
    assert response.mimetype == "application/problem+json"
    assert [(e["field"], e["rule"]) for e in response.get_json()["errors"]] == [(field, rule)]
    assert count_rows(app, orders) == 0 and count_rows(app, hook_events) == 0


def test_an_order_the_orders_service_refuses_is_a_422(app: Flask, shop: Api) -> None:
    payload = fixture_json("shopify", "orders_create")
    payload["created_at"] = "1999-01-01T00:00:00Z"
    body = json.dumps(payload).encode()
    response = post(shop, "shopify", body, shopify_headers(body, "orders/create"))
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "placed_at"
    assert count_rows(app, orders) == 0 and count_rows(app, hook_events) == 0


def test_a_body_that_is_not_json_is_a_400(app: Flask, shop: Api) -> None:
    body = b"id=1&name=%23999"
    response = post(shop, "shopify", body, shopify_headers(body, "orders/create"))
    assert response.status_code == 400
    assert response.get_json()["errors"][0] == {
        "field": "(body)",
        "rule": "json",
        "detail": response.get_json()["errors"][0]["detail"],
    }
    assert count_rows(app, hook_events) == 0


def test_a_signed_delivery_without_topic_is_a_422(app: Flask, shop: Api) -> None:
    body = fixture("shopify", "orders_create")
    headers = shopify_headers(body, "orders/create")
    del headers["X-Shopify-Topic"]
    response = post(shop, "shopify", body, headers)
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "X-Shopify-Topic"
    assert count_rows(app, hook_events) == 0


# --- products -------------------------------------------------------------------------------


def test_products_create_links_registered_gtins_and_notes_the_rest(app: Flask, shop: Api) -> None:
    response = deliver(shop, "products_create", "products/create")
    assert response.status_code == 200
    body = response.get_json()
    assert body["outcome"] == "handled"
    assert body["result"] == "saved product 642667041472713922; skipped product 757650484644203962"
    assert body["notes"] == [
        "variant 757650484644203962: barcode 'SHIRT-M-0042' is not a GTIN",
        "product 757650484644203962: not registered in shoptrace; register it with its "
        "catalogue class and the next update of the listing links it",
    ]
    [linked] = shop.get(f"/products?gtin={GTIN}").get_json()["products"]
    assert linked["shopProductId"] == "642667041472713922"
    assert linked["sku"] == "example-shirt-s"
    assert linked["listingUrl"] == f"https://{SHOPIFY_SHOP}/products/example-t-shirt"
    assert count_rows(app, products) == 1


def test_products_update_links_a_gtin_registered_since(app: Flask, shop: Api) -> None:
    deliver(shop, "products_create", "products/create", event_id="p-1")
    shop.product(GTIN2, name={"zh-CN": "T恤 M"})
    response = deliver(shop, "products_update", "products/update", event_id="p-2")
    assert response.get_json()["result"] == (
        "saved product 642667041472713922; saved product 757650484644203962"
    )
    [medium] = shop.get(f"/products?gtin={GTIN2}").get_json()["products"]
    assert medium["shopProductId"] == "757650484644203962" and medium["sku"] == "example-shirt-m"
    # a second delivery of the same update changes nothing
    before = shop.get("/products").get_json()
    assert deliver(shop, "products_update", "products/update", event_id="p-3").status_code == 200
    assert shop.get("/products").get_json() == before


def test_shopify_events_headers_without_x_prefix(shop: Api) -> None:
    body = fixture("shopify", "orders_create")
    headers = {
        name.replace("X-Shopify-", "Shopify-"): value
        for name, value in shopify_headers(body, "orders/create").items()
    }
    response = post(shop, "shopify", body, headers)
    assert response.get_json()["outcome"] == "handled", response.get_json()
