"""Selling: place an order from a cart, pack and ship it, deliver or cancel it.

Plain functions over the shop's database; each one that changes an order also tells
shoptrace (see :mod:`.tracing`). The checkout and the seeding of past orders both go through
here, so the demo's history is made the same way a shopper's order is.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from examples.demo_shop import tracing
from examples.demo_shop.db import (
    Shop,
    customers,
    now,
    order_lines,
    orders,
    products,
    recalls,
    stock_units,
)

__all__ = [
    "ADDRESS_FIELDS",
    "OutOfStock",
    "SaleError",
    "cancel_order",
    "customer_by_email",
    "deliver_order",
    "hold_lot",
    "recalled_lots",
    "order_document",
    "place_order",
    "ship_order",
    "shop_order_id",
]

ADDRESS_FIELDS = ("name", "phone", "country", "region", "city", "postcode", "street")
CHINA = timezone(timedelta(hours=8))


class SaleError(Exception):
    """The order cannot do this now; ``key`` names the shopper-facing message."""

    def __init__(self, key: str, **args: Any) -> None:
        super().__init__(key)
        self.key = key
        self.args_ = args


class OutOfStock(SaleError):
    def __init__(self, product_id: int, left: int) -> None:
        super().__init__("error.out_of_stock", left=left)
        self.product_id = product_id


@dataclass(frozen=True)
class Picked:
    """What the packing station scanned for one order line."""

    line_id: int
    units: list[tuple[int, str, str]]
    """Stock unit id, lot and Digital Link URI of each pack."""
    lot: str | None


def shop_order_id(order_id: int) -> str:
    """The order's id as the shop reports it to shoptrace."""
    return f"DEMO-{order_id}"


def customer_by_email(conn: Connection, email: str, name: str) -> int:
    """The customer with ``email``, created on first purchase."""
    found = conn.execute(sa.select(customers.c.id).where(customers.c.email == email)).scalar()
    if found is not None:
        return int(found)
    return int(
        conn.execute(
            customers.insert()
            .values(email=email, name=name, created_at=now())
            .returning(customers.c.id)
        ).scalar_one()
    )


def place_order(
    shop: Shop,
    *,
    customer_id: int,
    cart: dict[int, int],
    address: dict[str, str],
    lang: str,
    placed_at: datetime | None = None,
    order_id: int | None = None,
) -> int:
    """Store an order for the ``cart`` (product id -> quantity) and take its stock.

    The payment is a fake: it always succeeds and gets a reference. Raises
    :class:`OutOfStock` (nothing stored) when a product has too little left.
    """
    when = placed_at or now()
    with shop.begin() as conn:
        rows = {
            r.id: r for r in conn.execute(sa.select(products).where(products.c.id.in_(list(cart))))
        }
        total = 0
        for product_id, quantity in cart.items():
            row = rows.get(product_id)
            if row is None:
                raise SaleError("error.unknown_product")
            if row.stock < quantity:
                raise OutOfStock(product_id, row.stock)
            total += row.price_cents * quantity
        values: dict[str, Any] = {
            "customer_id": customer_id,
            "status": "placed",
            "total_cents": total,
            "payment_ref": "PAY-" + secrets.token_hex(6).upper(),
            "lang": lang,
            "placed_at": when,
            **{name: address[name] for name in ADDRESS_FIELDS},
        }
        if order_id is not None:
            values["id"] = order_id
        new_id = int(
            conn.execute(orders.insert().values(**values).returning(orders.c.id)).scalar_one()
        )
        for line_no, (product_id, quantity) in enumerate(cart.items(), start=1):
            conn.execute(
                order_lines.insert().values(
                    order_id=new_id,
                    line_no=line_no,
                    product_id=product_id,
                    quantity=quantity,
                    price_cents=rows[product_id].price_cents,
                )
            )
            conn.execute(
                products.update()
                .where(products.c.id == product_id)
                .values(stock=products.c.stock - quantity)
            )
    send_placed(shop, new_id)
    return new_id


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC).astimezone(CHINA).isoformat(timespec="seconds")


