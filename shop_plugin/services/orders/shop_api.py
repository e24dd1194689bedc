"""The Python API's transactions: an order or a listing applied in its own transaction
of the app's store."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shoptrace.shop_plugin.services.errors import InvalidInput, NotFound
from shoptrace.shop_plugin.services.orders.context import order_context, send_order_signals
from shoptrace.shop_plugin.services.orders.lifecycle import apply_order
from shoptrace.shop_plugin.services.orders.listings import save_product
from shoptrace.shop_plugin.services.pagination import MAX_ID
from shoptrace.shop_plugin.store.tables import merchants

if TYPE_CHECKING:
    from shoptrace.shop_plugin.extension import ShopTraceState


def _merchant_for(shop: ShopTraceState, merchant_id: Any) -> int:
    chosen = merchant_id if merchant_id is not None else shop.settings.shop_merchant
    if chosen is None:
        raise InvalidInput.one(
            "merchant_id",
            "required",
            "pass merchant_id=, or set SHOPTRACE_SHOP_MERCHANT to the merchant the shop's own "
            "orders belong to",
        )
    if isinstance(chosen, bool) or not isinstance(chosen, int) or not 1 <= chosen <= MAX_ID:
        raise InvalidInput.one("merchant_id", "id", "must be a merchant id, a positive integer")
    return chosen


def _active(conn: Connection, merchant_id: int) -> None:
    status = conn.execute(
        sa.select(merchants.c.status).where(merchants.c.id == merchant_id)
    ).scalar_one_or_none()
    if status != "active":
        raise NotFound.of("merchant_id", f"merchant {merchant_id} does not exist or is disabled")


def apply_for_shop(
    shop: ShopTraceState,
    action: str,
    order: Any,
    *,
    units: Any = None,
    merchant_id: int | None = None,
    base_url: str | None = None,
    sender: Any = None,
    source: str = "api",
) -> dict[str, Any]:
    """:func:`apply_order` in its own transaction of ``shop``'s store, for the merchant given
    or ``SHOPTRACE_SHOP_MERCHANT``; ``order_traced`` is sent (by ``sender``) after commit."""
    chosen = _merchant_for(shop, merchant_id)
    context = order_context(shop, base_url=base_url)
    with shop.store.begin() as conn:
        _active(conn, chosen)
        result = apply_order(
            conn, chosen, action, order, units=units, source=source, context=context
        )
    send_order_signals(sender, context)
    return result


def save_for_shop(
    shop: ShopTraceState, product: Any, *, merchant_id: int | None = None, source: str = "api"
) -> dict[str, Any]:
    """:func:`save_product` in its own transaction of ``shop``'s store."""
    chosen = _merchant_for(shop, merchant_id)
    with shop.store.begin() as conn:
        _active(conn, chosen)
        return save_product(conn, chosen, product, source=source)
