"""Seconds for an n-label PDF against qrcode building the same n QR matrices alone.

Both run in the same process on the same URIs; the goal is a ratio of at most 1.3.
Run: ``.venv/bin/python benchmarks/labels_bench.py [-n 1000] [--profile]``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import random
import time

import qrcode
from qrcode.constants import ERROR_CORRECT_M

from shoptrace.sdk.labels import A4_3x8, Label, hri_lines, write_labels

GTIN = "09506000134352"
SERIAL_CHARS = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def sample_uris(n: int, seed: int = 42) -> list[tuple[str, str]]:
    """(serial, URI) pairs: unit trace codes with 13 to 17 character serials."""
    rng = random.Random(seed)
    pairs = []
    for _ in range(n):
        serial = "".join(rng.choices(SERIAL_CHARS, k=rng.randint(13, 17)))
        pairs.append((serial, f"https://shop.example.com/trace/01/{GTIN}/10/LOT42/21/{serial}"))
    return pairs


def baseline(uris: list[str]) -> float:
    """qrcode building each matrix, nothing drawn."""
    start = time.perf_counter()
    for uri in uris:
        code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=4)
        code.add_data(uri)
        code.make(fit=True)
        code.get_matrix()
    return time.perf_counter() - start


def labels_pdf(pairs: list[tuple[str, str]]) -> tuple[float, int]:
    """The full PDF (QR, text, pages, compression) written to memory; seconds and bytes."""
    labels = (
        Label(uri, hri_lines(gtin=GTIN, lot="LOT42", serial=serial, expiry="271231"))
        for serial, uri in pairs
    )
    out = io.BytesIO()
    start = time.perf_counter()
    write_labels(labels, out, layout=A4_3x8)
    return time.perf_counter() - start, len(out.getvalue())


def bench(n: int = 1000, repeat: int = 1) -> list[str]:
    """Time the baseline and the PDF ``repeat`` times each (best kept); report both and
    their ratio."""
    pairs = sample_uris(n)
    uris = [uri for _, uri in pairs]
    base = ours = float("inf")
    size = 0
    for _ in range(repeat):
        base = min(base, baseline(uris))
        seconds, size = labels_pdf(pairs)
        ours = min(ours, seconds)
    return [
        f"label PDF ({n:,} labels, A4 3x8)   shoptrace {ours:6.2f} s   "
        f"qrcode matrices alone {base:6.2f} s   ratio {ours / base:5.2f}x  (goal <= 1.3x)",
        f"label PDF size   {size / 1024:,.0f} KiB   {size / n:,.0f} bytes per label",
    ]


def profile(n: int) -> None:
    """Print where the PDF path spends its time."""
    pairs = sample_uris(n)
    profiler = cProfile.Profile()
    profiler.runcall(labels_pdf, pairs)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=1000, help="labels (default 1000)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each side, best kept")
    parser.add_argument("--profile", action="store_true", help="cProfile the PDF path")
    args = parser.parse_args()
    if args.profile:
        profile(args.n)
    else:
        print("\n".join(bench(args.n, args.repeat)))


if __name__ == "__main__":
    main()
