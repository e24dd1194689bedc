"""Allocation figures: first-expiry-first-out allocation and the "lot now selling" of a
listing on a big lot, fresh and nearly sold out.

A lot of ``--units`` units (200,000 by default) is stored; then, median of ``--repeats``:
allocating 1 and 100 units while the whole lot is in stock, and allocating 1 unit and asking
for the lot now selling (:func:`selling_lot`, what a product listing shows) when all but 10
units are sold (by FEFO the lot's oldest ids go first, so the stock left is at its end), and
the lot now selling when the lot is sold out. Each allocation runs in a transaction that is
rolled back, so every run sees the same stock. No goal is named; the figures should not grow
with the lot (before the (batch_id, status, id) index, a nearly sold-out lot of 200,000 took
35-50 ms per allocation and per listing on either engine).

Run: ``.venv/bin/python benchmarks/bench_allocation.py [--units N] [--repeats R]
[--pg-url URL]`` (PostgreSQL also from ``$SHOPTRACE_TEST_DATABASE_URL``; the run uses a
private schema, dropped afterwards).
"""

from __future__ import annotations

import argparse
import os
import platform
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_issuance  # noqa: E402  (its merchant, product, batch and issuance set-up)

from shoptrace.shop_plugin.services.allocation import allocate_fefo, selling_lot  # noqa: E402
from shoptrace.shop_plugin.services.clock import utcnow  # noqa: E402
from shoptrace.shop_plugin.store import Store, open_store, sqlite_url  # noqa: E402
from shoptrace.shop_plugin.store.tables import batches, units  # noqa: E402

TODAY = date(2026, 1, 1)
LEFT = 10


def _median_ms(run: Callable[[], Any], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def _analyze(store: Store) -> None:
    """Fresh planner statistics after the bulk changes (autovacuum would do it in time)."""
    if store.dialect == "postgresql":
        with store.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                "VACUUM ANALYZE units"
            )


def _set_stock(store: Store, in_stock_from: int) -> None:
    """Units below position ``in_stock_from`` shipped, the rest commissioned."""
    with store.begin() as conn:
        ids = sa.select(units.c.id).order_by(units.c.id).offset(in_stock_from).limit(1)
        first = conn.execute(ids).scalar()
        shipped = units.c.id < first if first is not None else sa.true()
        conn.execute(units.update().where(shipped).values(status="shipped"))
        if first is not None:
            conn.execute(units.update().where(units.c.id >= first).values(status="commissioned"))
    _analyze(store)


def bench(engine: str, url: str, count: int, repeats: int) -> None:
    store = open_store(url)
    ids = bench_issuance.prepare(store, count)
    merchant_id = ids["merchant_id"]
    now = utcnow()
    with store.begin() as conn:
        product_id = conn.execute(sa.select(batches.c.product_id)).scalar_one()
        conn.execute(batches.update().values(expiry_date=date(2030, 1, 1)))
        for start in range(0, count, 20_000):
            conn.execute(
                units.insert(),
                [
                    {
                        "merchant_id": merchant_id,
                        "batch_id": ids["batch_id"],
                        "issuance_id": ids["issuance_id"],
                        "gtin": bench_issuance.GTIN,
                        "serial": f"S{n:09d}",
                        "status": "commissioned",
                        "created_at": now,
                    }
                    for n in range(start, min(count, start + 20_000))
                ],
            )
    _analyze(store)

    def allocate(wanted: int) -> Callable[[], Any]:
        def run() -> None:
            with store.engine.connect() as conn, conn.begin() as transaction:
                chosen = allocate_fefo(conn, merchant_id, product_id, wanted, TODAY)
                assert len(chosen) == min(wanted, left), (len(chosen), wanted, left)
                transaction.rollback()

        return run

    def listing(expect: bool) -> Callable[[], Any]:
        def run() -> None:
            with store.read() as conn:
                lot = selling_lot(conn, merchant_id, product_id, TODAY, by_unit=True)
            assert (lot is not None) == expect

        return run

    print(f"{engine}: a lot of {count:,} units")
    left = count
    print(f"  in stock     : allocate 1 {_median_ms(allocate(1), repeats):6.2f} ms, "
          f"allocate 100 {_median_ms(allocate(100), repeats):6.2f} ms, "
          f"lot now selling {_median_ms(listing(True), repeats):6.2f} ms")  # fmt: skip
    _set_stock(store, count - LEFT)
    left = LEFT
    print(f"  {LEFT} left      : allocate 1 {_median_ms(allocate(1), repeats):6.2f} ms, "
          f"lot now selling {_median_ms(listing(True), repeats):6.2f} ms")  # fmt: skip
    _set_stock(store, count)
    left = 0
    print(f"  sold out     : lot now selling {_median_ms(listing(False), repeats):6.2f} ms")
    store.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=200_000, help="units in the lot")
    parser.add_argument("--repeats", type=int, default=7, help="runs per figure")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("SHOPTRACE_BENCH_DATABASE_URL")
        or os.environ.get("SHOPTRACE_TEST_DATABASE_URL"),
    )
    args = parser.parse_args(argv)
    print(f"python {platform.python_version()} on {platform.machine()}")
    with tempfile.TemporaryDirectory(prefix="shoptrace-bench-") as workdir:
        bench("SQLite", sqlite_url(Path(workdir) / "bench.db"), args.units, args.repeats)
    if args.pg_url:
        admin = sa.create_engine(args.pg_url, poolclass=NullPool)
        schema = f"st_bench_allocation_{os.getpid()}_{secrets.token_hex(4)}"
        with admin.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        try:
            url = sa.make_url(args.pg_url).update_query_dict({"options": f"-csearch_path={schema}"})
            bench("PostgreSQL", url.render_as_string(hide_password=False), args.units, args.repeats)
        finally:
            with admin.begin() as conn:
                conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
