"""Products: a GTIN with its names, category, listing and certificates, per merchant."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from shoptrace.shop_plugin.services.catalogue import CATEGORY_CODES
from shoptrace.shop_plugin.services.clock import iso, utcnow
from shoptrace.shop_plugin.services.errors import Conflict, FieldError, InUse, InvalidInput
from shoptrace.shop_plugin.services.pagination import Page, fetch_page
from shoptrace.shop_plugin.services.references import delete_row, product_uses
from shoptrace.shop_plugin.services.rows import owned_row
from shoptrace.shop_plugin.services.schemas import (
    certifications,
    jsonable,
    merged_visibility,
    visibility,
)
from shoptrace.shop_plugin.services.validation import (
    Check,
    Field,
    enum,
    i18n,
    obj,
    text,
    url,
    validate,
)
from shoptrace.shop_plugin.services.validation import (
    gtin as gtin_check,
)
from shoptrace.shop_plugin.store.tables import products

__all__ = [
    "PRODUCT_VISIBILITY_FIELDS",
    "create_product",
    "delete_product",
    "get_product",
    "list_products",
    "product_row",
    "update_product",
]

PRODUCT_VISIBILITY_FIELDS = (
    "name",
    "description",
    "category",
    "listingUrl",
    "shopProductId",
    "certifications",
)
"""Descriptive product fields whose visibility a merchant sets (GTIN is always public)."""


def _schema(*, partial: bool) -> Check:
    return obj(
        {
            "gtin": Field(gtin_check(), required=True),
            "name": Field(i18n(max_length=200), required=True),
            "description": Field(i18n(max_length=5000, multiline=True)),
            "category": Field(enum(CATEGORY_CODES), required=True),
            "listingUrl": Field(url()),
            "shopProductId": Field(text(max_length=100)),
            "sku": Field(text(max_length=100)),
            "certifications": Field(certifications, nullable=False),
            "visibility": Field(visibility(PRODUCT_VISIBILITY_FIELDS), nullable=False),
        },
        partial=partial,
    )


_CREATE = _schema(partial=False)
_UPDATE = _schema(partial=True)


def _columns(data: dict[str, Any]) -> dict[str, Any]:
    """Table columns for the validated members present in ``data``."""
    values: dict[str, Any] = {}
    if "gtin" in data:
        values["gtin"] = data["gtin"]
    for member, (zh, en) in (
        ("name", ("name_zh", "name_en")),
        ("description", ("description_zh", "description_en")),
    ):
        if member in data:
            texts = data[member] or {}
            values[zh], values[en] = texts.get("zh-CN"), texts.get("en")
    for member, column in (
        ("category", "category"),
        ("listingUrl", "listing_url"),
        ("shopProductId", "shop_product_id"),
        ("sku", "sku"),
    ):
        if member in data:
            values[column] = data[member]
    if "certifications" in data:
        values["certifications"] = jsonable(data["certifications"])
    return values


def _i18n(zh: str | None, en: str | None) -> dict[str, str] | None:
    texts = {k: v for k, v in (("zh-CN", zh), ("en", en)) if v is not None}
    return texts or None


def render_product(row: Any) -> dict[str, Any]:
    """The API form of a product row."""
    return {
        "id": row.id,
        "gtin": row.gtin,
        "name": _i18n(row.name_zh, row.name_en),
        "description": _i18n(row.description_zh, row.description_en),
        "category": row.category,
        "listingUrl": row.listing_url,
        "shopProductId": row.shop_product_id,
        "sku": row.sku,
        "certifications": row.certifications,
        "visibility": merged_visibility(PRODUCT_VISIBILITY_FIELDS, row.visibility),
        "createdAt": iso(row.created_at),
        "updatedAt": iso(row.updated_at),
    }


def product_row(conn: Connection, merchant_id: int, product_id: int) -> Any:
    """The merchant's product row ``product_id``; NotFound for anyone else's."""
    return owned_row(conn, products, merchant_id, product_id, field="product_id", what="product")


def _gtin_taken(conn: Connection, merchant_id: int, value: str) -> None:
    taken = conn.execute(
        sa.select(products.c.id).where(
            products.c.merchant_id == merchant_id, products.c.gtin == value
        )
    ).first()
    if taken is not None:
        raise Conflict(
            f"GTIN {value} is already registered as product {taken.id}",
            errors=[FieldError("gtin", "unique", f"product {taken.id} has this GTIN")],
        )


def create_product(conn: Connection, merchant_id: int, body: Any) -> dict[str, Any]:
    """Validate ``body`` and store a new product; a GTIN is registered once per merchant."""
    data = validate(body, _CREATE)
    _gtin_taken(conn, merchant_id, data["gtin"])
    now = utcnow()
    values = _columns(data)
    values.setdefault("certifications", [])
    try:
        product_id = conn.execute(
            products.insert()
            .values(
                merchant_id=merchant_id,
                visibility=data.get("visibility") or {},
                created_at=now,
                updated_at=now,
                **values,
            )
            .returning(products.c.id)
        ).scalar_one()
    except IntegrityError:
        raise Conflict(
            f"GTIN {data['gtin']} is already registered",
            errors=[FieldError("gtin", "unique", "another product has this GTIN")],
        ) from None
    return render_product(product_row(conn, merchant_id, product_id))


def get_product(conn: Connection, merchant_id: int, product_id: int) -> dict[str, Any]:
    """One of the merchant's products."""
    return render_product(product_row(conn, merchant_id, product_id))


def list_products(
    conn: Connection,
    merchant_id: int,
    *,
    after: int = 0,
    limit: int = 50,
    gtin: str | None = None,
    category: str | None = None,
    sku: str | None = None,
) -> Page:
    """The merchant's products in id order, optionally of one GTIN, category or SKU."""
    query = sa.select(products).where(products.c.merchant_id == merchant_id)
    if gtin is not None:
        query = query.where(products.c.gtin == gtin)
    if sku is not None:
        query = query.where(products.c.sku == sku)
    if category is not None:
        query = query.where(products.c.category == category)
    return fetch_page(conn, query, products.c.id, after=after, limit=limit, render=render_product)


def update_product(
    conn: Connection, merchant_id: int, product_id: int, body: Any
) -> dict[str, Any]:
    """Change the members given in ``body``; the GTIN of a product never changes."""
    data = validate(body, _UPDATE)
    row = product_row(conn, merchant_id, product_id)
    if "gtin" in data and data["gtin"] != row.gtin:
        raise InvalidInput.one(
            "gtin", "immutable", "the GTIN of a product cannot change; create a new product"
        )
    values = _columns(data)
    if "visibility" in data:
        values["visibility"] = {**(row.visibility or {}), **data["visibility"]}
    if values:
        conn.execute(
            products.update()
            .where(products.c.id == product_id, products.c.merchant_id == merchant_id)
            .values(updated_at=utcnow(), **values)
        )
    return get_product(conn, merchant_id, product_id)


def delete_product(conn: Connection, merchant_id: int, product_id: int) -> dict[str, Any]:
    """Delete a product nothing refers to (one registered with a wrong GTIN, say). A product
    with lots, orders, recalls or events is kept: InUse names what refers to it (see
    :mod:`~shoptrace.shop_plugin.services.references`)."""
    row = product_row(conn, merchant_id, product_id)
    uses = product_uses(conn, merchant_id, row)
    if uses:
        raise InUse(
            f"product {product_id} (GTIN {row.gtin}) was not deleted: "
            + "; ".join(use.detail for use in uses),
            uses,
        )
    delete_row(conn, products, merchant_id, product_id, field="product_id", what="product")
    return {"id": product_id, "deleted": True}
