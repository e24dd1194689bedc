"""Batches (lots): lot number, dates, origin, producer, inspection reports, certificates."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from shoptrace.shop_plugin.services.clock import iso, utcnow
from shoptrace.shop_plugin.services.errors import (
    Conflict,
    FieldError,
    InUse,
    InvalidInput,
    NotFound,
)
from shoptrace.shop_plugin.services.pagination import MAX_ID, Page, fetch_page
from shoptrace.shop_plugin.services.products import product_row
from shoptrace.shop_plugin.services.references import batch_uses, delete_row
from shoptrace.shop_plugin.services.schemas import (
    certifications,
    jsonable,
    merged_visibility,
    visibility,
)
from shoptrace.shop_plugin.services.validation import (
    Check,
    Field,
    array,
    enum,
    gs1,
    i18n,
    integer,
    iso_date,
    obj,
    text,
    url,
    validate,
)
from shoptrace.shop_plugin.store.tables import batches, issuances

__all__ = [
    "BATCH_VISIBILITY_FIELDS",
    "batch_row",
    "create_batch",
    "delete_batch",
    "get_batch",
    "list_batches",
    "update_batch",
]

BATCH_VISIBILITY_FIELDS = (
    "productionDate",
    "expiryDate",
    "origin",
    "producer",
    "inspectionReports",
    "certifications",
)
"""Descriptive batch fields whose visibility a merchant sets (the lot is always public)."""

_origin = obj(
    {
        "place": Field(i18n(max_length=200), required=True),
        "countryCode": Field(text(max_length=2, min_length=2)),
        "region": Field(text(max_length=200)),
    }
)
_producer = obj(
    {
        "name": Field(i18n(max_length=200), required=True),
        "gln": Field(gs1("414")),
        "licenseNumber": Field(text(max_length=100)),
        "address": Field(i18n(max_length=500)),
    }
)
_report = obj(
    {
        "issuer": Field(text(max_length=200), required=True),
        "number": Field(text(max_length=100), required=True),
        "date": Field(iso_date(), required=True),
        "result": Field(enum(("pass", "fail")), required=True),
        "url": Field(url()),
    }
)


def _country(cleaned: dict[str, Any]) -> None:
    code = (cleaned.get("origin") or {}).get("countryCode")
    if code is not None and not (code.isascii() and code.isalpha() and code.isupper()):
        raise InvalidInput.one(
            "origin.countryCode", "iso-3166-alpha-2", "must be two capital letters, e.g. CN"
        )


def _dates_in_order(production: date | None, expiry: date | None) -> None:
    if production is not None and expiry is not None and expiry < production:
        raise InvalidInput.one("expiryDate", "date-order", "must not be before productionDate")


def _schema(*, partial: bool) -> Check:
    return obj(
        {
            "productId": Field(integer(minimum=1, maximum=MAX_ID), required=True),
            "lot": Field(gs1("10"), required=True),
            "productionDate": Field(iso_date("11")),
            "expiryDate": Field(iso_date("17")),
            "origin": Field(_origin),
            "producer": Field(_producer),
            "inspectionReports": Field(array(_report, max_items=50), nullable=False),
            "certifications": Field(certifications, nullable=False),
            "visibility": Field(visibility(BATCH_VISIBILITY_FIELDS), nullable=False),
        },
        partial=partial,
    )


_CREATE = _schema(partial=False)
_UPDATE = _schema(partial=True)

_COLUMNS = {
    "lot": "lot",
    "productionDate": "production_date",
    "expiryDate": "expiry_date",
    "origin": "origin",
    "producer": "producer",
    "inspectionReports": "inspection_reports",
    "certifications": "certifications",
}


def _columns(data: dict[str, Any]) -> dict[str, Any]:
    values = {}
    for member, column in _COLUMNS.items():
        if member in data:
            value = data[member]
            values[column] = value if isinstance(value, date | str) else jsonable(value)
    return values


def _codes_issued() -> sa.Label[Any]:
    return (
        sa.select(sa.func.coalesce(sa.func.sum(issuances.c.done), 0))
        .where(issuances.c.batch_id == batches.c.id)
        .scalar_subquery()
        .label("codes_issued")
    )


def render_batch(row: Any) -> dict[str, Any]:
    """The API form of a batch row."""
    return {
        "id": row.id,
        "productId": row.product_id,
        "gtin": row.gtin,
        "lot": row.lot,
        "productionDate": iso(row.production_date),
        "expiryDate": iso(row.expiry_date),
        "origin": row.origin,
        "producer": row.producer,
        "inspectionReports": row.inspection_reports,
        "certifications": row.certifications,
        "visibility": merged_visibility(BATCH_VISIBILITY_FIELDS, row.visibility),
        "codesIssued": int(row.codes_issued),
        "createdAt": iso(row.created_at),
        "updatedAt": iso(row.updated_at),
    }


def batch_row(conn: Connection, merchant_id: int, batch_id: int) -> Any:
    """The merchant's batch row ``batch_id``; NotFound for anyone else's."""
    row = conn.execute(
        sa.select(batches, _codes_issued()).where(
            batches.c.id == batch_id, batches.c.merchant_id == merchant_id
        )
    ).one_or_none()
    if row is None:
        raise NotFound.of("batch_id", f"batch {batch_id} does not exist")
    return row


def _lot_taken(conn: Connection, product_id: int, lot: str) -> None:
    taken = conn.execute(
        sa.select(batches.c.id).where(batches.c.product_id == product_id, batches.c.lot == lot)
    ).first()
    if taken is not None:
        raise Conflict(
            f"lot {lot!r} already exists for this product as batch {taken.id}",
            errors=[FieldError("lot", "unique", f"batch {taken.id} has this lot")],
        )


def create_batch(conn: Connection, merchant_id: int, body: Any) -> dict[str, Any]:
    """Validate ``body`` and store a new batch of one of the merchant's products."""
    data = validate(body, _CREATE)
    _country(data)
    _dates_in_order(data.get("productionDate"), data.get("expiryDate"))
    try:
        product = product_row(conn, merchant_id, data["productId"])
    except NotFound:
        raise InvalidInput.one(
            "productId", "not-found", f"product {data['productId']} does not exist"
        ) from None
    _lot_taken(conn, product.id, data["lot"])
    now = utcnow()
    values = _columns(data)
    values.setdefault("inspection_reports", [])
    values.setdefault("certifications", [])
    try:
        batch_id = conn.execute(
            batches.insert()
            .values(
                merchant_id=merchant_id,
                product_id=product.id,
                gtin=product.gtin,
                visibility=data.get("visibility") or {},
                created_at=now,
                updated_at=now,
                **values,
            )
            .returning(batches.c.id)
        ).scalar_one()
    except IntegrityError:
        raise Conflict(
            f"lot {data['lot']!r} already exists for this product",
            errors=[FieldError("lot", "unique", "another batch has this lot")],
        ) from None
    return get_batch(conn, merchant_id, batch_id)


