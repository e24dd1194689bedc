"""The merchant admin's gate and frame: the host's auth callback (setting, decorator, import
path), 404 without one, the login redirect, CSRF, every page in both languages with the
merchant's data and no other merchant's, and no input that makes it fail.

The tests sign in with a header the test auth callback reads; :class:`Admin` fetches a form
token from a page and posts forms with it, as a browser would.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from flask import Flask, Request
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jinja2 import StrictUndefined

from shoptrace.shop_plugin import ConfigError, Settings, ShopTrace
from shoptrace.shop_plugin.admin.csrf import COOKIE
from shoptrace.shop_plugin.store.tables import (
    batches,
    merchants,
    outbox,
    products,
    recalls,
    units,
    webhook_endpoints,
)
from tests.shop_plugin.helpers import GTIN, SIGNING_KEY, Api, add_merchant, count_rows, make_app

ADMIN = "/trace/admin"
HEADER = "X-Test-Merchant"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def auth(request: Request) -> int | None:
    """The test host's sign-in: the merchant named in a header."""
    value = request.headers.get(HEADER, "")
    return int(value) if value.isdigit() else None


class Admin:
    """The admin as one signed-in merchant, through the Flask test client."""

    def __init__(self, client: FlaskClient, merchant_id: int) -> None:
        self.client = client
        self.merchant_id = merchant_id

    def headers(self, lang: str) -> dict[str, str]:
        return {HEADER: str(self.merchant_id), "Accept-Language": lang}

    def get(self, path: str, *, lang: str = "en") -> Any:
        return self.client.get(ADMIN + path, headers=self.headers(lang))

    def page(self, path: str, *, lang: str = "en") -> str:
        response = self.get(path, lang=lang)
        assert response.status_code == 200, (path, response.status_code, response.data[:2000])
        assert response.mimetype == "text/html"
        return str(response.get_data(as_text=True))

    def token(self, path: str = "/products/new") -> str:
        found = _TOKEN.search(self.page(path))
        assert found is not None
        return found.group(1)

    def post(self, path: str, data: dict[str, Any] | None = None, *, lang: str = "en") -> Any:
        form = {"csrf_token": self.token(), **(data or {})}
        return self.client.post(ADMIN + path, data=form, headers=self.headers(lang))


def text_of(html: str) -> str:
    """The page's text, tags removed and entities of quotes unescaped."""
    plain = re.sub(r"<[^>]+>", " ", html)
    return re.sub(r"\s+", " ", plain.replace("&#39;", "'").replace("&amp;", "&"))


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"SHOPTRACE_ADMIN_AUTH": auth, "SHOPTRACE_ADMIN_LOGIN_URL": "/login"}


@pytest.fixture
def admin(client: FlaskClient, api: Api) -> Admin:
    return Admin(client, api.merchant_id)


def seed(api: Api) -> dict[str, Any]:
    """A product with a lot, codes, a fulfilled order, a recall, a webhook endpoint with a
    delivery, a shop connection and an upstream endpoint, through the merchant API."""
    product = api.product(sku="TEA-1")
    batch = api.batch(
        product["id"],
        productionDate="2025-04-01",
        producer={"name": {"zh-CN": "龙井茶厂", "en": "Longjing Tea Works"}},
    )
    issued = api.post(f"/batches/{batch['id']}/codes", {"count": 3}).get_json()
    order = api.post(
        "/orders",
        {
            "id": "SO-1001",
            "number": "#1001",
            "customer": "cust-42",
            "lines": [{"gtin": GTIN, "quantity": 1, "name": "有机苹果"}],
        },
    )
    assert order.status_code == 201, order.get_json()
    fulfilled = api.post("/orders/SO-1001/fulfil", {"units": [issued["codes"][0]["uri"]]})
    assert fulfilled.status_code == 200, fulfilled.get_json()
    hook = api.post(
        "/webhooks",
        {"url": "https://hooks.example.com/in", "topics": ["recall.created"], "description": "ERP"},
    ).get_json()
    recall = api.post(
        "/recalls",
        {"gtin": GTIN, "lots": ["LOT42"], "reason": {"en": "Mislabelled lid"}, "severity": "2"},
    ).get_json()
    connection = api.post(
        "/connections",
        {"platform": "shopify", "shop": "acme-tea.myshopify.com", "secret": "shpss_secret-1"},
    ).get_json()
    upstream = api.post(
        "/upstreams",
        {
            "name": "浙江省追溯平台",
            "url": "https://zj-trace.example.com/epcis",
            "kind": "provincial",
        },
    ).get_json()
    return {
        "product": product,
        "batch": batch,
        "issuance": issued["issuance"],
        "codes": issued["codes"],
        "hook": hook,
        "recall": recall,
        "connection": connection,
        "upstream": upstream,
    }


