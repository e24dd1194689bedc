"""Recalls through the merchant API: create by lots or units, validation and conflicts, the
impact counted exactly on a hand-built shop, its CSV, closing, events, webhooks, signals."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from flask import Flask
from jsonschema import Draft202012Validator, ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from shoptrace.shop_plugin import signals
from shoptrace.shop_plugin.services import recalls as recall_service
from shoptrace.shop_plugin.store.tables import (
    batches,
    order_lines,
    orders,
    outbox,
    recalls,
    units,
    webhook_endpoints,
)
from tests.shop_plugin.epcis_helpers import SHOP, event_list, get, segment
from tests.shop_plugin.helpers import GTIN, GTIN2, Api, count_rows

REASON = {"zh-CN": "微生物超标", "en": "Microbial contamination"}
T0 = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)


@dataclass
class Shop:
    """One merchant's product, two lots and their units, bound to hand-built orders."""

    product_id: int
    batch_id: int
    other_batch_id: int
    serials: list[str]
    other_serials: list[str]
    order_ids: dict[str, int]


def _store(app: Flask) -> Any:
    return app.extensions["shoptrace"].store


def _order(conn: Any, merchant_id: int, key: str, status: str, customer: str | None) -> int:
    n = int(key.split("-")[1])
    return int(
        conn.execute(
            orders.insert()
            .values(
                merchant_id=merchant_id,
                source="api",
                shop_order_id=key,
                shop_order_number=f"#{1000 + n}",
                customer_ref=customer,
                status=status,
                destination={"country": "CN", "region": "浙江"},
                placed_at=T0 + timedelta(hours=n),
                created_at=T0,
                updated_at=T0,
            )
            .returning(orders.c.id)
        ).scalar_one()
    )


def _line(
    conn: Any,
    merchant_id: int,
    order_id: int,
    line_no: int,
    *,
    quantity: int,
    status: str = "allocated",
    batch_id: int | None = None,
    name: str = "有机苹果 1kg",
) -> int:
    return int(
        conn.execute(
            order_lines.insert()
            .values(
                merchant_id=merchant_id,
                order_id=order_id,
                line_no=line_no,
                shop_line_id=f"L{order_id}-{line_no}",
                sku="APL-1KG",
                gtin=GTIN,
                batch_id=batch_id,
                name=name,
                quantity=quantity,
                status=status,
                created_at=T0,
            )
            .returning(order_lines.c.id)
        ).scalar_one()
    )


def _bind(conn: Any, serial: str, status: str, line_id: int | None = None) -> None:
    conn.execute(
        units.update()
        .where(units.c.gtin == GTIN, units.c.serial == serial)
        .values(status=status, order_line_id=line_id)
    )


def make_shop(app: Flask, api: Api) -> Shop:
    """LOT42: ten units (two delivered in SO-1, one shipped in SO-2, one sold in SO-3 of the
    same customer as SO-1, one returned in SO-4, one in the cancelled SO-5, four in stock);
    SO-6 holds a line bound to the lot (three items) and a cancelled one; SO-7 a unit of
    LOT43."""
    product = api.product()
    lot = api.batch(product["id"], "LOT42")
    other = api.batch(product["id"], "LOT43")
    serials = [
        c["serial"]
        for c in api.post(f"/batches/{lot['id']}/codes", {"count": 10}).get_json()["codes"]
    ]
    others = [
        c["serial"]
        for c in api.post(f"/batches/{other['id']}/codes", {"count": 3}).get_json()["codes"]
    ]
    m = api.merchant_id
    with _store(app).begin() as conn:
        ids = {
            key: _order(conn, m, key, status, customer)
            for key, status, customer in (
                ("SO-1", "delivered", "C-1"),
                ("SO-2", "fulfilled", "C-2"),
                ("SO-3", "placed", "C-1"),
                ("SO-4", "returned", "=HYPERLINK(1)"),
                ("SO-5", "cancelled", "C-9"),
                ("SO-6", "placed", "C-5"),
                ("SO-7", "delivered", None),
            )
        }
        lines = {key: _line(conn, m, ids[key], 1, quantity=1) for key in ids if key != "SO-6"}
        _bind(conn, serials[0], "delivered", lines["SO-1"])
        _bind(conn, serials[1], "delivered", lines["SO-1"])
        _bind(conn, serials[2], "shipped", lines["SO-2"])
        _bind(conn, serials[3], "sold", lines["SO-3"])
        _bind(conn, serials[4], "returned", lines["SO-4"])
        _bind(conn, serials[5], "commissioned", lines["SO-5"])
        _bind(conn, serials[6], "commissioned")
        _bind(conn, serials[7], "packed")
        _bind(conn, others[0], "delivered", lines["SO-7"])
        _line(conn, m, ids["SO-6"], 1, quantity=3, batch_id=lot["id"], name="苹果 散装")
        _line(conn, m, ids["SO-6"], 2, quantity=1, batch_id=lot["id"], status="cancelled")
    return Shop(product["id"], lot["id"], other["id"], serials, others, ids)


