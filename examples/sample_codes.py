"""A first look at shoptrace trace codes, run by ``make run`` until the demo shop lands.

It builds the trace code of a unit of tea on a merchant's domain, reads it back as a phone
scan would, and writes its QR code and a sheet of printable labels into ``out/``.
"""

from __future__ import annotations

import json
import secrets
import sys
from collections.abc import Iterator
from pathlib import Path

from shoptrace.sdk import digital_link, labels, qr, serials
from shoptrace.sdk.cli import link_as_json

DOMAIN = "https://shop.example.com/trace"
GTIN = "09506000134352"  # GS1's example GTIN: West Lake Longjing green tea, 250 g
LOT = "LJ2026-04"


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "out")
    out.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)  # the merchant's signing key for check tags

    serial = serials.new_serial(gtin=GTIN, lot=LOT, key=key)
    uri = digital_link.build(DOMAIN, GTIN, lot=LOT, serial=serial, attributes={"17": "271231"})
    print("trace code of one unit / 单品追溯码:")
    print(f"  {uri}\n")
    print("what a scanner reads / 扫码解析:")
    print(json.dumps(link_as_json(digital_link.parse(uri)), ensure_ascii=False, indent=2))
    genuine = serials.verify(serial, gtin=GTIN, lot=LOT, key=key)
    print(f"\ncheck tag valid (genuine) / 校验通过（正品）: {genuine}")

    svg_path = out / "unit-qr.svg"
    qr.save(uri, svg_path)
    pdf_path = out / "labels.pdf"

    def items() -> Iterator[labels.Label]:
        for s in serials.generate(24, gtin=GTIN, lot=LOT, key=key):
            code = digital_link.build(DOMAIN, GTIN, lot=LOT, serial=s)
            yield labels.Label(uri=code, lines=(f"(01) {GTIN}", f"(10) {LOT}", f"(21) {s}"))

    count = labels.write_labels(items(), pdf_path, layout=labels.layout_by_name("a4-3x8"))
    print(f"\nQR code / 二维码: {svg_path}")
    print(f"{count} labels / 标签: {pdf_path}")
    print("\nMore: .venv/bin/shoptrace --help")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
