"""The capture's bulk writer on SQLite: rows written in a thread beside the capture are the
rows written at once, in order and in the caller's transaction; a failure on either side
leaves nothing stored, no thread behind and the switch interval as it was."""

from __future__ import annotations

import io
import itertools
import json
import shutil
import sqlite3
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from shoptrace.sdk.epcis import events as ev
from shoptrace.sdk.epcis import make_document
from shoptrace.shop_plugin.services import bulk_writer, event_store
from shoptrace.shop_plugin.services.bulk_writer import BulkWriter
from shoptrace.shop_plugin.services.capture import InvalidDocument, capture_document
from shoptrace.shop_plugin.services.merchants import create_merchant
from shoptrace.shop_plugin.store import Store, open_store, sqlite_url
from shoptrace.shop_plugin.store.tables import (
    epc_list_members,
    epc_lists,
    event_chains,
    event_epc_lists,
    events,
)
from tests.shop_plugin.epcis_helpers import FACTORY, STORE, at, unit_uri

WRITER_THREAD = "shoptrace-capture-writer"
RECORDED = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
TABLES = (events, epc_lists, epc_list_members, event_epc_lists)


@pytest.fixture
def sqlite_store(sqlite_template: Path, tmp_path: Path) -> Iterator[Store]:
    target = tmp_path / "writer.db"
    shutil.copy(sqlite_template, target)
    store = open_store(sqlite_url(target))
    yield store
    store.dispose()


def _merchant(store: Store, name: str = "M") -> int:
    with store.begin() as conn:
        merchant, _ = create_merchant(conn, name)
    return int(merchant["id"])


def _supply_chain(cases: int) -> list[dict[str, Any]]:
    """Per case of 10 units: commissioned, packed, shipped, received and sold."""
    made: list[dict[str, Any]] = []
    for case_no in range(cases):
        units = [unit_uri(f"C{case_no}U{k}") for k in range(10)]
        case = f"urn:epc:id:sscc:9506000.{case_no:010d}"
        made += [
            ev.commission(units, read_point=FACTORY, event_time=at(case_no)),
            ev.pack(case, units, read_point=FACTORY, event_time=at(case_no + 1)),
            ev.object_event(
                "OBSERVE",
                epcs=units,
                biz_step="shipping",
                read_point=FACTORY,
                event_time=at(case_no + 2),
            ),
            ev.object_event(
                "OBSERVE",
                epcs=units,
                biz_step="receiving",
                biz_location=STORE,
                event_time=at(case_no + 3),
            ),
            ev.sell(units, biz_location=STORE, event_time=at(case_no + 4)),
        ]
    return made


def _capture(store: Store, merchant_id: int, made: list[dict[str, Any]]) -> event_store.Stored:
    prepared, problems = event_store.prepare_events(list(enumerate(made)), context=None)
    assert problems == []
    with store.begin() as conn:
        return event_store.store_events(conn, merchant_id, prepared, record_time=RECORDED)


def _rows(store: Store, merchant_id: int) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the merchant in the event tables, without the row ids of events."""
    found: dict[str, list[tuple[Any, ...]]] = {}
    with store.read() as conn:
        for table in TABLES:
            columns = [c for c in table.c if c.name not in ("id", "merchant_id")]
            if table is not events:
                columns = list(table.c)
                columns.remove(table.c.merchant_id)
            query = sa.select(*columns).where(table.c.merchant_id == merchant_id)
            found[table.name] = sorted(tuple(row) for row in conn.execute(query))
    return found


@pytest.fixture
def writer_threads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the threads each multi-row insert ran in."""
    seen: list[str] = []
    insert = BulkWriter._insert

    def recording(self: BulkWriter, statement: str, rows: list[tuple[Any, ...]]) -> None:
        seen.append(threading.current_thread().name)
        insert(self, statement, rows)

    monkeypatch.setattr(BulkWriter, "_insert", recording)
    return seen


def _at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    def at_once(*args: Any, **kwargs: Any) -> BulkWriter:
        return BulkWriter(*args, **{**kwargs, "background": False})

    monkeypatch.setattr(event_store, "BulkWriter", at_once)


def _no_writer_thread() -> bool:
    return not any(t.name.startswith(WRITER_THREAD) for t in threading.enumerate())


