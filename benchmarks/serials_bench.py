"""Throughput of unit serial issuance, against the 5 s goal and a plain-secrets baseline.

Run: ``python benchmarks/serials_bench.py``. The goal is 1,000,000 serials with check tags in
under 5 s on one core; the baseline, timed in the same run, is ``secrets.token_hex(8)`` called
once per serial (64 random bits, no distinctness, no tag, no GS1 alphabet).
"""

from __future__ import annotations

import secrets
import time
from collections import deque

from shoptrace.sdk import serials

GOAL_SECONDS = 5.0
GTIN = "09506000134352"


def bench(n: int = 1_000_000) -> list[str]:
    """Time ``n`` tagged serials, ``n`` untagged ones and the baseline; return printable lines."""
    key = serials.new_key()

    started = time.perf_counter()
    deque(serials.generate(n, gtin=GTIN, lot="LOT42", key=key), maxlen=0)
    tagged = time.perf_counter() - started

    started = time.perf_counter()
    deque(serials.generate(n, gtin=GTIN), maxlen=0)
    untagged = time.perf_counter() - started

    token_hex = secrets.token_hex
    started = time.perf_counter()
    for _ in range(n):
        token_hex(8)
    baseline = time.perf_counter() - started

    goal = GOAL_SECONDS * n / 1_000_000
    return [
        f"serials with check tags: {n / tagged:,.0f} per second",
        f"seconds for {n:,} tagged: {tagged:.3f} s, {tagged / goal:.2f} of the {goal:g} s goal",
        f"seconds for {n:,} untagged: {untagged:.3f} s",
        f"baseline secrets.token_hex(8) x {n:,}: {baseline:.3f} s",
        f"tagged / baseline: {tagged / baseline:.2f}; untagged / baseline: "
        f"{untagged / baseline:.2f}",
    ]


if __name__ == "__main__":
    for line in bench():
        print(line)
