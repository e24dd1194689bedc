"""WAL checkpoint figures: one large write transaction on SQLite, timed around ``Store.begin()``.

10,000 rows of about 1.1 KB of text with three indexes, inserted in one transaction (about
14 MB of WAL, like capturing a 10,000-event EPCIS document). The time is the whole ``with
store.begin()`` block, COMMIT included; best of N rounds, each on a fresh database file.
Since the store hands the WAL checkpoint to a background thread, COMMIT no longer copies the
WAL into the database file; ``checkpoint`` is how long after the block that thread was done
(polled every millisecond), and ``left`` the WAL frames it had not copied by then.
Run: ``.venv/bin/python benchmarks/bench_wal_commit.py [--rounds N] [--rows N]``.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import threading
import time
from pathlib import Path

import sqlalchemy as sa

from shoptrace.shop_plugin.store import Store, open_store, sqlite_url

CHECKPOINT_THREAD = "shoptrace-checkpoint"

meta = sa.MetaData()
rows_table = sa.Table(
    "bench_rows",
    meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("merchant_id", sa.Integer, nullable=False),
    sa.Column("key", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Index("ix_bench_key", "merchant_id", "key", unique=True),
    sa.Index("ix_bench_kind", "merchant_id", "kind"),
    sa.Index("ix_bench_body_head", "merchant_id", sa.text("substr(body, 1, 40)")),
)


def frames_left(path: Path) -> int:
    """WAL frames not yet in the database file (PASSIVE reports busy, frames, checkpointed)."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        _busy, frames, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return int(frames - copied)
    finally:
        conn.close()


def background_done(store: Store) -> float | None:
    """Seconds until the store's checkpoint thread is done (None: the store has none)."""
    thread = next((t for t in threading.enumerate() if t.name == CHECKPOINT_THREAD), None)
    if thread is None:
        return None
    start = time.perf_counter()
    thread.join(timeout=10)
    return time.perf_counter() - start


def one_round(folder: Path, rows: int) -> tuple[float, int, float | None, int]:
    path = folder / "bench.db"
    store = open_store(sqlite_url(path))
    try:
        meta.create_all(store.engine)
        payload = [
            {
                "merchant_id": 1,
                "key": f"urn:epc:id:sgtin:9506000.013435.{n:09d}",
                "kind": ("ObjectEvent", "AggregationEvent")[n % 5 == 0],
                "body": f"{n:09d}" + "x" * 1100,
            }
            for n in range(rows)
        ]
        start = time.perf_counter()
        with store.begin() as conn:
            conn.execute(rows_table.insert(), payload)
        elapsed = time.perf_counter() - start
        wal = path.with_name(path.name + "-wal").stat().st_size
        background = background_done(store)
        left = frames_left(path)
    finally:
        store.dispose()
    return elapsed, wal, background, left


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    times = []
    for n in range(args.rounds):
        with tempfile.TemporaryDirectory() as folder:
            elapsed, wal, background, left = one_round(Path(folder), args.rows)
        times.append(elapsed)
        after = "none" if background is None else f"{background * 1000:.1f} ms"
        print(
            f"round {n + 1}: block {elapsed * 1000:6.1f} ms, WAL {wal / 1e6:4.1f} MB, "
            f"checkpoint {after} after the block, left {left} frames"
        )
    median = statistics.median(times)
    print(f"best of {args.rounds}: {min(times) * 1000:.1f} ms (median {median * 1000:.1f} ms)")


if __name__ == "__main__":
    main()
