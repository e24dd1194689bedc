"""The store_events primitive: hash IDs as eventIDs, recordTime, dedupe, the EPC index, the
chain, the vocabulary; and the values it normalises."""

from __future__ import annotations

import io
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from shoptrace.sdk.epcis import event_hash
from shoptrace.sdk.epcis import events as ev
from shoptrace.sdk.epcis.fastpath import FastEvents
from shoptrace.shop_plugin.services import chain, event_store
from shoptrace.shop_plugin.services.capture import capture_document
from shoptrace.shop_plugin.services.merchants import create_merchant
from shoptrace.shop_plugin.store import Store, open_store, sqlite_url
from shoptrace.shop_plugin.store.tables import epcis_contexts, epcis_vocabulary, event_epcs, events
from tests.sdk.epcis import strategies as gen
from tests.shop_plugin.epcis_helpers import CASE, FACTORY, STORE, at, canonical_unit, unit_uri

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


# --- the fast path and the general path give the same ------------------------------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    batch=st.lists(gen.any_events(), max_size=10),
    context=st.sampled_from(gen.CONTEXTS),
    with_text=st.booleans(),
)
@example(  # found by this test: \d took an Arabic-Indic digit into a GS1 key (a crash)
    batch=[
        {
            "type": "ObjectEvent",
            "eventTime": "2024-05-01T10:00:00Z",
            "eventTimeZoneOffset": "+00:00",
            "action": "ADD",
            "epcList": ["urn:epc:id:sgtin:\u0669506000.013435.B5"],
        }
    ],
    context=gen.CONTEXTS[0],
    with_text=False,
)
def test_prepared_events_are_the_same_on_either_path(
    batch: list[Any], context: Any, with_text: bool
) -> None:
    texts = [json.dumps(event) for event in batch] if with_text else None
    results = []
    for fast in (True, False):
        preparer = event_store.Preparer(context, fast=fast)
        for index, event in enumerate(batch):
            preparer.add(index, event, texts[index] if texts is not None else None)
        results.append(preparer.take())
    assert results[0] == results[1]
    for item in results[0][0]:
        assert item.event_time.tzinfo is UTC


def test_common_events_are_prepared_by_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    batch = [
        ev.commission([unit_uri("A"), unit_uri("B")], event_time=at(1)),
        ev.pack(CASE, [unit_uri("A"), unit_uri("B")], event_time=at(2)),
        ev.sell([unit_uri("A")], biz_location=STORE, event_time=at(3), event_id="urn:uuid:s-1"),
    ]

    def general(*args: Any) -> None:
        raise AssertionError("the general path was taken")

    monkeypatch.setattr(event_store, "document_problems", general)
    prepared, problems = event_store.prepare_events(list(enumerate(batch)), context=CONTEXT)
    assert problems == [] and [p.hash_id for p in prepared] == [event_hash(e) for e in batch]
    assert prepared[1].epcs == (
        ("parent", ("https://id.gs1.org/00/095060000000000015",)),
        ("child", (canonical_unit("A"), canonical_unit("B"))),
    )
    assert prepared[2].text is None and prepared[2].event is batch[2]  # has an eventID


@pytest.mark.parametrize("fast", [True, False])
def test_an_over_long_epc_is_refused_in_every_event_that_repeats_its_list(
    monkeypatch: pytest.MonkeyPatch, fast: bool
) -> None:
    # No valid EPC's canonical form reaches MAX_KEY_LENGTH, so the limit is lowered: the
    # fast path measures a repeated EPC list once, and must still refuse it every time.
    long_serial = "LONG" + "9" * 16
    assert len(canonical_unit("A")) <= 45 < len(canonical_unit(long_serial))
    monkeypatch.setattr(event_store, "MAX_KEY_LENGTH", 45)
    units = [unit_uri("A"), unit_uri(long_serial)]
    batch = [
        ev.commission(units, event_time=at(1)),
        ev.commission([unit_uri("B")], event_time=at(2)),
        ev.pack(CASE, units, event_time=at(3)),  # the same list as childEPCs
        ev.sell(units, biz_location=STORE, event_time=at(4)),
        ev.sell(list(units), biz_location=STORE, event_time=at(5)),  # an equal list
    ]
    preparer = event_store.Preparer(CONTEXT, fast=fast)
    for index, event in enumerate(batch):
        preparer.add(index, event)
    prepared, problems = preparer.take()
    assert [item.list_index for item in prepared] == [1]
    assert problems == [
        (index, "", "an EPC is longer than 45 characters") for index in (0, 2, 3, 4)
    ]


