"""Checkout, the order page with its trace links and QR codes, and "My orders".

A shopper is remembered by a signed session cookie: the e-mail of their last checkout, or
the one they sign in with (the demo has no passwords). The order page carries the packing
station's button, so a visitor can see trace codes bound to their order.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response

from examples.demo_shop import cart, i18n, sales, tracing
from examples.demo_shop.catalogue import listing
from examples.demo_shop.db import customers, order_lines, orders, products, shop, stock_units

__all__ = ["COUNTRIES", "PAYMENTS", "blueprint", "check_checkout"]

blueprint = Blueprint("orders", __name__)

COUNTRIES = ("CN", "HK", "SG")
PAYMENTS = ("alipay", "wechat", "card")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
_PHONE = re.compile(r"^\+?[0-9]{6,20}$")
_POSTCODE = re.compile(r"^[A-Za-z0-9]{3,10}$")
_LIMITS = {"name": 50, "region": 50, "city": 50, "street": 200, "email": 200}


def check_checkout(form: Any) -> tuple[dict[str, str], dict[str, str]]:
    """The checkout form's values, and an error message key per wrong field."""
    values = {
        name: str(form.get(name, "")).strip()
        for name in ("email", *sales.ADDRESS_FIELDS, "payment")
    }
    errors: dict[str, str] = {}
    for name, value in values.items():
        if not value:
            errors[name] = "error.required"
        elif name in _LIMITS and len(value) > _LIMITS[name]:
            errors[name] = "error.too_long"
    checks: tuple[tuple[str, Callable[[str], bool], str], ...] = (
        ("email", lambda v: bool(_EMAIL.match(v)), "error.email"),
        ("phone", lambda v: bool(_PHONE.match(v.replace(" ", ""))), "error.phone"),
        ("postcode", lambda v: bool(_POSTCODE.match(v)), "error.postcode"),
        ("country", lambda v: v in COUNTRIES, "error.choice"),
        ("payment", lambda v: v in PAYMENTS, "error.choice"),
    )
    for name, ok, key in checks:
        if name not in errors and not ok(values[name]):
            errors[name] = key
    values["phone"] = values["phone"].replace(" ", "")
    values["email"] = values["email"].lower()
    return values, errors


def _messages(errors: dict[str, str], lang: str) -> dict[str, str]:
    return {
        name: i18n.t(key, lang, max=_LIMITS.get(name, 0))
        if key == "error.too_long"
        else i18n.t(key, lang)
        for name, key in errors.items()
    }


@blueprint.route("/checkout", methods=["GET", "POST"])
def checkout() -> Any:
    lang = i18n.current_lang()
    lines, total = cart.items(lang)
    if not lines:
        flash(i18n.t("error.empty_cart"), "error")
        return redirect(url_for("cart.view"))
    if request.method == "GET":
        return render_template(
            "demo_shop/checkout.html",
            lines=lines,
            total=total,
            values={"country": "CN", "payment": "alipay", "email": session.get("email", "")},
            errors={},
            countries=COUNTRIES,
            payments=PAYMENTS,
        )
    values, errors = check_checkout(request.form)
    if errors:
        return (
            render_template(
                "demo_shop/checkout.html",
                lines=lines,
                total=total,
                values=values,
                errors=_messages(errors, lang),
                countries=COUNTRIES,
                payments=PAYMENTS,
            ),
            422,
        )
    with shop().begin() as conn:
        customer_id = sales.customer_by_email(conn, values["email"], values["name"])
    try:
        order_id = sales.place_order(
            shop(),
            customer_id=customer_id,
            cart=cart.as_order_cart(),
            address={name: values[name] for name in sales.ADDRESS_FIELDS},
            lang=lang,
        )
    except sales.OutOfStock as exc:
        with shop().read() as conn:
            row = conn.execute(sa.select(products).where(products.c.id == exc.product_id)).one()
        flash(
            i18n.t("error.out_of_stock", left=exc.args_["left"], name=listing(row, lang)["name"]),
            "error",
        )
        return redirect(url_for("cart.view"))
    except sales.SaleError as exc:
        flash(i18n.t(exc.key), "error")
        return redirect(url_for("cart.view"))
    cart.clear()
    session["customer_id"] = customer_id
    session["email"] = values["email"]
    flash(i18n.t("order.thanks"), "ok")
    return redirect(url_for("orders.order_page", order_id=order_id))


def _own_order(order_id: int) -> Any:
    """The order, if it belongs to the shopper of this session; else 404."""
    with shop().read() as conn:
        row = conn.execute(sa.select(orders).where(orders.c.id == order_id)).one_or_none()
    if row is None or row.customer_id != session.get("customer_id"):
        abort(404)
    return row


def _code(gtin: str, lot: str, serial: str | None, label: str) -> dict[str, Any]:
    """A trace link and its QR code: a unit's (with ``serial``) or a lot's."""
    uri = tracing.unit_uri(gtin, lot, serial) if serial is not None else tracing.lot_uri(gtin, lot)
    return {"uri": uri, "qr": tracing.qr_svg(uri, title=f"{label} {serial or lot}")}