@pytest.fixture
def shop(app: Flask, api: Api) -> Shop:
    return make_shop(app, api)


def _recall(api: Api, **body: Any) -> Any:
    return api.post("/recalls", {"gtin": GTIN, "reason": REASON, "severity": "1", **body})


def _event(api: Api, event_id: str) -> dict[str, Any]:
    [event] = event_list(get(api, "/events/" + segment(event_id)))
    return event


def _snapshot(app: Flask) -> list[Any]:
    with _store(app).read() as conn:
        return [
            conn.execute(sa.select(recalls.c.id)).all(),
            conn.execute(sa.select(units.c.id, units.c.recall_id).order_by(units.c.id)).all(),
            conn.execute(sa.select(batches.c.id, batches.c.recall_id).order_by(batches.c.id)).all(),
            conn.execute(sa.select(sa.func.count()).select_from(outbox)).scalar_one(),
        ]


# --- creating -------------------------------------------------------------------------------


def test_recalling_a_lot_counts_its_units_orders_and_customers(
    app: Flask, api: Api, shop: Shop
) -> None:
    response = _recall(api, lots=["LOT42"])
    assert response.status_code == 201, response.get_json()
    recall = response.get_json()
    assert response.headers["Location"].endswith(f"/recalls/{recall['id']}")
    assert recall["scope"] == "lots" and recall["lots"] == ["LOT42"]
    assert recall["status"] == "open" and recall["closedAt"] is None
    assert recall["reason"] == REASON and recall["severity"] == "1"
    assert recall["productId"] == shop.product_id and recall["gtin"] == GTIN
    impact = recall["impact"]
    assert impact["units"] == {
        "total": 10,
        "inStock": 5,
        "sold": 1,
        "shipped": 1,
        "delivered": 2,
        "returned": 1,
        "byStatus": {
            "commissioned": 2,
            "delivered": 2,
            "issued": 2,
            "packed": 1,
            "returned": 1,
            "shipped": 1,
            "sold": 1,
        },
    }
    assert impact["lines"] == {"unitBound": 4, "lotBound": 1, "lotBoundQuantity": 3}
    assert impact["orderCount"] == 5 and impact["customerCount"] == 4
    assert impact["nextPageToken"] is None
    listed = {o["id"]: o for o in impact["orders"]}
    assert list(listed) == ["SO-1", "SO-2", "SO-3", "SO-4", "SO-6"]
    first = listed["SO-1"]
    assert first["number"] == "#1001" and first["customer"] == "C-1"
    assert first["status"] == "delivered" and first["source"] == "api"
    assert first["placedAt"] == "2025-06-01T09:00:00Z"
    [line] = first["lines"]
    assert line["binding"] == "units" and line["lots"] == ["LOT42"] and line["affected"] == 2
    assert line["units"] == [
        {"serial": shop.serials[0], "lot": "LOT42", "status": "delivered"},
        {"serial": shop.serials[1], "lot": "LOT42", "status": "delivered"},
    ]
    assert line["name"] == "有机苹果 1kg" and line["sku"] == "APL-1KG" and line["gtin"] == GTIN
    [bulk] = listed["SO-6"]["lines"]
    assert bulk["binding"] == "lot" and bulk["quantity"] == 3 and bulk["affected"] == 3
    assert bulk["units"] == [] and bulk["lots"] == ["LOT42"] and bulk["lineNo"] == 1
    # The stored recall keeps the counts, and points the lot and its units at it.
    stored = api.get(f"/recalls/{recall['id']}").get_json()
    assert stored["impact"] == {
        k: v for k, v in impact.items() if k not in ("orders", "nextPageToken")
    }
    with _store(app).read() as conn:
        assert (
            conn.execute(
                sa.select(batches.c.recall_id).where(batches.c.id == shop.batch_id)
            ).scalar_one()
            == recall["id"]
        )
        assert (
            conn.execute(
                sa.select(batches.c.recall_id).where(batches.c.id == shop.other_batch_id)
            ).scalar_one()
            is None
        )
        marked = conn.execute(
            sa.select(units.c.serial).where(units.c.recall_id == recall["id"])
        ).scalars()
        assert sorted(marked) == sorted(shop.serials)
        statuses = conn.execute(
            sa.select(units.c.status).where(units.c.serial == shop.serials[0])
        ).scalar_one()
        assert statuses == "delivered"  # the life cycle is kept


