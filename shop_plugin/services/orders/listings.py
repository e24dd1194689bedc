"""The shop's listings: a listing saved on the merchant's product, and the lot a listing
now sells."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shoptrace.shop_plugin.services.allocation import selling_lot, unit_traced
from shoptrace.shop_plugin.services.clock import utcnow
from shoptrace.shop_plugin.services.errors import FieldError, InvalidInput
from shoptrace.shop_plugin.services.orders.shapes import _PRODUCT, _checked
from shoptrace.shop_plugin.services.products import create_product, get_product
from shoptrace.shop_plugin.store.tables import ORDER_SOURCES, products


def save_product(
    conn: Connection, merchant_id: int, product: Any, *, source: str = "api"
) -> dict[str, Any]:
    """Record a shop listing (the product shape) on the merchant's product; returns the
    product as the API shows it.

    The product is found by GTIN, else by the shop's product id (narrowed by SKU when
    several share it); the shop's product id, SKU, listing URL, name and category given are
    stored (a plain-text name in the language its characters are written in). A listing of a
    GTIN not registered yet registers it, which needs a name and a catalogue class. Saving
    the same listing again changes nothing.
    """
    if source not in ORDER_SOURCES:
        raise ValueError(f"source must be one of {', '.join(ORDER_SOURCES)}, got {source!r}")
    data = _checked(product, _PRODUCT, "")
    gtin = data.get("gtin")
    row = None
    if gtin:
        row = conn.execute(
            sa.select(products).where(
                products.c.merchant_id == merchant_id, products.c.gtin == gtin
            )
        ).one_or_none()
    else:
        found = list(
            conn.execute(
                sa.select(products)
                .where(
                    products.c.merchant_id == merchant_id,
                    products.c.shop_product_id == data["id"],
                )
                .order_by(products.c.id)
            )
        )
        if len(found) > 1 and data.get("sku"):
            found = [r for r in found if r.sku == data["sku"]]
        row = found[0] if len(found) == 1 else None
    values: dict[str, Any] = {"shop_product_id": data["id"]}
    for member, column in (("sku", "sku"), ("url", "listing_url")):
        if member in data:
            values[column] = data[member]
    name = data.get("name") or {}
    for lang, column in (("zh-CN", "name_zh"), ("en", "name_en")):
        if name.get(lang):
            values[column] = name[lang]
    if data.get("category"):
        values["category"] = data["category"]
    if row is None:
        missing = [
            FieldError(member, "required", f"to register a new product, give its {what}")
            for member, what in (
                ("gtin", "GTIN"),
                ("name", "name"),
                ("category", "catalogue class"),
            )
            if not data.get(member)
        ]
        if missing:
            raise InvalidInput(missing)
        body = {
            "gtin": gtin,
            "name": data["name"],
            "category": data["category"],
            "shopProductId": data["id"],
            "sku": data.get("sku"),
            "listingUrl": data.get("url"),
        }
        return create_product(conn, merchant_id, {k: v for k, v in body.items() if v is not None})
    changes = {k: v for k, v in values.items() if getattr(row, k) != v}
    if changes:
        conn.execute(
            products.update()
            .where(products.c.id == row.id, products.c.merchant_id == merchant_id)
            .values(updated_at=utcnow(), **changes)
        )
    return get_product(conn, merchant_id, row.id)


def listing_lot(
    conn: Connection, merchant_id: int, gtin: str, *, today: date | None = None
) -> tuple[int, str | None] | None:
    """``(product id, lot now selling)`` of the merchant's GTIN (None when not registered):
    the lot the next fulfilment takes first, None when there is none."""
    product = conn.execute(
        sa.select(products.c.id).where(
            products.c.merchant_id == merchant_id, products.c.gtin == gtin
        )
    ).first()
    if product is None:
        return None
    by_unit = bool(unit_traced(conn, merchant_id, [gtin]))
    lot = selling_lot(conn, merchant_id, product.id, today or utcnow().date(), by_unit=by_unit)
    return product.id, lot.lot if lot is not None else None
