"""Event builders and the shop-moment helpers."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shoptrace.sdk.epcis import events as ev
from shoptrace.sdk.epcis import vocab
from shoptrace.sdk.epcis.documents import make_document
from shoptrace.sdk.epcis.validate import EPCISValidationError, document_problems, is_date_time

CN = timezone(timedelta(hours=8))
WHEN = datetime(2024, 5, 1, 9, 30, tzinfo=CN)
UNITS = [f"https://shop.example.com/trace/01/09506000134352/10/LOT42/21/SN{i}" for i in (1, 2)]
LOT = "https://shop.example.com/trace/01/09506000134352/10/LOT42"
CASE = "urn:epc:id:sscc:9506000.0000000017"
STORE = "urn:epc:id:sgln:9506000.00001.0"
ORDER = "https://shop.example.com/orders/1001"


def problems_of(call: Any) -> list[tuple[str, str]]:
    with pytest.raises(EPCISValidationError) as info:
        call()
    return info.value.problems


def test_object_event_writes_the_json_binding() -> None:
    event = ev.object_event(
        vocab.Action.OBSERVE,
        epcs=UNITS,
        event_time=WHEN,
        biz_step=vocab.BizStep.SHIPPING,
        disposition="urn:epcglobal:cbv:disp:in_transit",
        read_point=STORE,
        biz_transactions=[ev.biz_transaction(ORDER, "https://ref.gs1.org/cbv/BTT-po")],
        sources=[("owning_party", "urn:epc:id:pgln:9506000.00001")],
        extensions={"shop:carrier": "SF"},
    )
    assert event == {
        "type": "ObjectEvent",
        "eventTime": "2024-05-01T09:30:00.000+08:00",
        "eventTimeZoneOffset": "+08:00",
        "epcList": UNITS,
        "action": "OBSERVE",
        "bizStep": "shipping",
        "disposition": "in_transit",
        "readPoint": {"id": STORE},
        "bizTransactionList": [{"type": "po", "bizTransaction": ORDER}],
        "sourceList": [{"type": "owning_party", "source": "urn:epc:id:pgln:9506000.00001"}],
        "shop:carrier": "SF",
    }
    assert all(type(v) is str for v in (event["action"], event["bizStep"], event["disposition"]))
    assert json.loads(json.dumps(event)) == event


def test_utc_time_is_written_with_z_and_offset_follows_the_time() -> None:
    event = ev.object_event(
        "OBSERVE", epcs=UNITS, event_time=datetime(2024, 1, 2, 3, 4, tzinfo=UTC)
    )
    assert event["eventTime"] == "2024-01-02T03:04:00.000Z"
    assert event["eventTimeZoneOffset"] == "+00:00"
    west = ev.object_event(
        "OBSERVE", epcs=UNITS, event_time="2024-01-02T03:04:05-06:00", time_zone_offset=None
    )
    assert west["eventTimeZoneOffset"] == "-06:00"
    shown = ev.object_event(
        "OBSERVE", epcs=UNITS, event_time=WHEN, time_zone_offset=timedelta(hours=-3, minutes=-30)
    )
    assert shown["eventTimeZoneOffset"] == "-03:30"


def test_default_event_time_is_now_in_utc() -> None:
    before = datetime.now(UTC)
    event = ev.object_event("OBSERVE", epcs=UNITS)
    stamp = datetime.fromisoformat(event["eventTime"].replace("Z", "+00:00"))
    assert before - timedelta(milliseconds=1) <= stamp <= datetime.now(UTC)
    assert event["eventTimeZoneOffset"] == "+00:00"


def test_naive_datetime_is_refused() -> None:
    problems = problems_of(
        lambda: ev.object_event("OBSERVE", epcs=UNITS, event_time=datetime(2024, 1, 1))
    )
    assert problems == [("/eventTime", "eventTime must be a timezone-aware datetime (naive given)")]


def test_bad_input_names_every_field_and_rule() -> None:
    problems = problems_of(
        lambda: ev.object_event(
            "MOVE",
            epcs=["not an epc", LOT],
            event_time="yesterday",
            biz_step="shiping",
            read_point="store 1",
        )
    )
    assert [p for p, _ in problems] == [
        "/eventTime",
        "/epcList/0",
        "/epcList/1",
        "/action",
        "/bizStep",
        "/readPoint/id",
        "/eventTimeZoneOffset",
    ]
    messages = dict(problems)
    assert "instance-level" in messages["/epcList/1"]
    assert "did you mean 'shipping'" in messages["/bizStep"]


def test_aggregation_needs_parent_for_add() -> None:
    problems = problems_of(lambda: ev.aggregation_event("ADD", children=UNITS, event_time=WHEN))
    assert problems == [("/parentID", "an AggregationEvent with action ADD requires parentID")]
    observed = ev.aggregation_event("OBSERVE", children=UNITS, event_time=WHEN)
    assert "parentID" not in observed


def test_transaction_event_requires_a_transaction() -> None:
    problems = problems_of(lambda: ev.transaction_event("ADD", [], epcs=UNITS, event_time=WHEN))
    assert problems == [
        ("/bizTransactionList", "a TransactionEvent needs at least one bizTransaction")
    ]
    event = ev.transaction_event("ADD", [ORDER], epcs=UNITS, event_time=WHEN)
    assert event["bizTransactionList"] == [{"bizTransaction": ORDER}]


def test_transformation_event_has_no_action_and_needs_both_sides() -> None:
    event = ev.transformation_event(
        inputs=["urn:epc:id:sgtin:9506000.013436.F1"],
        output_quantities=[ev.quantity(LOT, 20)],
        event_time=WHEN,
    )
    assert "action" not in event
    assert event["outputQuantityList"] == [{"epcClass": LOT, "quantity": 20}]
    problems = problems_of(lambda: ev.transformation_event(outputs=UNITS, event_time=WHEN))
    assert [p for p, _ in problems] == [""]
    linked = ev.transformation_event(outputs=UNITS, transformation_id="urn:uuid:1", event_time=WHEN)
    assert linked["transformationID"] == "urn:uuid:1"


def test_association_event() -> None:
    event = ev.association_event(
        "ADD", parent=CASE, children=["urn:epc:id:giai:9506000.L7"], event_time=WHEN
    )
    assert event["parentID"] == CASE
    assert event["childEPCs"] == ["urn:epc:id:giai:9506000.L7"]


def test_quantity_helpers() -> None:
    assert ev.quantity(LOT) == {"epcClass": LOT}
    assert ev.quantity(LOT, 2.5, "KGM") == {"epcClass": LOT, "quantity": 2.5, "uom": "KGM"}
    assert ev.source("urn:epcglobal:cbv:sdt:location", STORE) == {
        "type": "location",
        "source": STORE,
    }
    assert ev.destination(vocab.SourceDestType.OWNING_PARTY, "urn:x:c1") == {
        "type": "owning_party",
        "destination": "urn:x:c1",
    }
    assert ev.lot_ilmd(lot="L1", expiry=date(2025, 1, 31)) == {
        "cbvmda:lotNumber": "L1",
        "cbvmda:itemExpirationDate": "2025-01-31",
    }


MOMENTS = [
    (
        lambda: ev.commission(UNITS, ilmd=ev.lot_ilmd(lot="LOT42"), event_time=WHEN),
        "ObjectEvent",
        "ADD",
        "commissioning",
        "active",
    ),
    (
        lambda: ev.pack(CASE, UNITS, event_time=WHEN),
        "AggregationEvent",
        "ADD",
        "packing",
        "in_progress",
    ),
    (lambda: ev.unpack(CASE, event_time=WHEN), "AggregationEvent", "DELETE", "unpacking", None),
    (
        lambda: ev.inspect(UNITS, passed=True, event_time=WHEN),
        "ObjectEvent",
        "OBSERVE",
        "inspecting",
        "conformant",
    ),
    (
        lambda: ev.inspect(UNITS, passed=False, event_time=WHEN),
        "ObjectEvent",
        "OBSERVE",
        "inspecting",
        "non_conformant",
    ),
    (
        lambda: ev.receive(UNITS, event_time=WHEN),
        "ObjectEvent",
        "OBSERVE",
        "receiving",
        "in_progress",
    ),
    (
        lambda: ev.ship_to_customer(UNITS, order=ORDER, event_time=WHEN),
        "ObjectEvent",
        "OBSERVE",
        "shipping",
        "in_transit",
    ),
    (
        lambda: ev.sell(UNITS[:1], event_time=WHEN),
        "ObjectEvent",
        "OBSERVE",
        "retail_selling",
        "retail_sold",
    ),
    (
        lambda: ev.receive_return(UNITS[:1], event_time=WHEN),
        "ObjectEvent",
        "OBSERVE",
        "receiving",
        "returned",
    ),
    (
        lambda: ev.recall(quantities=[ev.quantity(LOT)], event_time=WHEN),
        "ObjectEvent",
        "OBSERVE",
        "holding",
        "recalled",
    ),
    (
        lambda: ev.transform(UNITS[:1], UNITS[1:], event_time=WHEN),
        "TransformationEvent",
        None,
        "commissioning",
        "active",
    ),
]


@pytest.mark.parametrize(("make", "etype", "action", "step", "disposition"), MOMENTS)
def test_shop_moment_uses_its_cbv_step_and_disposition(
    make: Any, etype: str, action: str | None, step: str, disposition: str | None
) -> None:
    event = make()
    assert event["type"] == etype
    assert event.get("action") == action
    assert event["bizStep"] == step
    assert event.get("disposition") == disposition
    assert document_problems(make_document([event], validate=False)) == []


def test_ship_to_customer_records_order_and_parties() -> None:
    event = ev.ship_to_customer(
        UNITS,
        order=ORDER,
        seller="urn:epc:id:pgln:9506000.00001",
        customer="https://shop.example.com/customers/c1",
        ship_from=STORE,
        ship_to="urn:epc:id:sgln:9506000.00009.0",
        biz_transactions=[ev.biz_transaction("https://shop.example.com/invoices/9", "inv")],
    )
    assert event["bizTransactionList"] == [
        {"type": "po", "bizTransaction": ORDER},
        {"type": "inv", "bizTransaction": "https://shop.example.com/invoices/9"},
    ]
    assert event["sourceList"] == [
        {"type": "owning_party", "source": "urn:epc:id:pgln:9506000.00001"},
        {"type": "location", "source": STORE},
    ]
    assert event["destinationList"] == [
        {"type": "owning_party", "destination": "https://shop.example.com/customers/c1"},
        {"type": "location", "destination": "urn:epc:id:sgln:9506000.00009.0"},
    ]


def test_return_records_rma_and_customer() -> None:
    event = ev.receive_return(
        UNITS[:1], rma="https://shop.example.com/returns/r1", customer="urn:x:customer:1"
    )
    assert event["bizTransactionList"] == [
        {"type": "rma", "bizTransaction": "https://shop.example.com/returns/r1"}
    ]
    assert event["sourceList"] == [{"type": "owning_party", "source": "urn:x:customer:1"}]


def test_helper_defaults_can_be_overridden() -> None:
    event = ev.receive(UNITS, disposition="sellable_accessible", biz_location=STORE)
    assert event["disposition"] == "sellable_accessible"
    assert event["bizLocation"] == {"id": STORE}


def test_commission_by_lot_quantity_with_ilmd() -> None:
    event = ev.commission(
        quantities=[ev.quantity(LOT, 500)],
        ilmd=ev.lot_ilmd(lot="LOT42", best_before="2024-12-01", country_of_origin="CN"),
    )
    assert "epcList" not in event
    assert event["ilmd"]["cbvmda:bestBeforeDate"] == "2024-12-01"


def test_recall_refuses_units_given_as_a_lot() -> None:
    problems = problems_of(lambda: ev.recall([LOT]))
    assert problems[0][0] == "/epcList/0"


SERIAL = st.from_regex(r"[A-Za-z0-9]{1,20}", fullmatch=True)


@given(
    st.lists(SERIAL, min_size=1, max_size=5, unique=True),
    st.datetimes(
        min_value=datetime(2000, 1, 1),
        max_value=datetime(2099, 1, 1),
        timezones=st.sampled_from([UTC, CN, timezone(timedelta(hours=-9, minutes=-30))]),
    ),
)
def test_any_units_and_time_build_a_valid_event(serials: list[str], when: datetime) -> None:
    epcs = [f"urn:epc:id:sgtin:9506000.013435.{s}" for s in serials]
    event = ev.commission(epcs, event_time=when)
    assert event["epcList"] == epcs
    assert is_date_time(event["eventTime"])
    parsed = datetime.fromisoformat(event["eventTime"].replace("Z", "+00:00"))
    assert parsed == when.replace(microsecond=when.microsecond // 1000 * 1000)
    offset = when.utcoffset()
    assert offset is not None
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    assert event["eventTimeZoneOffset"] == f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"