def test_recalling_two_lots_at_once(api: Api, shop: Shop) -> None:
    recall = _recall(api, lots=["LOT43", "LOT42", "LOT43"]).get_json()
    assert recall["lots"] == ["LOT43", "LOT42"]
    impact = recall["impact"]
    assert impact["units"]["total"] == 13 and impact["units"]["delivered"] == 3
    assert impact["orderCount"] == 6 and impact["customerCount"] == 4  # SO-7 names nobody
    assert [o["id"] for o in impact["orders"]][-1] == "SO-7"
    [event] = event_list(get(api, "/events?EQ_disposition=recalled"))
    assert [q["epcClass"].rsplit("/", 1)[1] for q in event["quantityList"]] == ["LOT43", "LOT42"]


def test_recalling_units_counts_only_them(app: Flask, api: Api, shop: Shop) -> None:
    codes = [
        f"{SHOP}/01/{GTIN}/10/LOT42/21/{shop.serials[2]}",
        f"(01){GTIN}(21){shop.serials[3]}",
        shop.serials[6],
        f"{SHOP}/01/{GTIN}/21/{shop.serials[6]}",  # the same unit twice: counted once
    ]
    response = _recall(api, units=codes, reason="召回：标签错误", severity="3")
    assert response.status_code == 201, response.get_json()
    recall = response.get_json()
    assert recall["scope"] == "units" and recall["lots"] == ["LOT42"]
    assert recall["reason"] == {"zh-CN": "召回：标签错误"}
    impact = recall["impact"]
    assert impact["units"]["total"] == 3
    assert (impact["units"]["inStock"], impact["units"]["shipped"], impact["units"]["sold"]) == (
        1,
        1,
        1,
    )
    assert impact["lines"] == {"unitBound": 2, "lotBound": 0, "lotBoundQuantity": 0}
    assert impact["orderCount"] == 2 and impact["customerCount"] == 2
    assert [o["id"] for o in impact["orders"]] == ["SO-2", "SO-3"]
    with _store(app).read() as conn:
        marked = conn.execute(
            sa.select(units.c.serial).where(units.c.recall_id == recall["id"])
        ).scalars()
        assert sorted(marked) == sorted([shop.serials[2], shop.serials[3], shop.serials[6]])
        assert (
            conn.execute(
                sa.select(batches.c.recall_id).where(batches.c.id == shop.batch_id)
            ).scalar_one()
            is None
        )


def test_plain_english_reason_and_a_location(api: Api, shop: Shop) -> None:
    recall = _recall(
        api, lots=["LOT43"], reason="Wrong label", severity="2", location="9506000000022"
    ).get_json()
    assert recall["reason"] == {"en": "Wrong label"} and recall["severity"] == "2"
    event = _event(api, recall["events"][0])
    assert event["readPoint"] == {"id": "https://id.gs1.org/414/9506000000022"}
    assert event["bizLocation"] == {"id": "https://id.gs1.org/414/9506000000022"}


# --- events ---------------------------------------------------------------------------------


