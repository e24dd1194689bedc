"""Capture figures: a 10,000-event EPCIS document captured into the store, events per second.

The document is a shop's supply chain: cases of 10 units, each case commissioned, packed
(an AggregationEvent of the case and its 10 units), shipped, received and sold (ObjectEvents
with 10 EPCs each). Capture is what ``POST /epcis/capture`` runs after spooling the body:
the document read as a stream, every event validated and hashed by the SDK, eventIDs and
recordTime set, duplicates looked up, the EPC index and the hash chain written, all in one
transaction (on SQLite the rows of a chunk go in from a writer thread of the capture while
the next chunk is read: ``services/bulk_writer.py``). Beside it, in the same run, the
baseline inserts the very rows capture wrote (events and the EPC index: lists, their
members, the events' links to them) into a fresh store with plain ``executemany`` in one
transaction;
the ratio is capture time / baseline time. Each round uses new EPCs, so no cache of the SDK
helps a later round, and the SDK's identifier caches are emptied once the document is built
(building it classifies every EPC): capture meets its EPCs cold, as a server does. Each
timed part starts from a collected heap (``gc.collect()``; the collector stays on while it
runs), so a round does not pay for the garbage of building its document and migrating its
store, which a server answering a capture request does not have.
Goals: at least 20,000 events/s on SQLite, ratio at most 4.
Run: ``.venv/bin/python benchmarks/bench_capture.py [--epcs dl|urn] [--rounds N]``.
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from shoptrace.sdk.epcis import epc, make_document
from shoptrace.sdk.epcis import events as ev
from shoptrace.shop_plugin.services.capture import capture_document
from shoptrace.shop_plugin.services.merchants import create_merchant
from shoptrace.shop_plugin.store import Store, open_store, sqlite_url, upgrade
from shoptrace.shop_plugin.store.tables import epc_list_members, epc_lists, event_epc_lists, events

GOAL_RATE = 20_000
GOAL_RATIO = 4.0
EVENTS = 10_000
SHOP = "https://shop.example.com/trace"
FACTORY = "urn:epc:id:sgln:9506000.00001.0"
STORE = "urn:epc:id:sgln:9506000.00002.0"


def unit(form: str, round_no: int, n: int) -> str:
    serial = f"R{round_no}N{n:07d}"
    if form == "urn":
        return f"urn:epc:id:sgtin:9506000.013435.{serial}"
    return f"{SHOP}/01/09506000134352/10/LOT{n // 10_000}/21/{serial}"


def document(form: str, round_no: int) -> bytes:
    """10,000 events: per case of 10 units 4 ObjectEvents and 1 AggregationEvent."""
    made: list[dict[str, Any]] = []
    start = datetime(2024, 5, 1, tzinfo=UTC)
    case_no = 0
    while len(made) < EVENTS:
        units = [unit(form, round_no, case_no * 10 + k) for k in range(10)]
        case = f"urn:epc:id:sscc:9506000.{round_no % 10}{case_no:09d}"
        when = start + timedelta(minutes=case_no)
        made += [
            ev.commission(units, read_point=FACTORY, event_time=when),
            ev.pack(case, units, read_point=FACTORY, event_time=when + timedelta(seconds=1)),
            ev.object_event(
                "OBSERVE",
                epcs=units,
                biz_step="shipping",
                disposition="in_transit",
                read_point=FACTORY,
                event_time=when + timedelta(hours=1),
            ),
            ev.object_event(
                "OBSERVE",
                epcs=units,
                biz_step="receiving",
                disposition="in_progress",
                biz_location=STORE,
                event_time=when + timedelta(hours=5),
            ),
            ev.sell(units, biz_location=STORE, event_time=when + timedelta(days=1)),
        ]
        case_no += 1
    raw = json.dumps(make_document(made[:EVENTS], validate=False)).encode("utf-8")
    epc.clear_caches()  # building the events classified every EPC: capture must not profit
    return raw


def fresh_store(folder: Path, name: str) -> tuple[Store, int]:
    store = open_store(sqlite_url(folder / name))
    upgrade(store)
    with store.begin() as conn:
        merchant, _ = create_merchant(conn, "Bench")
    return store, int(merchant["id"])


def capture_round(folder: Path, raw: bytes, round_no: int) -> tuple[float, float]:
    """Seconds to capture ``raw``, and seconds to insert the same rows raw."""
    store, merchant_id = fresh_store(folder, f"capture-{round_no}.db")
    gc.collect()  # not the garbage of building the document and migrating the store
    started = time.perf_counter()
    with store.begin() as conn:
        job = capture_document(conn, merchant_id, io.BytesIO(raw), max_events=EVENTS)
    captured = time.perf_counter() - started
    assert job["stored"] == EVENTS and job["success"], job
    index = (epc_lists, epc_list_members, event_epc_lists)
    with store.read() as conn:  # the rows exactly as stored, column values as the driver has them
        event_rows = conn.exec_driver_sql("SELECT * FROM events ORDER BY id").all()
        index_rows = [
            [tuple(row) for row in conn.exec_driver_sql(f"SELECT * FROM {table.name}")]
            for table in index
        ]
    store.dispose()
    baseline, _ = fresh_store(folder, f"raw-{round_no}.db")
    capture_column = [c.name for c in events.c].index("capture_id")
    event_values = [  # no capture job in the baseline store
        tuple(None if i == capture_column else v for i, v in enumerate(row)) for row in event_rows
    ]
    gc.collect()
    started = time.perf_counter()
    with baseline.begin() as conn:
        conn.exec_driver_sql(_insert(events), event_values)
        for table, rows in zip(index, index_rows, strict=True):
            conn.exec_driver_sql(_insert(table), rows)
    raw_insert = time.perf_counter() - started
    baseline.dispose()
    return captured, raw_insert


def _insert(table: Any) -> str:
    return f"INSERT INTO {table.name} VALUES ({', '.join('?' * len(table.c))})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epcs", choices=("dl", "urn"), default="dl", help="EPC spelling")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="shoptrace-capture-"))
    print(
        f"python {platform.python_version()} on {platform.machine()}; SQLite; "
        f"{EVENTS:,} events with {'Digital Link' if args.epcs == 'dl' else 'URN'} EPCs"
    )
    captures: list[float] = []
    raws: list[float] = []
    for round_no in range(args.rounds):
        raw = document(args.epcs, round_no)
        captured, raw_insert = capture_round(folder, raw, round_no)
        captures.append(captured)
        raws.append(raw_insert)
        print(
            f"round {round_no + 1}: capture {captured:.3f} s, raw insert {raw_insert:.3f} s "
            f"({len(raw) / 1e6:.1f} MB document)"
        )
    capture_s = statistics.median(captures)
    raw_s = statistics.median(raws)
    rate = EVENTS / capture_s
    ratio = capture_s / raw_s
    print(f"capture   : {rate:>9,.0f} events/s (goal {GOAL_RATE:,})")
    print(f"raw insert: {EVENTS / raw_s:>9,.0f} events/s (same rows, executemany)")
    print(f"ratio capture/raw insert: {ratio:.2f} (goal at most {GOAL_RATIO})")
    return 0 if rate >= GOAL_RATE and ratio <= GOAL_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