# --- the gate ---------------------------------------------------------------------------------


def test_without_an_auth_callback_the_admin_is_not_there(db_url: str, tmp_path: Path) -> None:
    app = make_app(db_url, tmp_path / "instance")
    merchant_id, _key = add_merchant(app, "Acme")
    client = app.test_client()
    for path in ("/", "/products", "/recalls/new"):
        response = client.get(ADMIN + path, headers={HEADER: str(merchant_id)})
        assert response.status_code == 404
    response = client.post(ADMIN + "/products/new", data={"gtin": GTIN})
    assert response.status_code == 404
    assert count_rows(app, products) == 0
    app.extensions["shoptrace"].store.dispose()


def test_the_decorator_registers_the_callback(db_url: str, tmp_path: Path) -> None:
    app = Flask("admin_host", root_path=str(tmp_path), instance_path=str(tmp_path / "instance"))
    shoptrace = ShopTrace(
        app,
        database_url=db_url,
        signing_key=SIGNING_KEY,
        job_runner="external",
        outbox_runner="off",
        sync_runner="off",
    )
    merchant_id, _key = add_merchant(app, "Acme")
    client = app.test_client()
    assert client.get(ADMIN + "/", headers={HEADER: str(merchant_id)}).status_code == 404

    @shoptrace.admin_auth
    def who(request: Request) -> int | None:
        return auth(request)

    response = client.get(ADMIN + "/", headers={HEADER: str(merchant_id)})
    assert response.status_code == 200
    assert "Acme" in response.get_data(as_text=True)
    assert client.get(ADMIN + "/").status_code == 401
    # The host's own template of the same name wins (here: the integrity page).
    own = tmp_path / "templates" / "shoptrace_admin" / "integrity.html"
    own.parent.mkdir(parents=True)
    own.write_text(
        "{% extends 'shoptrace_admin/base.html' %}{% block main %}Our own check{% endblock %}"
    )
    response = client.get(ADMIN + "/integrity", headers={HEADER: str(merchant_id)})
    assert "Our own check" in response.get_data(as_text=True)
    app.extensions["shoptrace"].store.dispose()


def test_an_import_path_names_the_callback(db_url: str, tmp_path: Path) -> None:
    app = make_app(
        db_url, tmp_path / "instance", SHOPTRACE_ADMIN_AUTH="tests.shop_plugin.test_admin:auth"
    )
    merchant_id, _key = add_merchant(app, "Acme")
    response = app.test_client().get(ADMIN + "/", headers={HEADER: str(merchant_id)})
    assert response.status_code == 200
    app.extensions["shoptrace"].store.dispose()


def test_a_visitor_nobody_signed_in_goes_to_the_login_page(client: FlaskClient) -> None:
    response = client.get(ADMIN + "/products?lang=zh-CN")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=" + quote(
        ADMIN + "/products?lang=zh-CN", safe=""
    )
    assert client.post(ADMIN + "/products/new", data={"gtin": GTIN}).status_code == 302


