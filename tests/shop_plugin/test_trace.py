"""Trace assembly and forward tracing: the service and the merchant API routes over it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from flask import Flask

from shoptrace.sdk.epcis import events as ev
from shoptrace.shop_plugin.services import trace
from shoptrace.shop_plugin.services.errors import InvalidInput, NotFound
from tests.shop_plugin.epcis_helpers import (
    APPLES,
    CASE,
    ORDER,
    PALLET,
    STORE,
    at,
    capture,
    document,
    supply_chain,
    unit_uri,
)
from tests.shop_plugin.helpers import GTIN, Api

CASE_DL = "https://id.gs1.org/00/095060000000000015"
PALLET_DL = "https://id.gs1.org/00/095060000000000022"
STORE_DL = "https://id.gs1.org/414/9506000000022"


@pytest.fixture
def shop(app: Flask, api: Api) -> dict[str, Any]:
    """A product, batch LOT42 with three issued units, and their supply chain captured."""
    product = api.product()
    batch = api.batch(product["id"], "LOT42", productionDate="2025-03-01")
    codes = api.post(f"/batches/{batch['id']}/codes", {"count": 3}).get_json()["codes"]
    serials = [c["serial"] for c in codes]
    assert capture(api, document(supply_chain(serials))).status_code == 202
    return {"product": product, "batch": batch, "codes": codes, "serials": serials}


def _trace(app: Flask, api: Api, code: str) -> trace.Trace:
    with app.extensions["shoptrace"].store.read() as conn:
        return trace.assemble_trace(conn, api.merchant_id, code)


def _steps(result: trace.Trace) -> list[tuple[str, str | None, str | None]]:
    return [(e["via"], e["action"], e["bizStep"]) for e in result["events"]]


def test_a_unit_trace_has_its_lot_containers_and_ingredients_in_time_order(
    app: Flask, api: Api, shop: dict[str, Any]
) -> None:
    result = _trace(app, api, shop["codes"][0]["uri"])
    assert result["kind"] == "unit" and result["lot"] == "LOT42"
    assert result["epc"] == f"https://id.gs1.org/01/{GTIN}/21/{shop['serials'][0]}"
    assert result["product"]["id"] == shop["product"]["id"]
    assert result["batch"]["lot"] == "LOT42" and result["batch"]["productionDate"] == "2025-03-01"
    assert result["unit"]["status"] == "sold"  # the till sold it (retail_selling)
    assert _steps(result) == [
        ("lot", None, "commissioning"),  # pressed from apples into the lot
        ("self", "ADD", "commissioning"),
        ("self", "ADD", "packing"),  # into the case
        ("container", "ADD", "packing"),  # the case onto the pallet
        ("container", "OBSERVE", "shipping"),
        ("container", "OBSERVE", "receiving"),
        ("container", "DELETE", "unpacking"),  # the pallet emptied
        ("self", "DELETE", "unpacking"),  # out of the case
        ("self", "OBSERVE", "retail_selling"),
    ]
    times = [e["eventTime"] for e in result["events"]]
    assert times == sorted(times)
    shipping = result["events"][4]
    assert shipping["subject"] == PALLET_DL and shipping["role"] == "epc"
    assert shipping["bizTransactions"] == [{"type": "po", "id": ORDER}]
    assert shipping["destinations"] == [{"type": "location", "id": STORE}]
    assert shipping["event"]["epcList"] == [PALLET]
    assert result["containers"] == [
        {"container": CASE_DL, "level": 1, "since": "2025-03-01T08:03:00.000Z",
         "until": "2025-03-01T08:22:00.000Z"},
        {"container": PALLET_DL, "level": 2, "since": "2025-03-01T08:04:00.000Z",
         "until": "2025-03-01T08:21:00.000Z"},
    ]  # fmt: skip
    [apples] = result["inputs"]
    assert apples["epc"] == "https://id.gs1.org/01/09506000999999/10/APPLE7"
    assert (apples["level"], apples["quantity"], apples["uom"]) == ("class", 100.0, "KGM")
    assert [e["bizLocation"] for e in apples["events"]] == ["https://id.gs1.org/414/9506000000091"]
    assert result["outputs"] == []
    assert result["state"] == {
        "status": "sold",
        "disposition": "retail_sold",
        "place": STORE_DL,
        "placeSince": "2025-03-01T08:40:00.000Z",
        "readPoint": STORE_DL,
        "lastStep": "retail_selling",
        "lastEventTime": "2025-03-01T08:40:00.000Z",
        "container": None,
    }


def test_a_unit_still_in_its_case_shows_the_case(
    app: Flask, api: Api, shop: dict[str, Any]
) -> None:
    result = _trace(app, api, "urn:epc:id:sgtin:9506000.013435." + shop["serials"][1])
    assert result["state"]["container"] == CASE_DL
    assert result["containers"][0]["until"] is None
    assert result["state"]["disposition"] == "in_progress"
    # The pallet's later storing event (after it was emptied) is not the unit's.
    assert ("container", "OBSERVE", "storing") not in _steps(result)


def test_lot_and_container_traces(app: Flask, api: Api, shop: dict[str, Any]) -> None:
    lot = _trace(app, api, f"https://shop.example.com/trace/01/{GTIN}/10/LOT42")
    assert lot["kind"] == "lot" and lot["unit"] is None and lot["batch"]["lot"] == "LOT42"
    assert _steps(lot) == [("self", None, "commissioning")]
    assert lot["inputs"][0]["quantity"] == 100.0
    case = _trace(app, api, CASE)
    assert case["kind"] == "container" and case["sscc"] == "095060000000000015"
    assert case["product"] is None and case["state"]["status"] is None
    assert ("self", "ADD", "packing") in _steps(case)
    assert ("container", "OBSERVE", "shipping") in _steps(case)


def test_transformation_outputs_are_traced_forward(app: Flask, api: Api) -> None:
    juice = f"https://shop.example.com/trace/01/{GTIN}/10/JUICE1"
    capture(
        api,
        document(
            [
                ev.transformation_event(
                    input_quantities=[ev.quantity(APPLES, 50, "KGM")],
                    outputs=[unit_uri("J1", "JUICE1")],
                    output_quantities=[ev.quantity(juice, 30, "LTR")],
                    event_time=at(5),
                )
            ]
        ),
    )
    apples = _trace(app, api, APPLES)
    assert [(m["epc"], m["level"]) for m in apples["outputs"]] == [
        (f"https://id.gs1.org/01/{GTIN}/21/J1", "instance"),
        (f"https://id.gs1.org/01/{GTIN}/10/JUICE1", "class"),
    ]
    unit = _trace(app, api, unit_uri("J1", "JUICE1"))
    assert unit["unit"] is None and unit["batch"] is None
    assert [m["quantity"] for m in unit["inputs"]] == [50.0]


def test_unknown_and_unusable_codes(app: Flask, api: Api, shop: dict[str, Any]) -> None:
    with pytest.raises(NotFound):
        _trace(app, api, unit_uri("NOSUCH"))
    for code in ("", "hello", f"https://shop.example.com/01/{GTIN}", "urn:epc:id:sgln:9506000.1.0"):
        with pytest.raises(InvalidInput) as caught:
            _trace(app, api, code)
        assert caught.value.errors[0].field == "code"


@contextmanager
def _statements(app: Flask) -> Iterator[list[str]]:
    engine = app.extensions["shoptrace"].store.engine
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(args[2])

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def test_a_trace_costs_the_same_few_queries_however_many_events_are_stored(
    app: Flask, api: Api, shop: dict[str, Any]
) -> None:
    code = shop["codes"][0]["uri"]
    with _statements(app) as before:
        first = _trace(app, api, code)
    others = [
        ev.object_event("OBSERVE", epcs=[unit_uri(f"X{i}")], biz_step="storing", event_time=at(i))
        for i in range(300)
    ]
    capture(api, document(others))
    with _statements(app) as after:
        second = _trace(app, api, code)
    assert first == second
    assert len(before) == len(after) <= 10


def test_forward_tracing_of_a_lot(app: Flask, api: Api, shop: dict[str, Any]) -> None:
    with app.extensions["shoptrace"].store.read() as conn:
        result = trace.forward_trace(conn, api.merchant_id, GTIN, "LOT42", unit_limit=2)
    assert result["epc"] == f"https://id.gs1.org/01/{GTIN}/10/LOT42"
    assert result["units"]["total"] == 3 and result["units"]["byStatus"] == {"sold": 1, "packed": 2}
    assert len(result["units"]["items"]) == 2 and result["units"]["truncated"] is True
    assert result["containers"] == [CASE_DL, PALLET_DL]
    assert result["orders"] == [{"type": "po", "id": ORDER}]
    assert {"type": "location", "id": STORE} in result["destinations"]
    assert {"type": "bizLocation", "id": STORE_DL} in result["destinations"]
    assert result["eventCount"] == 11


def test_trace_routes_of_the_merchant_api(api: Api, shop: dict[str, Any]) -> None:
    response = api.get("/trace?code=" + quote(shop["codes"][0]["uri"], safe=""))
    assert response.status_code == 200
    assert response.get_json()["state"]["place"] == STORE_DL
    assert api.get("/trace").get_json()["errors"][0]["field"] == "code"
    bad = api.get("/trace?code=hello")
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["rule"] == "trace-code"
    downstream = api.get(f"/batches/{shop['batch']['id']}/downstream?unitLimit=1")
    assert downstream.status_code == 200
    assert downstream.get_json()["units"]["items"] == [
        f"https://id.gs1.org/01/{GTIN}/21/{shop['serials'][0]}"
    ]
    limit = api.get(f"/batches/{shop['batch']['id']}/downstream?unitLimit=-1")
    assert limit.status_code == 400 and limit.get_json()["errors"][0]["field"] == "unitLimit"
