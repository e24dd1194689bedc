"""Helpers of the EPCIS tests: documents, the binding's URLs, a supply chain to trace."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from shoptrace.sdk.epcis import events as ev
from shoptrace.sdk.epcis import make_document
from tests.shop_plugin.helpers import GTIN, Api

EPCIS = "/trace/epcis"
SHOP = "https://shop.example.com/trace"
FARM = "urn:epc:id:sgln:9506000.00009.0"
FACTORY = "urn:epc:id:sgln:9506000.00001.0"
STORE = "urn:epc:id:sgln:9506000.00002.0"
APPLES = "urn:epc:class:lgtin:9506000.099999.APPLE7"
CASE = "urn:epc:id:sscc:9506000.0000000001"
PALLET = "urn:epc:id:sscc:9506000.0000000002"
ORDER = "https://shop.example.com/orders/1001"
T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def unit_uri(serial: str, lot: str = "LOT42", gtin: str = GTIN) -> str:
    return f"{SHOP}/01/{gtin}/10/{lot}/21/{serial}"


def canonical_unit(serial: str, gtin: str = GTIN) -> str:
    return f"https://id.gs1.org/01/{gtin}/21/{serial}"


def document(events: list[dict[str, Any]], **options: Any) -> bytes:
    return json.dumps(make_document(events, **options)).encode("utf-8")


def capture(api: Api, body: bytes | str, **headers: str) -> Any:
    return api.client.post(
        EPCIS + "/capture",
        data=body,
        headers=api.headers(headers),
        content_type="application/ld+json",
    )


def get(api: Api, path: str, **kwargs: Any) -> Any:
    url = path if path.startswith("http") or path.startswith(EPCIS) else EPCIS + path
    return api.client.get(url, headers=api.headers(kwargs.pop("headers", None)), **kwargs)


def event_list(response: Any) -> list[dict[str, Any]]:
    body = json.loads(response.data)
    assert body["type"] == "EPCISQueryDocument"
    events: list[dict[str, Any]] = body["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    return events


def segment(value: str) -> str:
    """A value as one path segment (EPCs and eventIDs hold ':' and '/')."""
    return quote(value, safe="")


def supply_chain(serials: list[str]) -> list[dict[str, Any]]:
    """Apples harvested and pressed into LOT42, three units packed into a case, the case
    onto a pallet, shipped, received, unpacked, one unit sold."""
    units = [unit_uri(s) for s in serials]
    lot = f"{SHOP}/01/{GTIN}/10/LOT42"
    return [
        ev.object_event(
            "ADD",
            quantities=[ev.quantity(APPLES, 100, "KGM")],
            biz_step="commissioning",
            biz_location=FARM,
            event_time=at(-60),
        ),
        ev.transformation_event(
            input_quantities=[ev.quantity(APPLES, 100, "KGM")],
            output_quantities=[ev.quantity(lot, 40, "KGM")],
            biz_step="commissioning",
            read_point=FACTORY,
            event_time=at(0),
        ),
        ev.commission(units, ilmd=ev.lot_ilmd(lot="LOT42"), read_point=FACTORY, event_time=at(1)),
        ev.object_event("ADD", epcs=[CASE], biz_step="commissioning", event_time=at(2)),
        ev.pack(CASE, units, read_point=FACTORY, event_time=at(3)),
        ev.pack(PALLET, [CASE], read_point=FACTORY, event_time=at(4)),
        ev.object_event(
            "OBSERVE",
            epcs=[PALLET],
            biz_step="shipping",
            disposition="in_transit",
            read_point=FACTORY,
            biz_transactions=[ev.biz_transaction(ORDER, "po")],
            destinations=[ev.destination("location", STORE)],
            event_time=at(10),
        ),
        ev.object_event(
            "OBSERVE",
            epcs=[PALLET],
            biz_step="receiving",
            disposition="in_progress",
            read_point=STORE,
            biz_location=STORE,
            event_time=at(20),
        ),
        ev.aggregation_event("DELETE", parent=PALLET, biz_step="unpacking", event_time=at(21)),
        ev.aggregation_event(
            "DELETE", parent=CASE, children=units[:1], biz_step="unpacking", event_time=at(22)
        ),
        ev.object_event("OBSERVE", epcs=[PALLET], biz_step="storing", event_time=at(30)),
        ev.sell(units[:1], biz_location=STORE, event_time=at(40)),
    ]
