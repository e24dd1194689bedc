"""The demo shop in Chromium, started as a new user starts it (issue #9).

One demo for the module: ``make run`` (the README's first command) when the project's .venv
is ready, else ``python -m examples.demo_shop`` (what ``make run`` runs), in a child process
on a fresh instance folder and a free port, stopped at the end. Then a shopper walks it
(listing -> badge -> buy -> order page -> trace page) and a merchant does (sign in -> the
admin -> issue codes -> labels -> recall a lot -> the banner on the shopper's trace page).
Without a browser the walks skip; the README and Makefile checks still run.
"""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.security import check_password_hash

from examples.demo_shop.__main__ import where_to_click
from examples.demo_shop.app import DEFAULT_PORT, create_app, login_of
from examples.demo_shop.db import EXTENSION_KEY, merchant_users
from examples.demo_shop.launch import (
    ROOT,
    RunningDemo,
    make_run_command,
    python_command,
    running_demo,
)
from examples.demo_shop.merchant import PASSWORD_FILE
from shoptrace.shop_plugin import state_of
from tests._browser import chromium, needs_chromium

TIMEOUT_MS = 15_000
WALK_SECONDS = 120
"""Each walk must finish within this (the demo's pages answer in milliseconds)."""
STEPS_EN = (
    "Coded and registered",  # the leaf's lot at the farm, with its origin
    "Processed",
    "Inspected",
    "Packed",
    "Shipped",
    "Received",
    "Stored in warehouse",
    "Sold",
)
ADDRESS = {
    "E-mail": "lin.wei@example.com",
    "Mobile phone": "138 0013 8000",
    "Recipient": "Lin Wei",
    "Province": "浙江省",
    "City": "杭州市",
    "Street address": "西湖区文三路 90 号",
    "Postcode": "310012",
}


# --- the README and the Makefile --------------------------------------------------------------


def _quick_start() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = re.search(r"^## Quick start\n(.*?)(?=^## )", text, flags=re.M | re.S)
    assert section, "README.md has no '## Quick start' section"
    blocks = re.findall(r"^```[a-z]*\n(.*?)^```", section.group(1), flags=re.M | re.S)
    assert len(blocks) == 1, f"Quick start should hold one code block, not {len(blocks)}"
    return [line.split("#")[0].strip() for line in blocks[0].splitlines() if line.strip()]


def test_the_quick_start_is_two_commands() -> None:
    assert _quick_start() == ["make run", "make test"]
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    first = re.search(r"^make run .*$", text, flags=re.M)
    assert first and "http://127.0.0.1:5000" in first.group(0) and "SQLite" in first.group(0)
    assert DEFAULT_PORT == 5000


def test_make_run_starts_the_demo_shop() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    target = re.search(r"^run:.*\n((?:\t.*\n)+)", makefile, flags=re.M)
    assert target, "the Makefile has no run target"
    assert re.search(r"python -m examples\.demo_shop\s*$", target.group(1), flags=re.M)
    assert python_command()[-2:] == ["-m", "examples.demo_shop"]


# --- the merchant's sign-in, without a browser ----------------------------------------------


def _start(instance: Path) -> Flask:
    return create_app(
        instance,
        TESTING=True,
        DEMO_BASE_URL="http://localhost",
        SHOPTRACE_OUTBOX_RUNNER="off",
        SHOPTRACE_SYNC_RUNNER="off",
        SHOPTRACE_SCAN_RECORDING="off",
        SHOPTRACE_SIGNING_KEY="demo-browser-test-signing-key-0123456789-abc",
    )


@pytest.fixture
def started(tmp_path: Path) -> Iterator[list[Flask]]:
    """Apps of the demo started on ``tmp_path / "instance"`` (closed at the end)."""
    apps: list[Flask] = []
    yield apps
    for app in apps:
        state_of(app).store.dispose()
        app.extensions[EXTENSION_KEY].dispose()


def _token(client: FlaskClient, path: str = "/merchant/login?lang=en") -> str:
    html = client.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def _sign_in(client: FlaskClient, email: str, password: str, **extra: str) -> Any:
    return client.post(
        "/merchant/login",
        data={"csrf": _token(client), "email": email, "password": password, **extra},
    )


