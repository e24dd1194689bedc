"""The EPC index in lists: a list an event names is kept once per merchant, found again by
its digest, and every EPC still leads to exactly the events naming it, also when two lists'
ids clash; the migration regroups an older index and expands it back."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command

from shoptrace.sdk.epcis import events as ev
from shoptrace.shop_plugin.services import event_store
from shoptrace.shop_plugin.services.event_query import (
    known_epc,
    list_epcs,
    parse_query,
    run_query,
)
from shoptrace.shop_plugin.services.merchants import create_merchant
from shoptrace.shop_plugin.services.trace import assemble_trace
from shoptrace.shop_plugin.store import Store, open_store, upgrade
from shoptrace.shop_plugin.store.migrate import _config
from shoptrace.shop_plugin.store.tables import (
    epc_list_members,
    epc_lists,
    event_epc_lists,
    event_epcs,
    events,
)
from tests.shop_plugin.epcis_helpers import CASE, FACTORY, STORE, at, canonical_unit, unit_uri

CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"


def _merchant(store: Store, name: str = "M") -> int:
    with store.begin() as conn:
        merchant, _ = create_merchant(conn, name)
    return int(merchant["id"])


def _store(store: Store, merchant_id: int, batch: list[dict[str, Any]]) -> list[str]:
    prepared, problems = event_store.prepare_events(list(enumerate(batch)), context=CONTEXT)
    assert problems == []
    with store.begin() as conn:
        return event_store.store_events(conn, merchant_id, prepared).event_ids


def _count(store: Store, table: sa.Table, merchant_id: int) -> int:
    with store.read() as conn:
        return int(
            conn.execute(
                sa.select(sa.func.count())
                .select_from(table)
                .where(table.c.merchant_id == merchant_id)
            ).scalar_one()
        )


def _index(store: Store, merchant_id: int) -> set[tuple[str, int, str]]:
    with store.read() as conn:
        return {
            (epc, int(seq), role)
            for epc, seq, role in conn.execute(
                sa.select(event_epcs.c.epc, event_epcs.c.seq, event_epcs.c.role).where(
                    event_epcs.c.merchant_id == merchant_id
                )
            )
        }


def _journey(units: list[str], minute: int) -> list[dict[str, Any]]:
    """A case of units commissioned, packed, shipped and sold: one list named four times
    (in other orders too), and the case."""
    return [
        ev.commission(units, read_point=FACTORY, event_time=at(minute)),
        ev.pack(CASE, list(reversed(units)), read_point=FACTORY, event_time=at(minute + 1)),
        ev.object_event(
            "OBSERVE", epcs=units[1:] + units[:1], biz_step="shipping", event_time=at(minute + 2)
        ),
        ev.sell(units, biz_location=STORE, event_time=at(minute + 3)),
    ]


def test_a_list_named_by_several_events_is_kept_once(store: Store) -> None:
    merchant_id = _merchant(store)
    units = [unit_uri(f"S{n}") for n in range(5)]
    _store(store, merchant_id, _journey(units, 0))
    # one list of the five units (whatever the order), one of the case
    assert _count(store, epc_lists, merchant_id) == 2
    assert _count(store, epc_list_members, merchant_id) == 6
    assert _count(store, event_epc_lists, merchant_id) == 5  # 4 events, the packing twice
    canonical = [canonical_unit(f"S{n}") for n in range(5)]
    expected = {(epc, seq, "epc") for epc in canonical for seq in (1, 3, 4)}
    expected |= {(epc, 2, "child") for epc in canonical}
    expected.add(("https://id.gs1.org/00/095060000000000015", 2, "parent"))
    assert _index(store, merchant_id) == expected
    # A later capture naming the same list finds it: no new list, one more link.
    _store(store, merchant_id, [ev.sell(list(reversed(units)), event_time=at(30))])
    assert _count(store, epc_lists, merchant_id) == 2
    assert _count(store, epc_list_members, merchant_id) == 6
    assert _count(store, event_epc_lists, merchant_id) == 6
    # Another merchant's identical list is its own.
    other = _merchant(store, "Other")
    _store(store, other, [ev.commission(units, event_time=at(1))])
    assert _count(store, epc_lists, other) == 1 and _count(store, epc_lists, merchant_id) == 2
    assert _index(store, other) == {(epc, 1, "epc") for epc in canonical}


def test_the_digest_tells_lists_apart_whatever_their_text() -> None:
    # Length-prefixed members: no two different lists write the same text.
    assert event_store.list_digest(["a", "b"])[0] != event_store.list_digest(["a:b"])[0]
    assert event_store.list_digest(["1:a"])[0] != event_store.list_digest(["1", "a"])[0]
    assert event_store.list_digest(["b", "a", "b"]) == event_store.list_digest(["a", "b"])
    assert event_store.list_digest(["a", "b"])[1] == ("a", "b")
    digest = event_store.list_digest(["\ud800x"])[0]  # a lone surrogate does not crash it
    assert len(digest) == 64 and 0 <= event_store.list_id(digest) < 2**63


def test_lists_whose_ids_clash_take_the_next_free_id(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(event_store, "list_id", lambda digest: 2**63 - 2)  # every list clashes
    merchant_id = _merchant(store)
    first = [unit_uri(f"A{n}") for n in range(3)]
    second = [unit_uri(f"B{n}") for n in range(3)]
    third = [unit_uri(f"C{n}") for n in range(2)]
    _store(store, merchant_id, [ev.commission(first, event_time=at(1))])
    _store(
        store,
        merchant_id,
        [
            ev.commission(second, event_time=at(2)),
            third_made := ev.commission(third, event_time=at(3)),
            ev.sell(first, event_time=at(4)),  # stored before the others: found, not added
        ],
    )
    third_sold = ev.sell(third, event_time=at(5))
    _store(store, merchant_id, [third_sold])  # found past two others
    with store.read() as conn:
        ids = sorted(int(i) for i in conn.execute(sa.select(epc_lists.c.id)).scalars())
    assert ids == [0, 2**63 - 2, 2**63 - 1]  # the search wraps round at 63 bits
    assert _count(store, epc_list_members, merchant_id) == 8
    index = _index(store, merchant_id)
    named = {epc: sorted(seq for e, seq, _ in index if e == epc) for epc, _, _ in index}
    assert named == {
        **{canonical_unit(f"A{n}"): [1, 4] for n in range(3)},
        **{canonical_unit(f"B{n}"): [2] for n in range(3)},
        **{canonical_unit(f"C{n}"): [3, 5] for n in range(2)},
    }
    with store.read() as conn:
        query = parse_query({"MATCH_epc": [third[1]], "orderBy": ["eventTime"]}, max_per_page=100)
        found = run_query(conn, merchant_id, query)
        trace = assemble_trace(conn, merchant_id, third[0])
        assert known_epc(conn, merchant_id, second[2])
        assert not known_epc(conn, merchant_id, unit_uri("Z9"))
        assert list_epcs(conn, merchant_id, after=None, limit=100)[0] == sorted(named)
    times = [json.loads(document)["eventTime"] for document in found.documents]
    assert sorted(times) == [third_made["eventTime"], third_sold["eventTime"]]
    assert len(trace["events"]) == 2


# --- the migration ----------------------------------------------------------------------------


def _old_rows(conn: sa.Connection, merchant_id: int) -> list[tuple[int, str, int, str]]:
    """Two events naming one list (in other orders), a third with a list of its own and a
    parent; rows as revision 0009 kept them."""
    now = datetime(2025, 1, 1, tzinfo=UTC).isoformat(" ")
    for seq in (1, 2, 3):
        conn.execute(
            sa.text(
                "INSERT INTO events (merchant_id, seq, event_id, hash_id, chain_hash, event_type,"
                " event_time, record_time, document) VALUES (:m, :s, :e, :e, 'c', 'ObjectEvent',"
                " :t, :t, '{}')"
            ),
            {"m": merchant_id, "s": seq, "e": f"urn:uuid:{merchant_id}-{seq}", "t": now},
        )
    a, b, c = (f"https://id.gs1.org/01/09506000134352/21/{s}" for s in "ABC")
    rows = [
        (merchant_id, a, 1, "epc"),
        (merchant_id, b, 1, "epc"),
        (merchant_id, b, 2, "epc"),
        (merchant_id, a, 2, "epc"),
        (merchant_id, c, 3, "child"),
        (merchant_id, "https://id.gs1.org/00/095060000000000015", 3, "parent"),
    ]
    for row in rows:
        conn.execute(
            sa.text("INSERT INTO event_epcs (merchant_id, epc, seq, role) VALUES (:m, :e, :s, :r)"),
            dict(zip("mesr", row, strict=True)),
        )
    return rows


def test_the_migration_regroups_the_index_and_expands_it_back(empty_db_url: str) -> None:
    store = open_store(empty_db_url)
    try:
        upgrade(store, "0009")
        expected: set[tuple[int, str, int, str]] = set()
        with store.begin() as conn:
            for name in ("One", "Two"):
                merchant, _ = create_merchant(conn, name)
                expected |= set(_old_rows(conn, int(merchant["id"])))
        upgrade(store)
        with store.read() as conn:
            regrouped = {
                (int(m), e, int(s), r)
                for m, e, s, r in conn.execute(
                    sa.select(
                        event_epcs.c.merchant_id,
                        event_epcs.c.epc,
                        event_epcs.c.seq,
                        event_epcs.c.role,
                    )
                )
            }
            lists = conn.execute(sa.select(sa.func.count()).select_from(epc_lists)).scalar_one()
            digests = set(conn.execute(sa.select(epc_lists.c.id, epc_lists.c.digest)))
            kept = conn.execute(sa.select(sa.func.count()).select_from(events)).scalar_one()
            by_hand = {  # the view at an SQL prompt
                (int(m), e, int(s), r)
                for m, e, s, r in conn.exec_driver_sql(
                    "SELECT merchant_id, epc, seq, role FROM event_epcs"
                )
            }
        assert regrouped == expected == by_hand and kept == 6
        assert lists == 6  # per merchant: {A, B}, {C}, {parent}
        # ids and digests as the event store makes them, so later captures find these lists
        for found, digest in digests:
            assert found == event_store.list_id(digest)
        assert {d for _, d in digests} == {
            event_store.list_digest(members)[0]
            for members in (
                [
                    "https://id.gs1.org/01/09506000134352/21/A",
                    "https://id.gs1.org/01/09506000134352/21/B",
                ],
                ["https://id.gs1.org/01/09506000134352/21/C"],
                ["https://id.gs1.org/00/095060000000000015"],
            )
        }
        command.downgrade(_config(store), "0009")
        with store.read() as conn:
            back = {
                (int(m), e, int(s), r)
                for m, e, s, r in conn.execute(
                    sa.text("SELECT merchant_id, epc, seq, role FROM event_epcs")
                )
            }
            names = set(sa.inspect(conn).get_table_names())
            view_names = set(sa.inspect(conn).get_view_names())
        assert back == expected
        assert not names & {"epc_lists", "epc_list_members", "event_epc_lists"}
        assert "event_epcs" in names and "event_epcs" not in view_names
    finally:
        store.dispose()
