"""Integrity figures: how long ``verify`` (``GET /integrity``, ``shoptrace verify-chain``)
takes to recompute a merchant's hash chain, every event re-hashed from its stored document.

The events are bench_capture's supply chain (cases of 10 units commissioned, packed, shipped,
received and sold), captured in documents of 10,000 into one merchant on SQLite.
No goal is named for it; the figure tells whether a check fits a request (it is linear in
the number of events). Run: ``.venv/bin/python benchmarks/bench_integrity.py [--events N]``.
"""

from __future__ import annotations

import argparse
import io
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_capture import EVENTS, document, fresh_store  # noqa: E402

from shoptrace.shop_plugin.services.capture import capture_document  # noqa: E402
from shoptrace.shop_plugin.services.chain import verify  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000, help="a multiple of 10,000")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="shoptrace-integrity-"))
    store, merchant_id = fresh_store(folder, "integrity.db")
    documents = max(1, args.events // EVENTS)
    for round_no in range(documents):
        with store.begin() as conn:
            capture_document(
                conn, merchant_id, io.BytesIO(document("dl", round_no)), max_events=EVENTS
            )
    total = documents * EVENTS
    started = time.perf_counter()
    report = verify(store, merchant_id)
    took = time.perf_counter() - started
    store.dispose()
    assert report["valid"] and report["events"] == total, report
    print(f"python {platform.python_version()} on {platform.machine()}; SQLite; {total:,} events")
    print(f"verify: {took:.2f} s, {took / total * 1e6:.1f} µs per event")
    per_million = took / total * 1e6
    print(f"        {total / took:,.0f} events/s; 1,000,000 events: ~{per_million:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
