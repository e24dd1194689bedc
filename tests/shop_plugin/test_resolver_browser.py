"""End to end in Chromium: the trace service on a live server, a merchant's real data, the
trace page a phone opens, and a shop page on another origin with the real widget script."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests._browser import chromium, needs_chromium
from tests.shop_plugin.helpers import make_app
from tests.shop_plugin.resolver_helpers import Shop, flush_scans, make_shop

pytestmark = needs_chromium
sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests need Playwright")
expect = sync_api.expect


class Live:
    """The trace service on 127.0.0.1 (a thread), with one merchant's shop in it."""

    def __init__(self, app: Flask, shop: Shop) -> None:
        self.app = app
        self.shop = shop
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.origin = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)


class ShopPage:
    """A shop's product page on another origin, loading the widget from the service."""

    def __init__(self) -> None:
        self.html = ""
        page = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                body = page.html.encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)


@pytest.fixture
def live(db_url: str, tmp_path: Path) -> Iterator[Live]:
    app = make_app(
        db_url,
        tmp_path / "instance",
        SHOPTRACE_PUBLIC_BASE_URL=None,
        SHOPTRACE_PUBLIC_RATE_LIMIT="",
    )
    service = Live(app, make_shop(app))
    service.thread.start()
    yield service
    service.server.shutdown()
    service.thread.join(timeout=5)
    flush_scans(app)
    app.extensions["shoptrace"].store.dispose()


@pytest.fixture
def shop_page() -> Iterator[ShopPage]:
    page = ShopPage()
    page.thread.start()
    yield page
    page.httpd.shutdown()
    page.httpd.server_close()
    page.thread.join(timeout=5)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
    pg = context.new_page()
    pg.set_default_timeout(5000)
    # A page's load waits for its iframes and scripts too: once in a full run on a busy
    # 2-core CI machine that took longer than 5 s, so navigations get 20 s.
    pg.set_default_navigation_timeout(20_000)
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    yield pg
    context.close()
    # No CSP violation, no CORS failure, no script error (an unknown code's 404 is logged).
    assert [e for e in errors if "status of 404" not in e] == []


def test_a_phone_opens_the_trace_page_of_a_unit(live: Live, page: Any) -> None:
    response = page.goto(live.origin + live.shop.unit())
    assert response.status == 200
    expect(page).to_have_title("Longjing tea · Traceable")
    main = page.locator("main")
    expect(main).to_contain_text("Longjing tea")
    expect(main).to_contain_text("Genuine")
    expect(main).to_contain_text("Sold by Acme Tea")
    for step in ("Packed", "Shipped", "Received", "Sold"):
        expect(main).to_contain_text(step)
    expect(main).to_contain_text("Longjing village")
    expect(main).not_to_contain_text("Partner Farm")
    page.get_by_role("link", name="中文").click()
    expect(page.locator("main")).to_contain_text("正品")


def test_an_unknown_code_warns_of_a_counterfeit(live: Live, page: Any) -> None:
    response = page.goto(live.origin + f"/trace/01/{live.shop.gtin}/10/LOT42/21/7KQ2M9XH4C8RTW3HZP")
    assert response.status == 404
    expect(page.locator("main")).to_contain_text("Possible counterfeit")


def test_the_badge_on_a_shop_page_opens_the_real_trace(
    live: Live, shop_page: ShopPage, page: Any
) -> None:
    shop = live.shop
    shop_page.html = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Longjing tea | Example Tea Shop</title></head><body>
<h1>Longjing tea</h1>
<shoptrace-badge gtin="{shop.gtin}" lot="LOT42" serial="{shop.serials[0]}"></shoptrace-badge>
<iframe title="Trace" src="{live.origin}/trace/embed/01/{shop.gtin}/10/LOT42?lang=en"
  width="360" height="560"></iframe>
<script async src="{live.origin}/trace/widget.js" data-lang="en"></script>
</body></html>"""
    with page.expect_response(lambda r: "/trace/01/" in r.url) as answer:
        page.goto(shop_page.origin + "/product")
    response = answer.value
    badge = page.get_by_role("button", name="Traceable")
    expect(badge).to_be_visible()
    assert response.status == 200 and response.headers["access-control-allow-origin"] == "*"
    assert response.json()["serial"] == shop.serials[0]
    badge.click()
    dialog = page.get_by_role("dialog", name="Longjing tea")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Genuine")
    expect(dialog).to_contain_text("Shipped")
    expect(dialog).to_contain_text("Longjing village")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    frame = page.frame_locator("iframe[title=Trace]")
    expect(frame.locator("main")).to_contain_text("Longjing tea")
    expect(frame.get_by_role("link", name="Open the full trace")).to_be_visible()