def test_rows_written_in_the_thread_are_the_rows_written_at_once(
    sqlite_store: Store, writer_threads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    made = _supply_chain(520)  # 2,600 events: three chunks, the last one short
    threaded, at_once = _merchant(sqlite_store, "threaded"), _merchant(sqlite_store, "at once")
    first = _capture(sqlite_store, threaded, made)
    assert len(writer_threads) >= 12  # four tables per chunk
    assert all(name.startswith(WRITER_THREAD) for name in writer_threads)
    writer_threads.clear()
    _at_once(monkeypatch)
    second = _capture(sqlite_store, at_once, made)
    assert writer_threads and WRITER_THREAD not in "".join(writer_threads)
    assert first.stored == second.stored == len(made)
    assert first.event_ids == second.event_ids
    rows = _rows(sqlite_store, threaded)
    assert rows == _rows(sqlite_store, at_once)
    assert (
        len(rows["events"]) == len(made) and len(rows["epc_list_members"]) == 520 * 11
    )  # units and case
    with sqlite_store.read() as conn:  # the chains match too (same events, same order)
        heads = conn.execute(
            sa.select(event_chains.c.seq, event_chains.c.head).where(
                event_chains.c.merchant_id.in_([threaded, at_once])
            )
        ).all()
    assert len(heads) == 2 and heads[0] == heads[1] and heads[0][0] == len(made)
    assert _no_writer_thread()


def test_small_writes_stay_in_the_callers_thread(
    sqlite_store: Store, writer_threads: list[str]
) -> None:
    merchant_id = _merchant(sqlite_store)
    result = _capture(sqlite_store, merchant_id, _supply_chain(2))
    assert result.stored == 10
    assert writer_threads == [threading.current_thread().name] * 4


def test_statements_keep_within_the_bound_variable_limit(
    sqlite_store: Store, writer_threads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a limit of 100 variables an event row (16 values) goes 6 to a statement."""
    made = _supply_chain(60)
    merchant_id, reference = _merchant(sqlite_store), _merchant(sqlite_store, "reference")
    _capture(sqlite_store, reference, made)
    writer_threads.clear()
    limits: list[int] = []
    init = BulkWriter.__init__

    def limited(self: BulkWriter, conn: Any, *args: Any, **kwargs: Any) -> None:
        driver = conn.connection.driver_connection
        limits.append(driver.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 100))
        init(self, conn, *args, **kwargs)

    monkeypatch.setattr(BulkWriter, "__init__", limited)
    try:
        result = _capture(sqlite_store, merchant_id, made)
    finally:
        with sqlite_store.engine.connect() as conn:  # the pooled connection as it was
            conn.connection.driver_connection.setlimit(  # type: ignore[union-attr]
                sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, limits[0]
            )
    assert result.stored == 300
    assert len(writer_threads) >= 300 // 6
    assert _rows(sqlite_store, merchant_id) == _rows(sqlite_store, reference)


def test_a_failure_in_the_thread_fails_the_capture_and_stops_the_writes(
    sqlite_store: Store,
) -> None:
    merchant_id = _merchant(sqlite_store)
    with sqlite_store.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TRIGGER refuse_lists BEFORE INSERT ON epc_lists "
            "BEGIN SELECT RAISE(ABORT, 'no lists today'); END"
        )
    statements: list[str] = []
    before = sys.getswitchinterval()
    with pytest.raises(sa.exc.IntegrityError, match="no lists today") as failed:
        with sqlite_store.begin() as conn:
            driver = conn.connection.driver_connection
            driver.set_trace_callback(statements.append)  # type: ignore[union-attr]
            try:
                prepared, _ = event_store.prepare_events(
                    list(enumerate(_supply_chain(400))), context=None
                )
                event_store.store_events(conn, merchant_id, prepared)
            finally:
                driver.set_trace_callback(None)  # type: ignore[union-attr]
    shown = "INSERT INTO epc_lists (merchant_id, id, digest) VALUES (...) -- 400 rows"
    assert failed.value.statement == shown  # 200 cases: 200 lists of units, 200 of a case
    inserts = [s.split("(")[0].split()[-1] for s in statements if s.startswith("INSERT")]
    # (a statement shows again for its trigger) nothing written after the failure
    assert [table for table, _ in itertools.groupby(inserts)] == [
        "event_chains",  # the new merchant's chain head
        "events",
        "epc_lists",
    ]
    assert _rows(sqlite_store, merchant_id) == {t.name: [] for t in TABLES}
    assert _no_writer_thread()
    assert sys.getswitchinterval() == before


def test_a_broken_document_mid_capture_leaves_nothing_and_no_thread(
    sqlite_store: Store, writer_threads: list[str]
) -> None:
    merchant_id = _merchant(sqlite_store)
    text = json.dumps(make_document(_supply_chain(500)))  # 2,500 events
    broken = text[: text.index('"type": "ObjectEvent"', len(text) * 9 // 10)] + '"type": }'
    before = sys.getswitchinterval()
    with pytest.raises(InvalidDocument):
        with sqlite_store.begin() as conn:
            capture_document(conn, merchant_id, io.BytesIO(broken.encode()), max_events=10_000)
    assert any(name.startswith(WRITER_THREAD) for name in writer_threads)  # chunks went out
    assert _rows(sqlite_store, merchant_id) == {t.name: [] for t in TABLES}
    assert _no_writer_thread()
    assert sys.getswitchinterval() == before


def test_the_switch_interval_is_lowered_while_writing_and_restored(
    sqlite_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[float] = []
    insert = BulkWriter._insert

    def noting(self: BulkWriter, statement: str, rows: list[tuple[Any, ...]]) -> None:
        seen.append(sys.getswitchinterval())
        insert(self, statement, rows)

    monkeypatch.setattr(BulkWriter, "_insert", noting)
    before = sys.getswitchinterval()
    assert before > bulk_writer.SWITCH_INTERVAL
    _capture(sqlite_store, _merchant(sqlite_store), _supply_chain(300))
    assert seen and set(seen) == {bulk_writer.SWITCH_INTERVAL}
    assert sys.getswitchinterval() == before


def test_the_switch_interval_comes_back_after_the_last_of_two_writers() -> None:
    before = sys.getswitchinterval()
    bulk_writer._quick_switches(True)
    bulk_writer._quick_switches(True)
    assert sys.getswitchinterval() == bulk_writer.SWITCH_INTERVAL
    bulk_writer._quick_switches(False)
    assert sys.getswitchinterval() == bulk_writer.SWITCH_INTERVAL  # one still writes
    bulk_writer._quick_switches(False)
    assert sys.getswitchinterval() == before
    # someone else's change made meanwhile is theirs to keep
    bulk_writer._quick_switches(True)
    sys.setswitchinterval(0.01)
    try:
        bulk_writer._quick_switches(False)
        assert sys.getswitchinterval() == 0.01
    finally:
        sys.setswitchinterval(before)
