"""The cart: product ids and quantities in the (signed) session cookie."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from examples.demo_shop import i18n
from examples.demo_shop.catalogue import listing
from examples.demo_shop.db import products, shop

__all__ = ["MAX_QUANTITY", "blueprint", "clear", "count", "items", "quantity_of"]

blueprint = Blueprint("cart", __name__)
MAX_QUANTITY = 99


def _cart() -> dict[str, int]:
    raw = session.get("cart")
    if not isinstance(raw, dict):
        return {}
    return {
        str(k): int(v)
        for k, v in raw.items()
        if str(k).isdigit() and isinstance(v, int) and 0 < v <= MAX_QUANTITY
    }


def count() -> int:
    """Items in the cart (for the header)."""
    return sum(_cart().values())


def clear() -> None:
    session.pop("cart", None)


def quantity_of(value: str | None) -> int | None:
    """A quantity from a form: 1 to 99, else None."""
    text = (value or "").strip()
    if not text.isdigit() or len(text) > 2:
        return None
    number = int(text)
    return number if 1 <= number <= MAX_QUANTITY else None


def items(lang: str) -> tuple[list[dict[str, Any]], int]:
    """The cart's lines (listing, quantity, subtotal) and their total, in cents."""
    cart = _cart()
    if not cart:
        return [], 0
    with shop().read() as conn:
        rows = conn.execute(
            sa.select(products)
            .where(products.c.id.in_([int(k) for k in cart]))
            .order_by(products.c.position)
        ).all()
    lines = [
        {
            "product": listing(row, lang),
            "quantity": cart[str(row.id)],
            "subtotal": row.price_cents * cart[str(row.id)],
        }
        for row in rows
    ]
    return lines, sum(line["subtotal"] for line in lines)


def _product(product_id: str | None) -> Any:
    if not product_id or not product_id.isdigit() or len(product_id) > 9:
        return None
    with shop().read() as conn:
        return conn.execute(
            sa.select(products).where(products.c.id == int(product_id))
        ).one_or_none()


@blueprint.get("/cart")
def view() -> str:
    lines, total = items(i18n.current_lang())
    return render_template("demo_shop/cart.html", lines=lines, total=total)


@blueprint.post("/cart/add")
def add() -> Response:
    row = _product(request.form.get("product_id"))
    if row is None:
        flash(i18n.t("error.unknown_product"), "error")
        return redirect(url_for("catalogue.home"))
    quantity = quantity_of(request.form.get("quantity", "1"))
    page = url_for("catalogue.product_page", slug=row.slug)
    if quantity is None:
        flash(i18n.t("error.quantity"), "error")
        return redirect(page)
    cart = _cart()
    wanted = cart.get(str(row.id), 0) + quantity
    lang = i18n.current_lang()
    if wanted > min(row.stock, MAX_QUANTITY):
        name = row.name_zh if lang == "zh-CN" else row.name_en
        flash(i18n.t("error.out_of_stock", left=row.stock, name=name), "error")
        return redirect(page)
    cart[str(row.id)] = wanted
    session["cart"] = cart
    flash(i18n.t("cart.added"), "ok")
    return redirect(url_for("cart.view"))


@blueprint.post("/cart/update")
def update() -> Response:
    cart = _cart()
    lang = i18n.current_lang()
    for key in list(cart):
        if request.form.get(f"remove-{key}"):
            del cart[key]
            continue
        field = request.form.get(f"quantity-{key}")
        if field is None:
            continue
        quantity = quantity_of(field)
        if quantity is None:
            flash(i18n.t("error.quantity"), "error")
            return redirect(url_for("cart.view"))
        row = _product(key)
        if row is None:
            del cart[key]
            continue
        if quantity > row.stock:
            name = row.name_zh if lang == "zh-CN" else row.name_en
            flash(i18n.t("error.out_of_stock", left=row.stock, name=name), "error")
            return redirect(url_for("cart.view"))
        cart[key] = quantity
    session["cart"] = cart
    flash(i18n.t("cart.updated"), "ok")
    return redirect(url_for("cart.view"))


def as_order_cart() -> dict[int, int]:
    """The cart as product id -> quantity, for :func:`..sales.place_order`."""
    return {int(k): v for k, v in _cart().items()}