def test_a_lot_recall_captures_one_class_level_event(api: Api, shop: Shop) -> None:
    recall = _recall(api, lots=["LOT42"]).get_json()
    [event_id] = recall["events"]
    found = event_list(get(api, "/events?EQ_disposition=recalled"))
    assert [e["eventID"] for e in found] == [event_id]
    event = found[0]
    assert event["type"] == "ObjectEvent" and event["action"] == "OBSERVE"
    assert event["bizStep"] == "holding" and event["disposition"] == "recalled"
    assert event["quantityList"] == [{"epcClass": f"{SHOP}/01/{GTIN}/10/LOT42"}]
    assert "epcList" not in event or event["epcList"] == []
    # The lot's EPC names it (URN and Digital Link spellings meet in the EPC index).
    lot_urn = "urn:epc:class:lgtin:9506000.013435.LOT42"
    by_class = get(api, "/events?MATCH_epcClass=" + quote(lot_urn))
    assert by_class.status_code == 200, by_class.get_json()
    assert [e["eventID"] for e in event_list(by_class)] == [event_id]
    assert api.get("/integrity").get_json()["valid"] is True


def test_a_unit_recall_lists_the_units_in_its_event(api: Api, shop: Shop) -> None:
    recall = _recall(api, units=shop.serials[:2]).get_json()
    event = _event(api, recall["events"][0])
    assert event["epcList"] == [
        f"{SHOP}/01/{GTIN}/10/LOT42/21/{shop.serials[0]}",
        f"{SHOP}/01/{GTIN}/10/LOT42/21/{shop.serials[1]}",
    ]
    assert event["disposition"] == "recalled" and "quantityList" not in event


# --- validation and conflicts ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field", "rule"),
    [
        ({"lots": ["LOT42"]}, "reason", "required"),
        ({"lots": ["LOT42"], "reason": REASON, "severity": "4"}, "severity", "enum"),
        ({"lots": ["LOT42"], "reason": REASON, "severity": 1}, "severity", "type"),
        ({"reason": REASON, "severity": "1"}, "lots", "one-of"),
        ({"lots": ["LOT42"], "units": ["x"], "reason": REASON, "severity": "1"}, "units", "one-of"),
        ({"lots": [], "reason": REASON, "severity": "1"}, "lots", "min-items"),
        ({"lots": ["LOT42"], "reason": "   ", "severity": "1"}, "reason", "min-length"),
        ({"lots": ["LOT42"], "reason": {}, "severity": "1"}, "reason", "required-language"),
        ({"lots": ["LOT 42"], "reason": REASON, "severity": "1"}, "lots[0]", "gs1-ai-10"),
        ({"lots": ["LOT42"], "reason": REASON, "severity": "1", "x": 1}, "x", "unknown-field"),
        (
            {"lots": ["LOT42"], "reason": REASON, "severity": "1", "location": "12"},
            "location",
            "gs1-ai-414",
        ),
        ({"lots": ["LOT99"], "reason": REASON, "severity": "1"}, "lots[0]", "not-found"),
        ({"units": ["NOPE1"], "reason": REASON, "severity": "1"}, "units[0]", "not-found"),
        (
            {"units": ["(01)09506000134369(21)A1"], "reason": REASON, "severity": "1"},
            "units[0]",
            "gtin-mismatch",
        ),
        (
            {"units": ["https://x.example/01/123"], "reason": REASON, "severity": "1"},
            "units[0]",
            "unit-code",
        ),
        (
            {"units": [f"{SHOP}/01/{GTIN}/10/LOT42"], "reason": REASON, "severity": "1"},
            "units[0]",
            "unit-code",
        ),
        ({"units": ["bad serial"], "reason": REASON, "severity": "1"}, "units[0]", "unit-code"),
    ],
)
def test_bad_input_is_422_naming_the_field_and_writes_nothing(
    app: Flask, api: Api, shop: Shop, body: dict[str, Any], field: str, rule: str
) -> None:
    before = _snapshot(app)
    response = api.post("/recalls", {"gtin": GTIN, **body})
    assert response.status_code == 422, response.get_json()
    assert response.mimetype == "application/problem+json"
    assert {"field": field, "rule": rule} in [
        {"field": e["field"], "rule": e["rule"]} for e in response.get_json()["errors"]
    ]
    assert _snapshot(app) == before


def test_an_unknown_gtin_and_bad_bodies(api: Api, shop: Shop) -> None:
    unknown = api.post(
        "/recalls", {"gtin": GTIN2, "lots": ["LOT42"], "reason": "x", "severity": "1"}
    )
    assert unknown.status_code == 422
    assert unknown.get_json()["errors"][0] == {
        "field": "gtin",
        "rule": "not-found",
        "detail": "no product of yours has this GTIN",
    }
    assert api.post("/recalls", [1]).status_code == 422
    not_json = api.client.post(
        api.url("/recalls"), data="x", headers=api.headers(), content_type="text/plain"
    )
    assert not_json.status_code == 415
    assert api.post("/recalls", {"gtin": "123", "lots": ["L"]}).status_code == 422


