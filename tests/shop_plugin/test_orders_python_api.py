"""The Python API on the extension (``ShopTrace.order_*``, ``product_saved``) and the
blinker signals a host shop sends, which call the same functions; ``order_traced`` after
commit."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from shoptrace.shop_plugin import ShopTrace
from shoptrace.shop_plugin import signals as shop_signals
from shoptrace.shop_plugin.services.allocation import UnitsRefused
from shoptrace.shop_plugin.services.errors import Conflict, InvalidInput, NotFound
from shoptrace.shop_plugin.store.tables import merchants, orders, products
from tests.shop_plugin.helpers import GTIN, GTIN2, Api
from tests.shop_plugin.test_orders import order, stock

ext = ShopTrace()
"""An extension object that serves any app: the methods use the current app."""


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"SHOPTRACE_SHOP_MERCHANT": 1}


@pytest.fixture
def shop(app: Flask, api: Api) -> Api:
    assert api.merchant_id == 1  # SHOPTRACE_SHOP_MERCHANT
    return api


def test_the_methods_follow_an_order_through_its_life(app: Flask, shop: Api) -> None:
    uris = stock(shop)["lots"]["LOT-A"]["uris"]
    with app.app_context():
        placed = ext.order_placed(order())
        assert (placed["status"], placed["source"]) == ("placed", "api")
        assert placed["traceUrl"] == f"https://shop.example.com/trace/orders/{placed['token']}"
        fulfilled = ext.order_fulfilled(order(), uris[:2])
        assert [u["uri"] for u in fulfilled["lines"][0]["units"]] == uris[:2]
        assert ext.order_fulfilled(order()) == fulfilled  # a redelivered event changes nothing
        assert ext.order_delivered({"id": "1001"})["status"] == "delivered"
        returned = ext.order_returned({"id": "1001"}, [uris[0]])
        assert [u["status"] for u in returned["lines"][0]["units"]] == ["returned", "delivered"]
        assert ext.order_returned({"id": "1001"})["status"] == "returned"
        ext.order_placed(order("1002"))
        assert ext.order_cancelled({"id": "1002"})["status"] == "cancelled"
    assert shop.get("/orders/1001").get_json()["status"] == "returned"


def test_the_methods_raise_typed_errors(app: Flask, shop: Api, other_api: Api) -> None:
    uris = stock(shop)["lots"]["LOT-A"]["uris"]
    theirs = stock(other_api, GTIN2)["lots"]["LOT-A"]["uris"]
    with app.app_context():
        with pytest.raises(InvalidInput) as bad:
            ext.order_placed(order(lines=[{"gtin": GTIN, "quantity": 0}]))
        assert [(e.field, e.rule) for e in bad.value.errors] == [("lines[0].quantity", "minimum")]
        with pytest.raises(InvalidInput) as unknown:
            ext.order_delivered({"id": "404"})
        assert unknown.value.errors[0].field == "lines"
        with pytest.raises(UnitsRefused) as refused:
            ext.order_fulfilled(order(), [uris[0], theirs[0]])
        assert [(r.index, r.reason) for r in refused.value.refusals] == [(1, "other-merchant")]
        assert isinstance(refused.value, InvalidInput)
        ext.order_cancelled(order())
        with pytest.raises(Conflict, match="cancelled"):
            ext.order_fulfilled(order())
        with pytest.raises(NotFound) as missing:
            ext.order_placed(order("9"), merchant_id=99)
        assert missing.value.errors[0].field == "merchant_id"
        with pytest.raises(InvalidInput, match="merchant_id"):
            ext.order_placed(order("9"), merchant_id=True)  # type: ignore[arg-type]
    with app.extensions["shoptrace"].store.read() as conn:
        assert conn.execute(sa.select(orders.c.shop_order_id)).scalars().all() == ["1001"]


def test_an_explicit_merchant_wins_and_without_any_one_is_required(
    app: Flask, shop: Api, other_api: Api
) -> None:
    with app.app_context():
        theirs = ext.order_placed(order("7"), merchant_id=other_api.merchant_id)
    assert other_api.get("/orders/7").get_json() == theirs
    assert shop.get("/orders/7").status_code == 404
    settings = app.extensions["shoptrace"].settings
    object.__setattr__(settings, "shop_merchant", None)
    with app.app_context(), pytest.raises(InvalidInput) as none:
        ext.order_placed(order("8"))
    assert (none.value.errors[0].field, none.value.errors[0].rule) == ("merchant_id", "required")
    assert "SHOPTRACE_SHOP_MERCHANT" in none.value.errors[0].detail


def test_a_disabled_merchant_is_not_found(app: Flask, shop: Api) -> None:
    with app.extensions["shoptrace"].store.begin() as conn:
        conn.execute(merchants.update().values(status="disabled"))
    with app.app_context(), pytest.raises(NotFound):
        ext.order_placed(order())


def test_without_a_public_base_url_the_request_host_is_used(app: Flask, shop: Api) -> None:
    settings = app.extensions["shoptrace"].settings
    object.__setattr__(settings, "public_base_url", None)
    with app.test_request_context("/checkout", base_url="https://shop.test"):
        placed = ext.order_placed(order())
    assert placed["traceUrl"] == f"https://shop.test/trace/orders/{placed['token']}"
    with app.app_context():
        again = ext.order_placed(order())
    assert again["traceUrl"] == f"/trace/orders/{placed['token']}"


def test_host_signals_call_the_same_functions_and_return_their_answers(
    app: Flask, shop: Api
) -> None:
    uris = stock(shop)["lots"]["LOT-A"]["uris"]
    traced: list[tuple[Any, int, dict[str, Any]]] = []

    def on_traced(sender: Any, *, merchant_id: int, order: dict[str, Any], **extra: Any) -> None:
        traced.append((sender, merchant_id, order))

    shop_signals.order_traced.connect(on_traced, sender=app)
    try:
        [(_, placed)] = shop_signals.order_placed.send(app, order=order())
        assert placed["status"] == "placed"
        assert traced == []
        [(_, fulfilled)] = shop_signals.order_fulfilled.send(app, order=order(), units=uris[:2])
        assert fulfilled["status"] == "fulfilled"
        assert traced == [(app, 1, fulfilled)]
        shop_signals.order_fulfilled.send(app, order=order())
        assert len(traced) == 1
        [(_, delivered)] = shop_signals.order_delivered.send(app, order={"id": "1001"})
        assert delivered["status"] == "delivered"
        [(_, back)] = shop_signals.order_returned.send(app, order={"id": "1001"}, units=uris[:1])
        assert back["lines"][0]["units"][0]["status"] == "returned"
        shop_signals.order_placed.send(app, order=order("1002"), merchant_id=1, channel="web")
        [(_, cancelled)] = shop_signals.order_cancelled.send(app, order={"id": "1002"})
        assert cancelled["status"] == "cancelled"
        # Another app's signals are not ours.
        other = Flask("other")
        assert shop_signals.order_placed.send(other, order=order("1003")) == []
        with pytest.raises(InvalidInput):
            shop_signals.order_placed.send(app, order={"id": "1004"})
    finally:
        shop_signals.order_traced.disconnect(on_traced)
    assert shop.get("/orders/1003").status_code == 404


def test_product_saved_links_the_listing_to_the_product(app: Flask, shop: Api) -> None:
    registered = shop.product(GTIN)
    with app.app_context():
        saved = ext.product_saved(
            {
                "id": 777,
                "gtin": GTIN[1:],
                "sku": "APL-1",
                "name": "有机富士苹果",
                "url": "https://shop.example.com/p/777",
            }
        )
    assert saved["id"] == registered["id"]
    assert (saved["shopProductId"], saved["sku"], saved["listingUrl"]) == (
        "777",
        "APL-1",
        "https://shop.example.com/p/777",
    )
    assert saved["name"] == {"zh-CN": "有机富士苹果", "en": "Organic apples"}
    with app.app_context():
        again = ext.product_saved(
            {
                "id": "777",
                "gtin": GTIN,
                "sku": "APL-1",
                "name": "有机富士苹果",
                "url": "https://shop.example.com/p/777",
            }
        )
    assert again == saved  # nothing changed, not even updatedAt
    # Without a GTIN the shop's product id finds it; lines then match by product id or SKU.
    [(_, renamed)] = shop_signals.product_saved.send(
        app, product={"id": "777", "name": {"en": "Fuji apples"}}
    )
    assert renamed["name"] == {"zh-CN": "有机富士苹果", "en": "Fuji apples"}
    stock(shop, GTIN2, sku="PEAR")
    with app.app_context():
        placed = ext.order_placed(
            order(lines=[{"product_id": 777, "quantity": 1}, {"sku": "APL-1", "quantity": 1}])
        )
    assert [x["productId"] for x in placed["lines"]] == [registered["id"]] * 2


def test_product_saved_registers_a_new_gtin_or_says_what_is_missing(app: Flask, shop: Api) -> None:
    with app.app_context():
        made = ext.product_saved(
            {"id": "P9", "gtin": GTIN2, "name": {"en": "Pears"}, "category": "food", "sku": "PR"}
        )
        assert (made["gtin"], made["sku"], made["shopProductId"]) == (GTIN2, "PR", "P9")
        with pytest.raises(InvalidInput) as missing:
            ext.product_saved({"id": "P10", "gtin": GTIN})
        assert [(e.field, e.rule) for e in missing.value.errors] == [
            ("name", "required"),
            ("category", "required"),
        ]
        with pytest.raises(InvalidInput) as unknown:
            ext.product_saved({"id": "P11", "name": "x"})
        assert [e.field for e in unknown.value.errors] == ["gtin", "category"]
        with pytest.raises(InvalidInput) as bad:
            ext.product_saved({"id": "P12", "gtin": "123", "url": "javascript:x", "extra": 1})
        assert [(e.field, e.rule) for e in bad.value.errors] == [
            ("extra", "unknown-field"),
            ("gtin", "gtin"),
            ("url", "url"),
        ]
    with app.extensions["shoptrace"].store.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(products)).scalar_one() == 1
