"""Orders: placing and matching lines, allocation at fulfilment (scans with every refusal
reason, first expiry first out, lots), the events it captures, delivery, returns, cancelling,
repeats that change nothing, and the merchant API's order routes."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shoptrace.sdk.epcis import events as ev
from shoptrace.shop_plugin.services import orders as order_service
from shoptrace.shop_plugin.services.clock import utcnow
from shoptrace.shop_plugin.signals import order_traced
from shoptrace.shop_plugin.store.tables import (
    batches,
    events,
    order_lines,
    orders,
    outbox,
    recalls,
    units,
    webhook_endpoints,
)
from tests.shop_plugin.epcis_helpers import capture, document
from tests.shop_plugin.helpers import API, GTIN, GTIN2, Api, count_rows

GTIN3 = "09506000134376"
LOT_GTIN = "09506000134383"
PLACED = "2026-04-02T10:30:00+08:00"
DESTINATION = {"country": "CN", "region": "Zhejiang", "city": "Hangzhou", "postcode": "310007"}


# --- helpers (the order page, listing and Python API tests use them too) -------------------


def stock(
    api: Api,
    gtin: str = GTIN,
    lots: tuple[tuple[str, str | None, int], ...] = (("LOT-A", "2030-01-01", 3),),
    *,
    commission: bool = True,
    **product: Any,
) -> dict[str, Any]:
    """A product with lots ``(lot, expiry, unit count)``, codes issued (and commissioned by
    an EPCIS event unless ``commission`` is false): ``{"product", "lots": {lot: {"batch",
    "uris"}}}``."""
    made = api.product(gtin, **product)
    found: dict[str, Any] = {"product": made, "lots": {}}
    for lot, expiry, count in lots:
        batch = api.batch(made["id"], lot, **({"expiryDate": expiry} if expiry else {}))
        uris: list[str] = []
        if count:
            issued = api.post(f"/batches/{batch['id']}/codes", {"count": count}).get_json()
            uris = [c["uri"] for c in issued["codes"]]
            if commission:
                answer = capture(api, document([ev.commission(uris)]))
                assert answer.status_code == 202, answer.get_json()
        found["lots"][lot] = {"batch": batch, "uris": uris}
    return found


def order(order_id: str = "1001", lines: list[dict[str, Any]] | None = None, **extra: Any) -> Any:
    body: dict[str, Any] = {
        "id": order_id,
        "number": f"#{order_id}",
        "customer": "cust-secret-9",
        "placed_at": PLACED,
        "destination": DESTINATION,
        "lines": lines if lines is not None else [{"gtin": GTIN, "quantity": 2, "name": "Apples"}],
    }
    body.update(extra)
    return body


def place(api: Api, body: Any) -> dict[str, Any]:
    response = api.post("/orders", body)
    assert response.status_code in (200, 201), response.get_json()
    result: dict[str, Any] = response.get_json()
    return result


def act(api: Api, order_id: str, action: str, body: Any = None, status: int = 200) -> Any:
    response = api.post(f"/orders/{order_id}/{action}", body)
    assert response.status_code == status, response.get_json()
    return response.get_json()


def serial(uri: str) -> str:
    return uri.rsplit("/", 1)[1]


def unit_states(app: Flask, uris: list[str]) -> list[tuple[str, int | None]]:
    with app.extensions["shoptrace"].store.read() as conn:
        rows = {
            r.serial: (r.status, r.order_line_id)
            for r in conn.execute(
                sa.select(units.c.serial, units.c.status, units.c.order_line_id).where(
                    units.c.serial.in_([serial(u) for u in uris])
                )
            )
        }
    return [rows[serial(u)] for u in uris]


def event_documents(app: Flask, merchant_id: int) -> list[dict[str, Any]]:
    with app.extensions["shoptrace"].store.read() as conn:
        texts = conn.execute(
            sa.select(events.c.document)
            .where(events.c.merchant_id == merchant_id)
            .order_by(events.c.seq)
        ).scalars()
        return [json.loads(t) for t in texts]


def recall(
    app: Flask,
    merchant_id: int,
    *,
    batch_id: int | None = None,
    uri: str | None = None,
    reason: Any = None,
) -> int:
    """Mark a lot or a unit recalled as the recall service does (a recall row, pointers)."""
    with app.extensions["shoptrace"].store.begin() as conn:
        batch = None
        if batch_id is not None:
            batch = conn.execute(sa.select(batches).where(batches.c.id == batch_id)).one()
        else:
            assert uri is not None
            batch = conn.execute(
                sa.select(batches)
                .select_from(batches.join(units, units.c.batch_id == batches.c.id))
                .where(units.c.serial == serial(uri))
            ).one()
        recall_id = conn.execute(
            recalls.insert()
            .values(
                merchant_id=merchant_id,
                product_id=batch.product_id,
                gtin=batch.gtin,
                scope="lots" if batch_id else "units",
                lots=[batch.lot],
                reason=reason or {"en": "Listeria found", "zh-CN": "检出李斯特菌"},
                severity="1",
                status="open",
                impact={},
                created_at=utcnow(),
            )
            .returning(recalls.c.id)
        ).scalar_one()
        if batch_id is not None:
            conn.execute(
                batches.update().where(batches.c.id == batch_id).values(recall_id=recall_id)
            )
            conn.execute(
                units.update().where(units.c.batch_id == batch_id).values(recall_id=recall_id)
            )
        else:
            conn.execute(
                units.update()
                .where(units.c.serial == serial(uri or ""))
                .values(recall_id=recall_id)
            )
    return recall_id


# --- placing ---------------------------------------------------------------------------------


def test_placing_matches_lines_by_gtin_product_id_and_sku_and_flags_the_rest(api: Api) -> None:
    apples = api.product(GTIN, shopProductId="P-1", sku="APL-1")
    pears = api.product(GTIN2, shopProductId="P-2", sku="SHARED")
    api.product(GTIN3, sku="SHARED")
    lines = [
        {"gtin": GTIN[1:], "quantity": 1, "id": 11},  # a GTIN-13, padded
        {"product_id": "P-2", "quantity": 2},
        {"sku": "APL-1", "quantity": 3, "name": "Apples 1 kg"},
        {"product_id": "P-404", "sku": "APL-1", "quantity": 1},  # falls back to the SKU
        {"gtin": "09506000134390", "quantity": 1},
        {"sku": "SHARED", "quantity": 1},
        {"sku": "NOPE", "quantity": 1},
        {"name": "Gift wrap", "quantity": 1},
    ]
    response = api.post("/orders", order(lines=lines))
    assert response.status_code == 201, response.get_json()
    placed = response.get_json()
    assert response.headers["Location"] == f"{API}/orders/1001"
    assert placed["status"] == "placed"
    assert placed["source"] == "api"
    assert placed["customer"] == "cust-secret-9"
    assert placed["destination"] == DESTINATION
    assert placed["placedAt"] == "2026-04-02T02:30:00Z"
    assert placed["untracedLines"] == 4
    found = [(x["productId"], x["gtin"], x["status"]) for x in placed["lines"]]
    assert found[:4] == [
        (apples["id"], GTIN, "open"),
        (pears["id"], GTIN2, "open"),
        (apples["id"], GTIN, "open"),
        (apples["id"], GTIN, "open"),
    ]
    assert placed["lines"][0]["id"] == "11"
    problems = [x["problem"] for x in placed["lines"]]
    assert problems[:4] == [None] * 4
    assert [p["code"] for p in problems[4:]] == [
        "unknown-gtin",
        "ambiguous-sku",
        "unknown-sku",
        "no-identifier",
    ]
    assert problems[4]["message"]["en"].startswith("No product with GTIN 09506000134390")
    assert "09506000134390" in problems[4]["message"]["zh-CN"]
    assert problems[5]["message"]["en"] == "2 products have the SKU SHARED: give the line's GTIN."
    assert "SKU 为 NOPE" in problems[6]["message"]["zh-CN"]
    assert len(placed["token"]) == 32
    assert placed["traceUrl"] == f"https://shop.example.com/trace/orders/{placed['token']}"
    assert api.get("/orders/1001").get_json() == placed


def test_products_carry_the_shops_sku(api: Api) -> None:
    made = api.product(GTIN, sku="APL-1")
    assert made["sku"] == "APL-1"
    api.product(GTIN2)
    assert [p["id"] for p in api.get("/products?sku=APL-1").get_json()["products"]] == [made["id"]]
    changed = api.patch(f"/products/{made['id']}", {"sku": "APL-2"}).get_json()
    assert changed["sku"] == "APL-2"
    assert api.patch(f"/products/{made['id']}", {"sku": ""}).get_json()["errors"][0] == {
        "field": "sku",
        "rule": "min-length",
        "detail": "must have at least 1 characters",
    }
    assert api.get("/products?sku=" + "x" * 101).status_code == 400
    assert api.get(f"/products/{made['id']}").get_json()["sku"] == "APL-2"


def test_placing_again_changes_nothing_and_a_new_report_updates_a_placed_order(
    api: Api,
) -> None:
    api.product(GTIN)
    first = place(api, order())
    again = api.post("/orders", order())
    assert again.status_code == 200
    assert again.get_json() == first
    changed = place(api, order(lines=[{"gtin": GTIN, "quantity": 5}], number="#1001-B"))
    assert changed["number"] == "#1001-B"
    assert [x["quantity"] for x in changed["lines"]] == [5]
    assert changed["token"] == first["token"]
    minimal = place(api, {"id": "1001"})
    assert minimal["lines"] == changed["lines"]


@pytest.mark.parametrize(
    ("body", "field", "rule"),
    [
        (
            order(lines=[{"gtin": GTIN, "quantity": 1}] * 2 + [{"gtin": GTIN, "quantity": 0}]),
            "lines[2].quantity",
            "minimum",
        ),
        (order(lines=[{"gtin": GTIN, "quantity": "2"}]), "lines[0].quantity", "type"),
        (order(lines=[{"gtin": "09506000134353", "quantity": 1}]), "lines[0].gtin", "check-digit"),
        (order(lines=[{"gtin": "123", "quantity": 1}]), "lines[0].gtin", "gtin"),
        (
            order(lines=[{"gtin": GTIN, "quantity": 1, "colour": "red"}]),
            "lines[0].colour",
            "unknown-field",
        ),
        (order(lines=[]), "lines", "min-items"),
        ({k: v for k, v in order().items() if k != "id"}, "id", "required"),
        ({k: v for k, v in order().items() if k != "lines"}, "lines", "required"),
        (order(placed_at="2026-04-02T10:30:00"), "placed_at", "time-zone"),
        (order(placed_at="yesterday"), "placed_at", "date-time"),
        (order(destination={"country": "China"}), "destination.country", "max-length"),
        (order(destination={"country": "C1"}), "destination.country", "iso-3166-alpha-2"),
        (order(customer="x" * 201), "customer", "max-length"),
        (order(order_id="a\x00b"), "id", "characters"),
        (order(lines=[{"gtin": GTIN, "quantity": 1}] * 501), "lines", "max-items"),
        ([1, 2], "(body)", "type"),
    ],
)
def test_bad_orders_are_422_naming_field_and_rule_and_write_nothing(
    app: Flask, api: Api, body: Any, field: str, rule: str
) -> None:
    response = api.post("/orders", body)
    assert response.status_code == 422, response.get_json()
    assert response.mimetype == "application/problem+json"
    assert {"field": field, "rule": rule} in [
        {"field": e["field"], "rule": e["rule"]} for e in response.get_json()["errors"]
    ]
    assert count_rows(app, orders) == 0
    assert count_rows(app, order_lines) == 0


def test_malformed_bodies_and_queries_are_problems(api: Api) -> None:
    bad_json = api.client.post(
        API + "/orders", data="{", headers=api.headers(), content_type="application/json"
    )
    assert bad_json.status_code == 400
    assert bad_json.get_json()["errors"][0]["rule"] == "json"
    assert api.post("/orders/1001/fulfil", {"units": "x"}).status_code == 404
    place(api, order(lines=[{"sku": "X", "quantity": 1}]))
    wrong = api.post("/orders/1001/fulfil", {"units": "x"})
    assert wrong.status_code == 422
    assert wrong.get_json()["errors"][0] == {
        "field": "units",
        "rule": "type",
        "detail": "must be a list of codes, got string",
    }
    assert api.post("/orders/1001/fulfil", {"order": 5}).get_json()["errors"][0]["field"] == "order"
    other = api.post("/orders/1001/fulfil", {"order": order("1002")})
    assert other.status_code == 422
    assert other.get_json()["errors"][0]["field"] == "order.id"
    nested = api.post(
        "/orders/1003/fulfil", {"order": order("1003", lines=[{"gtin": GTIN, "quantity": -1}])}
    )
    assert nested.get_json()["errors"][0]["field"] == "order.lines[0].quantity"
    assert api.get("/orders?status=lost").get_json()["errors"][0]["field"] == "status"
    assert api.get("/orders?pageSize=0").status_code == 400


# --- fulfilment ------------------------------------------------------------------------------


def test_fulfilment_without_scans_allocates_first_expiry_first_out(app: Flask, api: Api) -> None:
    made = stock(
        api,
        lots=(
            ("LATE", "2030-01-01", 3),
            ("EARLY", "2029-06-01", 2),
            ("RECALLED", "2028-01-01", 2),
            ("EXPIRED", "2020-01-01", 2),
            ("FOREVER", None, 2),
        ),
    )
    lots = made["lots"]
    recall(app, api.merchant_id, batch_id=lots["RECALLED"]["batch"]["id"])
    recall(app, api.merchant_id, uri=lots["EARLY"]["uris"][0])
    place(api, order(lines=[{"gtin": GTIN, "quantity": 4}]))
    fulfilled = act(api, "1001", "fulfil")
    line = fulfilled["lines"][0]
    expected = [lots["EARLY"]["uris"][1], *lots["LATE"]["uris"]]
    assert sorted(u["uri"] for u in line["units"]) == sorted(expected)
    assert {u["status"] for u in line["units"]} == {"shipped"}
    assert (line["status"], line["problem"], line["tracedBy"], line["unitCount"]) == (
        "allocated",
        None,
        "unit",
        4,
    )
    assert fulfilled["status"] == "fulfilled"
    assert fulfilled["fulfilledAt"] is not None
    line_id = _line_id(app, "1001")
    assert unit_states(app, expected) == [("shipped", line_id)] * 4
    assert unit_states(app, [lots["EARLY"]["uris"][0]]) == [("commissioned", None)]
    # The next order takes what is left, lots without an expiry date last, and says it is short.
    place(api, order("1002", lines=[{"gtin": GTIN, "quantity": 3}]))
    second = act(api, "1002", "fulfil")["lines"][0]
    assert [u["uri"] for u in second["units"]] == lots["FOREVER"]["uris"]
    assert second["status"] == "allocated"
    assert second["problem"]["code"] == "short-stock"
    assert second["problem"]["message"]["en"] == (
        "Only 2 of 3 units were in stock when the order was fulfilled."
    )
    place(api, order("1003", lines=[{"gtin": GTIN, "quantity": 1}]))
    third = act(api, "1003", "fulfil")["lines"][0]
    assert (third["status"], third["problem"]["code"], third["units"]) == (
        "untraced",
        "no-stock",
        [],
    )


def _line_id(app: Flask, shop_order_id: str, line_no: int = 1) -> int:
    with app.extensions["shoptrace"].store.read() as conn:
        found: int = conn.execute(
            sa.select(order_lines.c.id)
            .select_from(order_lines.join(orders, orders.c.id == order_lines.c.order_id))
            .where(orders.c.shop_order_id == shop_order_id, order_lines.c.line_no == line_no)
        ).scalar_one()
    return found


def test_fulfilment_captures_sale_and_shipment_with_the_destination_masked(
    app: Flask, api: Api
) -> None:
    made = stock(api)
    uris = made["lots"]["LOT-A"]["uris"]
    place(api, order())
    before = len(event_documents(app, api.merchant_id))
    act(api, "1001", "fulfil", {"units": uris[:2]})
    captured = event_documents(app, api.merchant_id)[before:]
    assert [(e["bizStep"], e["disposition"]) for e in captured] == [
        ("retail_selling", "retail_sold"),
        ("shipping", "in_transit"),
    ]
    po = [{"type": "po", "bizTransaction": f"urn:shoptrace:order:{api.merchant_id}:1001"}]
    for event in captured:
        assert event["type"] == "ObjectEvent"
        assert event["action"] == "OBSERVE"
        assert event["epcList"] == uris[:2]
        assert event["bizTransactionList"] == po
    assert captured[0]["eventTime"] == captured[1]["eventTime"]
    assert captured[1]["destinationList"] == [
        {"type": "location", "destination": "urn:shoptrace:destination:CN:Zhejiang"}
    ]
    text = json.dumps(event_documents(app, api.merchant_id))
    for private in ("Hangzhou", "310007", "cust-secret-9", "#1001"):
        assert private not in text
    # The order is part of the item's story.
    traced = api.get("/trace?code=" + quote(uris[0], safe="")).get_json()
    assert [e["bizStep"] for e in traced["events"]] == [
        "commissioning",
        "retail_selling",
        "shipping",
    ]
    assert traced["unit"]["status"] == "shipped"


def test_scans_bind_the_scanned_units_in_any_spelling(app: Flask, api: Api) -> None:
    made = stock(api, lots=(("LOT-A", "2030-01-01", 4),))
    uris = made["lots"]["LOT-A"]["uris"]
    pears = stock(api, GTIN2, lots=(("P1", None, 1),))
    place(
        api,
        order(
            lines=[
                {"gtin": GTIN, "quantity": 1},
                {"gtin": GTIN, "quantity": 2},
                {"gtin": GTIN2, "quantity": 1},
            ]
        ),
    )
    codes = [
        f"(01){GTIN}(10)LOT-A(21){serial(uris[2])}",
        uris[3].replace("https://shop.example.com/trace", "https://other.example"),
        f"\x1d01{GTIN}21{serial(uris[0])}",
        pears["lots"]["P1"]["uris"][0],
    ]
    fulfilled = act(api, "1001", "fulfil", {"units": codes})
    bound = [[u["uri"] for u in x["units"]] for x in fulfilled["lines"]]
    assert bound == [[uris[2]], [uris[0], uris[3]], pears["lots"]["P1"]["uris"]]
    assert [x["problem"] for x in fulfilled["lines"]] == [None, None, None]
    assert unit_states(app, [uris[1]]) == [("commissioned", None)]


def test_a_scanned_code_issued_but_never_commissioned_is_accepted(app: Flask, api: Api) -> None:
    made = stock(api, commission=False)
    uris = made["lots"]["LOT-A"]["uris"]
    place(api, order(lines=[{"gtin": GTIN, "quantity": 1}]))
    assert act(api, "1001", "fulfil", {"units": uris[:1]})["lines"][0]["status"] == "allocated"
    place(api, order("1002", lines=[{"gtin": GTIN, "quantity": 1}]))
    line = act(api, "1002", "fulfil")["lines"][0]
    assert (line["status"], line["problem"]["code"]) == ("untraced", "no-stock")


def test_every_refused_scan_is_named_with_its_reason_and_nothing_is_written(
    app: Flask, api: Api, other_api: Api
) -> None:
    made = stock(
        api,
        lots=(("LOT-A", "2030-01-01", 6), ("OLD", "2020-01-01", 1), ("BAD", "2030-01-01", 1)),
    )
    lots = made["lots"]
    a = lots["LOT-A"]["uris"]
    pears = stock(api, GTIN2, lots=(("P1", None, 1),))["lots"]["P1"]["uris"]
    theirs = stock(other_api, GTIN3, lots=(("T1", None, 1),))["lots"]["T1"]["uris"]
    recall(app, api.merchant_id, batch_id=lots["BAD"]["batch"]["id"])
    recall(app, api.merchant_id, uri=a[4])
    place(api, order("999", lines=[{"gtin": GTIN, "quantity": 1}]))
    act(api, "999", "fulfil", {"units": [a[3]]})
    place(api, order(lines=[{"gtin": GTIN, "quantity": 2}]))
    before = (event_documents(app, api.merchant_id), unit_states(app, a))
    codes = [
        "not a code",
        theirs[0],
        a[0].rsplit("/", 1)[0] + "/NOSUCHSERIAL1",
        pears[0],
        a[3],
        a[4],
        lots["BAD"]["uris"][0],
        lots["OLD"]["uris"][0],
        a[0],
        a[0],
        a[1],
        a[2],
        a[5].replace("/10/LOT-A/", "/10/OTHER/"),
        f"https://shop.example.com/trace/01/{GTIN}/10/LOT-A",
    ]
    response = api.post("/orders/1001/fulfil", {"units": codes})
    assert response.status_code == 422, response.get_json()
    problem = response.get_json()
    assert problem["status"] == 422
    found = [(e["field"], e["rule"]) for e in problem["errors"]]
    assert found == [
        ("units[0]", "trace-code"),
        ("units[1]", "other-merchant"),
        ("units[2]", "unknown-code"),
        ("units[3]", "wrong-gtin"),
        ("units[4]", "already-sold"),
        ("units[5]", "recalled"),
        ("units[6]", "recalled"),
        ("units[7]", "expired"),
        ("units[9]", "duplicate"),
        ("units[11]", "too-many"),
        ("units[12]", "unknown-code"),
        ("units[13]", "serial-required"),
    ]
    details = {e["field"]: e["detail"] for e in problem["errors"]}
    assert details["units[1]"].startswith(theirs[0] + ": ")
    assert "another merchant" in details["units[1]"]
    assert "already shipped" in details["units[4]"]
    assert "expired on 2020-01-01" in details["units[7]"]
    assert "lot LOT-A, not of lot OTHER" in details["units[12]"]
    assert "GTIN3" not in json.dumps(problem)
    assert (event_documents(app, api.merchant_id), unit_states(app, a)) == before
    assert api.get("/orders/1001").get_json()["status"] == "placed"


def test_products_traced_by_lot_bind_the_first_expiry_lot(app: Flask, api: Api) -> None:
    made = stock(
        api,
        LOT_GTIN,
        lots=(
            ("L-LATE", "2030-01-01", 0),
            ("L-EARLY", "2029-01-01", 0),
            ("L-GONE", "2021-01-01", 0),
        ),
    )
    place(api, order(lines=[{"gtin": LOT_GTIN, "quantity": 6}]))
    before = len(event_documents(app, api.merchant_id))
    line = act(api, "1001", "fulfil")["lines"][0]
    assert (line["status"], line["tracedBy"], line["lot"], line["units"]) == (
        "allocated",
        "lot",
        "L-EARLY",
        [],
    )
    sale, shipment = event_documents(app, api.merchant_id)[before:]
    lot_uri = f"https://shop.example.com/trace/01/{LOT_GTIN}/10/L-EARLY"
    assert sale["quantityList"] == [{"epcClass": lot_uri, "quantity": 6}]
    assert shipment["quantityList"] == sale["quantityList"]
    assert "epcList" not in sale
    # A scanned lot code binds that lot; a recalled or expired one is refused.
    place(api, order("1002", lines=[{"gtin": LOT_GTIN, "quantity": 1}]))
    expired = api.post("/orders/1002/fulfil", {"units": [f"(01){LOT_GTIN}(10)L-GONE"]})
    assert [e["rule"] for e in expired.get_json()["errors"]] == ["expired"]
    line = act(api, "1002", "fulfil", {"units": [f"(01){LOT_GTIN}(10)L-LATE"]})["lines"][0]
    assert line["lot"] == "L-LATE"
    recall(app, api.merchant_id, batch_id=made["lots"]["L-EARLY"]["batch"]["id"])
    recall(app, api.merchant_id, batch_id=made["lots"]["L-LATE"]["batch"]["id"])
    place(api, order("1003", lines=[{"gtin": LOT_GTIN, "quantity": 1}]))
    line = act(api, "1003", "fulfil")["lines"][0]
    assert (line["status"], line["problem"]["code"]) == ("untraced", "no-lot")


def test_scans_short_of_the_quantity_are_recorded_on_the_line(app: Flask, api: Api) -> None:
    uris = stock(api)["lots"]["LOT-A"]["uris"]
    stock(api, GTIN2, lots=(("P1", None, 1),))
    place(api, order(lines=[{"gtin": GTIN, "quantity": 3}, {"gtin": GTIN2, "quantity": 1}]))
    lines = act(api, "1001", "fulfil", {"units": uris[:1]})["lines"]
    assert (lines[0]["status"], lines[0]["problem"]["code"]) == ("allocated", "short-scan")
    assert lines[0]["problem"]["message"]["zh-CN"] == "发货时扫描了 1 件，订购了 3 件。"
    assert (lines[1]["status"], lines[1]["problem"]["code"]) == ("untraced", "not-scanned")


def test_a_line_of_an_unknown_product_is_matched_again_at_fulfilment(api: Api) -> None:
    place(api, order(lines=[{"sku": "LATER", "quantity": 1}]))
    assert api.get("/orders/1001").get_json()["lines"][0]["status"] == "untraced"
    stock(api, sku="LATER")
    line = act(api, "1001", "fulfil")["lines"][0]
    assert (line["status"], line["gtin"], line["problem"]) == ("allocated", GTIN, None)


def test_repeated_actions_change_nothing(app: Flask, api: Api) -> None:
    uris = stock(api)["lots"]["LOT-A"]["uris"]
    place(api, order())
    first = act(api, "1001", "fulfil", {"units": uris[:2]})
    count = len(event_documents(app, api.merchant_id))
    assert act(api, "1001", "fulfil") == first
    assert act(api, "1001", "fulfil", {"units": uris[:2]}) == first
    stranger = api.post("/orders/1001/fulfil", {"units": [uris[2]]})
    assert stranger.status_code == 422
    assert stranger.get_json()["errors"][0]["rule"] == "not-in-order"
    assert place(api, order()) == first
    delivered = act(api, "1001", "deliver")
    assert act(api, "1001", "deliver") == delivered
    assert act(api, "1001", "fulfil") == delivered
    returned = act(api, "1001", "return")
    assert act(api, "1001", "return") == returned
    assert act(api, "1001", "return", {"units": uris[:2]}) == returned
    assert len(event_documents(app, api.merchant_id)) == count + 2


# --- delivery, returns, cancelling ---------------------------------------------------------


def test_delivery_moves_the_units_and_captures_their_arrival(app: Flask, api: Api) -> None:
    uris = stock(api)["lots"]["LOT-A"]["uris"]
    place(api, order())
    act(api, "1001", "fulfil", {"units": uris[:2]})
    delivered = act(api, "1001", "deliver")
    assert delivered["status"] == "delivered"
    assert delivered["deliveredAt"] is not None
    assert [u["status"] for u in delivered["lines"][0]["units"]] == ["delivered"] * 2
    arrival = event_documents(app, api.merchant_id)[-1]
    assert (arrival["bizStep"], arrival["disposition"], arrival["epcList"]) == (
        "arriving",
        "retail_sold",
        uris[:2],
    )


def test_delivering_an_order_never_reported_fulfilled_fulfils_it_first(api: Api) -> None:
    stock(api)
    place(api, order())
    delivered = act(api, "1001", "deliver")
    assert delivered["status"] == "delivered"
    assert [u["status"] for u in delivered["lines"][0]["units"]] == ["delivered"] * 2


def test_returns_put_units_back_in_stock_with_their_event(app: Flask, api: Api) -> None:
    uris = stock(api)["lots"]["LOT-A"]["uris"]
    place(api, order(lines=[{"gtin": GTIN, "quantity": 3}]))
    act(api, "1001", "fulfil")
    act(api, "1001", "deliver")
    refused = api.post("/orders/1001/return", {"units": ["junk", uris[0] + "X"]})
    assert [e["rule"] for e in refused.get_json()["errors"]] == ["trace-code", "unknown-code"]
    partly = act(api, "1001", "return", {"units": [uris[1]]})
    assert partly["status"] == "delivered"
    assert [u["status"] for u in partly["lines"][0]["units"]] == [
        "delivered",
        "returned",
        "delivered",
    ]
    assert partly["lines"][0]["status"] == "allocated"
    back = event_documents(app, api.merchant_id)[-1]
    assert (back["bizStep"], back["disposition"], back["epcList"]) == (
        "receiving",
        "returned",
        [uris[1]],
    )
    assert back["bizTransactionList"][0]["type"] == "po"
    # The returned unit is stock again.
    place(api, order("1002", lines=[{"gtin": GTIN, "quantity": 1}]))
    again = act(api, "1002", "fulfil")["lines"][0]["units"]
    assert [u["uri"] for u in again] == [uris[1]]
    rest = act(api, "1001", "return", {"units": [uris[0], uris[2]]})
    assert (rest["status"], rest["lines"][0]["status"]) == ("returned", "returned")
    not_ours = api.post("/orders/1002/return", {"units": [uris[0]]})
    assert [e["rule"] for e in not_ours.get_json()["errors"]] == ["not-in-order"]


def test_cancelling(api: Api) -> None:
    stock(api)
    place(api, order())
    cancelled = act(api, "1001", "cancel")
    assert cancelled["status"] == "cancelled"
    assert cancelled["cancelledAt"] is not None
    assert [x["status"] for x in cancelled["lines"]] == ["cancelled"]
    assert act(api, "1001", "cancel") == cancelled
    conflict = act(api, "1001", "fulfil", status=409)
    assert conflict["detail"] == "order 1001 is cancelled; it cannot be fulfilled"
    act(api, "1001", "return", status=409)
    place(api, order("1002"))
    act(api, "1002", "fulfil")
    late = act(api, "1002", "cancel", status=409)
    assert "record a return" in late["detail"]
    place(api, order("1003"))
    assert act(api, "1003", "return", status=409)["detail"].startswith("order 1003 is placed")


def test_an_action_on_an_unknown_order_places_it_from_the_body(api: Api) -> None:
    uris = stock(api)["lots"]["LOT-A"]["uris"]
    act(api, "2002", "deliver", status=404)
    fulfilled = act(api, "2002", "fulfil", {"order": order("2002"), "units": uris[:2]})
    assert fulfilled["status"] == "fulfilled"
    assert fulfilled["number"] == "#2002"
    odd = "A/7 ü"
    made = act(api, "A%2F7%20%C3%BC", "cancel", {"order": order(odd)})
    assert (made["id"], made["status"]) == (odd, "cancelled")
    assert api.get("/orders/A%2F7%20%C3%BC").get_json()["id"] == odd


def test_fulfilment_queues_the_order_traced_webhook_and_signals_after_commit(
    app: Flask, api: Api
) -> None:
    with app.extensions["shoptrace"].store.begin() as conn:
        conn.execute(
            webhook_endpoints.insert().values(
                merchant_id=api.merchant_id,
                url="https://hooks.example.com/x",
                topics=["order.traced"],
                secret_salt="00" * 32,
                enabled=True,
                created_at=utcnow(),
                updated_at=utcnow(),
            )
        )
    stock(api)
    received: list[dict[str, Any]] = []

    @order_traced.connect_via(app)
    def got(sender: Flask, *, merchant_id: int, order: dict[str, Any], **extra: Any) -> None:
        with app.extensions["shoptrace"].store.read() as conn:
            status = conn.execute(
                sa.select(orders.c.status).where(orders.c.shop_order_id == order["id"])
            ).scalar_one()
        received.append({"merchant_id": merchant_id, "order": order, "stored": status})

    place(api, order())
    assert received == []
    fulfilled = act(api, "1001", "fulfil")
    assert received == [{"merchant_id": api.merchant_id, "order": fulfilled, "stored": "fulfilled"}]
    act(api, "1001", "fulfil")
    act(api, "1001", "deliver")
    assert len(received) == 1
    with app.extensions["shoptrace"].store.read() as conn:
        queued = conn.execute(sa.select(outbox.c.topic, outbox.c.payload)).all()
    assert [q.topic for q in queued] == ["order.traced"]
    assert json.loads(queued[0].payload)["data"]["lines"] == fulfilled["lines"]
    order_traced.disconnect(got)


# --- listing orders --------------------------------------------------------------------------


def test_list_pages_and_filters_orders(api: Api, other_api: Api) -> None:
    api.product(GTIN)
    for n in range(3):
        place(api, order(f"10{n}", customer=f"c{n % 2}"))
    act(api, "100", "cancel")
    place(other_api, order("mine"))
    listed = api.get("/orders?pageSize=2")
    page = listed.get_json()
    assert [o["id"] for o in page["orders"]] == ["100", "101"]
    assert 'rel="next"' in listed.headers["Link"]
    rest = api.get(f"/orders?pageSize=2&pageToken={page['nextPageToken']}").get_json()
    assert ([o["id"] for o in rest["orders"]], rest["nextPageToken"]) == (["102"], None)
    assert [o["id"] for o in api.get("/orders?status=cancelled").get_json()["orders"]] == ["100"]
    assert [o["id"] for o in api.get("/orders?customer=c0").get_json()["orders"]] == ["100", "102"]
    assert (
        api.get("/orders/100").get_json() == api.get("/orders?pageSize=1").get_json()["orders"][0]
    )
    missing = api.get("/orders/mine")
    assert missing.status_code == 404
    assert missing.get_json()["errors"][0]["field"] == "order_id"


def test_the_service_applies_actions_without_the_api(app: Flask, api: Api) -> None:
    uris = stock(api)["lots"]["LOT-A"]["uris"]
    shop = app.extensions["shoptrace"]
    context = order_service.order_context(shop)
    with shop.store.begin() as conn:
        done = order_service.apply_order(
            conn,
            api.merchant_id,
            "fulfilled",
            order(),
            units=uris[:2],
            source="shopify",
            context=context,
        )
    assert (done["source"], done["status"]) == ("shopify", "fulfilled")
    assert [m for m, _ in context.traced] == [api.merchant_id]
    with pytest.raises(ValueError, match="action"):
        with shop.store.begin() as conn:
            order_service.apply_order(conn, api.merchant_id, "lost", order(), context=context)


# --- the OpenAPI document --------------------------------------------------------------------


def test_order_answers_and_inputs_fit_the_openapi_schemas(api: Api) -> None:
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    doc = api.get("/openapi.json").get_json()
    registry = Registry().with_resource("urn:doc", Resource(doc, DRAFT202012))

    def check(name: str, instance: Any) -> None:
        schema = {"$ref": f"urn:doc#/components/schemas/{name}"}
        Draft202012Validator(schema, registry=registry).validate(instance)

    uris = stock(api)["lots"]["LOT-A"]["uris"]
    stock(api, LOT_GTIN, lots=(("T-1", None, 0),))
    body = order(
        lines=[
            {"gtin": GTIN, "quantity": 2, "id": 5, "sku": "S", "name": "Apples"},
            {"gtin": LOT_GTIN, "quantity": 1},
            {"product_id": "x", "quantity": 1},
        ]
    )
    check("OrderInput", body)
    check("OrderAction", {"units": uris[:2], "order": body})
    check("Order", place(api, body))
    check("Order", act(api, "1001", "fulfil", {"units": uris[:2]}))
    check("OrderList", api.get("/orders").get_json())
    check("Problem", api.post("/orders/1001/cancel").get_json())
    check("Problem", api.post("/orders", order(lines=[])).get_json())
    with pytest.raises(Exception, match="colour"):
        check("OrderInput", order(colour="red"))
    assert api.post("/orders", order(colour="red")).status_code == 422


# --- no input produces a 500 -----------------------------------------------------------------

_text = st.text(st.characters(exclude_categories=()), max_size=30)
_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | _text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4),
    max_leaves=12,
)
_line = st.fixed_dictionaries(
    {},
    optional={
        k: _json | st.just(v)
        for k, v in {"gtin": GTIN, "sku": "S", "product_id": 7, "quantity": 1, "name": "n"}.items()
    },
)
_order = st.fixed_dictionaries(
    {"id": _json | st.just("F-1")},
    optional={
        "number": _json,
        "customer": _json,
        "placed_at": _json | st.just(PLACED),
        "destination": _json | st.just(DESTINATION),
        "lines": _json | st.lists(_line, max_size=3),
    },
)
_FUZZ = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@_FUZZ
@given(
    body=_json | _order,
    action=st.sampled_from(["fulfil", "deliver", "cancel", "return"]),
    units=_json | st.lists(_text | st.just(f"(01){GTIN}(21)X"), max_size=3),
)
def test_no_order_input_is_answered_with_a_500(
    api: Api, body: Any, action: str, units: Any
) -> None:
    for response in (
        api.post("/orders", body),
        api.post("/orders/F-1/" + action, {"order": body, "units": units}),
        api.post("/orders/F-1/" + action, {"units": units}),
    ):
        assert response.status_code < 500, response.get_data(as_text=True)
        if response.status_code >= 400:
            assert response.mimetype == "application/problem+json"


@_FUZZ
@given(segment=_text)
def test_no_order_page_or_listing_path_is_answered_with_a_500(api: Api, segment: str) -> None:
    for path in ("/trace/orders/", "/trace/listings/"):
        response = api.client.get(path + quote(segment, safe="", errors="surrogatepass"))
        assert response.status_code in (200, 400, 404, 308), response.status_code


@pytest.mark.parametrize("order_id", ["%00bad", "a%1Fb", "x" * 101, "%ED%A0%80"])
def test_order_ids_no_order_can_have_are_plain_404s(api: Api, order_id: str) -> None:
    response = api.get(f"/orders/{order_id}")
    assert response.status_code == 404, response.get_json()
    assert response.get_json()["status"] == 404