def order_document(conn: Connection, order_id: int) -> dict[str, Any]:
    """The order in the shape shoptrace's order hooks take (``shop_plugin/README.md``)."""
    order = conn.execute(sa.select(orders).where(orders.c.id == order_id)).one()
    lines = conn.execute(
        sa.select(order_lines, products.c.slug, products.c.sku, products.c.gtin)
        .add_columns(products.c.name_zh, products.c.name_en)
        .join(products, products.c.id == order_lines.c.product_id)
        .where(order_lines.c.order_id == order_id)
        .order_by(order_lines.c.line_no)
    ).all()
    oid = shop_order_id(order.id)
    return {
        "id": oid,
        "number": f"#{order.id}",
        "customer": f"customer-{order.customer_id}",
        "placed_at": _iso(order.placed_at),
        "destination": {
            "country": order.country,
            "region": order.region,
            "city": order.city,
            "postcode": order.postcode,
        },
        "lines": [
            {
                "id": f"{oid}-{line.line_no}",
                "sku": line.sku,
                "product_id": line.slug,
                "gtin": line.gtin,
                "name": line.name_zh if order.lang == "zh-CN" else line.name_en,
                "quantity": line.quantity,
            }
            for line in lines
        ],
    }


def _record(shop: Shop, order_id: int, outcome: tracing.Outcome) -> None:
    """Keep what shoptrace answered on the order: its trace page, or why it refused."""
    values: dict[str, Any] = {"trace_note": outcome.problem}
    if outcome.token:
        values["trace_token"] = outcome.token
    with shop.begin() as conn:
        conn.execute(orders.update().where(orders.c.id == order_id).values(**values))


def send_placed(shop: Shop, order_id: int) -> tracing.Outcome:
    """``order_placed``: shoptrace records the order and answers its trace page."""
    with shop.read() as conn:
        document = order_document(conn, order_id)
    outcome = tracing.notify("placed", document)
    _record(shop, order_id, outcome)
    return outcome


def _pick(conn: Connection, order_id: int, prefer: dict[int, str]) -> list[Picked]:
    """The packs the packing station takes for each line: oldest stock first, the lot
    ``prefer`` names for a product when given (the seeding of past orders uses it)."""
    picked: list[Picked] = []
    lines = conn.execute(
        sa.select(
            order_lines, products.c.gtin, products.c.serialised, products.c.lot.label("selling")
        )
        .join(products, products.c.id == order_lines.c.product_id)
        .where(order_lines.c.order_id == order_id)
        .order_by(order_lines.c.line_no)
    ).all()
    for line in lines:
        if not line.serialised:
            picked.append(Picked(line.id, [], line.selling))
            continue
        query = sa.select(stock_units.c.id, stock_units.c.lot, stock_units.c.serial).where(
            stock_units.c.product_id == line.product_id, stock_units.c.state == "in_stock"
        )
        if line.product_id in prefer:
            query = query.where(stock_units.c.lot == prefer[line.product_id])
        units = conn.execute(query.order_by(stock_units.c.id).limit(line.quantity)).all()
        if len(units) < line.quantity:
            raise SaleError("error.no_packs")
        codes = [(u.id, u.lot, tracing.unit_uri(line.gtin, u.lot, u.serial)) for u in units]
        picked.append(Picked(line.id, codes, None))
    return picked


def ship_order(
    shop: Shop, order_id: int, *, prefer: dict[int, str] | None = None
) -> tracing.Outcome:
    """Pack and ship: scan packs from stock, send ``order_fulfilled`` with their codes.

    The shop's write lock is held while shoptrace answers, so two packers never take the
    same packs; when shoptrace refuses a pack, nothing changes in the shop.
    """
    with shop.begin() as conn:
        status = conn.execute(
            sa.select(orders.c.status).where(orders.c.id == order_id)
        ).scalar_one()
        if status != "placed":
            raise SaleError("error.not_placed")
        picked = _pick(conn, order_id, prefer or {})
        document = order_document(conn, order_id)
        scanned = [(unit_id, uri) for p in picked for unit_id, _, uri in p.units]
        outcome = tracing.notify("fulfilled", document, units=[uri for _, uri in scanned])
        if not outcome.ok:
            _set_aside(conn, [scanned[i][0] for i, _ in outcome.refused if i < len(scanned)])
            return outcome
        answered = _answered_lots(outcome.order)
        for p, line in zip(picked, document["lines"], strict=True):
            lot = answered.get(line["id"]) or p.lot or (p.units[0][1] if p.units else None)
            conn.execute(order_lines.update().where(order_lines.c.id == p.line_id).values(lot=lot))
            ids = [unit_id for unit_id, _, _ in p.units]
            if ids:
                conn.execute(
                    stock_units.update()
                    .where(stock_units.c.id.in_(ids))
                    .values(state="sold", order_line_id=p.line_id)
                )
        values: dict[str, Any] = {
            "status": "shipped",
            "shipped_at": now(),
            "traced": True,
            "trace_note": None,
        }
        if outcome.token:
            values["trace_token"] = outcome.token
        conn.execute(orders.update().where(orders.c.id == order_id).values(**values))
    return outcome


