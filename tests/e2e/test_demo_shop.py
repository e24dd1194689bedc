"""The demo shop (issue #9): seeding, pages in both languages, a purchase traced end to end,
the supply chain on a unit's trace page, the recall, and ``python -m examples.demo_shop``.

The shop runs with the Flask test client on a fresh instance folder per test (seeding takes
well under a second). Its trace store is the embedded SQLite file and, when
SHOPTRACE_TEST_DATABASE_URL is set, also a private PostgreSQL schema.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from examples.demo_shop import goods
from examples.demo_shop.app import create_app, setup_of
from examples.demo_shop.db import EXTENSION_KEY, Shop, order_lines, orders, products, stock_units
from examples.demo_shop.seed import MERCHANT_NAME, anchor_day, recalled_lot
from shoptrace.sdk import digital_link
from shoptrace.sdk.gs1 import has_valid_check_digit
from shoptrace.shop_plugin import state_of
from shoptrace.shop_plugin.store import tables as t
from tests._conformance import ROOT

PG_ENV = "SHOPTRACE_TEST_DATABASE_URL"
BACKENDS = ["sqlite", *(["postgresql"] if os.environ.get(PG_ENV) else [])]
SIGNING_KEY = "demo-test-signing-key-0123456789-abcdefghij"
BASE = "http://localhost"
ADDRESS = {
    "email": "ann@example.com",
    "phone": "138 1234 5678",
    "name": "Ann Li",
    "country": "CN",
    "region": "浙江省",
    "city": "杭州市",
    "street": "西湖区文三路 1 号",
    "postcode": "310012",
    "payment": "alipay",
}


# --- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pg_schemas() -> Iterator[Any]:
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"{PG_ENV} is not set")
    from tests.shop_plugin.conftest import PgSchemas

    schemas = PgSchemas(url)
    yield schemas
    schemas.drop_all()


def _config(request: pytest.FixtureRequest, backend: str) -> dict[str, Any]:
    config: dict[str, Any] = {
        "TESTING": True,
        "DEMO_BASE_URL": BASE,
        "SHOPTRACE_OUTBOX_RUNNER": "off",
        "SHOPTRACE_SYNC_RUNNER": "off",
        "SHOPTRACE_SCAN_RECORDING": "off",
        "SHOPTRACE_SIGNING_KEY": SIGNING_KEY,
    }
    if backend == "postgresql":
        config["SHOPTRACE_DATABASE_URL"] = request.getfixturevalue("pg_schemas").new(migrate=True)
    return config


class Demo:
    """A demo shop app on its own instance folder, and a way to start it again there."""

    def __init__(self, instance: Path, config: dict[str, Any]) -> None:
        self.instance = instance
        self.config = config
        self.apps: list[Flask] = []

    def start(self) -> Flask:
        app = create_app(self.instance, **self.config)
        self.apps.append(app)
        return app

    def close(self) -> None:
        for app in self.apps:
            state_of(app).store.dispose()
            app.extensions[EXTENSION_KEY].dispose()


@pytest.fixture(params=BACKENDS)
def demo(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Demo]:
    """The demo on each backend of the trace store."""
    started = Demo(tmp_path / "instance", _config(request, request.param))
    yield started
    started.close()


@pytest.fixture
def app(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Flask]:
    """The demo on the embedded SQLite default, seeded."""
    started = Demo(tmp_path / "instance", _config(request, "sqlite"))
    yield started.start()
    started.close()


class Shopper:
    """A browser: the test client, the session's form token, helpers to read pages."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.token = ""

    def get(self, path: str, **kwargs: Any) -> Any:
        response = self.client.get(path, **kwargs)
        found = re.search(r'name="csrf" value="([^"]+)"', response.get_data(as_text=True))
        if found:
            self.token = found.group(1)
        return response

    def post(self, path: str, data: dict[str, str] | None = None) -> Any:
        if not self.token:
            self.get("/")
        return self.client.post(path, data={"csrf": self.token, **(data or {})})

    def text(self, path: str, **kwargs: Any) -> str:
        response = self.get(path, **kwargs)
        assert response.status_code == 200, (path, response.status_code)
        return str(response.get_data(as_text=True))


def shop_of(app: Flask) -> Shop:
    shop: Shop = app.extensions[EXTENSION_KEY]
    return shop


