"""End to end in Chromium, as a merchant: sign in through a tiny host shop's login form, issue
codes in the admin, download their labels and CSV, recall the lot, then open a unit's trace
page as a shopper would and see the recall banner."""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask, Request, redirect, request, session
from werkzeug.serving import make_server

from shoptrace.shop_plugin import ShopTrace
from shoptrace.shop_plugin.services.batches import create_batch
from shoptrace.shop_plugin.services.merchants import create_merchant
from shoptrace.shop_plugin.services.products import create_product
from shoptrace.shop_plugin.store import open_store, sqlite_url, upgrade
from tests._browser import chromium, needs_chromium

pytestmark = needs_chromium
sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests need Playwright")
expect = sync_api.expect

GTIN = "09506000134352"
SIGNING_KEY = "admin-browser-signing-key-0123456789-abcdef"
USERS = {"ann": "correct horse"}

LOGIN_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign in</title>
</head><body><h1>Sign in to Example Tea Shop</h1>{error}
<form method="post"><label>User <input name="user"></label>
<label>Password <input name="password" type="password"></label>
<button type="submit">Sign in</button></form></body></html>"""


def host_app(instance: Path, **options: Any) -> tuple[Flask, int]:
    """A shop with a login form; its staff user "ann" manages the shop's merchant."""
    url = sqlite_url(instance / "trace.db")
    store = open_store(url)
    upgrade(store)
    with store.begin() as conn:
        merchant, _key = create_merchant(conn, "Example Tea Shop")
        product = create_product(
            conn,
            merchant["id"],
            {"gtin": GTIN, "name": {"zh-CN": "西湖龙井", "en": "Longjing tea"}, "category": "food"},
        )
        create_batch(conn, merchant["id"], {"productId": product["id"], "lot": "LOT42"})
    store.dispose()
    app = Flask("admin_host", root_path=str(instance), instance_path=str(instance))
    app.secret_key = "host-shop-session-secret"
    shoptrace = ShopTrace(
        app,
        database_url=url,
        signing_key=SIGNING_KEY,
        outbox_runner="off",
        sync_runner="off",
        rate_limit="",
        public_rate_limit="",
        **{"admin_login_url": "/login", "job_runner": "external", **options},
    )

    @shoptrace.admin_auth
    def signed_in_merchant(req: Request) -> int | None:
        return session.get("merchant_id")

    @app.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        if request.method == "POST":
            user = request.form.get("user", "")
            if USERS.get(user) == request.form.get("password"):
                session["merchant_id"] = merchant["id"]
                target = request.args.get("next", "/")
                return redirect(target if target.startswith("/trace/admin") else "/")
            return LOGIN_PAGE.format(error="<p role=alert>Wrong user or password</p>")
        return LOGIN_PAGE.format(error="")

    return app, merchant["id"]


class Live:
    """The host shop on 127.0.0.1 (a thread)."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.origin = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)


@pytest.fixture
def options() -> dict[str, Any]:
    """Settings of the host's shoptrace for a test (override with parametrize)."""
    return {}


@pytest.fixture
def live(tmp_path: Path, options: dict[str, Any]) -> Iterator[Live]:
    app, _merchant_id = host_app(tmp_path, **options)
    service = Live(app)
    service.thread.start()
    yield service
    service.server.shutdown()
    service.thread.join(timeout=5)
    recorder = app.extensions["shoptrace"].public.recorder
    if recorder is not None:
        recorder.flush()
    app.extensions["shoptrace"].store.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="en-GB", accept_downloads=True
    )
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    yield pg
    context.close()
    # No CSP violation, no script error (the host shop has no favicon: its 404 is logged).
    unexpected = [e for e in errors if "status of 404" not in e]
    assert unexpected == [], unexpected


def sign_in(live: Live, page: Any) -> None:
    page.goto(live.origin + "/trace/admin/?lang=en")
    page.get_by_label("User").fill("ann")
    page.get_by_label("Password").fill("correct horse")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