def test_a_lot_or_unit_under_an_open_recall_is_a_conflict(app: Flask, api: Api, shop: Shop) -> None:
    first = _recall(api, units=[shop.serials[9]]).get_json()
    lot = _recall(api, lots=["LOT42"]).get_json()  # the lot recall takes in the rest
    before = _snapshot(app)
    again = _recall(api, lots=["LOT43", "LOT42"])
    assert again.status_code == 409
    assert again.get_json()["errors"] == [
        {
            "field": "lots[1]",
            "rule": "open-recall",
            "detail": f"lot 'LOT42' is under open recall {lot['id']}; close it first",
        }
    ]
    unit = _recall(api, units=[shop.serials[0], shop.other_serials[0]])
    assert unit.status_code == 409
    assert [e["field"] for e in unit.get_json()["errors"]] == ["units[0]"]
    assert _snapshot(app) == before
    with _store(app).read() as conn:
        own = conn.execute(
            sa.select(units.c.recall_id).where(units.c.serial == shop.serials[9])
        ).scalar_one()
    assert own == first["id"]  # a unit keeps the open recall it was named in


def test_one_merchants_codes_are_not_anothers(api: Api, other_api: Api, shop: Shop) -> None:
    other_api.product(GTIN)
    response = other_api.post(
        "/recalls", {"gtin": GTIN, "units": shop.serials[:1], "reason": "x", "severity": "1"}
    )
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "units[0]"
    lots = other_api.post(
        "/recalls", {"gtin": GTIN, "lots": ["LOT42"], "reason": "x", "severity": "1"}
    )
    assert lots.status_code == 422 and lots.get_json()["errors"][0]["field"] == "lots[0]"


# --- impact pages and CSV -------------------------------------------------------------------


def test_impact_pages_follow_the_token(api: Api, shop: Shop) -> None:
    recall = _recall(api, lots=["LOT42"]).get_json()
    seen: list[str] = []
    url = f"/recalls/{recall['id']}/impact?pageSize=2"
    pages = 0
    while url:
        response = api.get(url)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert body["recallId"] == recall["id"] and body["orderCount"] == 5
        seen += [o["id"] for o in body["orders"]]
        pages += 1
        token = body["nextPageToken"]
        if token:
            assert response.headers["Link"].endswith('rel="next"')
            url = f"/recalls/{recall['id']}/impact?pageSize=2&pageToken={token}"
        else:
            assert "Link" not in response.headers
            url = ""
    assert seen == ["SO-1", "SO-2", "SO-3", "SO-4", "SO-6"] and pages == 3
    bad = api.get(f"/recalls/{recall['id']}/impact?pageToken=nope")
    assert bad.status_code == 400 and bad.get_json()["errors"][0]["field"] == "pageToken"
    assert api.get(f"/recalls/{recall['id']}/impact?format=xml").status_code == 400
    assert api.get("/recalls/999/impact").status_code == 404


def test_the_first_page_of_a_large_impact_links_to_the_rest(
    app: Flask, api: Api, shop: Shop
) -> None:
    with _store(app).begin() as conn:
        for n in range(10, 70):
            order_id = _order(conn, api.merchant_id, f"SO-{n}", "placed", f"C-{n}")
            _line(conn, api.merchant_id, order_id, 1, quantity=2, batch_id=shop.batch_id)
    response = _recall(api, lots=["LOT42"])
    impact = response.get_json()["impact"]
    assert impact["orderCount"] == 65 and len(impact["orders"]) == 50
    assert impact["nextPageToken"] is not None
    assert "pageToken=" in response.headers["Link"] and "/impact?" in response.headers["Link"]


def _csv(response: Any) -> list[dict[str, str]]:
    data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads the Chinese right
    text = data.decode("utf-8-sig")
    assert "\r\n" in text
    return list(csv.DictReader(io.StringIO(text)))