def trace_rows(app: Flask, table: sa.Table, *where: Any) -> list[Any]:
    with state_of(app).store.read() as conn:
        return list(conn.execute(sa.select(table).where(*where)))


def shop_rows(app: Flask, table: sa.Table, *where: Any) -> list[Any]:
    with shop_of(app).read() as conn:
        return list(conn.execute(sa.select(table).where(*where)))


def product_id(app: Flask, slug: str) -> int:
    return int(shop_rows(app, products, products.c.slug == slug)[0].id)


def code_of(app: Flask, unit: Any) -> str:
    """The Digital Link URI on a pack of the shop's stock (what its QR code holds)."""
    gtin = shop_rows(app, products, products.c.id == unit.product_id)[0].gtin
    return digital_link.build(f"{BASE}/trace", gtin, lot=unit.lot, serial=unit.serial)


def path_of(uri: str) -> str:
    """The path of a Digital Link URI on the demo (the test client serves one host)."""
    assert uri.startswith(BASE + "/trace/"), uri
    return uri[len(BASE) :]


def strip_svg(html: str) -> str:
    return re.sub(r"<svg.*?</svg>", "[QR]", html, flags=re.S)


def buy(shopper: Shopper, app: Flask, cart: dict[str, int], **address: str) -> int:
    """Add to cart and check out; the new order's id."""
    for slug, quantity in cart.items():
        response = shopper.post(
            "/cart/add", {"product_id": str(product_id(app, slug)), "quantity": str(quantity)}
        )
        assert response.status_code == 302 and response.location == "/cart", response.location
    response = shopper.post("/checkout", {**ADDRESS, **address})
    assert response.status_code == 302, response.get_data(as_text=True)
    found = re.fullmatch(r"/orders/(\d+)", response.location)
    assert found, response.location
    return int(found.group(1))


def counts(app: Flask) -> dict[str, int]:
    with state_of(app).store.read() as conn:
        trace = {
            table.name: conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            for table in (
                t.merchants,
                t.api_keys,
                t.products,
                t.batches,
                t.units,
                t.events,
                t.orders,
                t.order_lines,
                t.recalls,
            )
        }
    with shop_of(app).read() as conn:
        for table in (products, orders, order_lines, stock_units):
            count = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            trace[f"shop.{table.name}"] = count
    return trace


# --- seeding -----------------------------------------------------------------------------------


