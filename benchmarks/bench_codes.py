"""Trace-code figures, each beside a baseline measured in the same run.

1. Digital Link parses per second: shoptrace against biip on the same URIs (goal >= 2x biip).
2. Unit serials with check tags per second (goal: 1,000,000 in under 5 s on one core).
3. Seconds for a 1,000-label PDF against qrcode building the same 1,000 QR matrices alone
   (goal <= 1.3x).

Run: ``.venv/bin/python benchmarks/bench_codes.py [--quick]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from shoptrace.sdk import digital_link  # noqa: E402
from shoptrace.sdk.gs1 import check_digit  # noqa: E402


def sample_uris(n: int) -> list[str]:
    """Realistic trace codes: units, lots and products on merchant domains, some with
    attributes, and logistic units; every one valid for both parsers."""
    uris = []
    for i in range(n):
        body = f"0950600{i % 100000:06d}"
        gtin = body + check_digit(body)
        kind = i % 5
        if kind == 0:
            uris.append(
                f"https://shop.example.com/trace/01/{gtin}/10/LOT{i % 97}/21/7KQ2M9X{i:06d}"
            )
        elif kind == 1:
            uris.append(
                f"https://shop.example.com/trace/01/{gtin}/10/L{i % 13}?17=27{i % 12 + 1:02d}15"
            )
        elif kind == 2:
            uris.append(f"https://id.gs1.org/01/{gtin}")
        elif kind == 3:
            uris.append(f"https://brand.example.cn/p/01/{gtin}/21/S{i}?3103=000{i % 900 + 100}")
        else:
            body18 = f"10614141{i:09d}"
            uris.append(f"https://a.example/00/{body18}{check_digit(body18)}")
    return uris


def per_second(fn: Callable[[str], object], items: list[str], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for item in items:
            fn(item)
        best = min(best, time.perf_counter() - start)
    return len(items) / best


def bench_parse(n: int) -> list[str]:
    from biip.gs1_digital_link_uris import GS1DigitalLinkURI

    uris = sample_uris(n)
    for uri in uris[:50]:  # both parsers agree on what they read
        ours = digital_link.parse(uri).ais
        theirs = tuple((e.ai.ai, e.value) for e in GS1DigitalLinkURI.parse(uri).element_strings)
        assert sorted(ours) == sorted(theirs), (uri, ours, theirs)
    ours_rate = per_second(digital_link.parse, uris)
    biip_rate = per_second(GS1DigitalLinkURI.parse, uris)
    return [
        f"digital link parse   shoptrace {ours_rate:12,.0f}/s   biip {biip_rate:12,.0f}/s"
        f"   ratio {ours_rate / biip_rate:5.2f}x  (goal >= 2x)"
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller counts, for a smoke run")
    args = parser.parse_args()
    import labels_bench
    import serials_bench

    lines = bench_parse(2_000 if args.quick else 20_000)
    lines += serials_bench.bench(100_000 if args.quick else 1_000_000)
    lines += labels_bench.bench(100 if args.quick else 1_000)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
