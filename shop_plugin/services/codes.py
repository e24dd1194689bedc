"""Issued codes of a batch: listed by page, exported as CSV and as PDF labels.

A code's Digital Link URI is not stored: it is the batch's lot URI on the merchant's base
URL plus ``/21/{serial}`` (serial characters need no escaping), computed when shown, so a
merchant who moves the service keeps valid serials. Exports read the units a page at a time,
each page its own short read, so a million codes stream without being held in memory.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any, BinaryIO

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shoptrace.sdk import digital_link, labels
from shoptrace.sdk.errors import LabelError, MissingExtra
from shoptrace.shop_plugin.services.batches import batch_row
from shoptrace.shop_plugin.services.clock import iso
from shoptrace.shop_plugin.services.errors import InvalidInput, NotFound, Unavailable
from shoptrace.shop_plugin.services.pagination import Page, encode_token
from shoptrace.shop_plugin.services.products import product_row
from shoptrace.shop_plugin.store.engine import Store
from shoptrace.shop_plugin.store.tables import issuances, units

__all__ = [
    "CSV_COLUMNS",
    "check_selection",
    "csv_chunks",
    "list_codes",
    "unit_uri_prefix",
    "write_pdf",
]

CSV_COLUMNS = (
    "gtin",
    "lot",
    "serial",
    "uri",
    "status",
    "issuance_id",
    "issued_at",
    "product_name",
)


def unit_uri_prefix(base_url: str, gtin: str, lot: str) -> str:
    """The URI every unit of a lot starts with; a unit's URI is this plus ``/21/{serial}``."""
    return digital_link.build(base_url, gtin, lot=lot) + "/21/"


def check_selection(
    conn: Connection, merchant_id: int, batch_id: int, issuance_id: int | None
) -> Any:
    """The merchant's batch, after checking ``issuance_id`` (if given) belongs to it."""
    batch = batch_row(conn, merchant_id, batch_id)
    if issuance_id is not None:
        found = conn.execute(
            sa.select(issuances.c.id).where(
                issuances.c.id == issuance_id,
                issuances.c.batch_id == batch_id,
                issuances.c.merchant_id == merchant_id,
            )
        ).first()
        if found is None:
            raise NotFound.of(
                "issuance", f"issuance {issuance_id} of batch {batch_id} does not exist"
            )
    return batch


def _query(merchant_id: int, batch_id: int, issuance_id: int | None) -> sa.Select[Any]:
    query = sa.select(
        units.c.id, units.c.serial, units.c.status, units.c.issuance_id, units.c.created_at
    ).where(units.c.batch_id == batch_id, units.c.merchant_id == merchant_id)
    if issuance_id is not None:
        query = query.where(units.c.issuance_id == issuance_id)
    return query


def _render(row: Any, prefix: str) -> dict[str, Any]:
    return {
        "serial": row.serial,
        "uri": prefix + row.serial,
        "status": row.status,
        "issuanceId": row.issuance_id,
        "issuedAt": iso(row.created_at),
    }


def list_codes(
    conn: Connection,
    merchant_id: int,
    batch_id: int,
    *,
    base_url: str,
    after: int = 0,
    limit: int = 50,
    issuance_id: int | None = None,
) -> Page:
    """A page of a batch's codes in issue order, each with its Digital Link URI."""
    batch = check_selection(conn, merchant_id, batch_id, issuance_id)
    prefix = unit_uri_prefix(base_url, batch.gtin, batch.lot)
    order = units.c.id
    rows = conn.execute(
        _query(merchant_id, batch_id, issuance_id)
        .where(order > after)
        .order_by(order)
        .limit(limit + 1)
    ).all()
    token = encode_token(rows[limit - 1].id) if len(rows) > limit else None
    return Page([_render(r, prefix) for r in rows[:limit]], token)


def _pages(
    store: Store,
    merchant_id: int,
    batch_id: int,
    issuance_id: int | None,
    *,
    after: int = 0,
    limit: int | None = None,
    page: int = 5000,
) -> Iterator[Any]:
    """Yield unit rows in id order, one short read per ``page`` rows."""
    left = limit
    while left is None or left > 0:
        size = page if left is None else min(page, left)
        with store.read() as conn:
            rows = conn.execute(
                _query(merchant_id, batch_id, issuance_id)
                .where(units.c.id > after)
                .order_by(units.c.id)
                .limit(size)
            ).all()
        yield from rows
        if len(rows) < size:
            return
        after = rows[-1].id
        if left is not None:
            left -= len(rows)


def csv_chunks(
    store: Store,
    merchant_id: int,
    batch_id: int,
    *,
    base_url: str,
    language: str,
    issuance_id: int | None = None,
) -> Iterator[str]:
    """The batch's codes as CSV text, a header then one chunk per page of rows.

    ``product_name`` is in ``language`` (``zh-CN`` or ``en``), else the other language.
    Call :func:`check_selection` first: this generator runs after the response started.
    """
    with store.read() as conn:
        batch = check_selection(conn, merchant_id, batch_id, issuance_id)
        product = product_row(conn, merchant_id, batch.product_id)
    names = (product.name_zh, product.name_en)
    name = (names if language == "zh-CN" else names[::-1])[0] or next(filter(None, names), "")
    prefix = unit_uri_prefix(base_url, batch.gtin, batch.lot)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    count = 0
    for row in _pages(store, merchant_id, batch_id, issuance_id):
        writer.writerow(
            (
                batch.gtin,
                batch.lot,
                row.serial,
                prefix + row.serial,
                row.status,
                row.issuance_id,
                iso(row.created_at),
                name,
            )
        )
        count += 1
        if count % 2000 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def write_pdf(
    store: Store,
    merchant_id: int,
    batch_id: int,
    out: BinaryIO,
    *,
    base_url: str,
    layout: str,
    after: int = 0,
    limit: int,
    issuance_id: int | None = None,
) -> tuple[int, str | None]:
    """Write up to ``limit`` labels after unit id ``after`` as a PDF to ``out``.

    Return the label count and the token of the next labels (None when none are left).
    """
    try:
        sheet = labels.layout_by_name(layout)
    except LabelError as exc:
        raise InvalidInput.one("layout", "enum", str(exc), status=400) from None
    with store.read() as conn:
        batch = check_selection(conn, merchant_id, batch_id, issuance_id)
        selection = _query(merchant_id, batch_id, issuance_id).where(units.c.id > after)
        if conn.execute(selection.order_by(units.c.id).limit(1)).first() is None:
            raise NotFound("no codes to print in this selection; issue codes first")
        more = conn.execute(selection.order_by(units.c.id).offset(limit).limit(1)).first()
    prefix = unit_uri_prefix(base_url, batch.gtin, batch.lot)
    last = [after]

    def items() -> Iterator[labels.Label]:
        for row in _pages(store, merchant_id, batch_id, issuance_id, after=after, limit=limit):
            last[0] = row.id
            lines = labels.hri_lines(
                gtin=batch.gtin, lot=batch.lot, serial=row.serial, expiry=batch.expiry_date
            )
            yield labels.Label(uri=prefix + row.serial, lines=lines)

    try:
        count = labels.write_labels(items(), out, layout=sheet, title=f"{batch.gtin} {batch.lot}")
    except MissingExtra as exc:
        raise Unavailable(str(exc)) from None
    except LabelError as exc:
        raise InvalidInput.one("layout", "fit", str(exc)) from None
    return count, encode_token(last[0]) if more is not None else None
