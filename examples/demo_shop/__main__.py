"""``python -m examples.demo_shop``: seed on first start, print where to click, serve.

Serves on http://127.0.0.1:5000 with werkzeug's threaded server: ``DEMO_PORT`` changes the
port, ``DEMO_HOST`` the interface, ``DEMO_BASE_URL`` the address codes and QR codes point at;
the data lives in ``examples/demo_shop/instance/`` (``DEMO_INSTANCE_PATH``).
"""

from __future__ import annotations

import logging
import os
import sys

import sqlalchemy as sa
from flask import Flask
from werkzeug.serving import run_simple

from examples.demo_shop.app import SEEDED_KEY, create_app, login_of, port, setup_of
from examples.demo_shop.db import EXTENSION_KEY, Shop, products, recalls, stock_units
from examples.demo_shop.seed import anchor_day, recalled_lot
from shoptrace.sdk import digital_link


def where_to_click(app: Flask) -> str:
    """The lines printed at start: the shop, a product, a trace page, the recall, the
    merchant admin with its sign-in, the API key."""
    base = app.config["DEMO_BASE_URL"]
    trace = app.config["SHOPTRACE_PUBLIC_BASE_URL"].rstrip("/")
    shop: Shop = app.extensions[EXTENSION_KEY]
    with shop.read() as conn:
        first = conn.execute(sa.select(products).order_by(products.c.position)).first()
        held = sa.select(recalls.c.lot).where(recalls.c.gtin == products.c.gtin)
        unit = conn.execute(
            sa.select(products.c.gtin, stock_units.c.lot, stock_units.c.serial)
            .join(products, products.c.id == stock_units.c.product_id)
            .where(stock_units.c.state.in_(("sold", "in_stock")), stock_units.c.lot.not_in(held))
            .order_by(sa.case((stock_units.c.state == "sold", 0), else_=1), products.c.position)
        ).first()
    product, lot = recalled_lot(anchor_day(app))
    setup = setup_of(app)
    login = login_of(app)
    seeded = app.extensions.get(SEEDED_KEY) or {}
    lines = [
        "",
        "  可追溯好物 · 示范网店  /  Traceable Goods · demo shop",
        "  ("
        + ("seeded on this first start" if seeded.get("trace") else "reusing its data")
        + f": {app.instance_path})",
        "",
        f"  Shop / 商城                      {base}/",
    ]
    if first is not None:
        lines.append(f"  A product page / 商品详情页      {base}/products/{first.slug}")
    if unit is not None:
        code = digital_link.build(trace, unit.gtin, lot=unit.lot, serial=unit.serial)
        lines.append(f"  Trace page of a unit / 单品追溯  {code}")
    lines += [
        f"  The recalled lot / 召回批次      {trace}/01/{product.gtin}/10/{lot}",
        f"  My orders / 我的订单             {base}/orders  (sign in as demo@example.com)",
        f"  Merchant admin / 商家后台        {trace}/admin/"
        f"  (user {login.email}, password {login.password})",
        f"  Merchant API / 商家接口          {trace}/api/v1/openapi.json",
    ]
    if setup.api_key:
        lines += [
            f"  Merchant API key / 商家密钥      {setup.api_key}",
            "    (shown once, keep it: curl -H 'Authorization: Bearer KEY' "
            f"{trace}/api/v1/products)",
        ]
    else:
        lines += [
            f"  Merchant API key / 商家密钥      {setup.key_prefix}_... (shown on the first start)",
            "    a new one: .venv/bin/flask --app examples.demo_shop shoptrace merchants keys "
            f"create {setup.merchant_id}",
        ]
    lines += ["", "  Press Ctrl+C to stop.", ""]
    return "\n".join(lines)


def main() -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app = create_app()
    print(where_to_click(app), flush=True)
    run_simple(
        os.environ.get("DEMO_HOST", "127.0.0.1"),
        port(),
        app,
        threaded=True,
        use_reloader=False,
        use_debugger=False,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
