"""Orders with their trace status, and allocation by scanning at the packing station."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, request

from shoptrace.shop_plugin.admin.forms import FormErrors, errors_of, lines
from shoptrace.shop_plugin.admin.support import (
    after_commit,
    base_url,
    choice_arg,
    go,
    lang,
    merchant_id,
    other_link,
    page_after,
    reading,
    render,
    state,
    t,
    writing,
)
from shoptrace.shop_plugin.services import orders
from shoptrace.shop_plugin.services.allocation import Refusal, UnitsRefused
from shoptrace.shop_plugin.services.errors import Conflict, FieldError, InvalidInput, NotFound
from shoptrace.shop_plugin.services.validation import INVALID, text
from shoptrace.shop_plugin.store.tables import ORDER_STATUSES

__all__ = ["register", "trace_state"]

PAGE = 50


def _checked(order_id: str) -> str:
    """The shop's order id from the path; one no order can have (too long, control
    characters) is simply not found."""
    if text(max_length=100)(order_id, "order_id", []) is INVALID:
        raise NotFound.of("order_id", "no order has this id")
    return order_id


def _context() -> orders.OrderContext:
    return orders.order_context(state(), base_url=base_url())


def trace_state(order: dict[str, Any]) -> tuple[str, int]:
    """How far the order is traced: ``traced``, ``untraced`` (with the count of lines),
    ``waiting`` (not fulfilled yet) or ``none`` (cancelled)."""
    untraced = int(order.get("untracedLines") or 0)
    if untraced:
        return "untraced", untraced
    if order["status"] == "placed":
        return "waiting", 0
    if order["status"] == "cancelled":
        return "none", 0
    return "traced", 0


def order_list() -> Response:
    status = choice_arg("status", ORDER_STATUSES)
    with reading() as conn:
        page = orders.list_orders(
            conn, merchant_id(), context=_context(), after=page_after(), limit=PAGE, status=status
        )
    return render(
        "orders.html",
        orders=[(item, trace_state(item)) for item in page.items],
        chosen=status,
        statuses=ORDER_STATUSES,
        next_token=page.next_token,
    )


def _order_page(
    order_id: str,
    *,
    codes: str = "",
    refusals: list[Refusal] | None = None,
    errors: FormErrors | None = None,
    status: int = 200,
) -> Response:
    with reading() as conn:
        found = orders.get_order(conn, merchant_id(), _checked(order_id), context=_context())
    return render(
        "order.html",
        status=status,
        switch=other_link(".order", order_id=order_id) if request.method == "POST" else None,
        order=found,
        trace=trace_state(found),
        codes=codes,
        refusals=refusals or [],
        errors=errors or FormErrors(lang=lang()),
    )


def order(order_id: str) -> Response:
    return _order_page(order_id)


def fulfil_order(order_id: str) -> Response:
    owner = merchant_id()
    _checked(order_id)
    raw = request.form.get("units")
    text = raw if isinstance(raw, str) else ""
    scanned = lines(text)
    from_stock = request.form.get("mode") == "stock"
    if not from_stock and not scanned:
        missing = FormErrors([FieldError("units", "min-items", t("order.scan_one"))], lang())
        with reading() as conn:
            if orders.get_order_row(conn, owner, order_id) is None:
                raise NotFound.of("order_id", f"order {order_id} does not exist")
        return _order_page(order_id, codes=text, errors=missing, status=422)
    context = _context()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        with writing() as conn:
            if orders.get_order_row(conn, owner, order_id) is None:
                raise NotFound.of("order_id", f"order {order_id} does not exist")
            orders.apply_order(
                conn,
                owner,
                "fulfilled",
                {"id": order_id},
                units=None if from_stock else scanned,
                context=context,
            )
            after_commit(lambda: orders.send_order_signals(app, context))
    except UnitsRefused as exc:
        return _order_page(order_id, codes=text, refusals=exc.refusals, status=exc.status)
    except (InvalidInput, Conflict) as exc:
        return _order_page(order_id, codes=text, errors=errors_of(exc, lang()), status=exc.status)
    return go(".order", order_id=order_id, notice="fulfilled")


def register(bp: Blueprint) -> None:
    """Add the order pages (the shop's order id may hold ``/``)."""
    bp.add_url_rule("/orders", "orders", order_list, methods=["GET"])
    bp.add_url_rule("/orders/<path:order_id>", "order", order, methods=["GET"])
    bp.add_url_rule(
        "/orders/<path:order_id>/fulfil", "fulfil_order", fulfil_order, methods=["POST"]
    )
