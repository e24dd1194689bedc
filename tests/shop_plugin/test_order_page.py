"""The shopper's order page: a signed token, the page in both languages and its JSON, trace
links and QR codes per line, recall notices, no private data, and plain 404s for bad tokens."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from shoptrace.shop_plugin.services.orders import order_token, read_token, token_key
from shoptrace.shop_plugin.store.tables import merchants
from tests.shop_plugin.helpers import GTIN, SIGNING_KEY, Api, add_merchant, make_app
from tests.shop_plugin.test_orders import LOT_GTIN, act, order, place, recall, stock

PRIVATE = ("cust-secret-9", "Hangzhou", "310007", "Zhejiang", "urn:shoptrace", '"1001"', "P-77")


def _order_page(api: Api, *, lot_line: bool = True) -> tuple[dict[str, Any], dict[str, Any]]:
    """An order with a unit line (2 units shipped), a lot line and an untraced line."""
    made = stock(api, shopProductId="P-77")
    stock(api, LOT_GTIN, lots=(("TEA-1", "2030-01-01", 0),))
    lines = [
        {"gtin": GTIN, "quantity": 2, "name": "Apples (shop title)"},
        {"gtin": LOT_GTIN, "quantity": 3},
        {"sku": "GIFT-WRAP", "quantity": 1, "name": "Gift wrap"},
    ]
    place(api, order(lines=lines if lot_line else lines[:1]))
    fulfilled = act(api, "1001", "fulfil", {"units": made["lots"]["LOT-A"]["uris"][:2]})
    return made, fulfilled


def _page(api: Api, token: str, **headers: str) -> Any:
    return api.client.get(f"/trace/orders/{token}", headers=headers)


def test_tokens_are_signed_unguessable_and_checked_without_a_lookup() -> None:
    key = token_key(SIGNING_KEY)
    tokens = [order_token(key, n) for n in (1, 2, 3, 2**40)]
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{32}", t) for t in tokens)
    assert len(set(tokens)) == 4
    assert [read_token(key, t) for t in tokens] == [1, 2, 3, 2**40]
    # Consecutive orders give unrelated tokens: no order count shows.
    assert tokens[0][:11] != tokens[1][:11]
    other = token_key("another-signing-key-0123456789-abcdefgh")
    assert read_token(other, tokens[0]) is None
    raw = bytearray(base64.urlsafe_b64decode(tokens[0]))
    for index in (0, 7, 8, 23):
        changed = bytearray(raw)
        changed[index] ^= 1
        assert read_token(key, base64.urlsafe_b64encode(bytes(changed)).decode()) is None
    for bad in ("", "x" * 32, tokens[0][:-1], tokens[0] + "A", "../" * 11, "é" * 32):
        assert read_token(key, bad) is None


def test_the_page_shows_every_line_with_links_qr_codes_and_status(api: Api) -> None:
    made, fulfilled = _order_page(api)
    response = _page(api, fulfilled["token"], **{"Accept-Language": "en"})
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "<title>Order #1001 · Order trace</title>" in html
    assert "Organic apples" in html  # the product's public name wins over the shop's title
    assert "Quantity: 2 · Shipped" in html
    for uri in made["lots"]["LOT-A"]["uris"][:2]:
        assert f'href="{uri}"' in html
    assert f'href="https://shop.example.com/trace/01/{LOT_GTIN}/10/TEA-1"' in html
    assert html.count('<img src="data:image/svg+xml;base64,') == 3
    assert "Gift wrap" in html
    assert "No trace information for this item." in html
    assert 'href="?lang=zh-CN"' in html
    headers = response.headers
    assert headers["Content-Security-Policy"].startswith("default-src 'none'; style-src 'sha256-")
    assert "img-src data:" in headers["Content-Security-Policy"]
    assert headers["Cache-Control"] == "private, no-cache"
    assert headers["X-Robots-Tag"] == "noindex"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Content-Language"] == "en"
    assert headers["Access-Control-Allow-Origin"] == "*"
    for private in PRIVATE:
        assert private not in html


def test_the_page_in_chinese(api: Api) -> None:
    _made, fulfilled = _order_page(api)
    html = _page(api, fulfilled["token"] + "?lang=zh-CN").get_data(as_text=True)
    assert '<html lang="zh-CN">' in html
    assert "<title>订单 #1001 · 订单追溯</title>" in html
    assert "有机苹果" in html
    assert "数量：2 · 已发货" in html
    assert "批次 TEA-1" in html
    assert "该商品暂无追溯信息。" in html
    assert "扫描二维码或点击链接" in html
    assert "Shipped" not in html


def test_the_json_lists_lines_links_and_statuses_and_nothing_private(api: Api) -> None:
    made, fulfilled = _order_page(api)
    response = _page(api, fulfilled["token"] + "?lang=en", Accept="application/json")
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert {k: body[k] for k in ("kind", "lang", "number", "status", "statusLabel")} == {
        "kind": "order",
        "lang": "en",
        "number": "#1001",
        "status": "fulfilled",
        "statusLabel": "Shipped",
    }
    assert body["placedAt"] == "2026-04-02T02:30:00Z"
    units, lot, wrap = body["lines"]
    assert (units["name"], units["quantity"], units["status"], units["statusLabel"]) == (
        "Organic apples",
        2,
        "allocated",
        "Shipped",
    )
    assert [x["code"] for x in units["links"]] == made["lots"]["LOT-A"]["uris"][:2]
    first = units["links"][0]
    assert first["kind"] == "unit"
    assert (first["status"], first["statusLabel"], first["recalled"]) == (
        "shipped",
        "Shipped",
        False,
    )
    assert first["qr"].startswith("data:image/svg+xml;base64,")
    svg = base64.b64decode(first["qr"].split(",", 1)[1]).decode()
    assert svg.startswith("<svg") and f"QR code of {first['code']}" in svg
    assert [(x["kind"], x["lot"]) for x in lot["links"]] == [("lot", "TEA-1")]
    assert (wrap["name"], wrap["status"], wrap["links"]) == ("Gift wrap", "untraced", [])
    assert "recall" not in body
    text = response.get_data(as_text=True)
    for private in (*PRIVATE, "GIFT-WRAP", "problem", "customer", "destination"):
        assert private not in text


def test_a_recalled_unit_or_lot_shows_a_notice(app: Flask, api: Api) -> None:
    made, fulfilled = _order_page(api)
    recall(app, api.merchant_id, uri=made["lots"]["LOT-A"]["uris"][0])
    body = _page(api, fulfilled["token"] + "?lang=en", Accept="application/json").get_json()
    assert body["recall"] == {
        "recalled": True,
        "label": "An item in this order is recalled",
        "advice": "Stop using this product and contact the shop you bought it from.",
    }
    line = body["lines"][0]
    assert line["recall"]["reason"] == "Listeria found"
    assert line["recall"]["label"] == "Recalled"
    assert [x["recalled"] for x in line["links"]] == [True, False]
    assert line["links"][0]["statusLabel"] == "Recalled"
    html = _page(api, fulfilled["token"] + "?lang=zh-CN").get_data(as_text=True)
    assert "此订单中有商品已召回" in html
    assert "检出李斯特菌" in html
    assert "召回日期" in html


def test_more_units_than_shown_are_counted(api: Api) -> None:
    uris = stock(api, lots=(("LOT-A", "2030-01-01", 23),))["lots"]["LOT-A"]["uris"]
    place(api, order(lines=[{"gtin": GTIN, "quantity": 23}]))
    token = act(api, "1001", "fulfil", {"units": uris})["token"]
    line = _page(api, token, Accept="application/json").get_json()["lines"][0]
    assert (len(line["links"]), line["moreLinks"]) == (20, 3)
    assert "and 3 more units" in _page(api, token + "?lang=en").get_data(as_text=True)


@pytest.mark.parametrize("form", ["text/html", "application/json"])
def test_bad_tokens_are_a_plain_404(app: Flask, api: Api, form: str) -> None:
    _made, fulfilled = _order_page(api, lot_line=False)
    token = fulfilled["token"]
    forged = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    stranger = order_token(token_key("another-signing-key-0123456789-abcdefgh"), 1)
    for bad in ("nothing", forged, stranger, token[:-1], token + "x", "%2e%2e"):
        response = _page(api, bad, Accept=form)
        assert response.status_code == 404, bad
        assert response.mimetype == "application/problem+json"
        assert response.get_json()["detail"] == "No order has this link."
        assert "cust-secret" not in response.get_data(as_text=True)
    with app.extensions["shoptrace"].store.begin() as conn:
        conn.execute(merchants.update().values(status="disabled"))
    assert _page(api, token).status_code == 404


def test_head_options_and_an_order_without_units(api: Api) -> None:
    api.product(GTIN)
    placed = place(api, order())
    assert api.client.head(f"/trace/orders/{placed['token']}").status_code == 200
    options = api.client.options(f"/trace/orders/{placed['token']}")
    assert options.status_code == 204
    assert options.headers["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"
    body = _page(api, placed["token"] + "?lang=en", Accept="application/json").get_json()
    assert body["statusLabel"] == "Order placed"
    assert [(x["statusLabel"], x["links"]) for x in body["lines"]] == [("Being prepared", [])]


def _other_app(db_url: str, tmp_path: Path, **config: Any) -> tuple[Flask, Api]:
    app = make_app(db_url, tmp_path / "other", **config)
    merchant_id, key = add_merchant(app, "Acme")
    return app, Api(app.test_client(), key, merchant_id)


def test_the_public_rate_limit_applies(db_url: str, tmp_path: Path) -> None:
    app, api = _other_app(db_url, tmp_path, SHOPTRACE_PUBLIC_RATE_LIMIT="3 per minute")
    try:
        api.product(GTIN)
        token = place(api, order())["token"]
        answers = [_page(api, token).status_code for _ in range(4)]
        assert answers == [200, 200, 200, 429]
    finally:
        app.extensions["shoptrace"].store.dispose()


def test_without_a_public_base_url_links_use_the_request_host(db_url: str, tmp_path: Path) -> None:
    app, api = _other_app(db_url, tmp_path, SHOPTRACE_PUBLIC_BASE_URL="")
    try:
        uris = stock(api)["lots"]["LOT-A"]["uris"]
        assert uris[0].startswith("http://localhost/trace/01/")
        place(api, order())
        token = act(api, "1001", "fulfil")["token"]
        body = api.client.get(
            f"/trace/orders/{token}",
            headers={"Accept": "application/json"},
            base_url="https://shop.test",
        ).get_json()
        assert body["lines"][0]["links"][0]["code"].startswith("https://shop.test/trace/01/")
    finally:
        app.extensions["shoptrace"].store.dispose()