def test_a_merchant_issues_codes_prints_labels_and_recalls_a_lot(
    live: Live, page: Any, tmp_path: Path
) -> None:
    # Signed out: the admin sends the browser to the shop's login, and back after it.
    page.goto(live.origin + "/trace/admin/?lang=en")
    assert urlsplit(page.url).path == "/login"
    page.get_by_label("User").fill("ann")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Wrong user or password")
    page.goto(live.origin + "/trace/admin/?lang=en")
    page.get_by_label("User").fill("ann")
    page.get_by_label("Password").fill("correct horse")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.locator("header")).to_contain_text("Example Tea Shop")

    # Products -> the lot -> issue codes.
    page.get_by_role("navigation").get_by_role("link", name="Products").click()
    page.get_by_role("link", name="Longjing tea").click()
    page.get_by_role("table").get_by_role("link", name="LOT42").click()
    page.get_by_label("Number of codes").fill("4")
    page.get_by_role("button", name="Issue codes").click()
    expect(page.get_by_role("heading", name="Issuance 1")).to_be_visible()
    expect(page.locator("#job")).to_contain_text("Done")
    expect(page.locator("#job")).to_contain_text("4 of 4 codes")

    # Labels (PDF) and the codes (CSV) download.
    with page.expect_download() as pdf_download:
        page.get_by_role("button", name="Labels (PDF)").click()
    pdf = Path(pdf_download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF")
    with page.expect_download() as csv_download:
        page.get_by_role("link", name="Codes (CSV)").click()
    rows = list(csv.DictReader(io.StringIO(Path(csv_download.value.path()).read_text("utf-8"))))
    assert len(rows) == 4 and all(r["lot"] == "LOT42" for r in rows)
    unit = rows[0]["uri"]
    assert unit.startswith(f"{live.origin}/trace/01/{GTIN}/10/LOT42/21/")

    # Recall the lot from its page.
    page.get_by_role("link", name="Back to the lot").click()
    page.get_by_role("link", name="Recall this lot").click()
    expect(page.get_by_label("Lots, one per line")).to_have_value("LOT42")
    page.locator("textarea[name='reason.en']").fill("Foreign matter found in the lot")
    page.locator("textarea[name='reason.zh-CN']").fill("批次中发现异物")
    page.get_by_label("Level", exact=True).select_option("1")
    page.get_by_role("button", name="Open the recall").click()
    expect(page.get_by_role("status")).to_contain_text("The recall is open.")
    expect(page.locator("main")).to_contain_text("Units covered")
    expect(page.locator("main")).to_contain_text("Foreign matter found in the lot")

    # The shopper's trace page of a unit of that lot shows the recall banner.
    shopper = page.context.browser.new_context(locale="en-GB")
    phone = shopper.new_page()
    response = phone.goto(unit)
    assert response is not None and response.status == 200
    banner = phone.get_by_role("alert")
    expect(banner).to_contain_text("Recalled")
    expect(banner).to_contain_text("Foreign matter found in the lot")
    expect(banner).to_contain_text("Level 1 recall")
    shopper.close()


@pytest.mark.parametrize(
    "options", [{"job_runner": "thread", "sync_code_limit": 2}], ids=["background-job"]
)
def test_the_progress_of_a_large_issuance_updates_itself(live: Live, page: Any) -> None:
    sign_in(live, page)
    page.goto(live.origin + "/trace/admin/batches/1?lang=zh-CN")
    page.get_by_label("追溯码数量").fill("3000")
    page.get_by_role("button", name="发放追溯码").click()
    expect(page.get_by_role("heading", name="发码任务 1")).to_be_visible()
    expect(page.locator("#job-status")).to_have_text("已完成", timeout=30_000)
    expect(page.locator("#job")).to_contain_text("已生成 3000 / 3000 个追溯码")
    expect(page.get_by_role("button", name="第 2401–3000 个标签（PDF）")).to_be_visible()