def test_without_a_login_url_the_visitor_gets_a_401_page(db_url: str, tmp_path: Path) -> None:
    app = make_app(db_url, tmp_path / "instance", SHOPTRACE_ADMIN_AUTH=auth)
    response = app.test_client().get(ADMIN + "/", headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 401
    assert "请先登录" in response.get_data(as_text=True)
    app.extensions["shoptrace"].store.dispose()


def test_the_header_links_to_the_hosts_shop_and_account_pages_when_given(
    db_url: str, tmp_path: Path, app: Flask, admin: Admin
) -> None:
    page = admin.page("/")
    assert "Back to the shop" not in page and "sign out" not in page
    linked = make_app(
        db_url,
        tmp_path / "linked",
        SHOPTRACE_ADMIN_AUTH=auth,
        SHOPTRACE_ADMIN_HOME_URL="/",
        SHOPTRACE_ADMIN_ACCOUNT_URL="https://sso.example.com/account?from=trace",
    )
    try:
        client = linked.test_client()
        for lang, home, account in (
            ("en", "Back to the shop", "Account / sign out"),
            ("zh-CN", "返回商店", "账户 / 退出登录"),
        ):
            response = client.get(
                ADMIN + "/", headers={HEADER: str(admin.merchant_id), "Accept-Language": lang}
            )
            html = response.get_data(as_text=True)
            assert response.status_code == 200, html[:500]
            header = html[html.index("<header") : html.index("</header>")]
            assert f'<a class="host" href="/">{home}</a>' in header
            assert (
                f'<a class="host" href="https://sso.example.com/account?from=trace">{account}</a>'
                in header
            )
        # A stranger's 401 page names no account to sign out of.
        stranger = client.get(ADMIN + "/", headers={"Accept-Language": "en"})
        assert stranger.status_code == 401
        assert "Account / sign out" not in stranger.get_data(as_text=True)
    finally:
        linked.extensions["shoptrace"].close()


def test_an_unknown_or_disabled_merchant_is_refused(app: Flask, client: FlaskClient) -> None:
    merchant_id, _key = add_merchant(app, "Acme")
    assert client.get(ADMIN + "/", headers={HEADER: "999"}).status_code == 403
    with app.extensions["shoptrace"].store.begin() as conn:
        conn.execute(
            merchants.update().where(merchants.c.id == merchant_id).values(status="disabled")
        )
    response = client.get(ADMIN + "/?lang=en", headers={HEADER: str(merchant_id)})
    assert response.status_code == 403
    assert "may not manage" in response.get_data(as_text=True)


def test_pages_are_private_and_locked_down(admin: Admin) -> None:
    response = admin.get("/")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Frame-Options"] == "DENY"
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    nonce = re.search(r"'nonce-([^']+)'", policy)
    assert nonce is not None and f'nonce="{nonce.group(1)}"' in response.get_data(as_text=True)
    cookie = response.headers["Set-Cookie"]
    assert (
        cookie.startswith(COOKIE + "=") and "HttpOnly" in cookie and "Path=/trace/admin" in cookie
    )


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("SHOPTRACE_ADMIN_AUTH", 42),
        ("SHOPTRACE_ADMIN_AUTH", "not an import path"),
        ("SHOPTRACE_ADMIN_AUTH", "myshop.auth:"),
        ("SHOPTRACE_ADMIN_LOGIN_URL", "javascript:alert(1)"),
        ("SHOPTRACE_ADMIN_LOGIN_URL", "//evil.example/login"),
        ("SHOPTRACE_ADMIN_LOGIN_URL", "login"),
        ("SHOPTRACE_ADMIN_LOGIN_URL", "/log in"),
        ("SHOPTRACE_ADMIN_HOME_URL", "javascript:alert(1)"),
        ("SHOPTRACE_ADMIN_HOME_URL", "//evil.example/"),
        ("SHOPTRACE_ADMIN_ACCOUNT_URL", "account"),
        ("SHOPTRACE_ADMIN_ACCOUNT_URL", "https://sso.example.com/me#top"),
    ],
)
def test_bad_admin_settings_stop_start_up(key: str, value: Any) -> None:
    with pytest.raises(ConfigError, match=key):
        Settings.from_mapping({key: value}, instance_path="/srv/instance")