def test_first_start_seeds_the_goods_their_story_and_the_shop(demo: Demo) -> None:
    app = demo.start()
    assert app.extensions["demo_shop.seeded"] == {
        "trace": True,
        "shop": True,
        "orders": True,
        "recall": True,
    }
    setup = setup_of(app)
    assert setup.api_key is not None and setup.key_prefix is not None
    assert setup.api_key.startswith(setup.key_prefix + "_")
    merchants = trace_rows(app, t.merchants)
    assert [m.name for m in merchants] == [MERCHANT_NAME]
    assert app.config.get("SHOPTRACE_SHOP_MERCHANT") == merchants[0].id

    # Four products, valid GTINs under GS1's demo prefix 950, bilingual, certified.
    found = {p.gtin: p for p in trace_rows(app, t.products)}
    assert set(found) == {p.gtin for p in goods.PRODUCTS}
    for item in goods.PRODUCTS:
        row = found[item.gtin]
        assert len(row.gtin) == 14 and row.gtin.startswith("0950")
        assert has_valid_check_digit(row.gtin)
        assert row.name_zh == item.name["zh-CN"] and row.name_en == item.name["en"]
        assert row.description_zh and row.description_en
        assert row.shop_product_id == item.slug
        assert row.listing_url == f"{BASE}/products/{item.slug}"
        levels = {c["verification"] for c in row.certifications}
        assert "third-party-verified" in levels
    assert {c["scheme"] for c in found[goods.product("longjing-tea").gtin].certifications} >= {
        "Organic product (GB/T 19630)"
    }

    # Lots with origin, producer, dates, a passed report; some fields kept from shoppers.
    today = anchor_day(app)
    batches = {(b.gtin, b.lot): b for b in trace_rows(app, t.batches)}
    assert len(batches) == sum(len(p.lots) for p in goods.PRODUCTS) == 5
    for item in goods.PRODUCTS:
        for lot in item.lots:
            batch = batches[(item.gtin, lot.code(today))]
            assert batch.origin["countryCode"] == "CN" and batch.origin["place"]["zh-CN"]
            assert batch.producer["name"]["en"] and batch.producer["licenseNumber"]
            assert has_valid_check_digit(batch.producer["gln"])
            assert batch.production_date < batch.expiry_date
            assert [r["result"] for r in batch.inspection_reports] == ["pass"]
            assert batch.visibility == item.batch_visibility
    tea = goods.product("longjing-tea")
    assert batches[(tea.gtin, tea.selling().code(today))].visibility == {"producer": "partner"}

    # Unit codes for the serialised goods only; the rice is traced by lot.
    units = trace_rows(app, t.units)
    by_gtin: dict[str, int] = {}
    for unit in units:
        by_gtin[unit.gtin] = by_gtin.get(unit.gtin, 0) + 1
    assert by_gtin == {
        p.gtin: sum(lot.units for lot in p.lots) for p in goods.PRODUCTS if p.serialised
    }
    assert {u.status for u in units} <= {"packed", "shipped", "delivered"}

    # The supply chain: every step of the story, at known places, in the past.
    events = trace_rows(app, t.events)
    steps = {e.biz_step for e in events}
    assert steps >= {
        "commissioning",
        "assembling",
        "inspecting",
        "packing",
        "shipping",
        "receiving",
        "unpacking",
        "storing",
        "retail_selling",
        "holding",
    }
    assert {e.event_type for e in events} >= {
        "ObjectEvent",
        "TransformationEvent",
        "AggregationEvent",
    }
    places = {p.uri for p in goods.PLACES.values()}
    located = [e.biz_location for e in events if e.biz_location]
    assert located and set(located) <= places
    assert all(e.event_time <= e.record_time for e in events)
    first = min(e.event_time for e in events)
    assert (max(e.record_time for e in events) - first).days > 200  # harvested months ago

    # Past orders went through the order hooks; one lot is recalled after some was sold.
    trace_orders = {o.shop_order_id: o for o in trace_rows(app, t.orders)}
    assert {k: o.status for k, o in trace_orders.items()} == {
        "DEMO-1001": "delivered",
        "DEMO-1002": "delivered",
        "DEMO-1003": "placed",
    }
    product, recalled = recalled_lot(today)
    (recall,) = trace_rows(app, t.recalls)
    assert (recall.gtin, recall.lots, recall.status) == (product.gtin, [recalled], "open")
    assert recall.impact["orderCount"] == 2
    shop_stock = {r.slug: r.stock for r in shop_rows(app, products)}
    assert shop_stock == {
        "longjing-tea": 36 - 1,
        "acacia-honey": 36,
        "wuchang-rice": 40 - 1,
        "infant-formula": 30 - 2,
    }
    held = shop_rows(app, stock_units, stock_units.c.state == "recalled")
    assert len(held) == 12 - 3 and {u.lot for u in held} == {recalled}


def test_a_second_start_reuses_everything(demo: Demo) -> None:
    first = demo.start()
    before = counts(first)
    key_prefix = setup_of(first).key_prefix
    second = demo.start()
    assert second.extensions["demo_shop.seeded"] == {
        "trace": False,
        "shop": False,
        "orders": False,
        "recall": False,
    }
    assert counts(second) == before
    assert setup_of(second).api_key is None  # shown once, on the first start
    assert setup_of(second).key_prefix == key_prefix
    assert setup_of(second).merchant_id == setup_of(first).merchant_id


# --- pages -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("zh-CN", ["西湖龙井 明前特级", "秦岭洋槐蜂蜜", "加入购物车", "可追溯 · 查看追溯信息"]),
        ("en", ["West Lake Longjing green tea", "Qinling acacia honey", "Add to cart"]),
    ],
)
def test_catalogue_lists_every_product_with_its_badge(
    app: Flask, lang: str, words: list[str]
) -> None:
    shopper = Shopper(app.test_client())
    html = shopper.text(f"/?lang={lang}")
    assert f'<html lang="{lang}">' in html
    for word in words:
        assert word in html
    today = anchor_day(app)
    for item in goods.PRODUCTS:
        lot = item.selling().code(today)
        assert f'<shoptrace-badge gtin="{item.gtin}" lot="{lot}" lang="{lang}">' in html
        assert f'href="{BASE}/trace/01/{item.gtin}/10/{lot}"' in html  # the <noscript> link
    assert f'<script async src="{BASE}/trace/widget.js" data-lang="{lang}"></script>' in html
    assert shopper.get("/trace/widget.js").status_code == 200
    # The choice is remembered for the next page.
    assert f'<html lang="{lang}">' in shopper.text("/cart")