def order_view(order_id: int, lang: str) -> dict[str, Any]:
    """The order page's data: lines, each with its packs' or lot's trace links and QRs."""
    with shop().read() as conn:
        order = conn.execute(sa.select(orders).where(orders.c.id == order_id)).one()
        lines = conn.execute(
            sa.select(order_lines)
            .where(order_lines.c.order_id == order_id)
            .order_by(order_lines.c.line_no)
        ).all()
        goods = {
            r.id: r
            for r in conn.execute(
                sa.select(products).where(products.c.id.in_([x.product_id for x in lines]))
            )
        }
        units = conn.execute(
            sa.select(stock_units)
            .where(stock_units.c.order_line_id.in_([x.id for x in lines]))
            .order_by(stock_units.c.id)
        ).all()
        recalled = sales.recalled_lots(conn)
    shown = []
    for line in lines:
        product = goods[line.product_id]
        item = listing(product, lang)
        codes = [
            {
                "serial": u.serial,
                "lot": u.lot,
                "recalled": (product.gtin, u.lot) in recalled,
                **_code(product.gtin, u.lot, u.serial, item["name"]),
            }
            for u in units
            if u.order_line_id == line.id
        ]
        # Before packing, the lot now selling; after, the lot shipped.
        lot = line.lot or product.lot
        by_lot = _code(product.gtin, lot, None, item["name"])
        shown.append(
            {
                "product": item,
                "quantity": line.quantity,
                "subtotal": line.quantity * line.price_cents,
                "codes": codes,
                "lot": lot,
                "lot_bound": line.lot is not None,
                "lot_url": by_lot["uri"],
                "lot_qr": None if codes else by_lot["qr"],
                "recalled": line.lot is not None and (product.gtin, line.lot) in recalled,
            }
        )
    page = tracing.order_page(order.trace_token) if order.trace_token else None
    return {
        "order": order,
        "number": f"#{order.id}",
        "lines": shown,
        "trace_url": page,
        "trace_qr": tracing.qr_svg(page) if page else None,
        "placed_at": order.placed_at,
    }


@blueprint.get("/orders/<int(max=2147483647):order_id>")
def order_page(order_id: int) -> str:
    _own_order(order_id)
    lang = i18n.current_lang()
    return render_template("demo_shop/order.html", **order_view(order_id, lang))


def _act(order_id: int, action: Any, done_key: str) -> Response:
    _own_order(order_id)
    try:
        outcome = action(shop(), order_id)
    except sales.SaleError as exc:
        flash(i18n.t(exc.key), "error")
    else:
        if outcome.ok:
            flash(i18n.t(done_key), "ok")
        else:
            flash(i18n.t("error.trace", problem=outcome.problem), "error")
            if outcome.refused:
                flash(i18n.t("error.set_aside", count=len(outcome.refused)), "error")
    return redirect(url_for("orders.order_page", order_id=order_id))


@blueprint.post("/orders/<int(max=2147483647):order_id>/ship")
def ship(order_id: int) -> Response:
    """The packing station: scan packs from stock, bind them to the order, ship."""
    return _act(order_id, sales.ship_order, "order.shipped_msg")


@blueprint.post("/orders/<int(max=2147483647):order_id>/deliver")
def deliver(order_id: int) -> Response:
    return _act(order_id, sales.deliver_order, "order.delivered_msg")


@blueprint.post("/orders/<int(max=2147483647):order_id>/cancel")
def cancel(order_id: int) -> Response:
    return _act(order_id, sales.cancel_order, "order.cancelled_msg")


@blueprint.get("/orders")
def my_orders() -> str:
    customer_id = session.get("customer_id")
    found: list[dict[str, Any]] = []
    if customer_id is not None:
        with shop().read() as conn:
            rows = conn.execute(
                sa.select(
                    orders,
                    sa.select(sa.func.sum(order_lines.c.quantity))
                    .where(order_lines.c.order_id == orders.c.id)
                    .scalar_subquery()
                    .label("items"),
                )
                .where(orders.c.customer_id == customer_id)
                .order_by(orders.c.id.desc())
            ).all()
        found = [{"row": r, "number": f"#{r.id}", "items": int(r.items or 0)} for r in rows]
    return render_template("demo_shop/orders.html", orders=found, signed_in=customer_id is not None)


@blueprint.post("/signin")
def signin() -> Response:
    email = request.form.get("email", "").strip().lower()
    with shop().read() as conn:
        row = (
            conn.execute(sa.select(customers.c.id).where(customers.c.email == email)).one_or_none()
            if _EMAIL.match(email) and len(email) <= 200
            else None
        )
    if row is None:
        flash(i18n.t("orders.unknown_email"), "error")
    else:
        session["customer_id"] = row.id
        session["email"] = email
    return redirect(url_for("orders.my_orders"))


@blueprint.post("/signout")
def signout() -> Response:
    session.pop("customer_id", None)
    session.pop("email", None)
    return redirect(url_for("orders.my_orders"))