def test_admin_settings_accept_a_function_an_import_path_and_login_urls() -> None:
    def parse(**config: Any) -> Settings:
        return Settings.from_mapping(config, instance_path="/srv/instance")

    assert parse(SHOPTRACE_ADMIN_AUTH=auth).admin_auth is auth
    assert parse(SHOPTRACE_ADMIN_AUTH="myshop.auth:who").admin_auth == "myshop.auth:who"
    assert parse(SHOPTRACE_ADMIN_AUTH="myshop.auth.who").admin_auth == "myshop.auth.who"
    assert parse().admin_auth is None and parse().admin_login_url is None
    for url in ("/login?from=trace", "https://sso.example.com/login"):
        assert parse(SHOPTRACE_ADMIN_LOGIN_URL=url).admin_login_url == url
        assert parse(SHOPTRACE_ADMIN_HOME_URL=url).admin_home_url == url
        assert parse(SHOPTRACE_ADMIN_ACCOUNT_URL=url).admin_account_url == url
    assert parse().admin_home_url is None and parse().admin_account_url is None


# --- CSRF -------------------------------------------------------------------------------------


def _product_form(**extra: str) -> dict[str, str]:
    return {
        "gtin": GTIN,
        "name.zh-CN": "龙井茶",
        "name.en": "Longjing tea",
        "category": "food",
        **extra,
    }


def test_a_form_without_a_good_token_changes_nothing(
    app: Flask, admin: Admin, client: FlaskClient, other_api: Api
) -> None:
    headers = admin.headers("en")
    token = admin.token()
    cases = {
        "missing": _product_form(),
        "wrong": _product_form(csrf_token=token[:-4] + "abcd"),
        "forged": _product_form(csrf_token="1700000000." + "0" * 64),
        "garbage": _product_form(csrf_token="\x00" * 200),
    }
    for name, form in cases.items():
        response = client.post(ADMIN + "/products/new", data=form, headers=headers)
        assert response.status_code == 400, name
        assert "The form expired" in response.get_data(as_text=True), name
    # Another merchant's token (same browser cookie) does not work for this merchant.
    other = Admin(client, other_api.merchant_id)
    response = client.post(
        ADMIN + "/products/new", data=_product_form(csrf_token=other.token()), headers=headers
    )
    assert response.status_code == 400
    # A token is bound to the cookie: without it, or with another one, it fails.
    client.delete_cookie(COOKIE, path=ADMIN)
    response = client.post(
        ADMIN + "/products/new", data=_product_form(csrf_token=token), headers=headers
    )
    assert response.status_code == 400
    assert count_rows(app, products) == 0
    response = admin.post("/products/new", _product_form())
    assert response.status_code == 303
    assert count_rows(app, products) == 1


# --- every page, both languages ---------------------------------------------------------------


