"""Trace assembly figures: median latency of one unit's trace with 10k, 100k and 1M events stored.

The store is filled the way capture fills it (events validated, hashed and written by
``prepare_events``/``store_events``; units issued for every serial), as a shop's supply
chain: cases of 10 units commissioned, packed, shipped, received and partly sold. After each
size is reached, the traces of 50 units spread over the store are assembled 20 times each,
each in its own read transaction as the resolver does per scan; the median is printed, and
the 1M figure as a ratio to the 10k one. Goals: under 2 ms median at 1M, and the 1M figure
at most 1.5x the 10k one. Run: ``.venv/bin/python benchmarks/bench_trace.py [--sizes ...]``.
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from shoptrace.sdk.epcis import events as ev
from shoptrace.shop_plugin.services import event_store, trace
from shoptrace.shop_plugin.services.issuance import write_units
from shoptrace.shop_plugin.services.merchants import create_merchant
from shoptrace.shop_plugin.store import Store, open_store, sqlite_url, upgrade
from shoptrace.shop_plugin.store.tables import batches, issuances, products

GOAL_MS = 2.0
GOAL_RATIO = 1.5
GTIN = "09506000134352"
SHOP = "https://shop.example.com/trace"
FACTORY = "urn:epc:id:sgln:9506000.00001.0"
STORE_PLACE = "urn:epc:id:sgln:9506000.00002.0"
EVENTS_PER_CASE = 6
START = datetime(2024, 1, 1, tzinfo=UTC)


def case_events(case_no: int) -> list[dict[str, Any]]:
    """Six events of one case of 10 units: commission, pack, ship, receive, two sales."""
    lot = f"L{case_no // 1000}"
    units = [f"{SHOP}/01/{GTIN}/10/{lot}/21/S{case_no:07d}U{k}" for k in range(10)]
    case = f"urn:epc:id:sscc:9506000.{case_no:010d}"
    when = START + timedelta(minutes=case_no)
    return [
        ev.commission(units, read_point=FACTORY, event_time=when),
        ev.pack(case, units, read_point=FACTORY, event_time=when + timedelta(seconds=10)),
        ev.object_event(
            "OBSERVE",
            epcs=[case],
            biz_step="shipping",
            disposition="in_transit",
            read_point=FACTORY,
            event_time=when + timedelta(hours=1),
        ),
        ev.object_event(
            "OBSERVE",
            epcs=[case],
            biz_step="receiving",
            disposition="in_progress",
            biz_location=STORE_PLACE,
            event_time=when + timedelta(hours=5),
        ),
        ev.sell(units[:1], biz_location=STORE_PLACE, event_time=when + timedelta(days=1)),
        ev.sell(units[1:2], biz_location=STORE_PLACE, event_time=when + timedelta(days=2)),
    ]


def unit_code(case_no: int, k: int) -> str:
    return f"{SHOP}/01/{GTIN}/10/L{case_no // 1000}/21/S{case_no:07d}U{k}"


def chunks(first_case: int, last_case: int, size: int = 1000) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for case_no in range(first_case, last_case):
        batch.extend(case_events(case_no))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class Shop:
    """A store with one merchant, its product and a batch per lot, filled case by case."""

    def __init__(self, store: Store) -> None:
        self.store = store
        now = datetime.now(UTC)
        with store.begin() as conn:
            merchant, _ = create_merchant(conn, "Bench")
            self.merchant_id = int(merchant["id"])
            self.product_id = conn.execute(
                products.insert()
                .values(
                    merchant_id=self.merchant_id,
                    gtin=GTIN,
                    name_en="Apples",
                    category="food",
                    certifications=[],
                    visibility={},
                    created_at=now,
                    updated_at=now,
                )
                .returning(products.c.id)
            ).scalar_one()
        self.cases = 0
        self.batches: dict[str, tuple[int, int]] = {}

    def _batch(self, conn: Any, lot: str) -> tuple[int, int]:
        if lot not in self.batches:
            now = datetime.now(UTC)
            batch_id = conn.execute(
                batches.insert()
                .values(
                    merchant_id=self.merchant_id,
                    product_id=self.product_id,
                    gtin=GTIN,
                    lot=lot,
                    inspection_reports=[],
                    certifications=[],
                    visibility={},
                    created_at=now,
                    updated_at=now,
                )
                .returning(batches.c.id)
            ).scalar_one()
            issuance_id = conn.execute(
                issuances.insert()
                .values(
                    merchant_id=self.merchant_id,
                    batch_id=batch_id,
                    count=10_000,
                    done=10_000,
                    status="done",
                    created_at=now,
                    updated_at=now,
                )
                .returning(issuances.c.id)
            ).scalar_one()
            self.batches[lot] = (batch_id, issuance_id)
        return self.batches[lot]

    def grow_to(self, events: int) -> None:
        target = events // EVENTS_PER_CASE
        context = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
        for batch in chunks(self.cases, target, size=10_002):
            prepared: list[event_store.Prepared] = []
            for start in range(0, len(batch), 1000):
                part = list(enumerate(batch[start : start + 1000], start))
                ready, problems = event_store.prepare_events(part, context=context)
                assert not problems, problems[:3]
                prepared.extend(ready)
            with self.store.begin() as conn:
                first = self.cases
                self.cases += len(batch) // EVENTS_PER_CASE
                for case_no in range(first, self.cases):
                    batch_id, issuance_id = self._batch(conn, f"L{case_no // 1000}")
                    write_units(
                        conn,
                        merchant_id=self.merchant_id,
                        batch_id=batch_id,
                        issuance_id=issuance_id,
                        gtin=GTIN,
                        serials=iter([f"S{case_no:07d}U{k}" for k in range(10)]),
                    )
                event_store.store_events(conn, self.merchant_id, prepared)

    def median_ms(self, samples: int, repeats: int, seed: int) -> tuple[float, int]:
        rng = random.Random(seed)
        codes = [unit_code(rng.randrange(self.cases), rng.randrange(3)) for _ in range(samples)]
        timings: list[float] = []
        events = 0
        for code in codes:
            for _ in range(repeats):
                started = time.perf_counter()
                with self.store.read() as conn:
                    result = trace.assemble_trace(conn, self.merchant_id, code)
                timings.append(time.perf_counter() - started)
            events += len(result["events"])
        return statistics.median(timings) * 1000, events // len(codes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="event counts")
    parser.add_argument("--samples", type=int, default=50, help="units traced per size")
    parser.add_argument("--repeats", type=int, default=20, help="traces per unit")
    parser.add_argument("--dir", help="folder for the SQLite file (default: a temporary one)")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    folder = Path(args.dir or tempfile.mkdtemp(prefix="shoptrace-bench-"))
    store = open_store(sqlite_url(folder / "bench.db"))
    upgrade(store)
    shop = Shop(store)
    print(f"python {platform.python_version()} on {platform.machine()}; SQLite store in {folder}")
    figures: dict[int, float] = {}
    for size in sizes:
        started = time.perf_counter()
        shop.grow_to(size)
        filled = time.perf_counter() - started
        median, per_trace = shop.median_ms(args.samples, args.repeats, seed=size)
        figures[size] = median
        print(
            f"{shop.cases * EVENTS_PER_CASE:>9,} events stored (+{filled:5.1f} s): "
            f"median trace {median:6.3f} ms ({per_trace} events per trace)"
        )
    store.dispose()
    smallest, largest = min(figures), max(figures)
    ratio = figures[largest] / figures[smallest]
    print(f"ratio {largest:,} / {smallest:,} events: {ratio:.2f}x (goal at most {GOAL_RATIO}x)")
    met = figures[largest] < GOAL_MS and ratio <= GOAL_RATIO
    print(f"goal under {GOAL_MS} ms at {largest:,}: {'met' if met else 'NOT met'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
