"""Seeding on first start: the demo merchant, its goods and their supply chain, the shop.

Every step looks before it writes, so a second start reuses what the first made:

1. :func:`prepare_merchant` (before ``ShopTrace(app)``, so ``SHOPTRACE_SHOP_MERCHANT`` can
   name it): the merchant and its first API key, printed once.
2. :func:`seed_trace`: products, batches (origin, producer, reports, certificates,
   visibility), unit codes, and the supply chain as one EPCIS document: harvest at the farm,
   processing (a transformation from the raw material), inspection with a report, packing
   into cases and onto pallets, shipping to the warehouse, receiving, storing. One database
   transaction: all of it or nothing.
3. :func:`seed_shop`: the shop's listings with price and stock, and the warehouse's unit
   stock, read back from what shoptrace issued.
4. :func:`seed_orders`: past orders placed, shipped and delivered through the shop's own
   checkout code and order hooks (the retail sale of some units).
5. :func:`seed_recall`: last year's honey lot recalled, after some of it was sold.
"""

from __future__ import annotations

import io
import json
import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.engine import Connection

from examples.demo_shop import goods, sales, tracing
from examples.demo_shop.db import Shop, get_meta, orders, products, set_meta, stock_units
from shoptrace.sdk import digital_link
from shoptrace.sdk.epcis import events as ev
from shoptrace.sdk.epcis import make_document
from shoptrace.shop_plugin import Settings, open_store, state_of
from shoptrace.shop_plugin.services import batches as batch_service
from shoptrace.shop_plugin.services import locations as location_service
from shoptrace.shop_plugin.services import products as product_service
from shoptrace.shop_plugin.services.capture import capture_document
from shoptrace.shop_plugin.services.codes import list_codes
from shoptrace.shop_plugin.services.errors import Conflict
from shoptrace.shop_plugin.services.issuance import issue_codes
from shoptrace.shop_plugin.services.merchants import (
    create_merchant,
    get_merchant,
    list_keys,
    list_merchants,
)
from shoptrace.shop_plugin.services.pagination import decode_token
from shoptrace.shop_plugin.services.recalls import create_recall
from shoptrace.shop_plugin.store import upgrade
from shoptrace.shop_plugin.store.tables import locations

__all__ = [
    "MERCHANT_NAME",
    "MerchantSetup",
    "anchor_day",
    "prepare_merchant",
    "seed",
]

log = logging.getLogger(__name__)

MERCHANT_NAME = "可追溯好物 Traceable Goods"
CHINA = timezone(timedelta(hours=8))
GS1 = "https://id.gs1.org"
CASE_SIZE = 12
RECALL_REASON = {
    "zh-CN": "抽检发现该批次蜂蜜水分含量超过标准，存在发酵变质风险。",
    "en": "A spot check found the lot's moisture above the standard: it may ferment.",
}


@dataclass(frozen=True)
class MerchantSetup:
    """The demo merchant: its id, and its API key when it was just created (shown once)."""

    merchant_id: int
    api_key: str | None
    key_prefix: str | None


def prepare_merchant(config: dict[str, Any], instance_path: str) -> MerchantSetup:
    """Find or create the demo merchant in the trace store ``config`` points at."""
    settings = Settings.from_mapping(config, instance_path=instance_path)
    store = open_store(settings.database_url)
    try:
        if settings.auto_migrate:
            upgrade(store)
        with store.begin() as conn:
            for merchant in list_merchants(conn):
                if merchant["name"] == MERCHANT_NAME:
                    keys = list_keys(conn, merchant["id"])
                    prefix = keys[0]["prefix"] if keys else None
                    return MerchantSetup(merchant["id"], None, prefix)
            merchant, key = create_merchant(conn, MERCHANT_NAME)
            return MerchantSetup(merchant["id"], key, "_".join(key.split("_")[:2]))
    finally:
        store.dispose()


def anchor_day(app: Flask) -> date:
    """The day the demo was first started (the merchant's creation, China time): every
    date of the story counts back from it, so lot numbers stay the same across starts."""
    with state_of(app).store.read() as conn:
        created = get_merchant(conn, tracing_merchant(app))["createdAt"]
    moment = datetime.fromisoformat(created.replace("Z", "+00:00"))
    return moment.astimezone(CHINA).date()


def tracing_merchant(app: Flask) -> int:
    value: int = app.config[tracing.MERCHANT_KEY]
    return value


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=CHINA)


def _class_uri(gtin: str, lot: str) -> str:
    return digital_link.build(GS1, gtin, lot=lot)