def test_language_follows_the_browser_until_chosen(app: Flask) -> None:
    shopper = Shopper(app.test_client())
    assert '<html lang="en">' in shopper.text("/", headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert '<html lang="zh-CN">' in shopper.text("/", headers={"Accept-Language": "zh-CN"})
    assert '<html lang="zh-CN">' in shopper.text("/")
    assert '<html lang="en">' in shopper.text("/?lang=en", headers={"Accept-Language": "zh"})
    assert '<html lang="en">' in shopper.text("/", headers={"Accept-Language": "zh"})


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        (
            "en",
            [
                "Traceability",
                "Meijiawu, West Lake District, Hangzhou, Zhejiang",
                "Shared with trade partners only",
                "Organic product (GB/T 19630)",
                "Third-party verified",
                "Self-declared",
                "Trace completeness",
                "35 in stock",
            ],
        ),
        (
            "zh-CN",
            [
                "追溯信息",
                "浙江省杭州市西湖区梅家坞",
                "仅向合作伙伴公开",
                "第三方认证",
                "自我声明",
                "追溯信息完整度",
                "库存 35 件",
            ],
        ),
    ],
)
def test_product_page_has_the_badge_the_timeline_and_the_lot_record(
    app: Flask, lang: str, words: list[str]
) -> None:
    shopper = Shopper(app.test_client())
    html = shopper.text(f"/products/longjing-tea?lang={lang}")
    tea = goods.product("longjing-tea")
    lot = tea.selling().code(anchor_day(app))
    assert f'<shoptrace-badge gtin="{tea.gtin}" lot="{lot}" lang="{lang}">' in html
    assert f'<shoptrace-trace gtin="{tea.gtin}" lot="{lot}" lang="{lang}">' in html
    for word in words:
        assert word in html, word
    # The producer (a trade secret) is not on the page, the report is, and it opens.
    record = html.split("record-box")[1]
    assert "tea roasting workshop" not in record and "茶炒制厂" not in record
    report = re.search(r'href="(/reports/[^"]+)"', html)
    assert report is not None
    page = shopper.text(report.group(1) + f"?lang={lang}")
    assert lot in page and tea.gtin in page
    assert ("Passed" if lang == "en" else "合格") in page


def test_hidden_fields_and_lot_traced_goods(app: Flask) -> None:
    shopper = Shopper(app.test_client())
    formula = shopper.text("/products/infant-formula?lang=en")
    assert "Kept private by the merchant" in formula.split("record-box")[1]
    assert "Qiqihar" not in formula.split("record-box")[1]
    rice = shopper.text("/products/wuchang-rice?lang=en")
    assert "This product is traced by lot" in rice
    assert "Shared with trade partners only" in rice  # its lab results


def test_unknown_pages_and_bad_input_never_fail(app: Flask) -> None:
    shopper = Shopper(app.test_client())
    for path in (
        "/products/nope",
        "/reports/nope",
        "/orders/999999",
        "/orders/1001",  # another shopper's
        "/orders/99999999999999999999",
    ):
        response = shopper.get(path + "?lang=en")
        assert response.status_code == 404, path
        assert "Page not found" in response.get_data(as_text=True)
    home = shopper.text("/")
    assert home
    for data in (
        {"product_id": "999", "quantity": "1"},
        {"product_id": "abc", "quantity": "1"},
        {"product_id": "1", "quantity": "0"},
        {"product_id": "1", "quantity": "100"},
        {"product_id": "1", "quantity": "two"},
        {"product_id": "1", "quantity": "1000"},
        {"product_id": "1" * 40, "quantity": "1"},
        {},
    ):
        response = shopper.post("/cart/add", data)
        assert response.status_code == 302, data
    html = shopper.text("/cart")
    assert "Your cart is empty." in html
    assert "That product is not on sale." in html and "Choose a quantity from 1 to 99." in html
    # Forms need the session's token.
    response = shopper.client.post("/cart/add", data={"product_id": "1", "quantity": "1"})
    assert response.status_code == 400
    assert "The form expired. Please try again." in response.get_data(as_text=True)
    # More than the stock.
    rice = product_id(app, "wuchang-rice")
    shopper.post("/cart/add", {"product_id": str(rice), "quantity": "39"})
    response = shopper.post("/cart/add", {"product_id": str(rice), "quantity": "1"})
    assert response.status_code == 302
    assert "Only 39 left of Wuchang rice, Daohuaxiang No. 2." in shopper.text("/cart")
    # Checkout of an empty cart goes back to the cart.
    empty = Shopper(app.test_client())
    assert empty.get("/checkout").status_code == 302
    assert empty.post("/checkout", ADDRESS).status_code == 302
    assert shop_rows(app, orders, orders.c.id > 1003) == []
    assert shopper.post("/orders/99999999999999999999/ship").status_code == 404
    assert shopper.get("/cart/add").status_code == 405