def _rows(store: Store, merchant_id: int) -> list[list[tuple[Any, ...]]]:
    with store.read() as conn:
        stored = conn.execute(
            sa.select(events).where(events.c.merchant_id == merchant_id).order_by(events.c.seq)
        ).all()
        index = conn.execute(
            sa.select(event_epcs.c.epc, event_epcs.c.seq, event_epcs.c.role)
            .where(event_epcs.c.merchant_id == merchant_id)
            .order_by(event_epcs.c.seq, event_epcs.c.role, event_epcs.c.epc)
        ).all()
    columns = ("seq", "event_id", "hash_id", "chain_hash", "event_type", "event_time", "action",
               "biz_step", "disposition", "read_point", "biz_location")  # fmt: skip
    kept = [tuple(getattr(row, c) for c in columns) for row in stored]
    documents = [(json.loads(row.document) | {"recordTime": None},) for row in stored]
    return [kept, documents, [tuple(row) for row in index]]


def test_a_document_is_stored_the_same_on_either_path(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    chain_ = [
        ev.commission([unit_uri("A"), unit_uri("B")], event_time=at(1), read_point=FACTORY),
        ev.pack(CASE, [unit_uri("A"), unit_uri("B")], event_time=at(2)),
        ev.object_event(
            "OBSERVE",
            epcs=["urn:epc:id:sgtin:9506000.013435.A", unit_uri("C")],
            biz_step="shipping",
            disposition="in_transit",
            event_time=at(3),
        ),
        {**ev.sell([unit_uri("B")], event_time=at(4)), "example:till": "7"},  # general path
        ev.sell([unit_uri("A")], biz_location=STORE, event_time=at(5), event_id="urn:uuid:s-1"),
    ]
    body = json.dumps(
        {
            "@context": [CONTEXT, {"example": "https://ns.example.com/"}],
            "type": "EPCISDocument",
            "schemaVersion": "2.0",
            "creationDate": "2025-01-01T00:00:00Z",
            "epcisBody": {"eventList": chain_},
        }
    ).encode()
    found = []
    for fast in (True, False):
        if not fast:
            monkeypatch.setattr(FastEvents, "check", lambda self, event: None)
        merchant_id = _merchant(store)
        with store.begin() as conn:
            job = capture_document(conn, merchant_id, io.BytesIO(body), max_events=100)
        assert job["stored"] == 5 and job["success"]
        found.append(_rows(store, merchant_id))
    assert found[0] == found[1]
    assert found[0][0][2][9] is None and found[0][0][0][9] == "https://id.gs1.org/414/9506000000015"


def test_the_sqlite_duplicate_lookup_searches_the_unique_indexes_key_by_key(
    sqlite_template: Path, tmp_path: Path
) -> None:
    """Each key probes (merchant, hash ID) and (merchant, eventID): a plan that walked the
    merchant's events instead (as a plain JOIN makes SQLite do) costs a second per chunk."""
    target = tmp_path / "plan.db"
    shutil.copy(sqlite_template, target)
    store = open_store(sqlite_url(target))
    try:
        merchant_id = _merchant(store)
        prepared, _ = event_store.prepare_events(
            [(0, ev.sell([unit_uri("P")], event_time=at(1), event_id="urn:uuid:plan-1"))],
            context=CONTEXT,
        )
        with store.begin() as conn:
            event_store.store_events(conn, merchant_id, prepared)
            stored_hash = prepared[0].hash_id
            keys = ["urn:uuid:plan-1", stored_hash, "ni:///sha-256;absent?ver=CBV2.0"]
            found = event_store._stored(conn, merchant_id, prepared)
            assert found == ({stored_hash: "urn:uuid:plan-1"}, {"urn:uuid:plan-1": stored_hash})
            compiled = event_store._lookup(conn, "stored").compile(dialect=conn.dialect)
            params = compiled.construct_params(
                {"merchant_id": merchant_id, "keys": json.dumps(keys)}
            )
            plan = [
                row[3]
                for row in conn.exec_driver_sql(
                    "EXPLAIN QUERY PLAN " + str(compiled),
                    tuple(params[name] for name in compiled.positiontup or ()),
                )
            ]
    finally:
        store.dispose()
    searches = [step for step in plan if step.startswith("SEARCH e USING INDEX")]
    assert len(searches) == 2, plan
    assert "hash_id=?" in searches[0] and "event_id=?" in searches[1], plan
    assert not any(step.startswith("SCAN e") for step in plan), plan
