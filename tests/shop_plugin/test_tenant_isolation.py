"""Every endpoint, called with another merchant's key and the first merchant's ids, gives
nothing of the first merchant's data and changes none of it."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask

from shoptrace.shop_plugin.api import BLUEPRINT
from shoptrace.shop_plugin.store.tables import batches, issuances, products, units
from tests.shop_plugin.helpers import GTIN, GTIN2, Api, count_rows

GTIN3 = "09506000134376"
LISTS = {"list_products": "products", "list_batches": "batches"}
SECRET_NAME = "甲商家的秘密苹果"
SECRET_SKU = "A-SKU-SECRET"
SECRET_LOT = "ALOT-SECRET"


def _first_merchant_data(api: Api) -> dict[str, Any]:
    product = api.product(name={"zh-CN": SECRET_NAME}, shopProductId=SECRET_SKU)
    batch = api.batch(product["id"], SECRET_LOT, producer={"name": {"en": "Secret Farm"}})
    issued = api.post(f"/batches/{batch['id']}/codes", {"count": 5}).get_json()
    job = api.post(f"/batches/{batch['id']}/codes", {"count": 1001}).get_json()
    assert job["issuance"]["status"] == "pending"
    return {
        "product_id": product["id"],
        "batch_id": batch["id"],
        "issuance_id": issued["issuance"]["id"],
        "secrets": [GTIN, SECRET_NAME, SECRET_SKU, SECRET_LOT, "Secret Farm"]
        + [c["serial"] for c in issued["codes"]],
    }


# For each endpoint: method, path suffix (after the API root), body, statuses allowed.
REQUESTS: dict[str, tuple[str, str, Any, set[int]]] = {
    "openapi": ("GET", "/openapi.json", None, {200}),
    "list_categories": ("GET", "/categories", None, {200}),
    "list_products": ("GET", "/products?gtin=" + GTIN, None, {200}),
    "create_product": (
        "POST",
        "/products",
        {"gtin": GTIN2, "name": {"en": "Mine"}, "category": "food"},
        {201},
    ),
    "get_product": ("GET", "/products/{product_id}", None, {404}),
    "update_product": ("PATCH", "/products/{product_id}", {"name": {"en": "Hijacked"}}, {404}),
    "product_completeness": ("GET", "/products/{product_id}/completeness", None, {404}),
    "list_batches": ("GET", "/batches?productId={product_id}&lot=" + SECRET_LOT, None, {200}),
    "create_batch": ("POST", "/batches", {"productId": "{product_id}", "lot": "X"}, {422}),
    "get_batch": ("GET", "/batches/{batch_id}", None, {404}),
    "update_batch": ("PATCH", "/batches/{batch_id}", {"expiryDate": "2030-01-01"}, {404}),
    "batch_completeness": ("GET", "/batches/{batch_id}/completeness", None, {404}),
    "issue_codes": ("POST", "/batches/{batch_id}/codes", {"count": 3}, {404}),
    "list_codes": ("GET", "/batches/{batch_id}/codes", None, {404}),
    "export_csv": ("GET", "/batches/{batch_id}/codes.csv", None, {404}),
    "export_pdf": ("GET", "/batches/{batch_id}/codes.pdf", None, {404}),
    "list_issuances": ("GET", "/batches/{batch_id}/issuances", None, {404}),
    "get_issuance": ("GET", "/issuances/{issuance_id}", None, {404}),
}


def _fill(value: Any, ids: dict[str, Any]) -> Any:
    if isinstance(value, str):
        for name in ("product_id", "batch_id", "issuance_id"):
            if value == "{" + name + "}":
                return ids[name]
            value = value.replace("{" + name + "}", str(ids[name]))
        return value
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


def _snapshot(app: Flask, merchant_id: int) -> list[Any]:
    with app.extensions["shoptrace"].store.read() as conn:
        return [
            conn.execute(
                sa.select(table).where(table.c.merchant_id == merchant_id).order_by(table.c.id)
            ).all()
            for table in (products, batches, issuances)
        ] + [
            conn.execute(
                sa.select(sa.func.count())
                .select_from(units)
                .where(units.c.merchant_id == merchant_id)
            ).scalar_one()
        ]


def test_another_merchants_key_reaches_nothing_of_the_first_merchant(
    app: Flask, api: Api, other_api: Api
) -> None:
    first = _first_merchant_data(api)
    other_api.batch(other_api.product(GTIN3)["id"], "B-LOT")
    before = _snapshot(app, api.merchant_id)
    endpoints = {
        rule.endpoint.split(".", 1)[1]
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith(BLUEPRINT + ".")
    }
    assert endpoints == set(REQUESTS), "add every new endpoint to REQUESTS"
    for endpoint, (method, path, body, allowed) in REQUESTS.items():
        url = other_api.url(_fill(path, first))
        response = other_api.client.open(
            url, method=method, json=_fill(body, first), headers=other_api.headers()
        )
        assert response.status_code in allowed, (endpoint, response.status_code, response.data)
        text = response.get_data(as_text=True) if response.mimetype != "application/pdf" else ""
        for secret in first["secrets"]:
            assert secret not in text, (endpoint, secret)
        if response.status_code >= 400:
            assert response.mimetype == "application/problem+json", endpoint
        if endpoint in LISTS:
            assert response.get_json()[LISTS[endpoint]] == [], endpoint
    assert _snapshot(app, api.merchant_id) == before
    assert count_rows(app, units) == 5


def test_registering_a_gtin_another_merchant_uses_reveals_nothing(api: Api, other_api: Api) -> None:
    api.product()
    response = other_api.post(
        "/products", {"gtin": GTIN, "name": {"en": "Ours"}, "category": "food"}
    )
    assert response.status_code == 201
    assert response.get_json()["name"] == {"en": "Ours"}
    assert [p["name"] for p in api.get("/products").get_json()["products"]] == [
        {"zh-CN": "有机苹果", "en": "Organic apples"}
    ]
