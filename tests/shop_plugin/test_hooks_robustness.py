"""The webhook routes under attack and under load: unsigned, mis-signed and foreign deliveries
get 401 and record nothing; concurrent redeliveries apply once; no input produces a 500."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shoptrace.shop_plugin.store.tables import hook_events, orders, products
from tests.shop_plugin.helpers import Api, count_rows
from tests.shop_plugin.hooks_helpers import (
    HOOKS,
    SALEOR_API,
    SALEOR_SECRET,
    SHOPIFY_SECRET,
    SHOPIFY_SHOP,
    WOO_SECRET,
    WOO_SITE,
    b64_hmac,
    connect,
    fixture,
    jwks,
    post,
    saleor_headers,
    saleor_jws,
    shopify_headers,
    woo_headers,
)

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def shops(api: Api) -> Api:
    connect(api, "shopify", SHOPIFY_SHOP, secret=SHOPIFY_SECRET)
    connect(api, "woocommerce", WOO_SITE, secret=WOO_SECRET)
    connect(api, "saleor", SALEOR_API, secret=SALEOR_SECRET, publicKey=jwks())
    return api


def _nothing_recorded(app: Flask) -> None:
    assert count_rows(app, hook_events) == 0
    assert count_rows(app, orders) == 0


def _refused(response: Any) -> None:
    assert response.status_code == 401, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == 401


# --- 401 -------------------------------------------------------------------------------------


def _shopify_cases(body: bytes) -> list[dict[str, str]]:
    good = shopify_headers(body, "orders/create")
    return [
        {k: v for k, v in good.items() if k != "X-Shopify-Hmac-Sha256"},
        {**good, "X-Shopify-Hmac-Sha256": ""},
        {**good, "X-Shopify-Hmac-Sha256": b64_hmac("wrong-secret", body)},
        {**good, "X-Shopify-Hmac-Sha256": b64_hmac(SHOPIFY_SECRET, body + b" ")},
        {**good, "X-Shopify-Hmac-Sha256": good["X-Shopify-Hmac-Sha256"][:-4]},
        {**good, "X-Shopify-Hmac-Sha256": "%%%not base64%%%"},
        {**good, "X-Shopify-Hmac-Sha256": "A" * 5000},
        {**good, "X-Shopify-Hmac-Sha256": b64_hmac(SHOPIFY_SECRET, body).lower()},
        {k: v for k, v in good.items() if k != "X-Shopify-Shop-Domain"},
        {**good, "X-Shopify-Shop-Domain": "unknown.myshopify.com"},
        {**good, "X-Shopify-Shop-Domain": "https://acme-orchards.myshopify.com/admin"},
        {**good, "X-Shopify-Shop-Domain": "exa mple"},
    ]


def test_unsigned_or_mis_signed_shopify_deliveries_get_401(app: Flask, shops: Api) -> None:
    body = fixture("shopify", "orders_create")
    for headers in _shopify_cases(body):
        _refused(post(shops, "shopify", body, headers))
    _nothing_recorded(app)


def test_unsigned_or_mis_signed_woocommerce_deliveries_get_401(app: Flask, shops: Api) -> None:
    body = fixture("woocommerce", "order_created")
    good = woo_headers(body, "order.created")
    for headers in (
        {k: v for k, v in good.items() if k != "X-WC-Webhook-Signature"},
        {**good, "X-WC-Webhook-Signature": b64_hmac("wrong-secret", body)},
        {**good, "X-WC-Webhook-Signature": b64_hmac(WOO_SECRET, body[:-1])},
        {k: v for k, v in good.items() if k != "X-WC-Webhook-Source"},
        {**good, "X-WC-Webhook-Source": "https://another.example/"},
        {**good, "X-WC-Webhook-Source": "https://shop.acme-orchards.example/other/"},
    ):
        _refused(post(shops, "woocommerce", body, headers))
    _nothing_recorded(app)


def test_unsigned_or_mis_signed_saleor_deliveries_get_401(app: Flask, shops: Api) -> None:
    body = fixture("saleor", "order_created")
    good = saleor_headers(body, "ORDER_CREATED")
    hex_digest = good["Saleor-Signature"]
    for headers in (
        {k: v for k, v in good.items() if k != "Saleor-Signature"},
        {**good, "Saleor-Signature": hex_digest[:-1] + ("0" if hex_digest[-1] != "0" else "1")},
        {**good, "Saleor-Signature": saleor_headers(body, "x", secret="wrong")["Saleor-Signature"]},
        {**good, "Saleor-Signature": saleor_jws(body, seed=11)},
        {**good, "Saleor-Signature": saleor_jws(body + b"\n")},
        {**good, "Saleor-Signature": "a.b.c"},
        {**good, "Saleor-Signature": "." * 30_000},
        {
            k: v
            for k, v in {**good, "Saleor-Api-Url": "https://other.saleor.cloud/graphql/"}.items()
            if k != "Saleor-Domain"
        },
        {k: v for k, v in good.items() if k not in ("Saleor-Api-Url", "Saleor-Domain")},
    ):
        _refused(post(shops, "saleor", body, headers))
    _nothing_recorded(app)


def test_one_merchants_secret_does_not_sign_for_another_merchants_shop(
    app: Flask, api: Api, other_api: Api
) -> None:
    connect(api, "shopify", SHOPIFY_SHOP, secret=SHOPIFY_SECRET)
    connect(other_api, "shopify", "rival.myshopify.com", secret="rival-secret-123")
    body = fixture("shopify", "orders_create")
    forged = shopify_headers(body, "orders/create", secret="rival-secret-123")
    _refused(post(api, "shopify", body, forged))
    _nothing_recorded(app)


def test_a_deleted_connection_refuses_its_shop(app: Flask, api: Api) -> None:
    made = connect(api, "shopify", SHOPIFY_SHOP, secret=SHOPIFY_SECRET)
    api.client.delete(f"/trace/api/v1/connections/{made['id']}", headers=api.headers())
    body = fixture("shopify", "orders_create")
    _refused(post(api, "shopify", body, shopify_headers(body, "orders/create")))
    _nothing_recorded(app)


def test_the_previous_secret_works_during_its_grace_period_only(app: Flask, api: Api) -> None:
    made = connect(api, "shopify", SHOPIFY_SHOP, secret=SHOPIFY_SECRET)
    api.patch(f"/connections/{made['id']}", {"secret": "rotated-secret-1", "graceSeconds": 600})
    body = fixture("shopify", "orders_create")
    old = post(api, "shopify", body, shopify_headers(body, "orders/create", event_id="a"))
    assert old.status_code == 200
    new = post(
        api,
        "shopify",
        body,
        shopify_headers(body, "orders/create", secret="rotated-secret-1", event_id="b"),
    )
    assert new.status_code == 200
    api.patch(f"/connections/{made['id']}", {"secret": "rotated-secret-2"})
    _refused(post(api, "shopify", body, shopify_headers(body, "orders/create", event_id="c")))


# --- routing, limits -------------------------------------------------------------------------


def test_other_methods_and_platforms_get_problems(app: Flask, shops: Api) -> None:
    for method in ("GET", "PUT", "DELETE"):
        response = shops.client.open(f"{HOOKS}/shopify", method=method)
        assert response.status_code == 405
        assert response.mimetype == "application/problem+json"
        assert "POST" in response.headers["Allow"]
    unknown = shops.client.post(f"{HOOKS}/magento", data=b"{}")
    assert unknown.status_code == 404 and unknown.mimetype == "application/problem+json"


def test_bodies_over_the_limit_get_413(app: Flask, shops: Api) -> None:
    limit = app.extensions["shoptrace"].settings.max_body_bytes
    body = json.dumps({"id": 1, "pad": "x" * limit}).encode()
    response = post(shops, "shopify", body, shopify_headers(body, "orders/create"))
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"
    _nothing_recorded(app)


# --- concurrency ------------------------------------------------------------------------------


def test_concurrent_redeliveries_apply_once(app: Flask, shops: Api) -> None:
    body = fixture("shopify", "orders_create")
    headers = shopify_headers(body, "orders/create")
    answers: list[Any] = []
    start = threading.Barrier(4)

    def send() -> None:
        client = app.test_client()
        start.wait()
        response = client.post(f"{HOOKS}/shopify", data=body, headers=headers)
        answers.append((response.status_code, response.get_json()["outcome"]))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [
        (200, "duplicate"),
        (200, "duplicate"),
        (200, "duplicate"),
        (200, "handled"),
    ]
    assert count_rows(app, hook_events) == 1 and count_rows(app, orders) == 1


def test_concurrent_events_of_one_new_order_place_it_once(app: Flask, shops: Api) -> None:
    created = fixture("shopify", "orders_create")
    cancelled = fixture("shopify", "orders_cancelled")
    deliveries = [
        (created, shopify_headers(created, "orders/create", event_id="e-create")),
        (cancelled, shopify_headers(cancelled, "orders/cancelled", event_id="e-cancel")),
    ]
    answers: list[int] = []
    start = threading.Barrier(len(deliveries))

    def send(body: bytes, headers: dict[str, str]) -> None:
        client = app.test_client()
        start.wait()
        answers.append(client.post(f"{HOOKS}/shopify", data=body, headers=headers).status_code)

    threads = [threading.Thread(target=send, args=d) for d in deliveries]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [200, 200]
    assert count_rows(app, orders) == 1 and count_rows(app, hook_events) == 2


# --- fuzz -------------------------------------------------------------------------------------

any_text = st.text(st.characters(exclude_categories=()), max_size=30)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | any_text
    | st.sampled_from(
        [
            "2025-03-01T08:00:00+08:00",
            "2017-03-22T19:28:02",
            "9506000134352",
            "09506000134369",
            "US",
            "completed",
            "cancelled",
            "IPOD2008PINK",
            "gtin",
            "",
        ]
    )
)
KEYS = [
    "id",
    "name",
    "number",
    "title",
    "status",
    "created_at",
    "created",
    "date_created_gmt",
    "customer",
    "customer_id",
    "user",
    "line_items",
    "lines",
    "quantity",
    "sku",
    "productSku",
    "product_sku",
    "variant_id",
    "variation_id",
    "product_id",
    "productVariantId",
    "variant",
    "shipping_address",
    "shippingAddress",
    "shipping",
    "country_code",
    "country",
    "province",
    "state",
    "countryArea",
    "variants",
    "barcode",
    "global_unique_id",
    "meta_data",
    "metadata",
    "attributes",
    "key",
    "value",
    "order",
    "product",
    "data",
    "handle",
    "permalink",
]
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(KEYS), inner, max_size=6)
    ),
    max_leaves=20,
)
payloads = json_values | st.dictionaries(st.sampled_from(KEYS), json_values, max_size=8)
TOPICS = {
    "shopify": [
        "orders/create",
        "orders/fulfilled",
        "orders/cancelled",
        "products/create",
        "products/update",
        "orders/updated",
    ],
    "woocommerce": [
        "order.created",
        "order.updated",
        "product.created",
        "product.updated",
        "coupon.created",
    ],
    "saleor": [
        "ORDER_CREATED",
        "ORDER_FULFILLED",
        "ORDER_CANCELLED",
        "PRODUCT_CREATED",
        "PRODUCT_UPDATED",
        "ORDER_UPDATED",
    ],
}


def _signed(platform: str, body: bytes, topic: str, event: str) -> dict[str, str]:
    if platform == "shopify":
        return shopify_headers(body, topic, event_id=event)
    if platform == "woocommerce":
        return woo_headers(body, topic, delivery_id=event)
    return saleor_headers(body, topic)


def _handled(response: Any) -> None:
    assert response.status_code < 500, response.get_data(as_text=True)
    if response.status_code >= 400:
        assert response.mimetype == "application/problem+json"
        assert response.get_json()["status"] == response.status_code
    else:
        assert response.get_json()["outcome"] in (
            "handled",
            "duplicate",
            "ignored",
            "refused",
            "ping",
        )


@FUZZ
@given(
    platform=st.sampled_from(sorted(TOPICS)),
    payload=payloads,
    topic_index=st.integers(min_value=0, max_value=5),
    event=st.text(max_size=12),
)
def test_any_signed_payload_is_answered_without_500(
    shops: Api, platform: str, payload: Any, topic_index: int, event: str
) -> None:
    topics = TOPICS[platform]
    topic = topics[topic_index % len(topics)]
    body = json.dumps(payload).encode()
    headers = _signed(platform, body, topic, event.encode("utf-8", "replace").hex() or "e")
    _handled(post(shops, platform, body, headers))


@FUZZ
@given(
    platform=st.sampled_from(sorted(TOPICS)),
    body=st.binary(max_size=200) | payloads.map(lambda p: json.dumps(p).encode()),
    headers=st.dictionaries(
        st.sampled_from(
            [
                "X-Shopify-Topic",
                "X-Shopify-Hmac-Sha256",
                "X-Shopify-Shop-Domain",
                "X-Shopify-Event-Id",
                "X-WC-Webhook-Source",
                "X-WC-Webhook-Topic",
                "X-WC-Webhook-Signature",
                "X-WC-Webhook-Delivery-ID",
                "Saleor-Event",
                "Saleor-Domain",
                "Saleor-Api-Url",
                "Saleor-Signature",
                "Content-Type",
            ]
        ),
        st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=60)
        | st.sampled_from([SHOPIFY_SHOP, WOO_SITE, SALEOR_API, "orders/create", "a..b"]),
        max_size=6,
    ),
)
def test_any_unsigned_request_is_refused_without_500(
    app: Flask, shops: Api, platform: str, body: bytes, headers: dict[str, str]
) -> None:
    response = shops.client.post(f"{HOOKS}/{platform}", data=body, headers=headers)
    assert response.status_code in (200, 401), response.get_data(as_text=True)
    if response.status_code == 200:
        assert response.get_json() == {"outcome": "ping", "platform": "woocommerce"}
    else:
        assert response.mimetype == "application/problem+json"
    assert count_rows(app, hook_events) == 0 and count_rows(app, products) == 0


# --- 429 -------------------------------------------------------------------------------------


@pytest.mark.parametrize("app_config", [{"SHOPTRACE_RATE_LIMIT": "3 per minute"}])
def test_an_address_guessing_signatures_is_limited_and_verified_deliveries_are_not(
    app: Flask, shops: Api
) -> None:
    body = fixture("shopify", "orders_create")
    good = shopify_headers(body, "orders/create")
    # Deliveries that verify are never counted: more of them than the limit all pass.
    for n in range(4):
        again = {**good, "X-Shopify-Event-Id": f"event-{n}"}
        assert post(shops, "shopify", body, again).status_code == 200
    bad = {**good, "X-Shopify-Hmac-Sha256": b64_hmac("wrong-secret", body)}
    for _ in range(3):
        _refused(post(shops, "shopify", body, bad))
    limited = post(shops, "shopify", body, bad)
    assert limited.status_code == 429
    assert limited.mimetype == "application/problem+json"
    assert "Too many refused deliveries" in limited.get_json()["detail"]
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    # ... and so is every delivery from that address until the window passes.
    assert post(shops, "woocommerce", body, woo_headers(body, "order.created")).status_code == 429
    assert count_rows(app, hook_events) == 4
