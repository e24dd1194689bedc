"""Helpers of the resolver tests: a shop with public, partner and private data, built through
the services (codes through issuance, events through capture), and the words that must
never reach a public answer."""

from __future__ import annotations

import json
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from flask import Flask

from shoptrace.sdk.epcis import make_document
from shoptrace.shop_plugin.services.batches import create_batch
from shoptrace.shop_plugin.services.capture import capture_document
from shoptrace.shop_plugin.services.issuance import issue_codes
from shoptrace.shop_plugin.services.merchants import create_merchant
from shoptrace.shop_plugin.services.products import create_product
from tests.shop_plugin.epcis_helpers import supply_chain
from tests.shop_plugin.helpers import GTIN

BASE = "https://shop.example.com/trace"
LISTING = "https://shop.example.com/p/longjing"
CERT_URL = "https://cert.example/organic-1"
PARTNER_CERT_URL = "https://cert.example/gap-partner"
SECRETS = (
    "Secret recipe",  # product description, private
    "SKU-SECRET-7",  # shop product id: never public
    "2031-07-19",  # batch expiry date, private
    "Partner Farm",  # producer, partner
    "LIC-SECRET-9",  # producer licence, partner
    "REP-SECRET-1",  # inspection report: not in the public contract
    "Lab Secret",
    "GAP-SECRET",  # batch certificate, partner
    "gap-partner",
    "orders/1001",  # a business transaction in the events
    "414/9506000000022",  # a place in the events (the store's GLN)
    "tag_key_salt",
)
"""Text of partner, private or internal data: no public answer may contain any of it."""


@dataclass
class Shop:
    """A merchant with one product, one batch, issued codes and (optionally) events."""

    merchant_id: int
    product: dict[str, Any]
    batch: dict[str, Any]
    serials: list[str]
    gtin: str = GTIN
    lot: str = "LOT42"

    def unit(self, index: int = 0, *, lot: bool = True) -> str:
        """The path of a unit's code under /trace."""
        middle = f"/10/{self.lot}" if lot else ""
        return f"/trace/01/{self.gtin}{middle}/21/{self.serials[index]}"

    @property
    def lot_path(self) -> str:
        return f"/trace/01/{self.gtin}/10/{self.lot}"

    @property
    def product_path(self) -> str:
        return f"/trace/01/{self.gtin}"


def capture(app: Flask, merchant_id: int, events: list[dict[str, Any]]) -> None:
    """Capture events through the capture service (as ``POST /epcis/capture`` does)."""
    shop = app.extensions["shoptrace"]
    body = BytesIO(json.dumps(make_document(events)).encode("utf-8"))
    with shop.store.begin() as conn:
        job = capture_document(conn, merchant_id, body, max_events=1000)
    assert job["success"], job


def make_shop(
    app: Flask,
    *,
    name: str = "Acme Tea",
    gtin: str = GTIN,
    count: int = 5,
    events: bool = True,
    product: dict[str, Any] | None = None,
    batch: dict[str, Any] | None = None,
) -> Shop:
    """A shop whose data holds a public, a partner and a private value of each kind."""
    shop = app.extensions["shoptrace"]
    with shop.store.begin() as conn:
        merchant, _key = create_merchant(conn, name)
        mid = merchant["id"]
        made_product = create_product(
            conn,
            mid,
            {
                "gtin": gtin,
                "name": {"zh-CN": "西湖龙井茶", "en": "Longjing tea"},
                "description": {"en": "Secret recipe: roasted twice."},
                "category": "edible-agricultural-products",
                "listingUrl": LISTING,
                "shopProductId": "SKU-SECRET-7",
                "certifications": [
                    {
                        "scheme": "organic",
                        "issuer": "CQC",
                        "number": "CN-ORG-1",
                        "verification": "third-party-verified",
                        "validUntil": "2030-01-01",
                        "url": CERT_URL,
                    }
                ],
                "visibility": {"description": "private"},
                **(product or {}),
            },
        )
        made_batch = create_batch(
            conn,
            mid,
            {
                "productId": made_product["id"],
                "lot": "LOT42",
                "productionDate": "2025-02-20",
                "expiryDate": "2031-07-19",
                "origin": {"place": {"zh-CN": "龙井村", "en": "Longjing village"}},
                "producer": {"name": {"en": "Partner Farm Ltd"}, "licenseNumber": "LIC-SECRET-9"},
                "inspectionReports": [
                    {
                        "issuer": "Lab Secret",
                        "number": "REP-SECRET-1",
                        "date": "2025-02-21",
                        "result": "pass",
                    }
                ],
                "certifications": [
                    {
                        "scheme": "gap",
                        "issuer": "GAP body",
                        "number": "GAP-SECRET",
                        "verification": "self-declared",
                        "url": PARTNER_CERT_URL,
                    }
                ],
                "visibility": {
                    "expiryDate": "private",
                    "producer": "partner",
                    "certifications": "partner",
                },
                **(batch or {}),
            },
        )
        issued = issue_codes(
            conn,
            mid,
            made_batch["id"],
            {"count": count},
            signing_key=shop.signing_key,
            sync_limit=1000,
            max_count=1000,
        )
    assert issued.serials is not None
    found = Shop(mid, made_product, made_batch, issued.serials, gtin=gtin)
    if events:
        capture(app, mid, supply_chain(issued.serials[:3]))
    return found


def forged(serial: str) -> str:
    """``serial`` with its check tag changed (same alphabet and length)."""
    last = "2" if serial[-1] != "2" else "3"
    return serial[:-1] + last


def flush_scans(app: Flask) -> None:
    """Wait until every scan handed to the recorder is stored."""
    recorder = app.extensions["shoptrace"].public.recorder
    if recorder is not None:
        assert recorder.flush(), "scans could not be stored"