def _unit_uri(gtin: str, lot: str, serial: str) -> str:
    return digital_link.build(GS1, gtin, lot=lot, serial=serial)


def _sscc(product: goods.Product, lot_index: int, number: int) -> str:
    """An SSCC for a case (``number`` 1, 2, ...) or the pallet (0) of a lot."""
    serial_reference = f"{product.item_reference}{lot_index}{number:04d}"
    return f"urn:epc:id:sscc:{goods.COMPANY_PREFIX}.{serial_reference}"


def report_number(product: goods.Product, lot_code: str) -> str:
    return f"QC-{lot_code}-{product.item_reference}"


def _dates(product: goods.Product, lot: goods.Lot, today: date) -> dict[str, date]:
    harvested = lot.harvested(today)
    made = harvested + timedelta(days=0 if product.slug == "longjing-tea" else 2)
    return {
        "harvested": harvested,
        "made": made,
        "inspected": made + timedelta(days=3),
        "packed": made + timedelta(days=5),
        "shipped": made + timedelta(days=7),
        "received": made + timedelta(days=8),
    }


# --- 2. the trace service's records ---------------------------------------------------------


def _batch_body(
    product: goods.Product, lot: goods.Lot, product_id: int, today: date, shop_base: str
) -> dict[str, Any]:
    code = lot.code(today)
    dates = _dates(product, lot, today)
    producer = goods.PLACES[product.producer_place]
    number = report_number(product, code)
    return {
        "productId": product_id,
        "lot": code,
        "productionDate": dates["made"].isoformat(),
        "expiryDate": lot.expiry(today).isoformat(),
        "origin": product.origin,
        "producer": {
            **producer.party(),
            "licenseNumber": product.license_number,
            "address": {"zh-CN": producer.zh, "en": producer.en},
        },
        "inspectionReports": [
            {
                "issuer": product.lab_issuer,
                "number": number,
                "date": dates["inspected"].isoformat(),
                "result": "pass",
                "url": f"{shop_base}/reports/{number}",
            }
        ],
        "certifications": list(product.batch_certifications),
        "visibility": dict(product.batch_visibility),
    }


def _product_body(product: goods.Product, today: date, shop_base: str) -> dict[str, Any]:
    certificates = [
        {
            **cert,
            "validFrom": (today - timedelta(days=400)).isoformat(),
            "validUntil": (today + timedelta(days=1100)).isoformat(),
        }
        for cert in product.certifications
    ]
    return {
        "gtin": product.gtin,
        "name": product.name,
        "description": product.description,
        "category": product.category,
        "listingUrl": f"{shop_base}/products/{product.slug}",
        "shopProductId": product.slug,
        "certifications": certificates,
    }


