"""EPCIS event hash IDs per second on a 10,000-event document (goal: >= 20,000/s, one core).

Every run hashes a fresh document whose unit serials were never seen before, so the caches
of canonical identifiers start cold for the units (as in a real capture) and warm only for
what repeats inside a document (products, lots, places, vocabulary). The figure is printed
beside the goal as a ratio. Run: ``.venv/bin/python benchmarks/hashing_bench.py [--quick]``;
``--profile`` prints the hottest functions.
"""

from __future__ import annotations

import argparse
import cProfile
import platform
import pstats
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from shoptrace.sdk.epcis.hashing import document_hashes

GOAL = 20_000
CONTEXT: list[Any] = [
    "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
    {"shop": "https://shop.example.com/ns/"},
]
SHOP = "https://shop.example.com/trace"
GTINS = ("09506000134352", "09506000134369", "09506000134376")
PLACES = tuple(f"urn:epc:id:sgln:9506000.{n:05d}.0" for n in range(1, 6))


def bench(doc: dict[str, Any]) -> list[str]:
    """Hash every event of ``doc`` (what the EPCIS benchmark times)."""
    return document_hashes(doc)


def _events(count: int, run: int) -> list[dict[str, Any]]:
    """A shop's week: commissioning, packing, shipping, receiving, sensor checks and a
    transformation, with URN and Digital Link identifiers mixed as real captures mix them."""
    start = datetime(2024, 5, 1, tzinfo=UTC)
    out: list[dict[str, Any]] = []
    i = 0
    while len(out) < count:
        at = (start + timedelta(seconds=37 * len(out))).astimezone().isoformat("T", "milliseconds")
        gtin = GTINS[i % 3]
        lot = f"L{run}-{i // 500}"
        units = [f"urn:epc:id:sgtin:9506000.{gtin[0]}{gtin[8:13]}.R{run}U{i}-{k}" for k in range(4)]
        links = [f"{SHOP}/01/{gtin}/10/{lot}/21/R{run}U{i}-{k}" for k in range(4, 6)]
        case = f"urn:epc:id:sscc:9506000.{run % 10}{i:09d}"
        place = {"id": PLACES[i % 5]}
        out.append(
            {
                "type": "ObjectEvent",
                "eventTime": at,
                "eventTimeZoneOffset": "+08:00",
                "epcList": units + links,
                "action": "ADD",
                "bizStep": "commissioning",
                "disposition": "active",
                "readPoint": place,
                "ilmd": {"cbvmda:lotNumber": lot, "shop:bestBefore": "2025-05-01"},
            }
        )
        out.append(
            {
                "type": "AggregationEvent",
                "eventTime": at,
                "eventTimeZoneOffset": "+08:00",
                "parentID": case,
                "childEPCs": units,
                "action": "ADD",
                "bizStep": "packing",
                "readPoint": place,
            }
        )
        out.append(
            {
                "type": "ObjectEvent",
                "eventTime": at,
                "eventTimeZoneOffset": "+08:00",
                "epcList": [case],
                "action": "OBSERVE",
                "bizStep": "shipping",
                "disposition": "in_transit",
                "readPoint": place,
                "bizTransactionList": [
                    {"type": "po", "bizTransaction": f"https://shop.example.com/orders/{i}"}
                ],
                "sourceList": [{"type": "owning_party", "source": "urn:epc:id:pgln:9506000.00001"}],
                "destinationList": [
                    {"type": "owning_party", "destination": "urn:epc:id:pgln:9506001.00001"}
                ],
                "shop:orderLine": {"shop:sku": f"SKU-{i % 40}", "shop:qty": 4},
            }
        )
        out.append(
            {
                "type": "ObjectEvent",
                "eventTime": at,
                "eventTimeZoneOffset": "+08:00",
                "quantityList": [
                    {"epcClass": f"{SHOP}/01/{gtin}/10/{lot}", "quantity": 24.0, "uom": "KGM"}
                ],
                "action": "OBSERVE",
                "bizStep": "inspecting",
                "readPoint": place,
                "sensorElementList": [
                    {
                        "sensorMetadata": {"time": at, "deviceID": "urn:epc:id:giai:9506000.T1"},
                        "sensorReport": [
                            {"type": "Temperature", "value": 4 + i % 7 / 10, "uom": "CEL"},
                            {"type": "RelativeHumidity", "value": 61.5, "uom": "P1"},
                        ],
                    }
                ],
            }
        )
        out.append(
            {
                "type": "TransformationEvent",
                "eventTime": at,
                "eventTimeZoneOffset": "+08:00",
                "inputQuantityList": [
                    {
                        "epcClass": f"urn:epc:class:lgtin:9506000.{gtin[0]}{gtin[8:13]}.{lot}",
                        "quantity": 12.5,
                        "uom": "KGM",
                    }
                ],  # fmt: skip
                "outputEPCList": units[:2],
                "bizStep": "commissioning",
                "readPoint": place,
            }
        )
        i += 1
    return out[:count]


def make_document(count: int = 10_000, run: int = 0) -> dict[str, Any]:
    """An EPCIS 2.0 document of ``count`` events; ``run`` makes its unit serials unique."""
    return {
        "@context": CONTEXT,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2024-05-08T00:00:00Z",
        "epcisBody": {"eventList": _events(count, run)},
    }


def measure(count: int, repeat: int) -> tuple[float, float]:
    """Best cold rate over ``repeat`` fresh documents, then the rate re-hashing the last one."""
    best = float("inf")
    doc: dict[str, Any] = {}
    for run in range(1, repeat + 1):
        doc = make_document(count, run)
        start = time.perf_counter()
        hashes = bench(doc)
        best = min(best, time.perf_counter() - start)
        assert len(hashes) == count and len(set(hashes)) == count
    start = time.perf_counter()
    bench(doc)
    warm = time.perf_counter() - start
    return count / best, count / warm


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 events, for a smoke run")
    parser.add_argument("--profile", action="store_true", help="print the hottest functions")
    args = parser.parse_args()
    count = 1_000 if args.quick else 10_000
    if args.profile:
        doc = make_document(count, 99)
        profile = cProfile.Profile()
        profile.runcall(bench, doc)
        pstats.Stats(profile).sort_stats("tottime").print_stats(15)
        return
    cold, warm = measure(count, 3)
    print(f"python {platform.python_version()} on {platform.machine()}, {count:,} events")
    print(
        f"event hash IDs   {cold:10,.0f} events/s (fresh serials)   "
        f"ratio to goal {cold / GOAL:5.2f}x  (goal {GOAL:,}/s)"
    )
    print(f"                 {warm:10,.0f} events/s (same document again, caches warm)")


if __name__ == "__main__":
    main()
