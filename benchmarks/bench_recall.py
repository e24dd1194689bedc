"""Recall figures: the impact of recalling a lot of 100,000 units spread over 50,000 orders.

For each engine (SQLite, and PostgreSQL when a URL is given) a fresh, migrated database gets
one merchant and product and two lots of it, the one to recall and another as large (so the
queries must pick the lot's rows out of more), each with 50,000 orders of one line and
100,000 units, two per line (bulk inserts: in stock, sold, shipped, delivered and returned as
a shop's orders leave them), plus 500 lot-bound lines per lot. Then, each a median of
``--repeats`` runs in its own read transaction:

* ``summary``: the impact's counts (units by status, lines, orders, customers);
* ``first page``: the counts and the first 50 orders to notify, as ``GET .../impact`` answers;
* ``all orders``: every order to notify with its lines and serials, written as the CSV
  export writes them (one pass over the lot's units, grouped by order line);

and once, ``create_recall`` as ``POST /recalls`` runs it (validation, pointing 100,000 units at
the recall, the EPCIS event, the counts, the first page), then ``close_recall``. Goal: the
impact (summary, and the full order list) under 1 s on each engine.

Run: ``.venv/bin/python benchmarks/bench_recall.py [--units N] [--pg-url URL] [--repeats R]``;
the PostgreSQL URL defaults to ``$SHOPTRACE_BENCH_DATABASE_URL`` or
``$SHOPTRACE_TEST_DATABASE_URL`` (the run uses a private schema, dropped afterwards).
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from shoptrace.shop_plugin.services import recalls
from shoptrace.shop_plugin.services.clock import utcnow
from shoptrace.shop_plugin.services.merchants import create_merchant
from shoptrace.shop_plugin.store import Store, open_store, sqlite_url, upgrade
from shoptrace.shop_plugin.store.tables import (
    batches,
    issuances,
    order_lines,
    orders,
    products,
    units,
)

GOAL_S = 1.0
GTIN = "09506000134352"
LOT = "RECALL-LOT-1"
OTHER_LOT = "OTHER-LOT-1"
LOT_BOUND_LINES = 500
STATUSES = ("delivered",) * 9 + ("shipped",) * 5 + ("sold",) * 3 + ("returned",) * 2 + ("packed",)
"""Per twenty orders: how their units stand (nine delivered, five shipped, ...)."""
CHUNK = 10_000


def fill(store: Store, unit_count: int) -> dict[str, int]:
    """The merchant, product, the lot to recall and another lot of the same size, each with
    its orders, lines and units; returns the ids used."""
    upgrade(store)
    now = utcnow()
    with store.begin() as conn:
        merchant, _ = create_merchant(conn, "Bench")
        mid = int(merchant["id"])
        product_id = conn.execute(
            products.insert()
            .values(
                merchant_id=mid,
                gtin=GTIN,
                name_en="Apples",
                name_zh="苹果",
                category="food",
                certifications=[],
                visibility={},
                created_at=now,
                updated_at=now,
            )
            .returning(products.c.id)
        ).scalar_one()
    ids = {"merchant_id": mid, "product_id": product_id}
    for index, lot in enumerate((OTHER_LOT, LOT)):
        ids[lot] = _fill_lot(store, ids, lot, index * unit_count, unit_count)
    if store.dialect == "postgresql":
        with store.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
    return ids


def _fill_lot(store: Store, ids: dict[str, int], lot: str, first: int, unit_count: int) -> int:
    """One lot: ``unit_count`` units, two per order line, one line per order, numbered from
    ``first``; plus lot-bound lines on some of its orders. Returns the batch id."""
    mid, product_id = ids["merchant_id"], ids["product_id"]
    now = utcnow()
    order_count = unit_count // 2
    with store.begin() as conn:
        batch_id = int(
            conn.execute(
                batches.insert()
                .values(
                    merchant_id=mid,
                    product_id=product_id,
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
        )
        issuance_id = conn.execute(
            issuances.insert()
            .values(
                merchant_id=mid,
                batch_id=batch_id,
                count=unit_count,
                done=unit_count,
                status="done",
                created_at=now,
                updated_at=now,
            )
            .returning(issuances.c.id)
        ).scalar_one()
    first_order = first // 2
    for start in range(first_order, first_order + order_count, CHUNK):
        with store.begin() as conn:
            numbers = range(start, min(start + CHUNK, first_order + order_count))
            conn.execute(
                orders.insert(),
                [
                    {
                        "merchant_id": mid,
                        "source": "api",
                        "shop_order_id": f"SO-{n:07d}",
                        "shop_order_number": f"#{n + 1000}",
                        "customer_ref": f"customer-{n % (order_count * 4 // 5 or 1):07d}",
                        "status": _order_status(n),
                        "destination": {"country": "CN", "region": "浙江"},
                        "placed_at": now - timedelta(minutes=2 * order_count - n),
                        "created_at": now,
                        "updated_at": now,
                    }
                    for n in numbers
                ],
            )
            order_ids = dict(
                conn.execute(
                    sa.select(orders.c.shop_order_id, orders.c.id).where(
                        orders.c.merchant_id == mid,
                        orders.c.shop_order_id.in_([f"SO-{n:07d}" for n in numbers]),
                    )
                ).all()
            )
            conn.execute(
                order_lines.insert(),
                [
                    {
                        "merchant_id": mid,
                        "order_id": order_ids[f"SO-{n:07d}"],
                        "line_no": 1,
                        "shop_line_id": f"L-{n:07d}",
                        "sku": "APL-1KG",
                        "gtin": GTIN,
                        "product_id": product_id,
                        "name": "苹果 1kg",
                        "quantity": 2,
                        "status": "allocated",
                        "created_at": now,
                    }
                    for n in numbers
                ],
            )
            lines = dict(
                conn.execute(
                    sa.select(order_lines.c.shop_line_id, order_lines.c.id).where(
                        order_lines.c.order_id.in_(list(order_ids.values()))
                    )
                ).all()
            )
            conn.execute(
                units.insert(),
                [
                    {
                        "merchant_id": mid,
                        "batch_id": batch_id,
                        "issuance_id": issuance_id,
                        "gtin": GTIN,
                        "serial": f"U{n:07d}{k}",
                        "status": _unit_status(n),
                        "order_line_id": lines[f"L-{n:07d}"],
                        "scan_count": 0,
                        "created_at": now,
                    }
                    for n in numbers
                    for k in (0, 1)
                ],
            )
    # Lot-bound lines (a product sold without serials, bound to the lot at fulfilment).
    with store.begin() as conn:
        first_ids = list(
            conn.execute(
                sa.select(orders.c.id)
                .where(
                    orders.c.merchant_id == mid,
                    orders.c.shop_order_id >= f"SO-{first_order:07d}",
                )
                .order_by(orders.c.id)
                .limit(LOT_BOUND_LINES)
            ).scalars()
        )
        conn.execute(
            order_lines.insert(),
            [
                {
                    "merchant_id": mid,
                    "order_id": order_id,
                    "line_no": 2,
                    "gtin": GTIN,
                    "product_id": product_id,
                    "batch_id": batch_id,
                    "name": "苹果 散装",
                    "quantity": 3,
                    "status": "allocated",
                    "created_at": now,
                }
                for order_id in first_ids
            ],
        )
    return batch_id


def _unit_status(n: int) -> str:
    return STATUSES[n % len(STATUSES)]


def _order_status(n: int) -> str:
    status = _unit_status(n)
    return {"sold": "placed", "shipped": "fulfilled", "packed": "placed"}.get(status, status)


def median(repeats: int, run: Callable[[], Any]) -> tuple[float, Any]:
    timings: list[float] = []
    result: Any = None
    for _ in range(repeats):
        started = time.perf_counter()
        result = run()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings), result


def bench(engine: str, url: str, unit_count: int, repeats: int) -> bool:
    store = open_store(url)
    started = time.perf_counter()
    ids = fill(store, unit_count)
    print(
        f"{engine}: two lots of {unit_count:,} units over {unit_count // 2:,} orders each, "
        f"stored in {time.perf_counter() - started:.1f} s; recalling one of them",
        flush=True,
    )
    mid = ids["merchant_id"]
    body = {"gtin": GTIN, "lots": [LOT], "reason": {"zh-CN": "微生物超标", "en": "Microbes"}}
    started = time.perf_counter()
    with store.begin() as conn:
        created = recalls.create_recall(
            conn, mid, {**body, "severity": "1"}, base_url="https://shop.example.com/trace"
        )
    create_s = time.perf_counter() - started
    recall_id = created["id"]
    impact = created["impact"]
    assert impact["units"]["total"] == unit_count, impact["units"]
    assert impact["orderCount"] == unit_count // 2, impact["orderCount"]

    def summary() -> dict[str, Any]:
        with store.read() as conn:
            return recalls.impact_summary(conn, recalls.recall_row(conn, mid, recall_id))

    def first_page() -> dict[str, Any]:
        with store.read() as conn:
            return recalls.recall_impact(conn, mid, recall_id, limit=50)

    def all_orders() -> int:
        out = io.BytesIO()
        recalls.write_impact_csv(store, mid, recall_id, out)
        return len(out.getvalue())

    summary_s, counted = median(repeats, summary)
    page_s, page = median(repeats, first_page)
    export_s, size = median(repeats, all_orders)
    assert counted["orderCount"] == unit_count // 2 and len(page["orders"]) == 50
    started = time.perf_counter()
    with store.begin() as conn:
        recalls.close_recall(conn, mid, recall_id, {"note": "done"})
    close_s = time.perf_counter() - started
    store.dispose()
    units_ = counted["units"]
    print(
        f"  units: {units_['inStock']:,} in stock, {units_['sold']:,} sold, "
        f"{units_['shipped']:,} shipped, {units_['delivered']:,} delivered, "
        f"{units_['returned']:,} returned; {counted['orderCount']:,} orders, "
        f"{counted['customerCount']:,} customers, {counted['lines']['lotBound']} lot-bound lines"
    )
    print(f"  impact summary      {summary_s * 1000:8.1f} ms (median of {repeats})")
    print(f"  summary + page 50   {page_s * 1000:8.1f} ms")
    print(f"  all orders (CSV)    {export_s * 1000:8.1f} ms ({size / 1e6:.1f} MB of CSV)")
    print(f"  create_recall       {create_s * 1000:8.1f} ms (once: marks units, event, impact)")
    print(f"  close_recall        {close_s * 1000:8.1f} ms")
    met = summary_s < GOAL_S and page_s < GOAL_S and export_s < GOAL_S
    print(f"  goal: impact under {GOAL_S:.0f} s: {'met' if met else 'NOT met'}", flush=True)
    return met


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=100_000, help="units in the lot")
    parser.add_argument("--repeats", type=int, default=5, help="runs per timed figure")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("SHOPTRACE_BENCH_DATABASE_URL")
        or os.environ.get("SHOPTRACE_TEST_DATABASE_URL"),
    )
    parser.add_argument("--engines", default="sqlite,postgresql")
    args = parser.parse_args(argv)
    engines = [e for e in args.engines.split(",") if e == "sqlite" or args.pg_url]
    print(f"python {platform.python_version()} on {platform.machine()}")
    met = True
    with tempfile.TemporaryDirectory(prefix="shoptrace-bench-") as workdir:
        for engine in engines:
            if engine == "sqlite":
                met &= bench(
                    engine, sqlite_url(Path(workdir) / "bench.db"), args.units, args.repeats
                )
                continue
            admin = sa.create_engine(args.pg_url, poolclass=NullPool)
            schema = f"st_bench_recall_{os.getpid()}_{secrets.token_hex(4)}"
            with admin.begin() as conn:
                conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
            try:
                url = sa.make_url(args.pg_url).update_query_dict(
                    {"options": f"-csearch_path={schema}"}
                )
                met &= bench(
                    engine, url.render_as_string(hide_password=False), args.units, args.repeats
                )
            finally:
                with admin.begin() as conn:
                    conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
                admin.dispose()
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