def _set_aside(conn: Connection, unit_ids: list[int]) -> None:
    """Take packs shoptrace refused (recalled, sold elsewhere, expired ...) out of stock, so
    the packing station takes others next time."""
    for unit_id in unit_ids:
        row = conn.execute(
            stock_units.update()
            .where(stock_units.c.id == unit_id, stock_units.c.state == "in_stock")
            .values(state="held")
            .returning(stock_units.c.product_id)
        ).first()
        if row is not None:
            conn.execute(
                products.update()
                .where(products.c.id == row.product_id)
                .values(stock=sa.func.max(products.c.stock - 1, 0))
            )


def _answered_lots(order: dict[str, Any] | None) -> dict[str, str]:
    """The lot shoptrace bound to each line (by the shop's line id), from its answer."""
    found: dict[str, str] = {}
    for line in (order or {}).get("lines") or []:
        if isinstance(line, dict) and isinstance(line.get("lot"), str) and line.get("id"):
            found[str(line["id"])] = line["lot"]
    return found


def deliver_order(shop: Shop, order_id: int) -> tracing.Outcome:
    """The parcel reached the customer: ``order_delivered``."""
    with shop.begin() as conn:
        status = conn.execute(
            sa.select(orders.c.status).where(orders.c.id == order_id)
        ).scalar_one()
        if status != "shipped":
            raise SaleError("error.not_shipped")
        document = order_document(conn, order_id)
        outcome = tracing.notify("delivered", document)
        if not outcome.ok:
            return outcome
        conn.execute(
            orders.update()
            .where(orders.c.id == order_id)
            .values(status="delivered", delivered_at=now())
        )
    return outcome


def cancel_order(shop: Shop, order_id: int) -> tracing.Outcome:
    """Cancel before shipping: the stock comes back, ``order_cancelled``."""
    with shop.begin() as conn:
        status = conn.execute(
            sa.select(orders.c.status).where(orders.c.id == order_id)
        ).scalar_one()
        if status != "placed":
            raise SaleError("error.not_placed")
        document = order_document(conn, order_id)
        outcome = tracing.notify("cancelled", document)
        if not outcome.ok:
            return outcome
        for line in conn.execute(
            sa.select(order_lines.c.product_id, order_lines.c.quantity).where(
                order_lines.c.order_id == order_id
            )
        ).all():
            conn.execute(
                products.update()
                .where(products.c.id == line.product_id)
                .values(stock=products.c.stock + line.quantity)
            )
        conn.execute(orders.update().where(orders.c.id == order_id).values(status="cancelled"))
    return outcome


def hold_lot(shop: Shop, gtin: str, lot: str, reason: dict[str, str] | None) -> int:
    """A lot is recalled: hold its packs back from sale; return how many were held.

    Called for shoptrace's ``recall_created`` signal (and by the seeding); a second call for
    the same lot changes nothing.
    """
    with shop.begin() as conn:
        known = conn.execute(
            sa.select(recalls.c.id).where(recalls.c.gtin == gtin, recalls.c.lot == lot)
        ).first()
        if known is None:
            conn.execute(
                recalls.insert().values(
                    gtin=gtin,
                    lot=lot,
                    reason_zh=(reason or {}).get("zh-CN"),
                    reason_en=(reason or {}).get("en"),
                    created_at=now(),
                )
            )
        product_id = conn.execute(sa.select(products.c.id).where(products.c.gtin == gtin)).scalar()
        if product_id is None:
            return 0
        held = conn.execute(
            stock_units.update()
            .where(
                stock_units.c.product_id == product_id,
                stock_units.c.lot == lot,
                stock_units.c.state == "in_stock",
            )
            .values(state="recalled")
        ).rowcount
        if held:
            conn.execute(
                products.update()
                .where(products.c.id == product_id)
                .values(stock=sa.func.max(products.c.stock - held, 0))
            )
        return int(held)


def recalled_lots(
    conn: Connection, gtin: str | None = None
) -> dict[tuple[str, str], dict[str, Any]]:
    """Recalled lots the shop knows of, by (GTIN, lot): their reasons."""
    query = sa.select(recalls)
    if gtin is not None:
        query = query.where(recalls.c.gtin == gtin)
    return {
        (row.gtin, row.lot): {"zh-CN": row.reason_zh, "en": row.reason_en}
        for row in conn.execute(query)
    }