# --- a purchase --------------------------------------------------------------------------------


def test_checkout_refuses_bad_fields_and_stores_nothing(app: Flask) -> None:
    shopper = Shopper(app.test_client())
    shopper.get("/?lang=en")
    shopper.post("/cart/add", {"product_id": str(product_id(app, "longjing-tea"))})
    before = counts(app)
    response = shopper.post(
        "/checkout",
        {
            **ADDRESS,
            "email": "not-an-email",
            "phone": "12",
            "postcode": "!",
            "country": "XX",
            "payment": "cash",
            "street": "x" * 201,
            "city": "",
        },
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for message in (
        "Please check the fields marked below.",
        "Enter an e-mail address like name@example.com.",
        "Enter 6 to 20 digits",
        "Enter 3 to 10 letters or digits.",
        "Choose one of the options.",
        "At most 200 characters.",
        "Please fill in this field.",
    ):
        assert message in html, message
    assert 'aria-invalid="true"' in html
    assert counts(app) == before


def test_a_purchase_is_traced_from_cart_to_delivery(demo: Demo) -> None:
    app = demo.start()
    shopper = Shopper(app.test_client())
    shopper.get("/?lang=en")
    order_id = buy(shopper, app, {"longjing-tea": 2, "wuchang-rice": 1})

    # The confirmation: thanks, the order's trace page with its QR, the lot now selling.
    html = strip_svg(shopper.text(f"/orders/{order_id}"))
    assert "Thank you! Your order is placed." in html
    assert "Placed, waiting to ship" in html
    page = re.search(r'href="(http://localhost/trace/orders/[A-Za-z0-9_-]+)"', html)
    assert page is not None, html
    assert "[QR]" in html
    assert "Trace codes are bound to your order when the warehouse packs it." in html
    assert shopper.get(path_of(page.group(1))).status_code == 200

    # shoptrace recorded the order: its lines matched to the products by GTIN.
    (placed,) = trace_rows(app, t.orders, t.orders.c.shop_order_id == f"DEMO-{order_id}")
    assert placed.status == "placed"
    assert placed.customer_ref.startswith("customer-")
    assert placed.destination["country"] == "CN"
    lines = trace_rows(app, t.order_lines, t.order_lines.c.order_id == placed.id)
    assert [(x.gtin, x.quantity, x.status) for x in lines] == [
        (goods.product("longjing-tea").gtin, 2, "open"),
        (goods.product("wuchang-rice").gtin, 1, "open"),
    ]
    assert {r.slug: r.stock for r in shop_rows(app, products)}["longjing-tea"] == 33

    # The packing station scans two tins; shoptrace binds them, and the rice's lot.
    response = shopper.post(f"/orders/{order_id}/ship")
    assert response.status_code == 302
    html = strip_svg(shopper.text(f"/orders/{order_id}"))
    assert "Packed and shipped. The trace codes are below." in html
    my_lines = {x.id: x for x in shop_rows(app, order_lines, order_lines.c.order_id == order_id)}
    mine = shop_rows(app, stock_units, stock_units.c.order_line_id.in_(list(my_lines)))
    tins = [u for u in mine if u.product_id == product_id(app, "longjing-tea")]
    assert len(tins) == 2 and len(mine) == 2
    assert {u.state for u in tins} == {"sold"}
    for tin in tins:
        assert code_of(app, tin) in html and tin.serial in html
    bound = trace_rows(app, t.units, t.units.c.serial.in_([tin.serial for tin in tins]))
    assert {u.status for u in bound} == {"shipped"}
    bound_lines = {
        x.gtin: x for x in trace_rows(app, t.order_lines, t.order_lines.c.order_id == placed.id)
    }
    tea_line = bound_lines[goods.product("longjing-tea").gtin]
    assert {u.order_line_id for u in bound} == {tea_line.id}
    rice_line = bound_lines[goods.product("wuchang-rice").gtin]
    assert rice_line.status == "allocated" and rice_line.batch_id is not None
    rice_lot = goods.product("wuchang-rice").selling().code(anchor_day(app))
    assert f"Lot {rice_lot}" in html

    # A tin's code opens its trace: the sale is the last step of its story.
    trace = shopper.get(
        path_of(code_of(app, tins[0])),
        headers={"Accept": "application/json"},
        query_string={"lang": "en"},
    ).get_json()
    assert trace["kind"] == "unit" and trace["serial"] == tins[0].serial
    steps = [step["step"] for step in trace["timeline"]]
    assert "retail_selling" in steps and steps.index("assembling") < steps.index("retail_selling")
    assert trace["verification"]["genuine"] is True

    # Delivered; shipping twice is refused with a message, nothing changes.
    assert shopper.post(f"/orders/{order_id}/ship").status_code == 302
    assert "This order was shipped or cancelled already." in shopper.text(f"/orders/{order_id}")
    shopper.post(f"/orders/{order_id}/deliver")
    assert "Delivered. Enjoy!" in shopper.text(f"/orders/{order_id}")
    (delivered,) = trace_rows(app, t.orders, t.orders.c.id == placed.id)
    assert delivered.status == "delivered"

    # My orders lists it; another shopper cannot open it.
    assert f"/orders/{order_id}" in shopper.text("/orders")
    stranger = Shopper(app.test_client())
    assert stranger.get(f"/orders/{order_id}").status_code == 404
    assert stranger.post(f"/orders/{order_id}/deliver").status_code == 404


def test_cancelling_gives_the_stock_back(app: Flask) -> None:
    shopper = Shopper(app.test_client())
    shopper.get("/?lang=en")
    order_id = buy(shopper, app, {"acacia-honey": 3})
    assert {r.slug: r.stock for r in shop_rows(app, products)}["acacia-honey"] == 33
    shopper.post(f"/orders/{order_id}/cancel")
    assert "The order is cancelled." in shopper.text(f"/orders/{order_id}")
    assert {r.slug: r.stock for r in shop_rows(app, products)}["acacia-honey"] == 36
    (row,) = trace_rows(app, t.orders, t.orders.c.shop_order_id == f"DEMO-{order_id}")
    assert row.status == "cancelled"
    assert shopper.post(f"/orders/{order_id}/ship").status_code == 302
    assert "This order was shipped or cancelled already." in shopper.text(f"/orders/{order_id}")


def test_signing_in_shows_my_orders_only(app: Flask) -> None:
    shopper = Shopper(app.test_client())
    html = shopper.text("/orders?lang=en")
    assert "demo@example.com" in html and 'name="email"' in html
    shopper.post("/signin", {"email": "nobody@example.com"})
    assert "No orders were placed with that e-mail address." in shopper.text("/orders")
    shopper.post("/signin", {"email": "Demo@Example.com"})
    html = shopper.text("/orders")
    assert "Signed in as demo@example.com" in html
    assert "/orders/1001" in html and "/orders/1003" in html and "/orders/1002" not in html
    assert shopper.get("/orders/1002").status_code == 404
    shopper.post("/signout")
    assert shopper.get("/orders/1001").status_code == 404


# --- the story on the trace pages -----------------------------------------------------------


def _seeded_unit(app: Flask, slug: str) -> Any:
    with shop_of(app).read() as conn:
        return conn.execute(
            sa.select(stock_units)
            .join(products, products.c.id == stock_units.c.product_id)
            .where(products.c.slug == slug, stock_units.c.state == "sold")
        ).first()


@pytest.mark.parametrize(
    ("lang", "steps"),
    [
        (
            "en",
            [
                "Coded and registered",
                "Processed",
                "Inspected",
                "Packed",
                "Shipped",
                "Received",
                "Stored in warehouse",
                "Sold",
            ],
        ),
        ("zh-CN", ["赋码登记", "加工", "检验", "包装", "发货", "收货", "入库存储", "售出"]),
    ],
)
def test_a_seeded_units_trace_page_tells_its_supply_chain(
    app: Flask, lang: str, steps: list[str]
) -> None:
    unit = _seeded_unit(app, "longjing-tea")
    shopper = Shopper(app.test_client())
    response = shopper.get(path_of(code_of(app, unit)), query_string={"lang": lang})
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    positions = [html.find(step) for step in steps]
    assert all(p >= 0 for p in positions), dict(zip(steps, positions, strict=True))
    assert ("Genuine" if lang == "en" else "正品") in html
    body = shopper.get(
        path_of(code_of(app, unit)),
        headers={"Accept": "application/json"},
        query_string={"lang": lang},
    ).get_json()
    timeline = [step["step"] for step in body["timeline"]]
    # Harvest (the raw leaf's origin, through the transformation) comes first.
    assert timeline[:3] == ["commissioning", "assembling", "inspecting"]
    assert timeline.index("packing") < timeline.index("shipping") < timeline.index("receiving")
    assert timeline.index("storing") < timeline.index("retail_selling")
    assert body["batch"]["origin"]["name"]
    assert "producer" not in body["batch"]  # partner-only
    assert body["now"]["status"] == "delivered"
    assert "recall" not in body


def test_the_recalled_lot_shows_its_recall(app: Flask) -> None:
    product, lot = recalled_lot(anchor_day(app))
    shopper = Shopper(app.test_client())
    lot_path = f"/trace/01/{product.gtin}/10/{lot}"
    body = shopper.get(
        lot_path, headers={"Accept": "application/json"}, query_string={"lang": "en"}
    ).get_json()
    assert body["kind"] == "lot"
    assert body["recall"]["recalled"] is True
    assert "moisture" in body["recall"]["reason"]
    assert "已召回" in shopper.text(lot_path, query_string={"lang": "zh-CN"})
    assert "Recalled" in shopper.text(lot_path, query_string={"lang": "en"})

    # Its sold jars say so on their own pages, the shop's product page warns...
    unit = _seeded_unit(app, "acacia-honey")
    assert unit.lot == lot
    jar = shopper.get(
        path_of(code_of(app, unit)),
        headers={"Accept": "application/json"},
        query_string={"lang": "zh-CN"},
    ).get_json()
    assert jar["recall"]["recalled"] is True and "水分" in jar["recall"]["reason"]
    html = shopper.text("/products/acacia-honey?lang=en")
    assert f"Lot {lot} of this product is recalled." in html
    assert f'href="{BASE}{lot_path}"' in html

    # ... and so does the order that holds them.
    shopper.post("/signin", {"email": "demo@example.com"})
    html = strip_svg(shopper.text("/orders/1001?lang=en"))
    assert html.count("Recalled: stop using this item") == 2
    assert html.count(f"/10/{lot}/21/") == 2
    # The recalled jars are not for sale: the shop never packs them.
    held = shop_rows(app, stock_units, stock_units.c.state == "recalled")
    assert {u.lot for u in held} == {lot}


def test_a_recall_from_the_merchant_api_holds_the_shops_stock(demo: Demo) -> None:
    app = demo.start()
    key = setup_of(app).api_key
    client = app.test_client()
    tea = goods.product("longjing-tea")
    lot = tea.selling().code(anchor_day(app))
    response = client.post(
        "/trace/api/v1/recalls",
        json={
            "gtin": tea.gtin,
            "lots": [lot],
            "reason": {"zh-CN": "标签错误", "en": "Wrong label"},
            "severity": "3",
        },
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 201, response.get_json()
    assert {r.slug: r.stock for r in shop_rows(app, products)}["longjing-tea"] == 0
    shopper = Shopper(app.test_client())
    html = shopper.text("/products/longjing-tea?lang=en")
    assert "Sold out" in html and f"Lot {lot} of this product is recalled." in html
    shopper.get("/")
    assert shopper.post("/cart/add", {"product_id": str(product_id(app, "longjing-tea"))})
    assert "Only 0 left" in shopper.text("/cart")


def test_the_codes_follow_the_shops_address(tmp_path: Path) -> None:
    """Codes and QR codes are built from DEMO_BASE_URL when shown, so serving the shop on
    another address (a phone on the same network) changes them all."""
    config = {
        "SHOPTRACE_OUTBOX_RUNNER": "off",
        "SHOPTRACE_SYNC_RUNNER": "off",
        "SHOPTRACE_SCAN_RECORDING": "off",
    }
    first = create_app(tmp_path / "instance", DEMO_BASE_URL=BASE, **config)
    again = create_app(tmp_path / "instance", DEMO_BASE_URL="http://192.168.1.20:5000", **config)
    try:
        shopper = Shopper(again.test_client())
        shopper.post("/signin", {"email": "demo@example.com"})
        html = strip_svg(shopper.text("/orders/1001?lang=en"))
        links = re.findall(r'href="(http://192\.168\.1\.20:5000/trace/01/[^"]+)"', html)
        assert len(links) == 3
        for link in links:
            parsed = digital_link.parse(link)
            assert parsed.serial is not None and (parsed.gtin or "").startswith("0950")
        assert "http://localhost/trace" not in html
        assert 'href="http://192.168.1.20:5000/trace/orders/' in html
        assert 'src="http://192.168.1.20:5000/trace/widget.js"' in shopper.text("/")
        with state_of(again).store.read() as conn:
            listed = conn.execute(sa.select(t.products.c.listing_url)).scalars().all()
        assert sorted(listed) == sorted(
            f"http://192.168.1.20:5000/products/{p.slug}" for p in goods.PRODUCTS
        )
    finally:
        for app in (first, again):
            state_of(app).store.dispose()
            shop_of(app).dispose()


# --- python -m examples.demo_shop --------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_the_demo_runs_as_a_module_and_prints_where_to_click(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "DEMO_PORT": str(port),
        "DEMO_INSTANCE_PATH": str(tmp_path / "instance"),
        "PYTHONUNBUFFERED": "1",
    }
    for name in (PG_ENV, "DEMO_BASE_URL", "DEMO_HOST"):
        env.pop(name, None)
    process = subprocess.Popen(
        [sys.executable, "-m", "examples.demo_shop"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        body = ""
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/?lang=en", timeout=5) as r:
                    assert r.status == 200
                    body = r.read().decode("utf-8")
                    break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.25)
        assert "Traceable Goods" in body and "<shoptrace-badge" in body, process.poll()
    finally:
        process.terminate()
        try:
            output, _ = process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
    base = f"http://127.0.0.1:{port}"
    for line in (
        f"{base}/",
        f"{base}/products/longjing-tea",
        f"{base}/trace/01/",
        f"{base}/orders",
        "Merchant API key",
    ):
        assert line in output, output
    assert re.search(r"st_[a-z0-9]{8}_\S+", output), output


def test_packs_shoptrace_refuses_are_set_aside(app: Flask) -> None:
    # The merchant recalls one tin by its code; the shop's warehouse does not know yet.
    tea = product_id(app, "longjing-tea")
    with shop_of(app).read() as conn:
        first = conn.execute(
            sa.select(stock_units)
            .where(stock_units.c.product_id == tea, stock_units.c.state == "in_stock")
            .order_by(stock_units.c.id)
        ).first()
    assert first is not None
    response = app.test_client().post(
        "/trace/api/v1/recalls",
        json={
            "gtin": goods.product("longjing-tea").gtin,
            "units": [code_of(app, first)],
            "reason": "Dented tin",
            "severity": "3",
        },
        headers={"Authorization": f"Bearer {setup_of(app).api_key}"},
    )
    assert response.status_code == 201, response.get_json()

    shopper = Shopper(app.test_client())
    shopper.get("/?lang=en")
    order_id = buy(shopper, app, {"longjing-tea": 1})
    shopper.post(f"/orders/{order_id}/ship")
    html = shopper.text(f"/orders/{order_id}")
    assert "The trace service refused:" in html and "recalled" in html
    assert "1 pack(s) were refused and set aside." in html
    assert "Placed, waiting to ship" in html
    (held,) = shop_rows(app, stock_units, stock_units.c.state == "held")
    assert held.id == first.id
    assert {r.slug: r.stock for r in shop_rows(app, products)}["longjing-tea"] == 35 - 1 - 1

    # Packing again takes another tin, which shoptrace accepts.
    shopper.post(f"/orders/{order_id}/ship")
    html = shopper.text(f"/orders/{order_id}")
    assert "Packed and shipped." in html
    lines = [x.id for x in shop_rows(app, order_lines, order_lines.c.order_id == order_id)]
    (sold,) = shop_rows(app, stock_units, stock_units.c.order_line_id.in_(lines))
    assert sold.id != first.id and sold.serial in html
