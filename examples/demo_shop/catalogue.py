"""The catalogue: the home page's listings and the product pages, each with its trace badge.

Listings name the lot now selling (``<shoptrace-badge gtin=... lot=...>``); the product page
adds the full timeline (``<shoptrace-trace>``) and the lot's trace data as the merchant made
it public: partner-only and private fields show as such, not their values.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, render_template

from examples.demo_shop import goods, i18n, sales, tracing
from examples.demo_shop.db import products, shop
from shoptrace.shop_plugin import state_of
from shoptrace.shop_plugin.services import batches as batch_service
from shoptrace.shop_plugin.services import products as product_service
from shoptrace.shop_plugin.services.completeness import batch_completeness
from shoptrace.widgets import i18n as trace_i18n

__all__ = ["blueprint", "listing", "trace_record"]

blueprint = Blueprint("catalogue", __name__)


def listing(row: Any, lang: str) -> dict[str, Any]:
    """A product row as the pages show it."""
    zh = lang == "zh-CN"
    return {
        "id": row.id,
        "slug": row.slug,
        "sku": row.sku,
        "gtin": row.gtin,
        "lot": row.lot,
        "name": row.name_zh if zh else row.name_en,
        "pack": row.pack_zh if zh else row.pack_en,
        "summary": row.summary_zh if zh else row.summary_en,
        "price_cents": row.price_cents,
        "stock": row.stock,
        "serialised": row.serialised,
        "image": row.image,
        "category": i18n.category_name(row.category, lang),
    }


@blueprint.get("/")
def home() -> str:
    lang = i18n.current_lang()
    with shop().read() as conn:
        rows = conn.execute(sa.select(products).order_by(products.c.position)).all()
    return render_template("demo_shop/home.html", products=[listing(r, lang) for r in rows])


def _pick(texts: Any, lang: str) -> str | None:
    if isinstance(texts, dict):
        value = texts.get(lang) or texts.get("en" if lang == "zh-CN" else "zh-CN")
        return value if isinstance(value, str) else None
    return None


def _shown(visibility: dict[str, str], field: str, value: Any) -> Any:
    """The value when public; else the words saying who may see it."""
    level = visibility.get(field, "public")
    if level == "public":
        return value
    return {"hidden": i18n.t("product.partner_only" if level == "partner" else "product.private")}


def trace_record(gtin: str, lot: str, lang: str) -> dict[str, Any] | None:
    """What shoptrace holds about the lot now selling, read as the merchant (it is ours)."""
    app = current_app
    merchant_id = tracing.merchant_id()
    with state_of(app).store.read() as conn:
        found = product_service.list_products(conn, merchant_id, gtin=gtin, limit=1).items
        if not found:
            return None
        product = found[0]
        batch_page = batch_service.list_batches(
            conn, merchant_id, product_id=product["id"], lot=lot, limit=1
        )
        if not batch_page.items:
            return None
        batch = batch_page.items[0]
        completeness = batch_completeness(conn, merchant_id, batch["id"])
    visibility = batch["visibility"]
    origin = batch.get("origin") or {}
    producer = batch.get("producer") or {}
    certificates = [
        {**cert, "verificationLabel": trace_i18n.verification_phrase(cert["verification"], lang)}
        for cert in [*(product.get("certifications") or []), *(batch.get("certifications") or [])]
    ]
    return {
        "lot": batch["lot"],
        "productionDate": _shown(
            visibility, "productionDate", trace_i18n.format_date(batch["productionDate"], lang)
        ),
        "expiryDate": _shown(
            visibility, "expiryDate", trace_i18n.format_date(batch["expiryDate"], lang)
        ),
        "origin": _shown(visibility, "origin", _pick(origin.get("place"), lang)),
        "producer": _shown(visibility, "producer", _pick(producer.get("name"), lang)),
        "license": _shown(visibility, "producer", producer.get("licenseNumber")),
        "reports": _shown(visibility, "inspectionReports", batch.get("inspectionReports") or []),
        "certifications": _shown(visibility, "certifications", certificates),
        "completeness": _percent(completeness),
    }


def _percent(completeness: dict[str, Any]) -> int | None:
    score = completeness.get("score")
    return round(score * 100) if isinstance(score, int | float) else None


@blueprint.get("/products/<slug>")
def product_page(slug: str) -> str:
    lang = i18n.current_lang()
    with shop().read() as conn:
        row = conn.execute(sa.select(products).where(products.c.slug == slug)).one_or_none()
        if row is None:
            abort(404)
        recalled = sales.recalled_lots(conn, row.gtin)
    item = listing(row, lang)
    return render_template(
        "demo_shop/product.html",
        product=item,
        record=trace_record(row.gtin, row.lot, lang),
        lot_url=tracing.lot_uri(row.gtin, row.lot),
        recalled=[
            {"lot": lot, "url": tracing.lot_uri(gtin, lot)} for gtin, lot in sorted(recalled)
        ],
    )


@blueprint.get("/reports/<number>")
def report(number: str) -> str:
    """An inspection report the lots' records link to (a made-up lab's document)."""
    lang = i18n.current_lang()
    merchant_id = tracing.merchant_id()
    with state_of(current_app).store.read() as conn:
        for item in goods.PRODUCTS:
            found = product_service.list_products(conn, merchant_id, gtin=item.gtin, limit=1)
            if not found.items:
                continue
            for batch in batch_service.list_batches(
                conn, merchant_id, product_id=found.items[0]["id"]
            ).items:
                for entry in batch["inspectionReports"]:
                    if entry["number"] == number:
                        return render_template(
                            "demo_shop/report.html",
                            report=entry,
                            product_name=item.name[lang],
                            gtin=item.gtin,
                            lot=batch["lot"],
                            date=trace_i18n.format_date(entry["date"], lang),
                        )
    abort(404)
