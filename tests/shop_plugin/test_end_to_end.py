"""Issue #7 end to end: a listing, an order placed and fulfilled by the shop's signals with
scanned units, the shopper's order page, a scan of one unit, the recall of its lot whose
impact names the order, and the merchant's webhook arriving signed."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask

from shoptrace.sdk.epcis import events as ev
from shoptrace.sdk.webhooks import construct_event
from shoptrace.shop_plugin import signals
from shoptrace.shop_plugin.services.outbox import deliver_due
from tests.shop_plugin.epcis_helpers import capture, document
from tests.shop_plugin.helpers import GTIN, SIGNING_KEY, Api
from tests.shop_plugin.receiver import Receiver
from tests.shop_plugin.resolver_helpers import flush_scans

REASON = {"zh-CN": "微生物超标", "en": "Microbial contamination"}


@pytest.fixture
def app_config() -> dict[str, Any]:
    # State TTL 0: the shopper's next scan reads the recall at once, not up to 1 s later.
    return {
        "SHOPTRACE_WEBHOOK_LOCAL_URLS": "true",
        "SHOPTRACE_PUBLIC_RATE_LIMIT": "",
        "SHOPTRACE_RESOLVER_STATE_TTL": 0,
    }


@pytest.fixture
def receiver() -> Any:
    server = Receiver()
    yield server
    server.close()


def _path(uri: str) -> str:
    return urlsplit(uri).path


def test_listing_order_scan_recall_and_webhook(app: Flask, api: Api, receiver: Receiver) -> None:
    # The merchant lists a product, makes a lot, prints 4 codes and commissions them.
    product = api.product(GTIN, listingUrl="https://shop.example.com/p/apples", sku="APL-1")
    batch = api.batch(product["id"], "LOT-A", expiryDate="2030-01-01")
    codes = api.post(f"/batches/{batch['id']}/codes", {"count": 4}).get_json()["codes"]
    uris = [c["uri"] for c in codes]
    assert capture(api, document([ev.commission(uris)])).status_code == 202
    hook = api.post(
        "/webhooks", {"url": receiver.url, "topics": ["order.traced", "recall.created"]}
    ).get_json()

    listing = api.client.get(f"/trace/listings/{GTIN}").get_json()
    assert listing["lot"] == "LOT-A" and listing["gtin"] == GTIN

    # The shop sends its order hooks as signals; the packing station scanned two units.
    order = {
        "id": "1001",
        "number": "#1001",
        "customer": "cust-42",
        "destination": {"country": "CN", "region": "Zhejiang", "city": "Hangzhou"},
        "lines": [{"sku": "APL-1", "name": "Apples", "quantity": 2}],
    }
    with app.app_context():
        signals.order_placed.send(app, order=order, merchant_id=api.merchant_id)
        signals.order_fulfilled.send(
            app, order={"id": "1001"}, units=uris[1:3], merchant_id=api.merchant_id
        )
    placed = api.get("/orders/1001").get_json()
    assert placed["status"] == "fulfilled"
    [line] = placed["lines"]
    assert sorted(u["uri"] for u in line["units"]) == sorted(uris[1:3])

    # The shopper opens the order page from the confirmation e-mail.
    page = api.client.get(
        f"/trace/orders/{placed['token']}", headers={"Accept": "application/json"}
    ).get_json()
    linked = json.dumps(page)
    assert all(_path(uri) in linked for uri in uris[1:3])
    assert "cust-42" not in linked and "Hangzhou" not in linked
    html = api.client.get(f"/trace/orders/{placed['token']}", headers={"Accept": "text/html"})
    assert html.status_code == 200 and _path(uris[1]).encode() in html.data

    # ... and scans one unit: genuine, sold by this shop, on its way.
    scanned = api.client.get(_path(uris[1]), headers={"Accept": "application/json"}).get_json()
    assert scanned["verification"]["genuine"] is True
    assert scanned["now"]["status"] == "shipped"
    assert scanned["verification"]["soldBy"] == "Acme"
    flush_scans(app)

    # The lot goes bad: the recall's impact names the order and its customer.
    response = api.post(
        "/recalls", {"gtin": GTIN, "lots": ["LOT-A"], "reason": REASON, "severity": "1"}
    )
    assert response.status_code == 201, response.get_json()
    recall = response.get_json()
    impact = api.get(f"/recalls/{recall['id']}/impact").get_json()
    assert [(o["id"], o["customer"]) for o in impact["orders"]] == [("1001", "cust-42")]
    assert impact["units"]["sold"] + impact["units"]["shipped"] == 2
    assert impact["units"]["inStock"] == 2

    # The shopper's trace page now carries the recall.
    again = api.client.get(
        _path(uris[1]), headers={"Accept": "application/json", "Accept-Language": "en"}
    ).get_json()
    assert again["recall"]["recalled"] is True
    assert again["recall"]["reason"] == REASON["en"]
    flush_scans(app)

    # The shop's webhook endpoint receives both happenings, signed with its secret.
    report = deliver_due(app.extensions["shoptrace"].store, SIGNING_KEY)
    assert report.delivered == 2, report
    receiver.wait(2)
    got = [
        construct_event(r["body"], r["headers"]["ShopTrace-Signature"], hook["secret"])
        for r in receiver.requests
    ]
    assert sorted(e["type"] for e in got) == ["order.traced", "recall.created"]
    created = next(e for e in got if e["type"] == "recall.created")
    assert created["data"]["id"] == recall["id"] and created["data"]["lots"] == ["LOT-A"]
    traced = next(e for e in got if e["type"] == "order.traced")
    assert traced["data"]["id"] == "1001" and traced["data"]["status"] == "fulfilled"