def get_batch(conn: Connection, merchant_id: int, batch_id: int) -> dict[str, Any]:
    """One of the merchant's batches."""
    return render_batch(batch_row(conn, merchant_id, batch_id))


def list_batches(
    conn: Connection,
    merchant_id: int,
    *,
    after: int = 0,
    limit: int = 50,
    product_id: int | None = None,
    lot: str | None = None,
) -> Page:
    """The merchant's batches in id order, optionally of one product or lot."""
    query = sa.select(batches, _codes_issued()).where(batches.c.merchant_id == merchant_id)
    if product_id is not None:
        query = query.where(batches.c.product_id == product_id)
    if lot is not None:
        query = query.where(batches.c.lot == lot)
    return fetch_page(conn, query, batches.c.id, after=after, limit=limit, render=render_batch)


def update_batch(conn: Connection, merchant_id: int, batch_id: int, body: Any) -> dict[str, Any]:
    """Change the members given in ``body``; the product and the lot of a batch never change
    (codes carry them)."""
    data = validate(body, _UPDATE)
    _country(data)
    row = batch_row(conn, merchant_id, batch_id)
    for member, current in (("productId", row.product_id), ("lot", row.lot)):
        if member in data and data[member] != current:
            raise InvalidInput.one(
                member, "immutable", f"the {member} of a batch cannot change (codes carry it)"
            )
    _dates_in_order(
        data.get("productionDate", row.production_date), data.get("expiryDate", row.expiry_date)
    )
    values = _columns(data)
    values.pop("lot", None)
    if "visibility" in data:
        values["visibility"] = {**(row.visibility or {}), **data["visibility"]}
    if values:
        conn.execute(
            batches.update()
            .where(batches.c.id == batch_id, batches.c.merchant_id == merchant_id)
            .values(updated_at=utcnow(), **values)
        )
    return get_batch(conn, merchant_id, batch_id)


def delete_batch(conn: Connection, merchant_id: int, batch_id: int) -> dict[str, Any]:
    """Delete a lot nothing refers to (one recorded with a wrong lot number, say): no code
    was ever issued for it, no recall names it, no order line is bound to it, no event
    names it. Otherwise InUse names what refers to it (see
    :mod:`~shoptrace.shop_plugin.services.references`)."""
    row = batch_row(conn, merchant_id, batch_id)
    uses = batch_uses(conn, merchant_id, row)
    if uses:
        raise InUse(
            f"lot {row.lot!r} (batch {batch_id}) was not deleted: "
            + "; ".join(use.detail for use in uses),
            uses,
        )
    delete_row(conn, batches, merchant_id, batch_id, field="batch_id", what="batch")
    return {"id": batch_id, "deleted": True}