def lot_events(
    product: goods.Product,
    lot: goods.Lot,
    lot_index: int,
    today: date,
    serials: list[str],
    shop_base: str,
) -> list[dict[str, Any]]:
    """The story of one lot as EPCIS events, oldest first."""
    code = lot.code(today)
    dates = _dates(product, lot, today)
    raw_lot = f"{code}R"
    raw_class = _class_uri(product.raw_gtin, raw_lot)
    lot_class = _class_uri(product.gtin, code)
    farm = goods.PLACES[product.raw["place"]]
    plant = goods.PLACES[product.producer_place]
    lab = goods.PLACES[product.lab]
    warehouse = goods.PLACES["warehouse"]
    made_kg = round(lot.amount_kg * product.yield_ratio, 1)
    units = [_unit_uri(product.gtin, code, s) for s in serials]
    pallet = _sscc(product, lot_index, 0)
    despatch = f"urn:demo-shop:desadv:{code}"
    report = f"{shop_base}/reports/{report_number(product, code)}"
    events: list[dict[str, Any]] = [
        # Harvest: the raw material's lot comes into being at the farm, with its origin.
        ev.commission(
            quantities=[ev.quantity(raw_class, lot.amount_kg, "KGM")],
            ilmd=ev.lot_ilmd(
                lot=raw_lot, production_date=dates["harvested"], country_of_origin="CN"
            ),
            read_point=farm.uri,
            biz_location=farm.uri,
            event_time=_at(dates["harvested"], 6, 30),
        ),
        # Processing: raw material in, the product's lot out.
        ev.transform(
            input_quantities=[ev.quantity(raw_class, lot.amount_kg, "KGM")],
            output_quantities=[ev.quantity(lot_class, made_kg, "KGM")],
            ilmd=ev.lot_ilmd(
                lot=code,
                production_date=dates["made"],
                expiry=lot.expiry(today),
                country_of_origin="CN",
            ),
            biz_step="assembling",
            read_point=plant.uri,
            biz_location=plant.uri,
            event_time=_at(dates["made"], 15),
        ),
        # Inspection at the lab, the report attached.
        ev.inspect(
            quantities=[ev.quantity(lot_class)],
            passed=True,
            read_point=lab.uri,
            biz_location=lab.uri,
            certification_info=report,
            event_time=_at(dates["inspected"], 10),
        ),
    ]
    packed = dates["packed"]
    cases: list[str] = []
    if units:
        events.append(
            ev.commission(
                units,
                ilmd=ev.lot_ilmd(lot=code, expiry=lot.expiry(today), production_date=dates["made"]),
                read_point=plant.uri,
                biz_location=plant.uri,
                event_time=_at(packed, 9),
            )
        )
        for number, start in enumerate(range(0, len(units), CASE_SIZE), start=1):
            case = _sscc(product, lot_index, number)
            cases.append(case)
            events.append(
                ev.pack(
                    case,
                    units[start : start + CASE_SIZE],
                    read_point=plant.uri,
                    event_time=_at(packed, 9, 30 + number),
                )
            )
        events.append(ev.pack(pallet, cases, read_point=plant.uri, event_time=_at(packed, 11)))
    else:
        bags = int(made_kg // 5)
        events.append(
            ev.pack(
                pallet,
                child_quantities=[ev.quantity(lot_class, bags)],
                read_point=plant.uri,
                event_time=_at(packed, 11),
            )
        )
    # The lot's own story goes on past the plant: each observation of the pallet also
    # names how much of the lot it holds (the lot's trace page shows the journey).
    held = [ev.quantity(lot_class, len(units) if units else int(made_kg // 5))]
    events += [
        ev.object_event(
            "OBSERVE",
            epcs=[pallet],
            quantities=held,
            biz_step="shipping",
            disposition="in_transit",
            read_point=plant.uri,
            biz_transactions=[ev.biz_transaction(despatch, "desadv")],
            sources=[("location", plant.uri)],
            destinations=[("location", warehouse.uri)],
            event_time=_at(dates["shipped"], 8),
        ),
        ev.receive(
            [pallet],
            quantities=held,
            despatch_advice=despatch,
            read_point=warehouse.uri,
            biz_location=warehouse.uri,
            event_time=_at(dates["received"], 15),
        ),
        ev.aggregation_event(
            "DELETE",
            parent=pallet,
            biz_step="unpacking",
            read_point=warehouse.uri,
            biz_location=warehouse.uri,
            event_time=_at(dates["received"], 16),
        ),
        ev.object_event(
            "OBSERVE",
            epcs=cases,
            quantities=held,
            biz_step="storing",
            disposition="sellable_accessible",
            read_point=warehouse.uri,
            biz_location=warehouse.uri,
            event_time=_at(dates["received"], 16, 30),
        ),
    ]
    return events


def _names(uri: str, en: str, zh: str) -> dict[str, Any]:
    return {
        "id": uri,
        "attributes": [
            {"id": "urn:epcglobal:cbv:mda#name", "attribute": en},
            {"id": "urn:demo-shop:mda:name-zh", "attribute": zh},
        ],
    }


def _master_data() -> dict[str, Any]:
    """Names of the places and goods the events use (EPCIS master data in the header)."""
    places = [_names(place.uri, place.en, place.zh) for place in goods.PLACES.values()]
    classes = []
    for product in goods.PRODUCTS:
        for gtin, name in ((product.gtin, product.name), (product.raw_gtin, product.raw["name"])):
            classes.append(_names(digital_link.build(GS1, gtin), name["en"], name["zh-CN"]))
    vocabularies = (
        ("BusinessLocation", places),
        ("ReadPoint", places),
        ("EPCClass", classes),
    )
    return {
        "epcisMasterData": {
            "vocabularyList": [
                {"type": f"urn:epcglobal:epcis:vtype:{kind}", "vocabularyElementList": elements}
                for kind, elements in vocabularies
            ]
        }
    }


def _name_places(conn: Connection, merchant_id: int) -> None:
    """Name the places the events use, publicly, so trace pages say where each step
    happened (once: a store that has or had locations keeps them as the merchant left them)."""
    named = sa.select(locations.c.id).where(locations.c.merchant_id == merchant_id).limit(1)
    if conn.execute(named).first() is not None:
        return
    for place in goods.PLACES.values():
        location_service.create_location(
            conn,
            merchant_id,
            {
                "id": place.uri,
                "name": {"zh-CN": place.zh, "en": place.en},
                "address": {"countryCode": "CN"},
                "visibility": {"name": "public", "address": "public"},
            },
        )


def seed_trace(app: Flask, today: date) -> bool:
    """Record the demo's goods and their story in shoptrace; False when they are there."""
    shop_state = state_of(app)
    settings = shop_state.settings
    merchant_id = tracing_merchant(app)
    shop_base = app.config["DEMO_BASE_URL"]
    with shop_state.store.begin() as conn:
        _name_places(conn, merchant_id)
        if product_service.list_products(conn, merchant_id, limit=1).items:
            return False
        events: list[dict[str, Any]] = []
        for product in goods.PRODUCTS:
            created = product_service.create_product(
                conn, merchant_id, _product_body(product, today, shop_base)
            )
            for index, lot in enumerate(product.lots, start=1):
                batch = batch_service.create_batch(
                    conn, merchant_id, _batch_body(product, lot, created["id"], today, shop_base)
                )
                serials: list[str] = []
                if lot.units:
                    issued = issue_codes(
                        conn,
                        merchant_id,
                        batch["id"],
                        {"count": lot.units},
                        signing_key=shop_state.signing_key,
                        sync_limit=max(lot.units, settings.sync_code_limit),
                        max_count=max(lot.units, settings.max_code_count),
                    )
                    serials = list(issued.serials or [])
                events += lot_events(product, lot, index, today, serials, shop_base)
        events.sort(key=lambda e: e["eventTime"])
        document = make_document(events, header=_master_data())
        capture_document(
            conn,
            merchant_id,
            io.BytesIO(json.dumps(document, ensure_ascii=False).encode("utf-8")),
            max_events=max(len(events), settings.capture_max_events),
        )
    return True


# --- 3. the shop's catalogue and stock ------------------------------------------------------


def _trace_batches(app: Flask, gtin: str) -> list[dict[str, Any]]:
    merchant_id = tracing_merchant(app)
    with state_of(app).store.read() as conn:
        found = product_service.list_products(conn, merchant_id, gtin=gtin, limit=1).items
        if not found:
            return []
        return batch_service.list_batches(conn, merchant_id, product_id=found[0]["id"]).items


def _codes(app: Flask, batch_id: int) -> list[dict[str, Any]]:
    merchant_id = tracing_merchant(app)
    base = tracing.base_url()
    found: list[dict[str, Any]] = []
    after = 0
    with state_of(app).store.read() as conn:
        while True:
            page = list_codes(conn, merchant_id, batch_id, base_url=base, after=after, limit=500)
            found += page.items
            if page.next_token is None:
                return found
            after = decode_token(page.next_token)


def _in_stock(code: dict[str, Any]) -> bool:
    """Whether shoptrace still counts a unit as stock (a shop database made anew beside a
    trace store that sold some already must not sell them twice)."""
    return code["status"] in ("issued", "commissioned", "packed", "returned")


def seed_shop(app: Flask, shop: Shop, today: date) -> bool:
    """List the goods in the shop and take the issued packs into stock."""
    with shop.read() as conn:
        if conn.execute(sa.select(sa.func.count()).select_from(products)).scalar_one():
            return False
    rows: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []
    for position, product in enumerate(goods.PRODUCTS):
        units: list[dict[str, Any]] = []
        for batch in _trace_batches(app, product.gtin):
            units += [{**code, "lot": batch["lot"]} for code in _codes(app, batch["id"])]
        values = {
            "slug": product.slug,
            "sku": product.sku,
            "gtin": product.gtin,
            "category": product.category,
            "name_zh": product.name["zh-CN"],
            "name_en": product.name["en"],
            "pack_zh": product.pack["zh-CN"],
            "pack_en": product.pack["en"],
            "summary_zh": product.summary["zh-CN"],
            "summary_en": product.summary["en"],
            "price_cents": product.price_cents,
            "stock": sum(_in_stock(u) for u in units) if product.serialised else product.lot_stock,
            "lot": product.selling().code(today),
            "serialised": product.serialised,
            "image": product.image,
            "position": position,
        }
        rows.append((values, units))
    with shop.begin() as conn:
        for values, units in rows:
            product_id = conn.execute(
                products.insert().values(**values).returning(products.c.id)
            ).scalar_one()
            if units:
                conn.execute(
                    stock_units.insert(),
                    [
                        {
                            "product_id": product_id,
                            "lot": unit["lot"],
                            "serial": unit["serial"],
                            "state": "in_stock" if _in_stock(unit) else "sold",
                        }
                        for unit in units
                    ],
                )
    return True


def sync_listings(app: Flask) -> None:
    """Tell shoptrace about the listings (``product_saved``): their SKU, the shop's product
    id and the page's URL on the shop's current address. Sent at every start, as a shop
    does when it deploys; saving an unchanged listing again is harmless."""
    for product in goods.PRODUCTS:
        outcome = tracing.product_saved(
            {
                "id": product.slug,
                "gtin": product.gtin,
                "sku": product.sku,
                "name": product.name,
                "url": f"{app.config['DEMO_BASE_URL']}/products/{product.slug}",
                "category": product.category,
            }
        )
        if not outcome.ok:
            log.warning("listing %s not saved in shoptrace: %s", product.slug, outcome.problem)


# --- 4. past orders -------------------------------------------------------------------------


def _product_ids(shop: Shop) -> dict[str, int]:
    with shop.read() as conn:
        return {r.slug: r.id for r in conn.execute(sa.select(products.c.slug, products.c.id))}


def seed_orders(app: Flask, shop: Shop, today: date) -> bool:
    """Past orders, placed and moved on through the shop's own code (ids 1001, 1002 ...)."""
    with shop.read() as conn:
        if get_meta(conn, "seed.orders") == "done":
            return False
    ids = _product_ids(shop)
    for number, past in enumerate(goods.PAST_ORDERS, start=1001):
        with shop.read() as conn:
            status = conn.execute(sa.select(orders.c.status).where(orders.c.id == number)).scalar()
        if status is None:
            with shop.begin() as conn:
                name = past["address"]["name"]
                customer_id = sales.customer_by_email(conn, past["email"], name)
            placed = datetime.combine(today - timedelta(days=past["days_ago"]), time(2, 15))
            sales.place_order(
                shop,
                customer_id=customer_id,
                cart={ids[slug]: quantity for slug, quantity, _ in past["lines"]},
                address=past["address"],
                lang="zh-CN",
                placed_at=placed.replace(tzinfo=None),
                order_id=number,
            )
            status = "placed"
        if past["to"] in ("shipped", "delivered") and status == "placed":
            prefer = {
                ids[slug]: _lot_code(slug, today, recalled=True)
                for slug, _, lot in past["lines"]
                if lot == "recalled"
            }
            outcome = sales.ship_order(shop, number, prefer=prefer)
            if not outcome.ok:
                log.warning("seeded order %s not shipped: %s", number, outcome.problem)
                continue
            status = "shipped"
        if past["to"] == "delivered" and status == "shipped":
            sales.deliver_order(shop, number)
    with shop.begin() as conn:
        set_meta(conn, "seed.orders", "done")
    return True


def _lot_code(slug: str, today: date, *, recalled: bool) -> str:
    product = goods.product(slug)
    return next(lot.code(today) for lot in product.lots if lot.recalled == recalled)


# --- 5. the recall --------------------------------------------------------------------------


def recalled_lot(today: date) -> tuple[goods.Product, str]:
    """The product and lot under recall."""
    for product in goods.PRODUCTS:
        for lot in product.lots:
            if lot.recalled:
                return product, lot.code(today)
    raise LookupError("no recalled lot in the demo goods")


def seed_recall(app: Flask, shop: Shop, today: date) -> bool:
    """Recall last year's honey lot (shoptrace marks its units and captures the recall
    event), and hold its packs back in the shop's warehouse."""
    with shop.read() as conn:
        if get_meta(conn, "seed.recall") == "done":
            return False
    product, code = recalled_lot(today)
    body = {"gtin": product.gtin, "lots": [code], "reason": RECALL_REASON, "severity": "2"}
    with state_of(app).store.begin() as conn:
        try:
            create_recall(conn, tracing_merchant(app), body, base_url=tracing.base_url())
        except Conflict:
            pass  # recalled already, by a start that stopped before it was noted
    sales.hold_lot(shop, product.gtin, code, RECALL_REASON)
    with shop.begin() as conn:
        set_meta(conn, "seed.recall", "done")
    return True


# --- all of it ------------------------------------------------------------------------------


def seed(app: Flask, shop: Shop) -> dict[str, bool]:
    """Run every seeding step that has not run yet; say which ones ran."""
    today = anchor_day(app)
    with app.test_request_context("/", base_url=app.config["DEMO_BASE_URL"]):
        ran = {
            "trace": seed_trace(app, today),
            "shop": seed_shop(app, shop, today),
        }
        sync_listings(app)
        ran["orders"] = seed_orders(app, shop, today)
        ran["recall"] = seed_recall(app, shop, today)
        return ran