def test_the_admin_sends_strangers_to_the_merchant_sign_in(
    tmp_path: Path, started: list[Flask]
) -> None:
    app = _start(tmp_path / "instance")
    started.append(app)
    login = login_of(app)
    client = app.test_client()
    answer = client.get("/trace/admin/orders?lang=en")
    assert answer.status_code == 302
    assert answer.location == "/merchant/login?next=%2Ftrace%2Fadmin%2Forders%3Flang%3Den"
    html = client.get(answer.location).get_data(as_text=True)
    assert 'name="next" value="/trace/admin/orders?lang=en"' in html
    assert login.email in html and login.password not in html

    # Wrong password, unknown account, no form token: nobody is signed in.
    for email, password in ((login.email, "wrong"), ("nobody@example.com", login.password)):
        answer = _sign_in(client, email, password)
        assert answer.status_code == 200
        assert "Wrong e-mail or password." in answer.get_data(as_text=True)
    answer = client.post("/merchant/login", data={"email": login.email, "password": login.password})
    assert answer.status_code == 400
    assert client.get("/trace/admin/").status_code == 302

    # The right password opens the page asked for; `next` never leads off the admin.
    answer = _sign_in(client, login.email, login.password, next="/trace/admin/orders?lang=en")
    assert (answer.status_code, answer.location) == (302, "/trace/admin/orders?lang=en")
    dashboard = client.get("/trace/admin/?lang=en")
    assert dashboard.status_code == 200
    assert "Dashboard" in dashboard.get_data(as_text=True)
    assert "Traceable Goods" in dashboard.get_data(as_text=True)
    # The admin's header leads back to the shop and to the page where the merchant signs out.
    header = dashboard.get_data(as_text=True).split("</header>")[0]
    assert '<a class="host" href="/">Back to the shop</a>' in header
    assert '<a class="host" href="/merchant/login">Account / sign out</a>' in header
    account = client.get("/merchant/login?lang=en").get_data(as_text=True)
    assert 'action="/merchant/logout"' in account and "Sign out" in account
    for target in ("https://evil.example/", "//evil.example/trace/admin/", "/cart", "/trace/x"):
        answer = _sign_in(client, login.email, login.password, next=target)
        assert answer.location == "/trace/admin/?lang=en", target

    # Signing out closes the admin again.
    answer = client.post("/merchant/logout", data={"csrf": _token(client)})
    assert answer.status_code == 302
    assert client.get("/trace/admin/").status_code == 302


def test_the_password_is_hashed_kept_printed_and_renewed(
    tmp_path: Path, started: list[Flask]
) -> None:
    instance = tmp_path / "instance"
    app = _start(instance)
    started.append(app)
    login = login_of(app)
    assert re.fullmatch(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}", login.password)
    password_file = instance / PASSWORD_FILE
    assert password_file.read_text("utf-8").strip() == login.password
    assert password_file.stat().st_mode & 0o077 == 0
    with app.extensions[EXTENSION_KEY].read() as conn:
        (row,) = conn.execute(sa.select(merchant_users)).all()
    assert row.email == "merchant@example.com" and row.merchant_id == app.config["DEMO_MERCHANT_ID"]
    assert login.password not in row.password_hash
    assert check_password_hash(row.password_hash, login.password)
    printed = where_to_click(app)
    assert (
        f"商家后台        http://localhost/trace/admin/  (user {login.email}, "
        f"password {login.password})" in printed
    )
    assert "/trace/admin" in app.test_client().get("/?lang=en").get_data(as_text=True)

    # A second start keeps the password; without its file, the next start makes a new one.
    again = _start(instance)
    started.append(again)
    assert login_of(again) == login
    password_file.unlink()
    renewed = _start(instance)
    started.append(renewed)
    assert login_of(renewed).password != login.password
    client = renewed.test_client()
    assert "Wrong e-mail" in _sign_in(client, login.email, login.password).get_data(as_text=True)
    assert _sign_in(client, login.email, login_of(renewed).password).status_code == 302


# --- the demo, started once for the module ----------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDemo]:
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("browser tests need Chromium at /usr/bin/chromium")
    pytest.importorskip("playwright.sync_api", reason="browser tests need Playwright")
    instance = tmp_path_factory.mktemp("demo") / "instance"
    with running_demo(instance, command=make_run_command() or python_command()) as started:
        yield started


@pytest.fixture(scope="module")
def browser(demo: RunningDemo) -> Iterator[Any]:
    with chromium() as b:
        yield b


class Pages:
    """New pages in browser contexts of their own; every script error is kept."""

    def __init__(self, browser: Any) -> None:
        self.browser = browser
        self.contexts: list[Any] = []
        self.errors: list[str] = []

    def new(self, **options: Any) -> Any:
        context = self.browser.new_context(
            **{"locale": "en-GB", "accept_downloads": True, **options}
        )
        self.contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.set_default_navigation_timeout(TIMEOUT_MS)
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("console", self._console)
        return page

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(f"{message.text} ({message.location.get('url')})")

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def pages(browser: Any) -> Iterator[Pages]:
    opened = Pages(browser)
    yield opened
    opened.close()
    assert opened.errors == [], opened.errors  # no script error, no CSP violation