def test_every_page_shows_the_merchants_data_in_both_languages(
    app: Flask, admin: Admin, api: Api
) -> None:
    app.jinja_env.undefined = StrictUndefined  # a host may be strict: templates never slip
    data = seed(api)
    product_id, batch_id = data["product"]["id"], data["batch"]["id"]
    serial = data["codes"][0]["serial"]
    # path: (English words, Chinese words, values shown in both)
    pages: dict[str, tuple[list[str], list[str], list[str]]] = {
        "/": (
            ["Dashboard", "Organic apples", "1 recall is open"],
            ["概览", "有机苹果", "1 个召回正在进行"],
            [f"/products/{product_id}?lang="],
        ),
        "/products": (["Products", "Organic apples"], ["商品", "有机苹果"], [GTIN, "TEA-1"]),
        f"/products/{product_id}": (
            ["Batches", "Food"],
            ["批次", "食品"],
            ["LOT42", "有机苹果", "Organic apples"],
        ),
        f"/products/{product_id}/edit": (["Edit product"], ["编辑商品"], ["有机苹果", GTIN]),
        f"/products/{product_id}/batches/new": (
            ["New batch", "Production date"],
            ["新建批次", "生产日期"],
            [],
        ),
        f"/batches/{batch_id}": (
            ["Issue codes", "Longjing Tea Works"],
            ["发放追溯码", "龙井茶厂"],
            ["LOT42", GTIN, "labels.pdf", "codes.csv"],
        ),
        f"/batches/{batch_id}/edit": (
            ["Edit lot LOT42"],
            ["编辑批次 LOT42"],
            ["2025-04-01", "龙井茶厂", "Longjing Tea Works"],
        ),
        f"/issuances/{data['issuance']['id']}": (
            ["Done", "3 of 3 codes"],
            ["已完成", "已生成 3 / 3 个追溯码"],
            ["labels.pdf", "codes.csv"],
        ),
        "/orders": (["Orders", "Traced"], ["订单", "可追溯"], ["#1001", "cust-42"]),
        "/orders/SO-1001": (["Order #1001"], ["订单 #1001"], ["SO-1001", serial]),
        "/recalls": (["Recalls", "Level 2 recall"], ["召回", "二级召回"], ["LOT42", GTIN]),
        f"/recalls/{data['recall']['id']}": (
            ["Impact", "Orders to notify"],
            ["影响范围", "需通知的订单"],
            ["Mislabelled lid", "#1001", "cust-42"],
        ),
        "/recalls/new": (["New recall"], ["发起召回"], [GTIN]),
        "/integrity?run=1": (["The chain is intact"], ["事件链完整"], []),
        "/webhooks": (
            ["Webhook endpoints", "Recall opened"],
            ["Webhook 接收地址", "召回发起"],
            ["hooks.example.com", "ERP"],
        ),
        f"/webhooks/{data['hook']['id']}": (
            ["Deliveries", "Recall opened"],
            ["投递记录", "召回发起"],
            ["hooks.example.com"],
        ),
        "/connections": (
            ["Shop connections"],
            ["店铺连接"],
            ["acme-tea.myshopify.com", "/trace/hooks/shopify"],
        ),
        "/upstreams": (
            ["Upstream sync", "Provincial trace platform"],
            ["上游平台同步", "省级追溯管理平台"],
            ["浙江省追溯平台", "zj-trace.example.com"],
        ),
    }
    for path, (english, chinese, shown) in pages.items():
        for lang, words in (("en", english), ("zh-CN", chinese)):
            html = admin.page(path, lang=lang)
            assert f'<html lang="{lang}">' in html, path
            page = text_of(html)
            for word in [*words, *shown]:
                assert word in page or word in html, (path, lang, word)
            assert "shpss_secret-1" not in html and "whsec_" not in html
        # ?lang= wins over Accept-Language, and the switch leads to the other language.
        html = admin.page(path + ("&" if "?" in path else "?") + "lang=zh-CN", lang="en")
        assert '<html lang="zh-CN">' in html and "lang=en" in html
    # Error pages and forms shown again are strict-safe too.
    for path, status in (("/products/99999", 404), ("/orders?status=lost", 400)):
        assert admin.get(path).status_code == status
    assert admin.post("/products/new", {"gtin": "1"}).status_code == 422
    assert admin.post(f"/batches/{batch_id}/codes", {"count": "x"}).status_code == 422
    refused = admin.post("/orders/SO-1001/fulfil", {"units": "not a code"})
    assert refused.status_code == 422 and "Not a readable trace code" in refused.text


def test_the_dashboard_charts_scans_and_lists_alerts(app: Flask, admin: Admin, api: Api) -> None:
    from datetime import timedelta

    from shoptrace.shop_plugin.services.clock import utcnow
    from shoptrace.shop_plugin.services.scans import Rule, Scan, record_scans

    data = seed(api)
    serial = data["codes"][1]["serial"]
    now = utcnow()
    scans = [
        Scan(
            api.merchant_id, GTIN, "LOT42", serial, None, "genuine", "issued", "mobile", "c1", now
        ),
        Scan(
            api.merchant_id, GTIN, "LOT42", serial, None, "genuine", "issued", "mobile", "c2", now
        ),
        Scan(
            api.merchant_id,
            GTIN,
            "LOT42",
            "FORGED123",
            None,
            "forged",
            None,
            "mobile",
            "c3",
            now - timedelta(days=2),
        ),
    ]
    with app.extensions["shoptrace"].store.begin() as conn:
        record_scans(conn, scans, Rule(0, timedelta(days=1)))
        conn.execute(
            outbox.update().where(outbox.c.merchant_id == api.merchant_id).values(status="dead")
        )
    html = admin.page("/")
    assert "3 scans" in text_of(html)
    assert html.count("<rect") == 60  # 30 days, two parts each
    assert ": 2 genuine, 0 suspicious" in html and ": 0 genuine, 1 suspicious" in html
    page = text_of(html)
    assert "1 suspicious code flagged" in page
    assert "FORGED123" in page and "Serial with a wrong check tag" in page
    assert "1 webhook message could not be delivered" in page
    assert "Event chain intact" in page
    zh = text_of(admin.page("/", lang="zh-CN"))
    assert "共 3 次查询" in zh and "1 个追溯码被标记为可疑" in zh and "校验位错误的序列号" in zh