def test_the_impact_as_csv_one_row_per_order_line(api: Api, shop: Shop) -> None:
    recall = _recall(api, lots=["LOT42"]).get_json()
    response = api.get(f"/recalls/{recall['id']}/impact", headers={"Accept": "text/csv"})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = _csv(response)
    assert list(rows[0]) == list(recall_service.CSV_COLUMNS)
    assert [(r["order_id"], r["line_no"], r["binding"]) for r in rows] == [
        ("SO-1", "1", "units"),
        ("SO-2", "1", "units"),
        ("SO-3", "1", "units"),
        ("SO-4", "1", "units"),
        ("SO-6", "1", "lot"),
    ]
    first = rows[0]
    assert first["serials"] == " ".join(sorted(shop.serials[:2]))
    assert first["affected"] == "2" and first["lots"] == "LOT42" and first["customer"] == "C-1"
    assert first["name"] == "有机苹果 1kg" and first["placed_at"] == "2025-06-01T09:00:00Z"
    assert first["order_number"] == "#1001" and first["order_status"] == "delivered"
    assert rows[3]["customer"] == "'=HYPERLINK(1)"  # never a formula in a spreadsheet
    bulk = rows[4]
    assert (bulk["affected"], bulk["quantity"], bulk["serials"], bulk["lots"]) == (
        "3",
        "3",
        "",
        "LOT42",
    )
    same = api.get(f"/recalls/{recall['id']}/impact?format=csv")
    assert same.get_data() == response.get_data()
    as_json = api.get(
        f"/recalls/{recall['id']}/impact",
        headers={"Accept": "text/csv"},
        query_string={"format": "json"},
    )
    assert as_json.mimetype == "application/json"
    missing = api.get("/recalls/999/impact?format=csv")
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"


def test_a_units_recall_as_csv(api: Api, shop: Shop) -> None:
    recall = _recall(api, units=[shop.serials[1], shop.serials[2], shop.serials[7]]).get_json()
    rows = _csv(api.get(f"/recalls/{recall['id']}/impact?format=csv"))
    assert [(r["order_id"], r["affected"], r["serials"]) for r in rows] == [
        ("SO-1", "1", shop.serials[1]),
        ("SO-2", "1", shop.serials[2]),
    ]


def test_the_impact_follows_returns_while_the_stored_counts_stay(
    app: Flask, api: Api, shop: Shop
) -> None:
    recall = _recall(api, lots=["LOT42"]).get_json()
    with _store(app).begin() as conn:
        _bind(conn, shop.serials[2], "returned", None)
    now = api.get(f"/recalls/{recall['id']}/impact").get_json()
    assert now["units"]["returned"] == 2 and now["units"]["shipped"] == 0
    assert now["orderCount"] == 4 and "SO-2" not in [o["id"] for o in now["orders"]]
    stored = api.get(f"/recalls/{recall['id']}").get_json()["impact"]
    assert stored["units"]["shipped"] == 1 and stored["orderCount"] == 5


# --- listing, closing -----------------------------------------------------------------------


def test_list_get_and_close(app: Flask, api: Api, shop: Shop) -> None:
    lot = _recall(api, lots=["LOT42"]).get_json()
    unit = _recall(api, units=[shop.other_serials[1]], severity="2").get_json()
    listed = api.get("/recalls").get_json()
    assert [r["id"] for r in listed["recalls"]] == [lot["id"], unit["id"]]
    assert "orders" not in listed["recalls"][0]["impact"]
    assert api.get("/recalls?status=closed").get_json()["recalls"] == []
    assert api.get("/recalls?gtin=" + GTIN2).get_json()["recalls"] == []
    assert api.get("/recalls?status=maybe").status_code == 400
    assert api.get("/recalls?gtin=123").status_code == 400
    page = api.get("/recalls?pageSize=1").get_json()
    assert len(page["recalls"]) == 1 and page["nextPageToken"]

    closed = api.post(f"/recalls/{lot['id']}/close", {"note": "All units back; 已销毁"})
    assert closed.status_code == 200, closed.get_json()
    body = closed.get_json()
    assert body["status"] == "closed" and body["closeNote"] == "All units back; 已销毁"
    assert body["closedAt"] is not None
    assert [r["id"] for r in api.get("/recalls?status=open").get_json()["recalls"]] == [unit["id"]]
    again = api.post(f"/recalls/{lot['id']}/close")
    assert again.status_code == 409
    assert again.get_json()["errors"][0] == {
        "field": "status",
        "rule": "open",
        "detail": "only an open recall can be closed",
    }
    with _store(app).read() as conn:
        assert (
            conn.execute(
                sa.select(batches.c.recall_id).where(batches.c.id == shop.batch_id)
            ).scalar_one()
            is None
        )
        kept = conn.execute(
            sa.select(sa.func.count()).where(units.c.recall_id.is_not(None))
        ).scalar_one()
    assert kept == 1  # the unit named in the open unit recall
    # A closed recall still lists what it covered; the lot may be recalled again.
    assert api.get(f"/recalls/{lot['id']}/impact").get_json()["orderCount"] == 5
    renewed = _recall(api, lots=["LOT42"], severity="2")
    assert renewed.status_code == 201
    assert renewed.get_json()["impact"]["units"]["total"] == 10
    assert api.post(f"/recalls/{unit['id']}/close").status_code == 200  # no body
    assert api.post(f"/recalls/{unit['id']}/close", {"note": 5}).status_code in (409, 422)
    bad_note = api.post(f"/recalls/{renewed.get_json()['id']}/close", {"note": 5})
    assert bad_note.status_code == 422 and bad_note.get_json()["errors"][0]["field"] == "note"
    assert api.post("/recalls/999/close").status_code == 404


