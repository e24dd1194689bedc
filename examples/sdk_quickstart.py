"""Quickstart of the SDK client: from a product to a shopper's trace, over the merchant API.

It registers a product (or reuses it), records a batch, issues unit codes, captures the
batch's supply chain as EPCIS events (harvested and coded, packed into a case, shipped,
received at the shop's warehouse, one unit sold) and reads the trace of the unit sold.

Run it against the demo server::

    python -m examples.demo_shop          # prints the merchant API key on its first start
    # or: shoptrace serve --port 5000 & shoptrace merchants create "Demo"  (key: last line)

    python examples/sdk_quickstart.py --api-key st_...
    SHOPTRACE_BASE_URL=http://127.0.0.1:5000/trace SHOPTRACE_API_KEY=st_... \\
        python examples/sdk_quickstart.py

Each run records a new batch, so it can be run again and again.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from datetime import UTC, datetime, timedelta

from shoptrace.sdk import TraceClient
from shoptrace.sdk.client import APIError, ConflictError, Product
from shoptrace.sdk.epcis import events as ev
from shoptrace.sdk.epcis import lot_ilmd

DEFAULT_BASE_URL = "http://127.0.0.1:5000/trace"
GTIN = "09506000134376"  # a GS1 example GTIN: Yantai apples, 5 kg box
ORCHARD = "urn:epc:id:sgln:9506000.00001.0"  # the orchard's packhouse (GLN)
WAREHOUSE = "urn:epc:id:sgln:9506000.00002.0"  # the shop's warehouse (GLN)

STEPS = {  # what shoppers read for each CBV business step (see GLOSSARY.md)
    "commissioning": ("Coded and registered", "赋码登记"),
    "packing": ("Packed", "包装"),
    "shipping": ("Shipped", "发货"),
    "receiving": ("Received", "收货"),
    "retail_selling": ("Sold", "售出"),
}


def product_for(client: TraceClient, gtin: str) -> Product:
    """The product with this GTIN: registered now, or found when it already is."""
    try:
        return client.products.create(
            gtin=gtin,
            name={"zh-CN": "烟台红富士苹果 5 公斤", "en": "Yantai Fuji apples, 5 kg"},
            category="edible-agricultural-products",
            listing_url="https://shop.example.com/products/yantai-apples",
        )
    except ConflictError:
        return next(iter(client.products.list(gtin=gtin)))


def run(client: TraceClient, *, gtin: str, count: int) -> int:
    # 1. The product (商品) and a batch (批次) of it, with where and when it was grown.
    product = product_for(client, gtin)
    names = product.name or {}
    print(f"product  #{product.id}  {product.gtin}  {names.get('zh-CN')} / {names.get('en')}")
    harvested = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)
    lot = harvested.strftime("%y%m%d") + "-" + secrets.token_hex(3).upper()  # e.g. 250501-9F3A1C
    batch = client.batches.create(
        product_id=product.id,
        lot=lot,
        production_date=harvested.date(),
        expiry_date=harvested.date() + timedelta(days=60),
        origin={"place": {"zh-CN": "山东烟台", "en": "Yantai, Shandong"}, "countryCode": "CN"},
        producer={"name": {"zh-CN": "栖霞果园合作社", "en": "Qixia Orchard Cooperative"}},
    )
    print(f"batch    #{batch.id}  lot {batch.lot}")

    # 2. Unit codes (追溯码): one GS1 Digital Link URI per box, to print as QR labels.
    issued = client.codes.issue(batch.id, count, wait=True)
    codes = [code.uri for code in client.codes.list(batch.id, issuance=issued.issuance.id)]
    print(f"codes    {len(codes)} issued, e.g. {codes[0]}")

    # 3. The supply chain as EPCIS 2.0 events, captured in one document.
    case = f"urn:epc:id:sscc:9506000.{secrets.randbelow(10**10):010d}"  # the shipping case
    chain = [
        ev.commission(
            codes,
            ilmd=lot_ilmd(lot=lot, production_date=harvested.date()),
            read_point=ORCHARD,
            event_time=harvested,
        ),
        ev.pack(case, codes, read_point=ORCHARD, event_time=harvested + timedelta(hours=2)),
        ev.object_event(
            "OBSERVE",
            epcs=[case],
            biz_step="shipping",
            disposition="in_transit",
            read_point=ORCHARD,
            event_time=harvested + timedelta(hours=6),
        ),
        ev.receive([case], biz_location=WAREHOUSE, event_time=harvested + timedelta(days=1)),
        ev.sell(codes[:1], biz_location=WAREHOUSE, event_time=harvested + timedelta(days=2)),
    ]
    job = client.events.capture(chain, wait=True)
    print(f"capture  job {job.capture_id}: {job.stored} events stored, success={job.success}")

    # 4. The trace of the box sold, as the shopper's scan will show it.
    trace = client.traces.get(codes[0])
    print(f"\ntrace of {trace.code}")
    for event in trace.events:
        en, zh = STEPS.get(event.biz_step or "", (event.biz_step or event.event_type, ""))
        when = event.event_time.isoformat() if event.event_time else "?"
        print(f"  {when}  {en} / {zh}  ({event.via})")
    print(f"  now: {trace.state.status}, last step {trace.state.last_step}")

    # 5. The events are chained by hashes (防篡改): recompute the chain.
    report = client.integrity.verify()
    print(f"\nhash chain over {report.events} events valid: {report.valid}")
    return 0 if job.success and report.valid else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--base-url",
        default=os.environ.get("SHOPTRACE_BASE_URL", DEFAULT_BASE_URL),
        help="where the trace service is mounted (env SHOPTRACE_BASE_URL; default %(default)s)",
    )
    parser.add_argument(
        "--api-key",
        default=os.environ.get("SHOPTRACE_API_KEY"),
        help="the merchant's API key (env SHOPTRACE_API_KEY)",
    )
    parser.add_argument("--gtin", default=GTIN, help="GTIN-14 of the product (%(default)s)")
    parser.add_argument("--count", type=int, default=6, help="unit codes to issue (%(default)s)")
    args = parser.parse_args(argv)
    if not args.api_key:
        parser.error("give --api-key or set SHOPTRACE_API_KEY")
    try:
        with TraceClient(args.api_key, base_url=args.base_url) as client:
            return run(client, gtin=args.gtin, count=args.count)
    except APIError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