# --- merchants never meet ---------------------------------------------------------------------


def _snapshot(app: Flask, merchant_id: int) -> list[Any]:
    with app.extensions["shoptrace"].store.read() as conn:
        found = [
            conn.execute(
                sa.select(table).where(table.c.merchant_id == merchant_id).order_by(table.c.id)
            ).all()
            for table in (products, batches, recalls, webhook_endpoints, outbox)
        ]
        found.append(
            conn.execute(
                sa.select(units.c.id, units.c.status, units.c.order_line_id, units.c.recall_id)
                .where(units.c.merchant_id == merchant_id)
                .order_by(units.c.id)
            ).all()
        )
    return found


def test_another_merchant_sees_and_changes_nothing(
    app: Flask, client: FlaskClient, api: Api, other_api: Api
) -> None:
    data = seed(api)
    other_api.product("09506000134369", name={"en": "Rival rice"})
    before = _snapshot(app, api.merchant_id)
    rival = Admin(client, other_api.merchant_id)
    ids = {
        "product": data["product"]["id"],
        "batch": data["batch"]["id"],
        "issuance": data["issuance"]["id"],
        "recall": data["recall"]["id"],
        "hook": data["hook"]["id"],
        "upstream": data["upstream"]["id"],
    }
    delivery = api.post(f"/webhooks/{ids['hook']}/test").get_json()["id"]
    before = _snapshot(app, api.merchant_id)
    secrets = ["有机苹果", "Organic apples", "LOT42", "#1001", "cust-42", "Mislabelled", "ERP"]
    secrets += ["hooks.example.com", "acme-tea", "浙江省追溯平台", data["codes"][0]["serial"]]
    for path in (
        "/",
        "/products",
        "/orders",
        "/recalls",
        "/webhooks",
        "/connections",
        "/upstreams",
    ):
        html = rival.page(path)
        for secret in secrets:
            assert secret not in html, (path, secret)
    hidden = [
        f"/products/{ids['product']}",
        f"/products/{ids['product']}/edit",
        f"/products/{ids['product']}/batches/new",
        f"/batches/{ids['batch']}",
        f"/batches/{ids['batch']}/edit",
        f"/batches/{ids['batch']}/labels.pdf",
        f"/batches/{ids['batch']}/codes.csv",
        f"/issuances/{ids['issuance']}",
        f"/issuances/{ids['issuance']}/status",
        "/orders/SO-1001",
        f"/recalls/{ids['recall']}",
        f"/recalls/{ids['recall']}/impact.csv",
        f"/webhooks/{ids['hook']}",
    ]
    for path in hidden:
        response = rival.get(path)
        assert response.status_code == 404, path
        for secret in secrets:
            assert secret not in response.get_data(as_text=True), (path, secret)
    posts = {
        f"/products/{ids['product']}/edit": {"name.en": "Hijacked", "category": "food"},
        f"/products/{ids['product']}/batches/new": {"lot": "HIJACK"},
        f"/batches/{ids['batch']}/edit": {"expiryDate": "2030-01-01"},
        f"/batches/{ids['batch']}/codes": {"count": "5"},
        f"/products/{ids['product']}/delete": {"confirm": "yes"},
        f"/batches/{ids['batch']}/delete": {"confirm": "yes"},
        "/orders/SO-1001/fulfil": {"units": data["codes"][1]["uri"]},
        f"/recalls/{ids['recall']}/close": {"note": "hijack"},
        f"/webhooks/{ids['hook']}/disable": {},
        f"/webhooks/{ids['hook']}/rotate": {},
        f"/webhooks/{ids['hook']}/delete": {},
        f"/webhooks/{ids['hook']}/deliveries/{delivery}/redeliver": {},
        f"/upstreams/{ids['upstream']}/resume": {},
    }
    for path, form in posts.items():
        response = rival.post(path, form)
        assert response.status_code == 404, (path, response.status_code)
    response = rival.post(
        "/recalls/new", {"gtin": GTIN, "lots": "LOT42", "reason.en": "x", "severity": "1"}
    )
    assert response.status_code == 422
    assert "有机苹果" not in response.get_data(as_text=True)
    assert _snapshot(app, api.merchant_id) == before