def _recall_ids(app: Flask, serials: list[str]) -> list[int | None]:
    with _store(app).read() as conn:
        found = dict(
            conn.execute(
                sa.select(units.c.serial, units.c.recall_id).where(units.c.serial.in_(serials))
            ).all()
        )
    return [found[s] for s in serials]


def test_closing_a_unit_recall_frees_its_units_and_keeps_its_list(
    app: Flask, api: Api, shop: Shop
) -> None:
    own = _recall(api, units=shop.serials[:3]).get_json()
    lot = _recall(api, lots=["LOT42"]).get_json()
    assert _recall_ids(app, shop.serials[:4]) == [own["id"]] * 3 + [lot["id"]]
    assert api.post(f"/recalls/{own['id']}/close").status_code == 200
    # The units fall back to their lot's open recall; the closed recall still lists them.
    assert _recall_ids(app, shop.serials[:4]) == [lot["id"]] * 4
    closed = api.get(f"/recalls/{own['id']}/impact").get_json()
    assert closed["status"] == "closed" and closed["units"]["total"] == 3
    assert [o["id"] for o in closed["orders"]] == ["SO-1", "SO-2"]
    rows = _csv(api.get(f"/recalls/{own['id']}/impact?format=csv"))
    assert [r["affected"] for r in rows] == ["2", "1"]
    assert _recall(api, units=shop.serials[:1]).status_code == 409  # the lot's recall holds
    assert api.post(f"/recalls/{lot['id']}/close").status_code == 200
    assert _recall_ids(app, shop.serials[:4]) == [None] * 4
    again = _recall(api, units=shop.serials[:1])
    assert again.status_code == 201 and again.get_json()["impact"]["units"]["total"] == 1


def test_idempotency_key_replays_the_first_answer(app: Flask, api: Api, shop: Shop) -> None:
    body = {"gtin": GTIN, "lots": ["LOT42"], "reason": REASON, "severity": "1"}
    first = api.post("/recalls", body, headers={"Idempotency-Key": "recall-1"})
    second = api.post("/recalls", body, headers={"Idempotency-Key": "recall-1"})
    assert first.status_code == second.status_code == 201
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.get_json() == first.get_json()
    assert count_rows(app, recalls) == 1


# --- webhooks and signals -------------------------------------------------------------------


def _endpoint(app: Flask, merchant_id: int, topics: list[str]) -> int:
    now = datetime.now(UTC)
    with _store(app).begin() as conn:
        return int(
            conn.execute(
                webhook_endpoints.insert()
                .values(
                    merchant_id=merchant_id,
                    url="https://hooks.example.com/recalls",
                    topics=topics,
                    secret_salt="00" * 32,
                    enabled=True,
                    created_at=now,
                    updated_at=now,
                )
                .returning(webhook_endpoints.c.id)
            ).scalar_one()
        )


