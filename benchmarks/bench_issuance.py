"""Code issuance figures: store a million unit codes for one batch, beside a raw-driver baseline.

For each engine (SQLite, and PostgreSQL when a URL is given) and each count, two child
processes run on fresh, migrated databases holding the same merchant, product, batch and job:

* ``shoptrace``: the issuance job as the service runs it (``services.issuance.run_issuance``):
  serials with HMAC check tags streamed from the SDK into ``units`` a chunk per transaction
  (``executemany`` on SQLite, ``COPY`` on PostgreSQL), with progress and lease updates.
* ``raw``: the same rows (the serials the first run stored, read back beforehand, untimed)
  inserted into the same table, columns and indexes through the bare driver: ``sqlite3``
  ``executemany`` in one transaction, or psycopg ``COPY ... FROM STDIN``.

Printed: seconds, codes per second, peak memory growth (ru_maxrss minus the resident size
before the rows exist: for shoptrace before the job starts, for the baseline before it loads
its prepared rows), and the ratio shoptrace / raw (goal <= 2.0). Two counts are run: a flat
shoptrace line means issuance streams instead of holding the codes; the baseline's grows.

Run: ``.venv/bin/python benchmarks/bench_issuance.py [--count N] [--pg-url URL] [--quick]``;
the PostgreSQL URL defaults to ``$SHOPTRACE_TEST_DATABASE_URL`` (each run uses a private
schema, dropped afterwards).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from shoptrace.shop_plugin.services import issuance
from shoptrace.shop_plugin.services.clock import utcnow
from shoptrace.shop_plugin.services.merchants import create_merchant
from shoptrace.shop_plugin.store import Store, open_store, sqlite_url, upgrade
from shoptrace.shop_plugin.store.tables import batches, issuances, products, units

SIGNING_KEY = "benchmark-signing-key-0123456789-abcdefghij"
GTIN = "09506000134352"
LOT = "BENCH-LOT-1"
COLUMNS = issuance.UNIT_COLUMNS


def rss_kib() -> int:
    """Resident set size now, in KiB."""
    with open("/proc/self/statm", encoding="ascii") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") // 1024


def peak_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def prepare(store: Store, count: int) -> dict[str, int]:
    """Migrate and add the merchant, product, batch and pending job both runs write under."""
    upgrade(store)
    now = utcnow()
    with store.begin() as conn:
        merchant, _ = create_merchant(conn, "Bench")
        product_id = conn.execute(
            products.insert()
            .values(
                merchant_id=merchant["id"],
                gtin=GTIN,
                name_en="Bench",
                category="food",
                certifications=[],
                visibility={},
                created_at=now,
                updated_at=now,
            )
            .returning(products.c.id)
        ).scalar_one()
        batch_id = conn.execute(
            batches.insert()
            .values(
                merchant_id=merchant["id"],
                product_id=product_id,
                gtin=GTIN,
                lot=LOT,
                inspection_reports=[],
                certifications=[],
                visibility={},
                created_at=now,
                updated_at=now,
            )
            .returning(batches.c.id)
        ).scalar_one()
        job_id = conn.execute(
            issuances.insert()
            .values(
                merchant_id=merchant["id"],
                batch_id=batch_id,
                count=count,
                done=0,
                status="pending",
                created_at=now,
                updated_at=now,
            )
            .returning(issuances.c.id)
        ).scalar_one()
    return {"merchant_id": merchant["id"], "batch_id": batch_id, "issuance_id": job_id}


def phase_shoptrace(url: str, count: int, serials_out: str) -> dict[str, Any]:
    store = open_store(url)
    ids = prepare(store, count)
    before = rss_kib()
    start = time.perf_counter()
    worker = "bench"
    claimed = issuance.claim_next(store, worker)
    assert claimed == ids["issuance_id"]
    assert issuance.run_issuance(store, claimed, worker, SIGNING_KEY)
    seconds = time.perf_counter() - start
    grown = peak_kib() - before
    with store.read() as conn:
        stored = conn.execute(sa.select(sa.func.count()).select_from(units)).scalar_one()
        assert stored == count, (stored, count)
        with open(serials_out, "w", encoding="ascii") as out:
            result = conn.execution_options(stream_results=True, yield_per=50_000).execute(
                sa.select(units.c.serial).order_by(units.c.id)
            )
            for serial in result.scalars():
                out.write(serial + "\n")
    store.dispose()
    return {"seconds": seconds, "peak_growth_kib": grown, "rows": stored}


def phase_raw(url: str, count: int, serials_in: str) -> dict[str, Any]:
    store = open_store(url)
    ids = prepare(store, count)
    dialect = store.dialect
    store.dispose()
    before = rss_kib()
    with open(serials_in, encoding="ascii") as handle:
        serials = handle.read().split()
    assert len(serials) == count
    fixed = (ids["merchant_id"], ids["batch_id"], ids["issuance_id"], GTIN)
    now = utcnow()
    if dialect == "sqlite":
        import sqlite3

        stamp = now.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
        rows = [(*fixed, serial, "issued", stamp) for serial in serials]
        del serials
        path = sa.make_url(url).database
        start = time.perf_counter()
        conn = sqlite3.connect(path, isolation_level=None)
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
            conn.execute(f"PRAGMA {pragma}")
        statement = (
            f"INSERT INTO units ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
        )
        conn.execute("BEGIN")
        for i in range(0, len(rows), 5000):
            conn.executemany(statement, rows[i : i + 5000])
        conn.execute("COMMIT")
        seconds = time.perf_counter() - start
        stored = conn.execute("SELECT count(*) FROM units").fetchone()[0]
        conn.close()
    else:
        import psycopg

        raw = sa.make_url(url).set(drivername="postgresql")
        rows = [(*fixed, serial, "issued", now) for serial in serials]
        del serials
        start = time.perf_counter()
        with psycopg.connect(raw.render_as_string(hide_password=False)) as conn:
            with conn.cursor() as cursor:
                copy_sql = f"COPY units ({', '.join(COLUMNS)}) FROM STDIN"
                with cursor.copy(copy_sql) as copy:
                    for row in rows:
                        copy.write_row(row)
            conn.commit()
            seconds = time.perf_counter() - start
            stored = conn.execute("SELECT count(*) FROM units").fetchone()[0]
    assert stored == count, (stored, count)
    return {"seconds": seconds, "peak_growth_kib": peak_kib() - before, "rows": stored}


class Databases:
    """Fresh databases for the child processes: SQLite files or private PostgreSQL schemas."""

    def __init__(self, workdir: Path, pg_url: str | None) -> None:
        self.workdir = workdir
        self.pg = sa.create_engine(pg_url, poolclass=NullPool) if pg_url else None
        self.pg_url = sa.make_url(pg_url) if pg_url else None
        self.schemas: list[str] = []

    def new(self, engine: str) -> str:
        if engine == "sqlite":
            return sqlite_url(self.workdir / f"{secrets.token_hex(4)}" / "bench.db")
        assert self.pg is not None and self.pg_url is not None
        name = f"st_bench_{os.getpid()}_{secrets.token_hex(4)}"
        with self.pg.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{name}"')
        self.schemas.append(name)
        url = self.pg_url.update_query_dict({"options": f"-csearch_path={name}"})
        return url.render_as_string(hide_password=False)

    def close(self) -> None:
        if self.pg is not None:
            with self.pg.begin() as conn:
                for name in self.schemas:
                    conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
            self.pg.dispose()


def child(phase: str, url: str, count: int, serials: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--phase", phase, "--url", url, "--count", str(count)]
        + ["--serials", serials],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(engine: str, count: int, dbs: Databases) -> dict[str, Any]:
    serials = str(dbs.workdir / f"serials-{engine}-{count}.txt")
    ours = child("shoptrace", dbs.new(engine), count, serials)
    raw = child("raw", dbs.new(engine), count, serials)
    os.unlink(serials)
    return {"engine": engine, "count": count, "ours": ours, "raw": raw}


def report(result: dict[str, Any]) -> str:
    ours, raw, count = result["ours"], result["raw"], result["count"]
    ratio = ours["seconds"] / raw["seconds"]
    way = "executemany" if result["engine"] == "sqlite" else "COPY"
    return (
        f"{result['engine']:<10} {count:>9,} codes  shoptrace {ours['seconds']:7.2f} s "
        f"({count / ours['seconds']:9,.0f}/s, peak +{ours['peak_growth_kib'] / 1024:6.1f} MiB)  "
        f"raw {way} {raw['seconds']:7.2f} s (peak +{raw['peak_growth_kib'] / 1024:6.1f} MiB)  "
        f"ratio {ratio:4.2f}x (goal <= 2.0)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000, help="codes per run")
    parser.add_argument("--quick", action="store_true", help="100,000 and 10,000 codes")
    parser.add_argument("--pg-url", default=os.environ.get("SHOPTRACE_TEST_DATABASE_URL"))
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--serials", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        phase = phase_shoptrace if args.phase == "shoptrace" else phase_raw
        print(json.dumps(phase(args.url, args.count, args.serials)))
        return
    big = 100_000 if args.quick else args.count
    counts = [big // 10, big]
    engines = [e for e in args.engines.split(",") if e == "sqlite" or args.pg_url]
    with tempfile.TemporaryDirectory(prefix="shoptrace-bench-") as workdir:
        dbs = Databases(Path(workdir), args.pg_url)
        try:
            for engine in engines:
                for count in counts:
                    print(report(run(engine, count, dbs)), flush=True)
        finally:
            dbs.close()
    print(
        "memory: peak growth of the timed part; shoptrace's stays flat from "
        f"{counts[0]:,} to {counts[1]:,} codes (it streams), the raw baseline holds its rows."
    )


if __name__ == "__main__":
    main()
