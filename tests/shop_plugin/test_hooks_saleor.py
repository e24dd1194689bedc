"""Saleor webhooks: subscription and legacy payloads, signed with the (deprecated) HMAC secret
key or with Saleor's JWS (RS256, detached payload)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask

from shoptrace.shop_plugin.hooks.saleor import map_order, map_products, verify_jws
from shoptrace.shop_plugin.services.connections import RsaKey
from shoptrace.shop_plugin.store.tables import hook_events, orders
from tests.shop_plugin.helpers import GTIN, GTIN2, Api, count_rows
from tests.shop_plugin.hooks_helpers import (
    SALEOR_API,
    SALEOR_SECRET,
    connect,
    fixture,
    fixture_json,
    jwks,
    post,
    rsa_key,
    saleor_headers,
    saleor_jws,
)

ORDER_ID = "T3JkZXI6YzhmY2FjMTgtMWQ5Yy00NWRkLTgxMGYtMGIzMTJiYTNjZDYz"
APPLE = "UHJvZHVjdFZhcmlhbnQ6MjAz"


@pytest.fixture
def shop(api: Api) -> Api:
    """A merchant whose Saleor API is connected with a secret key and its JWS keys, selling
    Apple Juice 1l (SKU 43226647) traced by lot."""
    connect(api, "saleor", SALEOR_API, secret=SALEOR_SECRET, publicKey=jwks())
    product = api.product(GTIN, sku="43226647", name={"en": "Apple Juice 1l"})
    api.batch(product["id"], "AJ-2405", expiryDate="2070-05-31")
    return api


def deliver(api: Api, name: str, event: str, *, jws: bool = False) -> Any:
    body = fixture("saleor", name)
    signature = saleor_jws(body) if jws else None
    return post(api, "saleor", body, saleor_headers(body, event, jws=signature))


def order(api: Api, order_id: str = ORDER_ID) -> dict[str, Any]:
    response = api.get(f"/orders/{order_id}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


# --- mapping --------------------------------------------------------------------------------


def test_a_subscription_order_maps_onto_the_order_shape() -> None:
    mapped = map_order(fixture_json("saleor", "order_created"))
    assert mapped == {
        "id": ORDER_ID,
        "number": "1024",
        "customer": "VXNlcjoyMg==",
        "placed_at": "2024-05-06T10:15:29.913472+00:00",
        "destination": {"country": "PL", "city": "WROCLAW", "postcode": "53-601"},
        "lines": [
            {
                "id": "T3JkZXJMaW5lOjkzYTFjZGMxLTQxMzAtNDE4ZC05YTAxLTQyY2I5N2E3ZjIxMw==",
                "sku": "43226647",
                "product_id": APPLE,
                "gtin": None,
                "name": "Apple Juice - 1l",
                "quantity": 11,
            },
            {
                "id": "T3JkZXJMaW5lOjJmNWY0NjMzLTg2ZDUtNDk2Ny1hMGUyLTY1NmRkYmQ2NmE1Yw==",
                "sku": "65103297",
                "product_id": "UHJvZHVjdFZhcmlhbnQ6MjE0",
                "gtin": None,
                "name": "Carrot Juice - 1l",
                "quantity": 2,
            },
        ],
    }


def test_a_legacy_order_maps_the_same_way() -> None:
    mapped = map_order(fixture_json("saleor", "order_created_legacy"))
    assert mapped["id"] == "T3JkZXI6NTI3ZDc0NmYtYzM2My00ODc0LWI2YjUtYjA4ZWI4YmQ1MDBk"
    assert mapped["number"] == "52" and mapped["customer"] is None
    assert mapped["destination"] == {"country": "PL", "city": "WROCLAW", "postcode": "53-601"}
    assert mapped["lines"] == [
        {
            "id": "T3JkZXJMaW5lOjk0YjM0NTJkLTljYjEtNGI2My1iNmY5LTEyNzY2NDA1YjQ4OA==",
            "sku": "43226647",
            "product_id": APPLE,
            "gtin": None,
            "name": "Apple Juice - 1l",
            "quantity": 11,
        }
    ]


def test_a_filterable_subscription_payload_is_unwrapped() -> None:
    inner = fixture_json("saleor", "order_created")["order"]
    assert map_order({"data": {"orderCreated": {"order": inner}}})["id"] == ORDER_ID


def test_products_read_gtins_from_metadata_and_attributes() -> None:
    mapped = map_products(fixture_json("saleor", "product_updated"))
    assert [(c.product["id"], c.product["gtin"], c.product["name"]) for c in mapped.changes] == [  # type: ignore[union-attr]
        (APPLE, GTIN, "Apple Juice - 1l"),
        ("UHJvZHVjdFZhcmlhbnQ6MjA0", GTIN2, "Apple Juice - 2l"),
        ("UHJvZHVjdFZhcmlhbnQ6MjA1", None, "Apple Juice - 5l"),
    ]
    assert mapped.notes == ["variant UHJvZHVjdFZhcmlhbnQ6MjA1: no GTIN in metadata or attributes"]


# --- JWS ------------------------------------------------------------------------------------


def test_jws_verification() -> None:
    n, e, _ = rsa_key()
    key = RsaKey("saleor-test-key", n, e)
    body = fixture("saleor", "order_created")
    token = saleor_jws(body)
    assert verify_jws(token, body, (key,))
    assert not verify_jws(token, body + b" ", (key,))
    assert not verify_jws(token, body, (RsaKey("other", n, e),))  # kid names another key
    assert verify_jws(token, body, (RsaKey(None, n, e),))
    other_n, other_e, _ = rsa_key(seed=11)
    assert not verify_jws(token, body, (RsaKey(None, other_n, other_e),))
    header, _, signature = token.split(".")
    for bad in (
        f"{header}.{signature}",
        f"{header}.eyJ4IjoxfQ.{signature}",
        f"{header}..{signature[:-2]}",
        f"{header}..",
        "..",
        f"e30..{signature}",  # {} : no alg
        f"eyJhbGciOiJub25lIn0..{signature}",  # alg none
        f"eyJhbGciOiJIUzI1NiJ9..{signature}",  # alg HS256
        f"{header}..{signature}!",
    ):
        assert not verify_jws(bad, body, (key,)), bad
    assert not verify_jws(token, body, ())


# --- deliveries -----------------------------------------------------------------------------


def test_order_created_with_the_secret_key(app: Flask, shop: Api) -> None:
    response = deliver(shop, "order_created", "ORDER_CREATED")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["outcome"] == "handled" and body["result"] == f"placed order {ORDER_ID}"
    assert body["topic"] == "ORDER_CREATED" and body["eventId"].startswith("body:")
    placed = order(shop)
    assert placed["source"] == "saleor" and placed["customer"] == "VXNlcjoyMg=="
    apple, carrot = placed["lines"]
    assert (apple["status"], apple["gtin"]) == ("open", GTIN)
    assert carrot["status"] == "untraced"


def test_order_created_signed_with_jws(shop: Api) -> None:
    response = deliver(shop, "order_created", "ORDER_CREATED", jws=True)
    assert response.get_json()["outcome"] == "handled", response.get_json()


def test_a_redelivery_changes_nothing(app: Flask, shop: Api) -> None:
    deliver(shop, "order_created", "ORDER_CREATED")
    before = order(shop)
    again = deliver(shop, "order_created", "ORDER_CREATED", jws=True)
    assert again.get_json()["outcome"] == "duplicate"
    assert order(shop) == before and count_rows(app, hook_events) == 1


def test_fulfilled_and_cancelled(shop: Api) -> None:
    deliver(shop, "order_created", "ORDER_CREATED")
    fulfilled = deliver(shop, "order_fulfilled", "ORDER_FULFILLED")
    assert fulfilled.get_json()["result"] == f"fulfilled order {ORDER_ID}"
    assert order(shop)["status"] == "fulfilled"
    assert order(shop)["lines"][0]["lot"] == "AJ-2405"
    refused = deliver(shop, "order_cancelled", "ORDER_CANCELLED")
    assert refused.get_json()["outcome"] == "refused"
    assert order(shop)["status"] == "fulfilled"


def test_a_legacy_payload_and_the_old_x_saleor_headers(shop: Api) -> None:
    body = fixture("saleor", "order_created_legacy")
    headers = {
        ("X-" + k if k in ("Saleor-Event", "Saleor-Signature", "Saleor-Domain") else k): v
        for k, v in saleor_headers(body, "order_created").items()
        if k != "Saleor-Api-Url"
    }
    connect(shop, "saleor", "legacy.saleor.cloud", secret=SALEOR_SECRET)
    headers["X-Saleor-Domain"] = "legacy.saleor.cloud"
    response = post(shop, "saleor", body, headers)
    assert response.get_json()["outcome"] == "handled", response.get_json()
    assert order(shop, "T3JkZXI6NTI3ZDc0NmYtYzM2My00ODc0LWI2YjUtYjA4ZWI4YmQ1MDBk")["number"] == "52"


def test_product_updated_links_variants_with_registered_gtins(shop: Api) -> None:
    response = deliver(shop, "product_updated", "PRODUCT_UPDATED", jws=True)
    body = response.get_json()
    assert body["result"] == (
        f"saved product {APPLE}; skipped product UHJvZHVjdFZhcmlhbnQ6MjA0; "
        "skipped product UHJvZHVjdFZhcmlhbnQ6MjA1"
    )
    [apple] = shop.get(f"/products?gtin={GTIN}").get_json()["products"]
    assert apple["shopProductId"] == APPLE


def test_a_connection_with_keys_only_refuses_hmac(app: Flask, api: Api) -> None:
    connect(api, "saleor", SALEOR_API, publicKey=jwks())
    body = fixture("saleor", "order_created")
    assert post(api, "saleor", body, saleor_headers(body, "ORDER_CREATED")).status_code == 401
    signed = saleor_headers(body, "ORDER_CREATED", jws=saleor_jws(body))
    assert post(api, "saleor", body, signed).status_code == 200
    forged = saleor_headers(body, "ORDER_CREATED", jws=saleor_jws(body, seed=11))
    assert post(api, "saleor", body, forged).status_code == 401
    assert count_rows(app, hook_events) == 1


def test_events_shoptrace_does_not_use(app: Flask, shop: Api) -> None:
    body = json.dumps({"checkout": {"id": "Q2hlY2tvdXQ6MQ=="}}).encode()
    response = post(shop, "saleor", body, saleor_headers(body, "checkout_created"))
    assert response.get_json()["outcome"] == "ignored"
    assert response.get_json()["topic"] == "CHECKOUT_CREATED"


@pytest.mark.parametrize(
    ("payload", "field", "rule"),
    [
        ({"product": {"id": "x"}}, "order", "required"),
        ([], "(body)", "items"),
        ({"order": {"id": "x", "lines": [{"quantity": 1.5}]}}, "order.lines[0].quantity", "type"),
        ({"order": {"id": "x", "lines": "none"}}, "order.lines", "type"),
        (
            {"order": {"id": "x", "created": "2024-05-06", "lines": []}},
            "order.created",
            "date-time",
        ),
    ],
)
def test_a_signed_order_that_does_not_map_is_a_422(
    app: Flask, shop: Api, payload: Any, field: str, rule: str
) -> None:
    body = json.dumps(payload).encode()
    response = post(shop, "saleor", body, saleor_headers(body, "ORDER_CREATED"))
    assert response.status_code == 422, response.get_json()
    assert [(e["field"], e["rule"]) for e in response.get_json()["errors"]] == [(field, rule)]
    assert count_rows(app, orders) == 0 and count_rows(app, hook_events) == 0