@pytest.fixture
def expect() -> Any:
    from playwright.sync_api import expect as playwright_expect

    playwright_expect.set_options(timeout=TIMEOUT_MS)
    return playwright_expect


class Clock:
    """A walk's time budget."""

    def __init__(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds

    def check(self, step: str) -> None:
        assert time.monotonic() < self.deadline, f"the walk took too long (at: {step})"


# --- the shopper ------------------------------------------------------------------------------


@needs_chromium
def test_a_shopper_follows_a_tin_of_tea_from_the_listing_to_its_trace_page(
    demo: RunningDemo, pages: Pages, expect: Any
) -> None:
    clock = Clock(WALK_SECONDS)
    page = pages.new(viewport={"width": 1280, "height": 900})

    # The catalogue: every listing carries its badge.
    page.goto(demo.origin + "/?lang=en")
    expect(page.get_by_role("heading", name="Our goods")).to_be_visible()
    cards = page.locator("li.card")
    expect(cards).to_have_count(4)
    badges = page.get_by_role("button", name="Traceable")
    expect(badges).to_have_count(4)
    clock.check("catalogue")

    # The tea's badge opens a dialog with the lot's timeline; Escape closes it.
    tea = cards.filter(has_text="West Lake Longjing")
    tea.get_by_role("button", name="Traceable").click()
    dialog = page.get_by_role("dialog", name=re.compile("West Lake Longjing"))
    expect(dialog).to_be_visible()
    for step in ("Processed", "Inspected", "Shipped", "Received"):
        expect(dialog).to_contain_text(step)
    expect(dialog.get_by_role("button", name="Close")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    clock.check("badge")

    # Buy one tin: cart, checkout, the simulated payment.
    tea.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("status")).to_contain_text("Added to your cart.")
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    expect(page.locator("main")).to_contain_text("West Lake Longjing")
    page.get_by_role("link", name="Check out").click()
    expect(page.get_by_role("heading", name="Checkout")).to_be_visible()
    for label, value in ADDRESS.items():
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_label("Country").select_option("CN")
    page.get_by_label("Alipay (demo)").check()
    page.get_by_role("button", name="Pay and place order").click()
    expect(page.get_by_role("status")).to_contain_text("Thank you! Your order is placed.")
    expect(page.get_by_role("heading", name=re.compile(r"^Order #\d+$"))).to_be_visible()
    order_url = page.url
    assert re.fullmatch(re.escape(demo.origin) + r"/orders/\d+", order_url), order_url
    clock.check("checkout")

    # The order page: its trace page with a QR code, and the lot now selling until packed.
    trace = page.locator("section.trace")
    expect(trace.get_by_role("heading", name="Trace your goods")).to_be_visible()
    order_trace = trace.get_by_role("link", name="The trace page of this order")
    assert (order_trace.get_attribute("href") or "").startswith(demo.origin + "/trace/orders/")
    expect(trace.locator(".order-trace svg")).to_have_count(1)
    expect(trace).to_contain_text("Trace codes are bound to your order when the warehouse")

    # The packing station binds a tin's own code to the order.
    page.get_by_role("button", name=re.compile("Pack and ship")).click()
    expect(page.get_by_role("status")).to_contain_text("Packed and shipped.")
    codes = trace.locator("li.code")
    expect(codes).to_have_count(1)
    expect(codes.locator("svg")).to_have_count(1)
    link = codes.get_by_role("link", name="View trace")
    unit = link.get_attribute("href") or ""
    assert re.fullmatch(
        re.escape(demo.origin) + r"/trace/01/09506000210018/10/LJ\d{4}/21/[0-9A-Z]+", unit
    ), unit
    clock.check("order page")

    # The tin's trace page: genuine, sold by the shop, the whole supply chain.
    link.click()
    expect(page).to_have_url(unit)
    main = page.locator("main")
    expect(main).to_contain_text("West Lake Longjing")
    expect(main).to_contain_text("Genuine")
    journey = main.get_by_role("region", name="Journey")
    for step in STEPS_EN:
        expect(journey).to_contain_text(step)
    expect(main).to_contain_text("Meijiawu, West Lake District, Hangzhou")
    expect(main).not_to_contain_text("Recalled")

    # The order's own trace page lists the same tin.
    page.goto(order_url)
    page.get_by_role("link", name="The trace page of this order").click()
    expect(page.locator("main")).to_contain_text("West Lake Longjing")
    expect(page.locator(f'main a[href$="{urlsplit(unit).path}"]')).to_have_count(1)
    clock.check("trace page")


# --- the merchant -----------------------------------------------------------------------------


@needs_chromium
def test_a_merchant_signs_in_issues_codes_prints_labels_and_recalls_a_lot(
    demo: RunningDemo, pages: Pages, expect: Any
) -> None:
    clock = Clock(WALK_SECONDS)
    email, password = demo.merchant_login
    assert demo.admin_url == demo.origin + "/trace/admin/"
    page = pages.new(viewport={"width": 1280, "height": 900})

    # The shop's header leads to the admin, which asks the shop's merchant sign-in first.
    page.goto(demo.origin + "/?lang=en")
    page.get_by_role("banner").get_by_role("link", name="Merchant admin").click()
    expect(page.get_by_role("heading", name="Merchant sign-in")).to_be_visible()
    asked = urlsplit(page.url)
    assert asked.path == "/merchant/login"
    assert parse_qs(asked.query)["next"] == ["/trace/admin/?lang=en"]
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Wrong e-mail or password.")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    assert page.url == demo.origin + "/trace/admin/?lang=en"
    expect(page.locator("header")).to_contain_text("Traceable Goods")
    clock.check("sign-in")

    # Products -> the infant formula -> its lot -> issue codes.
    page.get_by_role("navigation").get_by_role("link", name="Products").click()
    page.get_by_role("link", name=re.compile("infant formula", re.I)).first.click()
    lot_link = page.get_by_role("table").get_by_role("link", name=re.compile(r"^IF\d{4}$"))
    expect(lot_link).to_have_count(1)
    lot = lot_link.inner_text().strip()
    lot_link.click()
    page.get_by_label("Number of codes").fill("6")
    page.get_by_role("button", name="Issue codes").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Issuance \d+ · Lot "))).to_be_visible()
    expect(page.locator("#job")).to_contain_text("Done")
    expect(page.locator("#job")).to_contain_text("6 of 6 codes")
    clock.check("issuance")

    # The labels (PDF) and the codes (CSV) download.
    with page.expect_download() as pdf_download:
        page.get_by_role("button", name="Labels (PDF)").click()
    pdf = Path(pdf_download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 1000
    with page.expect_download() as csv_download:
        page.get_by_role("link", name="Codes (CSV)").click()
    text = Path(csv_download.value.path()).read_text("utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 6 and {r["lot"] for r in rows} == {lot}
    unit = rows[0]["uri"]
    assert unit.startswith(f"{demo.origin}/trace/01/") and f"/10/{lot}/21/" in unit, unit
    clock.check("labels")

    # Recall the lot from its page.
    page.get_by_role("link", name="Back to the lot").click()
    page.get_by_role("link", name="Recall this lot").click()
    expect(page.get_by_label("Lots, one per line")).to_have_value(lot)
    page.locator("textarea[name='reason.en']").fill("Foreign matter found in cans of the lot")
    page.locator("textarea[name='reason.zh-CN']").fill("该批次部分罐内发现异物")
    page.get_by_label("Level", exact=True).select_option("1")
    page.get_by_role("button", name="Open the recall").click()
    expect(page.get_by_role("status")).to_contain_text("The recall is open.")
    expect(page.locator("main")).to_contain_text("Units covered")
    clock.check("recall")

    # A shopper's phone opens a unit of that lot: the recall banner, in both languages.
    phone = pages.new(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    response = phone.goto(unit)
    assert response is not None and response.status == 200
    banner = phone.get_by_role("alert")
    expect(banner).to_contain_text("Recalled")
    expect(banner).to_contain_text("Foreign matter found in cans of the lot")
    expect(banner).to_contain_text("Level 1 recall")
    phone.get_by_role("link", name="中文").click()
    expect(phone.get_by_role("alert")).to_contain_text("该批次部分罐内发现异物")

    # The shop heard the recall: the lot is held back, the listing sold out, the page warns.
    phone.goto(demo.origin + "/products/infant-formula?lang=en")
    expect(phone.locator("main")).to_contain_text(f"Lot {lot} of this product is recalled.")
    clock.check("banner")

    # Signing out closes the admin again.
    page.goto(demo.origin + "/merchant/login?lang=en")
    expect(page.locator("main")).to_contain_text(f"Signed in as {email}")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_contain_text("You are signed out")
    page.goto(demo.admin_url)
    assert urlsplit(page.url).path == "/merchant/login"