# --- no input makes it fail -------------------------------------------------------------------

_FORMS = {
    "/products/new": [
        "gtin",
        "name.zh-CN",
        "name.en",
        "category",
        "listingUrl",
        "certifications[0].scheme",
        "certifications[0].validUntil",
        "visibility.name",
    ],
    "/products/{product}/edit": [
        "name.en",
        "category",
        "sku",
        "certifications[7].verification",
        "visibility.category",
    ],
    "/products/{product}/batches/new": [
        "lot",
        "productionDate",
        "expiryDate",
        "origin.countryCode",
        "producer.gln",
        "inspectionReports[0].date",
    ],
    "/batches/{batch}/edit": [
        "productionDate",
        "origin.place.en",
        "producer.name.zh-CN",
        "inspectionReports[2].result",
    ],
    "/batches/{batch}/codes": ["count"],
    "/products/{product}/delete": ["confirm"],
    "/batches/{batch}/delete": ["confirm"],
    "/orders/SO-1001/fulfil": ["units", "mode"],
    "/recalls/new": ["gtin", "scope", "lots", "units", "reason.en", "severity", "location"],
    "/webhooks": ["url", "topics", "description"],
}
_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", " ", "0", "-1", "99999999999999999999999", "1e9", "2025-02-30", "９"]),
    st.sampled_from([GTIN, "LOT42", "https://x.example/", "food", "third-party-verified"]),
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    form=st.sampled_from(sorted(_FORMS)),
    values=st.dictionaries(st.integers(0, 7), _TEXT, max_size=6),
    query=st.text(max_size=20),
)
def test_no_form_input_makes_the_admin_fail(
    fuzz_admin: tuple[Admin, dict[str, Any]], form: str, values: dict[int, str], query: str
) -> None:
    admin, ids = fuzz_admin
    names = _FORMS[form]
    data = {names[i % len(names)]: v for i, v in values.items()}
    path = form.format(**ids)
    response = admin.post(path, data)
    assert response.status_code < 500, (path, data, response.data[:3000])
    if response.status_code >= 400:
        assert response.mimetype == "text/html"
    for listing in ("/orders", "/recalls", "/products"):
        response = admin.get(f"{listing}?status={quote(query)}&pageToken={quote(query)}")
        assert response.status_code in (200, 400), (listing, query)


@pytest.fixture
def fuzz_admin(admin: Admin, api: Api) -> tuple[Admin, dict[str, Any]]:
    product = api.product()
    batch = api.batch(product["id"])
    api.post(f"/batches/{batch['id']}/codes", {"count": 2})
    placed = api.post("/orders", {"id": "SO-1001", "lines": [{"gtin": GTIN, "quantity": 1}]})
    assert placed.status_code == 201
    return admin, {"product": product["id"], "batch": batch["id"]}


