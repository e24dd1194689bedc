"""Every endpoint, called with another merchant's key and the first merchant's ids, gives
nothing of the first merchant's data and changes none of it."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from flask import Flask

from shoptrace.shop_plugin.api import BLUEPRINT
from shoptrace.shop_plugin.api.epcis import BLUEPRINT as EPCIS_BLUEPRINT
from shoptrace.shop_plugin.store.tables import (
    batches,
    capture_jobs,
    event_epcs,
    events,
    hook_events,
    issuances,
    locations,
    order_lines,
    orders,
    outbox,
    products,
    recalls,
    shop_connections,
    units,
    upstream_endpoints,
    webhook_endpoints,
)
from tests.shop_plugin.epcis_helpers import (
    CASE,
    EPCIS,
    ORDER,
    STORE,
    capture,
    document,
    segment,
    supply_chain,
)
from tests.shop_plugin.helpers import GTIN, GTIN2, Api, count_rows

GTIN3 = "09506000134376"
LISTS = {
    "list_products": "products",
    "list_batches": "batches",
    "list_webhooks": "webhooks",
    "list_orders": "orders",
    "list_recalls": "recalls",
    "list_connections": "connections",
    "list_upstreams": "upstreams",
    "list_locations": "locations",
}
SECRET_NAME = "甲商家的秘密苹果"
SECRET_SKU = "A-SKU-SECRET"
SECRET_LOT = "ALOT-SECRET"
SECRET_REASON = "Secret recall reason"
SECRET_SHOP = "secret-acme.myshopify.com"
SECRET_HOOK_KEY = "shpss_first-merchants-webhook-secret"
SECRET_HOOK = "https://a-secret-hooks.example.com/receive"
SECRET_UPSTREAM = "https://a-secret-platform.example.com/epcis"
SECRET_UPSTREAM_NAME = "甲商家的省级平台"
SECRET_UPSTREAM_TOKEN = "a-secret-platform-token"
SECRET_PLACE = "甲商家的秘密仓库"


def _first_merchant_data(api: Api) -> dict[str, Any]:
    product = api.product(name={"zh-CN": SECRET_NAME}, shopProductId=SECRET_SKU)
    batch = api.batch(product["id"], SECRET_LOT, producer={"name": {"en": "Secret Farm"}})
    issued = api.post(f"/batches/{batch['id']}/codes", {"count": 5}).get_json()
    job = api.post(f"/batches/{batch['id']}/codes", {"count": 1001}).get_json()
    assert job["issuance"]["status"] == "pending"
    serials = [c["serial"] for c in issued["codes"]]
    captured = capture(api, document(supply_chain(serials[:3])))
    assert captured.status_code == 202, captured.get_json()
    hook = api.post(
        "/webhooks", {"url": SECRET_HOOK, "topics": ["recall.created"], "description": SECRET_NAME}
    ).get_json()
    delivery = api.post(f"/webhooks/{hook['id']}/test").get_json()
    placed = api.post(
        "/orders",
        {
            "id": "A-ORDER-1",
            "number": "#A-SECRET-7",
            "customer": "A-CUST-SECRET",
            "lines": [{"gtin": GTIN, "quantity": 1, "name": SECRET_NAME}],
        },
    )
    assert placed.status_code == 201, placed.get_json()
    fulfilled = api.post("/orders/A-ORDER-1/fulfil", {"units": [issued["codes"][3]["uri"]]})
    assert fulfilled.status_code == 200, fulfilled.get_json()
    recall = api.post(
        "/recalls",
        {"gtin": GTIN, "lots": [SECRET_LOT], "reason": {"en": SECRET_REASON}, "severity": "1"},
    )
    assert recall.status_code == 201, recall.get_json()
    connection = api.post(
        "/connections", {"platform": "shopify", "shop": SECRET_SHOP, "secret": SECRET_HOOK_KEY}
    )
    assert connection.status_code == 201, connection.get_json()
    upstream = api.post(
        "/upstreams",
        {
            "name": SECRET_UPSTREAM_NAME,
            "url": SECRET_UPSTREAM,
            "kind": "provincial",
            "auth": {"type": "bearer", "token": SECRET_UPSTREAM_TOKEN},
        },
    )
    assert upstream.status_code == 201, upstream.get_json()
    location = api.post(
        "/locations",
        {"id": STORE, "name": {"zh-CN": SECRET_PLACE}, "visibility": {"name": "public"}},
    )
    assert location.status_code == 201, location.get_json()
    return {
        "recall_id": recall.get_json()["id"],
        "order_id": "A-ORDER-1",
        "product_id": product["id"],
        "batch_id": batch["id"],
        "issuance_id": issued["issuance"]["id"],
        "code": quote(issued["codes"][0]["uri"], safe=""),
        "webhook_id": hook["id"],
        "delivery_id": delivery["id"],
        "connection_id": connection.get_json()["id"],
        "upstream_id": upstream.get_json()["id"],
        "location_id": location.get_json()["id"],
        "secrets": [
            *(SECRET_REASON, *recall.get_json()["events"]),
            *(GTIN, SECRET_NAME, SECRET_SKU, SECRET_LOT, "Secret Farm", *serials),
            *("a-secret-hooks", hook["secret"], delivery["eventId"]),
            *("#A-SECRET-7", "A-CUST-SECRET", placed.get_json()["token"]),
            *(SECRET_SHOP, SECRET_HOOK_KEY),
            *("a-secret-platform", SECRET_UPSTREAM_NAME, SECRET_UPSTREAM_TOKEN),
            SECRET_PLACE,
        ],
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
    "delete_product": ("DELETE", "/products/{product_id}", None, {404}),
    "product_completeness": ("GET", "/products/{product_id}/completeness", None, {404}),
    "list_batches": ("GET", "/batches?productId={product_id}&lot=" + SECRET_LOT, None, {200}),
    "create_batch": ("POST", "/batches", {"productId": "{product_id}", "lot": "X"}, {422}),
    "get_batch": ("GET", "/batches/{batch_id}", None, {404}),
    "update_batch": ("PATCH", "/batches/{batch_id}", {"expiryDate": "2030-01-01"}, {404}),
    "delete_batch": ("DELETE", "/batches/{batch_id}", None, {404}),
    "batch_completeness": ("GET", "/batches/{batch_id}/completeness", None, {404}),
    "issue_codes": ("POST", "/batches/{batch_id}/codes", {"count": 3}, {404}),
    "list_codes": ("GET", "/batches/{batch_id}/codes", None, {404}),
    "export_csv": ("GET", "/batches/{batch_id}/codes.csv", None, {404}),
    "export_pdf": ("GET", "/batches/{batch_id}/codes.pdf", None, {404}),
    "list_issuances": ("GET", "/batches/{batch_id}/issuances", None, {404}),
    "get_issuance": ("GET", "/issuances/{issuance_id}", None, {404}),
    "get_trace": ("GET", "/trace?code={code}", None, {404}),
    "batch_downstream": ("GET", "/batches/{batch_id}/downstream", None, {404}),
    "list_orders": ("GET", "/orders", None, {200}),
    "place_order": (
        "POST",
        "/orders",
        {"id": "R-1", "lines": [{"gtin": GTIN3, "quantity": 1}]},
        {201},
    ),
    "get_order": ("GET", "/orders/{order_id}", None, {404}),
    "fulfil_order": ("POST", "/orders/{order_id}/fulfil", {"units": ["{code}"]}, {404}),
    "deliver_order": ("POST", "/orders/{order_id}/deliver", None, {404}),
    "cancel_order": ("POST", "/orders/{order_id}/cancel", None, {404}),
    "return_order": ("POST", "/orders/{order_id}/return", None, {404}),
    "integrity": ("GET", "/integrity", None, {200}),
    "list_connections": ("GET", "/connections?platform=shopify", None, {200}),
    "create_connection": (
        "POST",
        "/connections",
        {"platform": "shopify", "shop": "rival.myshopify.com", "secret": "rival-secret"},
        {201},
    ),
    "get_connection": ("GET", "/connections/{connection_id}", None, {404}),
    "update_connection": (
        "PATCH",
        "/connections/{connection_id}",
        {"secret": "hijacked-secret"},
        {404},
    ),
    "delete_connection": ("DELETE", "/connections/{connection_id}", None, {404}),
    "list_webhooks": ("GET", "/webhooks", None, {200}),
    "create_webhook": (
        "POST",
        "/webhooks",
        {"url": "https://rival.example.com/hooks", "topics": ["recall.created"]},
        {201},
    ),
    "get_webhook": ("GET", "/webhooks/{webhook_id}", None, {404}),
    "update_webhook": ("PATCH", "/webhooks/{webhook_id}", {"enabled": False}, {404}),
    "delete_webhook": ("DELETE", "/webhooks/{webhook_id}", None, {404}),
    "rotate_webhook_secret": ("POST", "/webhooks/{webhook_id}/rotate-secret", None, {404}),
    "test_webhook": ("POST", "/webhooks/{webhook_id}/test", None, {404}),
    "list_webhook_deliveries": ("GET", "/webhooks/{webhook_id}/deliveries", None, {404}),
    "get_webhook_delivery": (
        "GET",
        "/webhooks/{webhook_id}/deliveries/{delivery_id}",
        None,
        {404},
    ),
    "redeliver_webhook_delivery": (
        "POST",
        "/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver",
        None,
        {404},
    ),
    "list_recalls": ("GET", "/recalls", None, {200}),
    "create_recall": (
        "POST",
        "/recalls",
        {"gtin": GTIN, "lots": [SECRET_LOT], "reason": "x", "severity": "1"},
        {422},
    ),
    "get_recall": ("GET", "/recalls/{recall_id}", None, {404}),
    "recall_impact": ("GET", "/recalls/{recall_id}/impact?format=csv", None, {404}),
    "close_recall": ("POST", "/recalls/{recall_id}/close", {"note": "hijack"}, {404}),
    "list_upstreams": ("GET", "/upstreams", None, {200}),
    "create_upstream": (
        "POST",
        "/upstreams",
        {"name": "Rival platform", "url": "https://rival-platform.example.com/epcis"},
        {201},
    ),
    "get_upstream": ("GET", "/upstreams/{upstream_id}", None, {404}),
    "update_upstream": (
        "PATCH",
        "/upstreams/{upstream_id}",
        {"url": "https://hijack.example.com/epcis"},
        {404},
    ),
    "delete_upstream": ("DELETE", "/upstreams/{upstream_id}", None, {404}),
    "resume_upstream": ("POST", "/upstreams/{upstream_id}/resume", None, {404}),
    "rewind_upstream": ("POST", "/upstreams/{upstream_id}/rewind?seq=0", None, {404}),
    "list_locations": ("GET", "/locations?place=" + quote(STORE, safe=""), None, {200}),
    "create_location": ("POST", "/locations", {"id": STORE, "name": {"en": "Rival's"}}, {201}),
    "get_location": ("GET", "/locations/{location_id}", None, {404}),
    "update_location": ("PATCH", "/locations/{location_id}", {"name": {"en": "Hijack"}}, {404}),
    "delete_location": ("DELETE", "/locations/{location_id}", None, {404}),
}


def _fill(value: Any, ids: dict[str, Any]) -> Any:
    if isinstance(value, str):
        for name in (
            "product_id",
            "batch_id",
            "issuance_id",
            "code",
            "webhook_id",
            "delivery_id",
            "order_id",
            "recall_id",
            "connection_id",
            "upstream_id",
            "location_id",
        ):
            if value == "{" + name + "}":
                return ids[name]
            value = value.replace("{" + name + "}", str(ids[name]))
        return value
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    return value


def _snapshot(app: Flask, merchant_id: int) -> list[Any]:
    with app.extensions["shoptrace"].store.read() as conn:
        return [
            conn.execute(
                sa.select(table).where(table.c.merchant_id == merchant_id).order_by(table.c.id)
            ).all()
            for table in (
                products,
                batches,
                issuances,
                events,
                capture_jobs,
                webhook_endpoints,
                outbox,
                orders,
                order_lines,
                recalls,
                shop_connections,
                hook_events,
                upstream_endpoints,
                locations,
            )
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


# EPCIS binding: for each endpoint, method, path (under the binding's root), statuses allowed.
EPCIS_REQUESTS: dict[str, tuple[str, str, set[int]]] = {
    "top_level": ("GET", "/", {200}),
    "list_epcs": ("GET", "/epcs", {200}),
    "get_epc": ("GET", "/epcs/{epc}", {404}),
    "epc_events": ("GET", "/epcs/{epc}/events", {200}),
    "list_eventTypes": ("GET", "/eventTypes", {200}),
    "get_eventType": ("GET", "/eventTypes/ObjectEvent", {200}),
    "eventType_events": ("GET", "/eventTypes/ObjectEvent/events", {200}),
    "list_bizSteps": ("GET", "/bizSteps", {200}),
    "get_bizStep": ("GET", "/bizSteps/shipping", {200}),
    "bizStep_events": ("GET", "/bizSteps/shipping/events", {200}),
    "list_dispositions": ("GET", "/dispositions", {200}),
    "get_disposition": ("GET", "/dispositions/in_transit", {200}),
    "disposition_events": ("GET", "/dispositions/in_transit/events", {200}),
    "list_readPoints": ("GET", "/readPoints", {200}),
    "get_readPoint": ("GET", "/readPoints/{place}", {404}),
    "readPoint_events": ("GET", "/readPoints/{place}/events", {200}),
    "list_bizLocations": ("GET", "/bizLocations", {200}),
    "get_bizLocation": ("GET", "/bizLocations/{place}", {404}),
    "bizLocation_events": ("GET", "/bizLocations/{place}/events", {200}),
    "capture_document": ("POST", "/capture", {202}),
    "list_captures": ("GET", "/capture", {200}),
    "get_capture": ("GET", "/capture/{capture_id}", {404}),
    "query_events": ("GET", "/events?MATCH_anyEPC={epc}&EQ_bizStep=shipping", {200}),
    "capture_event": ("POST", "/events", {201}),
    "get_event": ("GET", "/events/{event_id}", {404}),
}


def _epcis_snapshot(app: Flask, merchant_id: int) -> list[Any]:
    with app.extensions["shoptrace"].store.read() as conn:
        return [
            conn.execute(
                sa.select(table)
                .where(table.c.merchant_id == merchant_id)
                .order_by(*table.primary_key)
            ).all()
            for table in (events, event_epcs, capture_jobs)
        ]


def test_another_merchants_key_reaches_no_epcis_data_of_the_first_merchant(
    app: Flask, api: Api, other_api: Api
) -> None:
    first = _first_merchant_data(api)
    listed = json.loads(api.client.get(EPCIS + "/events", headers=api.headers()).data)
    event_id = listed["epcisBody"]["queryResults"]["resultsBody"]["eventList"][0]["eventID"]
    ids = {
        "epc": segment(CASE),
        "place": segment(STORE),
        "capture_id": "1",
        "event_id": segment(event_id),
    }
    secrets = [*first["secrets"], "0000000001", "9506000000022", ORDER, event_id]
    before = _epcis_snapshot(app, api.merchant_id)
    endpoints = {
        rule.endpoint.split(".", 1)[1]
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith(EPCIS_BLUEPRINT + ".")
    }
    assert endpoints == set(EPCIS_REQUESTS), "add every new EPCIS endpoint to EPCIS_REQUESTS"
    own_event = {
        "@context": "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
        "type": "ObjectEvent",
        "eventTime": "2025-01-01T00:00:00Z",
        "eventTimeZoneOffset": "+00:00",
        "action": "OBSERVE",
        "epcList": ["urn:epc:id:sgtin:9506000.013436.OTHER1"],
    }
    for endpoint, (method, path, allowed) in EPCIS_REQUESTS.items():
        url = EPCIS + path.format(**ids)
        if endpoint == "capture_document":
            response = capture(
                other_api, document([{k: v for k, v in own_event.items() if k != "@context"}])
            )
        else:
            body = {**own_event, "epcList": ["urn:epc:id:sgtin:9506000.013436.OTHER2"]}
            body = body if method == "POST" else None
            response = other_api.client.open(
                url, method=method, json=body, headers=other_api.headers()
            )
        assert response.status_code in allowed, (endpoint, response.status_code, response.data)
        text = response.get_data(as_text=True)
        if response.status_code >= 400:
            assert response.mimetype == "application/problem+json", endpoint
            problem = response.get_json()
            assert problem["type"].startswith("epcisException:"), endpoint
            problem.pop("instance")  # the path asked for, which holds the caller's own ids
            text = json.dumps(problem)
        for secret in secrets:
            assert secret not in text, (endpoint, secret)
        if endpoint in ("epc_events", "query_events", "bizStep_events"):
            assert json.loads(text)["epcisBody"]["queryResults"]["resultsBody"]["eventList"] == []
        if endpoint in ("list_epcs", "list_readPoints", "list_bizLocations"):
            assert all("OTHER" in member for member in json.loads(text)["member"]), endpoint
    assert _epcis_snapshot(app, api.merchant_id) == before
