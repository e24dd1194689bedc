"""The store_events primitive: hash IDs as eventIDs, recordTime, dedupe, the EPC index, the
chain, the vocabulary; and the values it normalises."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from shoptrace.sdk.epcis import event_hash
from shoptrace.sdk.epcis import events as ev
from shoptrace.shop_plugin.services import chain, event_store
from shoptrace.shop_plugin.services.merchants import create_merchant
from shoptrace.shop_plugin.store import Store
from shoptrace.shop_plugin.store.tables import epcis_contexts, epcis_vocabulary, event_epcs, events
from tests.shop_plugin.epcis_helpers import CASE, STORE, at, unit_uri

CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"


def _merchant(store: Store) -> int:
    with store.begin() as conn:
        merchant, _ = create_merchant(conn, "M")
    return int(merchant["id"])


def test_store_events_writes_rows_index_chain_and_vocabulary(store: Store) -> None:
    merchant_id = _merchant(store)
    batch = [
        ev.pack(CASE, [unit_uri("A"), unit_uri("B")], event_time=at(1)),
        ev.sell([unit_uri("A")], biz_location=STORE, event_time=at(2), event_id="urn:uuid:sale-1"),
    ]
    prepared, problems = event_store.prepare_events(list(enumerate(batch)), context=CONTEXT)
    assert problems == []
    recorded = datetime(2025, 4, 1, 12, 0, 0, 123456, tzinfo=UTC)
    with store.begin() as conn:
        result = event_store.store_events(conn, merchant_id, prepared, record_time=recorded)
        again = event_store.store_events(conn, merchant_id, prepared)
    assert (result.stored, result.duplicates, again.stored, again.duplicates) == (2, 0, 0, 2)
    assert result.event_ids == [event_hash(batch[0]), "urn:uuid:sale-1"] == again.event_ids
    with store.read() as conn:
        rows = conn.execute(sa.select(events).order_by(events.c.seq)).all()
        index = conn.execute(sa.select(event_epcs.c.epc, event_epcs.c.seq, event_epcs.c.role)).all()
        vocabulary = set(conn.execute(sa.select(epcis_vocabulary.c.kind, epcis_vocabulary.c.value)))
    assert [json.loads(r.document)["recordTime"] for r in rows] == ["2025-04-01T12:00:00.123Z"] * 2
    assert rows[0].record_time == datetime(2025, 4, 1, 12, 0, 0, 123000, tzinfo=UTC)
    assert rows[1].chain_hash == chain.link(
        chain.link(chain.GENESIS, rows[0].hash_id), rows[1].hash_id
    )
    assert (
        rows[1].biz_step == "retail_selling"
        and rows[1].biz_location == "https://id.gs1.org/414/9506000000022"
    )
    assert sorted(index) == [
        ("https://id.gs1.org/00/095060000000000015", 1, "parent"),
        ("https://id.gs1.org/01/09506000134352/21/A", 1, "child"),
        ("https://id.gs1.org/01/09506000134352/21/A", 2, "epc"),
        ("https://id.gs1.org/01/09506000134352/21/B", 1, "child"),
    ]
    assert ("bizStep", "packing") in vocabulary and ("eventType", "AggregationEvent") in vocabulary
    assert ("bizLocation", "https://id.gs1.org/414/9506000000022") in vocabulary


def test_contexts_are_stored_once_per_merchant(store: Store) -> None:
    merchant_id = _merchant(store)
    custom = [CONTEXT, {"acme": "https://ns.acme.example/"}]
    with store.begin() as conn:
        assert event_store.context_id(conn, merchant_id, CONTEXT) is None
        first = event_store.context_id(conn, merchant_id, custom)
        assert event_store.context_id(conn, merchant_id, json.loads(json.dumps(custom))) == first
        assert conn.execute(sa.select(sa.func.count()).select_from(epcis_contexts)).scalar() == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-03-01T08:00:00Z", datetime(2025, 3, 1, 8, tzinfo=UTC)),
        ("2025-03-01T16:00:00.5+08:00", datetime(2025, 3, 1, 8, 0, 0, 500000, tzinfo=UTC)),
        ("2025-03-01t08:00:00.1234567z", datetime(2025, 3, 1, 8, 0, 0, 123456, tzinfo=UTC)),
        ("2016-12-31T23:59:60Z", datetime(2016, 12, 31, 23, 59, 59, tzinfo=UTC)),
        ("0001-01-01T00:00:00+14:00", None),
        ("2025-02-30T00:00:00Z", None),
        ("yesterday", None),
    ],
)
def test_event_times(text: str, expected: datetime | None) -> None:
    assert event_store.parse_time(text) == expected


def test_cbv_values_and_epcs_are_normalised() -> None:
    for spelling in (
        "shipping",
        "urn:epcglobal:cbv:bizstep:shipping",
        "https://ref.gs1.org/cbv/BizStep-shipping",
    ):
        assert event_store.normalized("bizStep", spelling) == "shipping"
    assert (
        event_store.normalized("bizStep", "https://acme.example/steps/x")
        == "https://acme.example/steps/x"
    )
    assert event_store.canonical_epc(
        "urn:epc:id:sgtin:9506000.013435.A"
    ) == event_store.canonical_epc(unit_uri("A"))
    assert event_store.canonical_epc("urn:jaif:id:obj:1") == "urn:jaif:id:obj:1"