@pytest.mark.parametrize(
    "path",
    [
        "/products?pageToken=%00",
        "/orders?status=lost",
        "/recalls?status=%FF",
        "/batches/1/labels.pdf?layout=huge",
        "/batches/1/labels.pdf?part=0",
        "/batches/1/labels.pdf?part=99999999999999999999",
        "/batches/1/labels.pdf?issuance=x",
        "/batches/99999999999999999999",
        "/orders/" + "x" * 500,
        "/orders/%00bad",
        "/orders/%F0%9F%8D%B5",
        "/webhooks/1?status=gone",
        "/integrity?run=%00",
        "/integrity?run=1&pageToken=nope",
        "/integrity?run=1&pageToken=%F0%9F%8D%B5",
        "/recalls/new?gtin=%00&lot=" + "L" * 3000,
    ],
)
def test_bad_queries_get_a_page_not_a_failure(admin: Admin, api: Api, path: str) -> None:
    api.batch(api.product()["id"])
    response = admin.get(path)
    assert response.status_code in (200, 400, 404), (path, response.status_code)
    assert response.mimetype == "text/html"


# --- words ------------------------------------------------------------------------------------


def test_every_phrase_the_pages_use_exists_in_both_languages() -> None:
    from string import Formatter

    from shoptrace.shop_plugin.admin import phrases
    from shoptrace.shop_plugin.services.allocation import REFUSAL_REASONS
    from shoptrace.shop_plugin.services.batches import BATCH_VISIBILITY_FIELDS
    from shoptrace.shop_plugin.services.chain import BREAK_KINDS
    from shoptrace.shop_plugin.services.outbox import WEBHOOK_TOPICS
    from shoptrace.shop_plugin.services.products import PRODUCT_VISIBILITY_FIELDS
    from shoptrace.shop_plugin.services.schemas import VERIFICATION_LEVELS, VISIBILITY_LEVELS
    from shoptrace.shop_plugin.services.upstream import STATES
    from shoptrace.shop_plugin.store.tables import (
        FLAG_REASONS,
        ISSUANCE_STATUSES,
        LINE_STATUSES,
        ORDER_STATUSES,
        OUTBOX_STATUSES,
        RECALL_SCOPES,
        RECALL_STATUSES,
        UPSTREAM_KINDS,
    )

    folder = Path(phrases.__file__).parent / "templates" / "shoptrace_admin"
    used = set()
    for template in folder.glob("*.html"):
        found = re.findall(r"\bt\('([a-z_.\-A-Z]+)'", template.read_text(encoding="utf-8"))
        used |= {key for key in found if not key.endswith(".")}  # prefixes: see dynamic
    dynamic = {
        "flag.": FLAG_REASONS,
        "integrity.kind.": BREAK_KINDS,
        "issuance.": ISSUANCE_STATUSES,
        "line_status.": LINE_STATUSES,
        "order_status.": ORDER_STATUSES,
        "delivery.": OUTBOX_STATUSES,
        "recall.scope.": RECALL_SCOPES,
        "recall.status.": RECALL_STATUSES,
        "up.kind.": UPSTREAM_KINDS,
        "up.state.": STATES,
        "topic.": (*WEBHOOK_TOPICS, "webhook.test"),
        "verification.": VERIFICATION_LEVELS,
        "visibility.": VISIBILITY_LEVELS,
        "field.": (*PRODUCT_VISIBILITY_FIELDS, *BATCH_VISIBILITY_FIELDS),
        "order.trace.": ("traced", "untraced", "waiting", "none"),
        "result.": ("pass", "fail"),
        "lang.": ("zh-CN", "en"),
        "refusal.": tuple(REFUSAL_REASONS),
        "conn.status.": ("active", "unreadable"),
        "page.notice.": ("saved", "created", "fulfilled", "recalled", "closed", "queued"),
    }
    for prefix, values in dynamic.items():
        used |= {prefix + value for value in values}
    assert sorted(used - set(phrases.PHRASES)) == []
    for key, texts in phrases.PHRASES.items():
        fields = [
            {name for _, name, _, _ in Formatter().parse(texts[lang]) if name}
            for lang in ("en", "zh-CN")
        ]
        assert texts["en"].strip() and texts["zh-CN"].strip(), key
        assert fields[0] == fields[1], key