def test_webhooks_are_queued_and_signals_sent_after_commit(
    app: Flask, api: Api, shop: Shop
) -> None:
    subscribed = _endpoint(app, api.merchant_id, ["recall.created", "recall.closed"])
    _endpoint(app, api.merchant_id, ["order.traced"])
    received: list[tuple[str, dict[str, Any]]] = []

    def created(sender: Any, **extra: Any) -> None:
        assert sender is app
        received.append(("created", extra))

    def closed(sender: Any, **extra: Any) -> None:
        received.append(("closed", extra))

    with signals.recall_created.connected_to(created), signals.recall_closed.connected_to(closed):
        recall = _recall(api, lots=["LOT42"]).get_json()
        api.post(f"/recalls/{recall['id']}/close", {"note": "done"})
        _recall(api, lots=["LOT99"])  # refused: no signal
    assert [kind for kind, _ in received] == ["created", "closed"]
    sent = received[0][1]
    assert sent["merchant_id"] == api.merchant_id
    assert sent["recall"]["id"] == recall["id"] and sent["recall"]["impact"]["orderCount"] == 5
    assert "orders" not in sent["recall"]["impact"]
    assert received[1][1]["recall"]["status"] == "closed"
    with _store(app).read() as conn:
        rows = conn.execute(sa.select(outbox).order_by(outbox.c.id)).all()
    assert [(r.endpoint_id, r.topic, r.message_key) for r in rows] == [
        (subscribed, "recall.created", f"recall:{recall['id']}:created"),
        (subscribed, "recall.closed", f"recall:{recall['id']}:closed"),
    ]
    payload = json.loads(rows[0].payload)
    assert payload["type"] == "recall.created" and payload["data"]["id"] == recall["id"]
    assert payload["data"]["impact"]["customerCount"] == 4
    assert "orders" not in payload["data"]["impact"]
    assert json.loads(rows[1].payload)["data"]["closeNote"] == "done"


def test_the_service_alone(app: Flask, api: Api, shop: Shop) -> None:
    with _store(app).begin() as conn:
        recall = recall_service.create_recall(
            conn,
            api.merchant_id,
            {"gtin": GTIN, "lots": ["LOT42"], "reason": REASON, "severity": "1"},
            page_size=2,
        )
    assert recall["impact"]["nextPageToken"] is not None and len(recall["impact"]["orders"]) == 2
    event = _event(api, recall["events"][0])
    assert event["quantityList"] == [{"epcClass": f"https://id.gs1.org/01/{GTIN}/10/LOT42"}]
    out = io.BytesIO()
    with pytest.raises(Exception, match="does not exist"):
        recall_service.write_impact_csv(_store(app), api.merchant_id + 1, recall["id"], out)
    assert out.getvalue() == b""
    assert recall_service.write_impact_csv(_store(app), api.merchant_id, recall["id"], out) == 5


# --- the OpenAPI document -------------------------------------------------------------------


def test_answers_fit_the_openapi_schemas(api: Api, shop: Shop) -> None:
    doc = api.get("/openapi.json").get_json()
    registry = Registry().with_resource("urn:shoptrace:openapi", Resource(doc, DRAFT202012))

    def check(name: str, instance: Any) -> None:
        schema = {"$ref": f"urn:shoptrace:openapi#/components/schemas/{name}"}
        Draft202012Validator(schema, registry=registry).validate(instance)

    body = {"gtin": GTIN, "lots": ["LOT42"], "reason": REASON, "severity": "1"}
    check("RecallInput", body)
    check("RecallInput", {"gtin": GTIN, "units": ["A1"], "reason": "x", "severity": "2"})
    with pytest.raises(ValidationError):
        check("RecallInput", {**body, "units": ["A1"]})
    created = _recall(api, lots=["LOT42"]).get_json()
    check("RecallCreated", created)
    check("Recall", api.get(f"/recalls/{created['id']}").get_json())
    check("RecallList", api.get("/recalls").get_json())
    check("RecallImpact", api.get(f"/recalls/{created['id']}/impact?pageSize=2").get_json())
    closed = api.post(f"/recalls/{created['id']}/close", {"note": "ok"}).get_json()
    check("Recall", closed)
    check("RecallClose", {"note": "ok"})
    check("Problem", api.post(f"/recalls/{created['id']}/close").get_json())
    units_recall = _recall(api, units=[shop.serials[0]]).get_json()
    check("RecallCreated", units_recall)
    paths = doc["paths"]
    assert set(paths["/recalls/{recall_id}/impact"]["get"]["responses"]["200"]["content"]) == {
        "application/json",
        "text/csv",
    }
    assert paths["/recalls/{recall_id}/close"]["post"]["requestBody"]["required"] is False
