"""EPCIS queries: GET /events with every supported parameter, paging, ordering, the event
resource, the top-level resources, and 400s naming the bad parameter."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest

from tests.shop_plugin.epcis_helpers import (
    APPLES,
    CASE,
    EPCIS,
    FACTORY,
    ORDER,
    PALLET,
    STORE,
    capture,
    document,
    event_list,
    get,
    segment,
    supply_chain,
    unit_uri,
)
from tests.shop_plugin.helpers import Api

SERIALS = ["S1", "S2", "S3"]


@pytest.fixture
def chain(api: Api) -> list[dict[str, Any]]:
    """The supply chain captured; its events as stored, in capture order."""
    assert capture(api, document(supply_chain(SERIALS))).status_code == 202
    return event_list(get(api, "/events?perPage=100"))


def _steps(api: Api, query: str) -> list[str | None]:
    response = get(api, "/events?" + query)
    assert response.status_code == 200, response.get_json()
    return [e.get("bizStep") for e in event_list(response)]


def test_events_come_back_in_capture_order_with_record_time(chain: list[dict[str, Any]]) -> None:
    assert len(chain) == 12
    assert [e["eventTime"][11:16] for e in chain[:3]] == ["07:00", "08:00", "08:01"]
    assert all(e["recordTime"] and e["eventID"].startswith("ni:///") for e in chain)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("eventType=TransformationEvent", ["commissioning"]),
        (
            "eventType=AggregationEvent|TransformationEvent",
            ["commissioning", *["packing"] * 2, *["unpacking"] * 2],
        ),
        (
            "GE_eventTime=2025-03-01T08:20:00Z",
            ["receiving", "unpacking", "unpacking", "storing", "retail_selling"],
        ),
        ("LT_eventTime=2025-03-01T16:01:00%2B08:00", ["commissioning", "commissioning"]),
        (
            "GE_eventTime=2025-03-01T08:03:00Z&LT_eventTime=2025-03-01T08:10:00Z",
            ["packing", "packing"],
        ),
        ("EQ_action=DELETE", ["unpacking", "unpacking"]),
        ("EQ_action=ADD&eventType=ObjectEvent", ["commissioning"] * 3),
        ("EQ_bizStep=shipping|receiving", ["shipping", "receiving"]),
        ("EQ_bizStep=urn:epcglobal:cbv:bizstep:shipping", ["shipping"]),
        ("EQ_bizStep=https://ref.gs1.org/cbv/BizStep-retail_selling", ["retail_selling"]),
        ("EQ_disposition=in_transit", ["shipping"]),
        ("EQ_readPoint=" + quote(STORE), ["receiving"]),
        ("EQ_readPoint=https://id.gs1.org/414/9506000000022", ["receiving"]),
        ("EQ_bizLocation=" + quote(STORE), ["receiving", "retail_selling"]),
        (
            "MATCH_epc=" + quote(unit_uri("S1")),
            ["commissioning", "packing", "unpacking", "retail_selling"],
        ),
        ("MATCH_epc=urn:epc:id:sgtin:9506000.013435.S2", ["commissioning", "packing"]),
        (
            "MATCH_epc=urn:epc:idpat:sgtin:9506000.013435.*",
            ["commissioning", "packing", "unpacking", "retail_selling"],
        ),
        ("MATCH_parentID=" + quote(PALLET), ["packing", "unpacking"]),
        ("MATCH_parentID=https://id.gs1.org/00/095060000000000015", ["packing", "unpacking"]),
        ("MATCH_anyEPC=" + quote(CASE), ["commissioning", "packing", "packing", "unpacking"]),
        ("MATCH_inputEPC=" + quote(APPLES), []),
        ("MATCH_outputEPC=" + quote(unit_uri("S1")), []),
        ("MATCH_epcClass=" + quote(APPLES), ["commissioning"]),
        ("MATCH_epcClass=https://id.gs1.org/01/09506000999999", ["commissioning"]),
        ("EQ_bizStep=shipping&MATCH_anyEPC=" + quote(CASE), []),
    ],
)
def test_each_parameter_selects_its_events(
    api: Api, chain: list[dict[str, Any]], query: str, expected: list[str]
) -> None:
    assert _steps(api, query) == expected


def test_record_time_and_event_id_parameters(api: Api, chain: list[dict[str, Any]]) -> None:
    recorded = chain[0]["recordTime"]
    assert len(_steps(api, "GE_recordTime=" + quote(recorded))) == 12
    assert _steps(api, "LT_recordTime=" + quote(recorded)) == []
    ids = "|".join(quote(e["eventID"], safe="") for e in chain[5:7])
    found = event_list(get(api, "/events?EQ_eventID=" + ids))
    assert found == chain[5:7]


def test_pages_follow_next_page_tokens_without_loss_or_repeat(
    api: Api, chain: list[dict[str, Any]]
) -> None:
    for order in ("", "&orderBy=eventTime", "&orderBy=eventTime&orderDirection=ASC",
                  "&orderBy=recordTime&orderDirection=ASC"):  # fmt: skip
        url = EPCIS + "/events?perPage=5" + order
        seen: list[str] = []
        while url:
            response = get(api, url)
            seen += [e["eventID"] for e in event_list(response)]
            link = response.headers.get("Link")
            url = link[1 : link.index(">")] if link else ""
        assert sorted(seen) == sorted(e["eventID"] for e in chain), order
        assert len(seen) == 12
    newest_first = event_list(get(api, "/events?orderBy=eventTime&perPage=2"))
    assert [e["bizStep"] for e in newest_first] == ["retail_selling", "storing"]


@pytest.mark.parametrize(
    ("query", "name", "rule"),
    [
        ("GE_eventTime=yesterday", "GE_eventTime", "date-time"),
        ("LT_recordTime=2025-13-01T00:00:00Z", "LT_recordTime", "date-time"),
        ("EQ_action=MAYBE", "EQ_action", "enum"),
        ("perPage=0", "perPage", "range"),
        ("perPage=abc", "perPage", "range"),
        ("perPage=100000", "perPage", "range"),
        ("orderBy=bizStep", "orderBy", "enum"),
        ("orderDirection=UP", "orderDirection", "enum"),
        ("nextPageToken=bogus", "nextPageToken", "page-token"),
        ("EQ_bizStep=a||b", "EQ_bizStep", "empty"),
        ("EQ_quantity=3", "EQ_quantity", "unsupported"),
        ("colour=red", "colour", "unknown"),
        ("orderBy=eventTime&orderBy=recordTime", "orderBy", "repeated"),
    ],
)
def test_bad_parameters_get_400_naming_them(api: Api, query: str, name: str, rule: str) -> None:
    response = get(api, "/events?" + query)
    assert response.status_code == 400
    problem = response.get_json()
    assert problem["type"] == "epcisException:QueryParameterException"
    assert problem["errors"][0]["field"] == name and problem["errors"][0]["rule"] == rule


def test_a_token_of_another_order_is_refused(api: Api, chain: list[dict[str, Any]]) -> None:
    link = get(api, "/events?perPage=2").headers["Link"]
    token = link[link.index("nextPageToken=") + 14 : link.index(">")]
    response = get(api, f"/events?orderBy=eventTime&nextPageToken={token}")
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["field"] == "nextPageToken"


def test_an_event_by_its_id(api: Api, chain: list[dict[str, Any]]) -> None:
    event = chain[4]
    response = get(api, "/events/" + segment(event["eventID"]))
    assert response.status_code == 200
    assert event_list(response) == [event]
    missing = get(api, "/events/" + segment("urn:uuid:nothing"))
    assert missing.status_code == 404
    assert missing.get_json()["type"] == "epcisException:NoSuchResourceException"


def test_query_documents_declare_the_captured_context(api: Api) -> None:
    raw = json.loads(
        document(supply_chain(SERIALS)[:1], namespaces={"acme": "https://ns.acme.example/"})
    )
    raw["epcisBody"]["eventList"][0]["acme:grade"] = "A"
    assert capture(api, json.dumps(raw)).status_code == 202
    body = json.loads(get(api, "/events").data)
    assert body["@context"][1] == {"acme": "https://ns.acme.example/"}
    assert body["schemaVersion"] == "2.0" and body["creationDate"].endswith("Z")
    assert body["epcisBody"]["queryResults"]["queryName"] == "SimpleEventQuery"
    assert body["epcisBody"]["queryResults"]["resultsBody"]["eventList"][0]["acme:grade"] == "A"


def test_top_level_resources(api: Api, chain: list[dict[str, Any]]) -> None:
    root = get(api, "/").get_json()
    assert root["type"] == "Collection" and "events" in root["member"]
    types = get(api, "/eventTypes").get_json()["member"]
    assert set(types) == {
        "ObjectEvent", "AggregationEvent", "TransactionEvent", "TransformationEvent",
        "AssociationEvent",
    }  # fmt: skip
    steps = get(api, "/bizSteps?perPage=100").get_json()["member"]
    assert "shipping" in steps and steps == sorted(steps)
    assert "in_transit" in get(api, "/dispositions?perPage=100").get_json()["member"]
    assert get(api, "/readPoints").get_json()["member"] == [
        "https://id.gs1.org/414/9506000000015",
        "https://id.gs1.org/414/9506000000022",
    ]
    assert "https://id.gs1.org/414/9506000000091" in get(api, "/bizLocations").get_json()["member"]
    epcs = get(api, "/epcs").get_json()["member"]
    assert "https://id.gs1.org/01/09506000134352/21/S1" in epcs and len(epcs) == 7


def test_top_level_lists_are_paged(api: Api, chain: list[dict[str, Any]]) -> None:
    for resource in ("epcs", "bizSteps"):
        url = f"{EPCIS}/{resource}?perPage=3"
        seen: list[str] = []
        while url:
            response = get(api, url)
            page = response.get_json()["member"]
            assert len(page) <= 3
            seen += page
            link = response.headers.get("Link")
            url = link[1 : link.index(">")] if link else ""
        assert seen == sorted(set(seen)) and len(seen) > 3
    assert get(api, "/epcs?nextPageToken=%%%").status_code == 400


def test_each_value_has_its_events(api: Api, chain: list[dict[str, Any]]) -> None:
    assert get(api, "/bizSteps/shipping").get_json()["member"] == ["events"]
    assert [e["bizStep"] for e in event_list(get(api, "/bizSteps/shipping/events"))] == ["shipping"]
    assert len(event_list(get(api, "/eventTypes/AggregationEvent/events"))) == 4
    assert len(event_list(get(api, "/dispositions/retail_sold/events"))) == 1
    assert len(event_list(get(api, f"/bizLocations/{segment(STORE)}/events"))) == 2
    assert len(event_list(get(api, f"/readPoints/{segment(FACTORY)}/events"))) == 5
    urn = segment("urn:epc:id:sgtin:9506000.013435.S1")
    dl = segment(unit_uri("S1"))
    assert event_list(get(api, f"/epcs/{urn}/events")) == event_list(get(api, f"/epcs/{dl}/events"))
    assert len(event_list(get(api, f"/epcs/{urn}/events"))) == 4
    assert get(api, f"/epcs/{segment(ORDER)}").status_code == 404
    assert get(api, "/readPoints/" + segment("urn:epc:id:sgln:9506000.00077.0")).status_code == 404
    repeated = get(api, "/bizSteps/shipping/events?EQ_bizStep=receiving")
    assert repeated.status_code == 400
    assert repeated.get_json()["errors"][0]["field"] == "EQ_bizStep"
