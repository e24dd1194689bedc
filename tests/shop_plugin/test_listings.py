"""The listing summary for the badge, ``/trace/listings/{gtin}``: the lot now selling (first
expiry first out, with stock), its public origin, certifications and completeness; unknown
and bad GTINs; caching; and the widget's badge using it when given only a GTIN."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests._browser import chromium, needs_chromium
from tests.shop_plugin.helpers import GTIN, Api, add_merchant, make_app
from tests.shop_plugin.resolver_helpers import flush_scans, make_shop
from tests.shop_plugin.test_orders import LOT_GTIN, act, order, place, recall, stock

CERTIFIED = {
    "certifications": [
        {
            "scheme": "organic",
            "issuer": "CQC",
            "number": "ORG-1",
            "verification": "third-party-verified",
            "validUntil": "2030-01-01",
        }
    ]
}
PARTNER = ("Partner Farm", "GAP-SECRET", "LIC-9", "2031-01-01", "SKU-PRIVATE")


def _listing(api: Api, gtin: str = GTIN, **headers: str) -> Any:
    return api.client.get(f"/trace/listings/{gtin}?lang=en", headers=headers)


def _lots(api: Api, made: dict[str, Any]) -> None:
    """Give the lots of ``made`` an origin (public) and partner or private details."""
    for name, lot in made["lots"].items():
        api.patch(
            f"/batches/{lot['batch']['id']}",
            {
                "origin": {"place": {"en": f"Orchard {name}", "zh-CN": f"果园 {name}"}},
                "producer": {"name": {"en": "Partner Farm"}, "licenseNumber": "LIC-9"},
                "certifications": [
                    {
                        "scheme": "GAP",
                        "issuer": "GAP body",
                        "number": "GAP-SECRET",
                        "verification": "self-declared",
                    }
                ],
                "visibility": {"producer": "partner", "certifications": "partner"},
            },
        )


def test_the_listing_names_the_lot_now_selling_with_its_public_data(app: Flask, api: Api) -> None:
    made = stock(
        api,
        lots=(
            ("LATE", "2031-01-01", 2),
            ("EARLY", "2029-06-01", 1),
            ("RECALLED", "2028-01-01", 1),
            ("EXPIRED", "2020-01-01", 1),
        ),
        shopProductId="SKU-PRIVATE",
        **CERTIFIED,
    )
    _lots(api, made)
    api.patch(
        f"/batches/{made['lots']['LATE']['batch']['id']}", {"visibility": {"expiryDate": "private"}}
    )
    recall(app, api.merchant_id, batch_id=made["lots"]["RECALLED"]["batch"]["id"])
    response = _listing(api)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["kind"] == "listing"
    assert (body["gtin"], body["lot"], body["lang"]) == (GTIN, "EARLY", "en")
    assert body["code"] == f"https://shop.example.com/trace/01/{GTIN}/10/EARLY"
    assert body["product"]["name"] == "Organic apples"
    assert body["origin"] == {"name": "Orchard EARLY"}
    assert body["batch"]["expiryDate"] == "2029-06-01"
    assert [c["scheme"] for c in body["certifications"]] == ["organic"]
    assert body["certifications"][0]["verificationLabel"] == "Third-party verified"
    assert 0 <= body["completeness"]["percent"] <= 100
    assert "recall" not in body
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Cache-Control"] == "public, max-age=60"
    for secret in PARTNER:
        assert secret not in response.get_data(as_text=True)
    # Revalidation.
    tag = response.headers["ETag"]
    assert _listing(api, **{"If-None-Match": tag}).status_code == 304
    # Once the early lot is sold out, the next lot sells (its private expiry date stays so).
    place(api, order(lines=[{"gtin": GTIN, "quantity": 1}]))
    act(api, "1001", "fulfil")
    after = _listing(api)
    assert after.headers["ETag"] != tag
    body = after.get_json()
    assert (body["lot"], body["origin"]) == ("LATE", {"name": "Orchard LATE"})
    assert "expiryDate" not in body["batch"]
    assert "2031-01-01" not in after.get_data(as_text=True)
    chinese = api.client.get(f"/trace/listings/{GTIN}", headers={"Accept-Language": "zh-CN"})
    assert chinese.get_json()["origin"] == {"name": "果园 LATE"}


def test_a_product_traced_by_lot_sells_its_first_expiry_lot(api: Api) -> None:
    stock(api, LOT_GTIN, lots=(("T-2", "2030-05-01", 0), ("T-1", "2030-01-01", 0)))
    assert _listing(api, LOT_GTIN).get_json()["lot"] == "T-1"
    assert _listing(api, LOT_GTIN[1:]).get_json()["gtin"] == LOT_GTIN  # GTIN-13 accepted


def test_without_a_lot_on_sale_the_listing_is_the_product(app: Flask, api: Api) -> None:
    made = stock(api, lots=(("ONLY", "2030-01-01", 1),), **CERTIFIED)
    place(api, order(lines=[{"gtin": GTIN, "quantity": 1}]))
    act(api, "1001", "fulfil")
    body = _listing(api).get_json()
    assert body == {
        "kind": "listing",
        "lang": "en",
        "code": f"https://shop.example.com/trace/01/{GTIN}",
        "gtin": GTIN,
        "product": body["product"],
        "certifications": body["certifications"],
    }
    assert body["product"]["name"] == "Organic apples"
    assert made["lots"]["ONLY"]["batch"]["lot"] == "ONLY"


def test_unknown_and_bad_gtins(api: Api) -> None:
    unknown = _listing(api, "09506000134376")
    assert unknown.status_code == 404
    assert unknown.get_json()["kind"] == "unknown"
    assert unknown.get_json()["warning"]["label"] == "Possible counterfeit"
    for bad in ("123", "09506000134353", "abcdefghijklmn", "0950600013435２"):
        response = _listing(api, bad)
        assert response.status_code == 400, bad
        assert response.mimetype == "application/problem+json"
    options = api.client.options(f"/trace/listings/{GTIN}")
    assert options.status_code == 204


def test_the_shop_merchant_wins_when_several_merchants_own_a_gtin(
    db_url: str, tmp_path: Path
) -> None:
    app = make_app(db_url, tmp_path / "i", SHOPTRACE_SHOP_MERCHANT=2)
    try:
        apis = []
        for name in ("First", "Second"):
            merchant_id, key = add_merchant(app, name)
            apis.append(Api(app.test_client(), key, merchant_id))
        assert apis[1].merchant_id == 2
        stock(apis[0], lots=(("FIRST", "2029-01-01", 1),))
        stock(apis[1], lots=(("SECOND", "2030-01-01", 1),))
        assert _listing(apis[0]).get_json()["lot"] == "SECOND"
    finally:
        app.extensions["shoptrace"].store.dispose()


# --- the widget's badge, given only a GTIN, in a real browser ------------------------------


@pytest.fixture
def live(db_url: str, tmp_path: Path) -> Iterator[tuple[str, Flask]]:
    app = make_app(
        db_url, tmp_path / "live", SHOPTRACE_PUBLIC_BASE_URL=None, SHOPTRACE_PUBLIC_RATE_LIMIT=""
    )
    make_shop(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", app
    server.shutdown()
    thread.join(timeout=5)
    flush_scans(app)
    app.extensions["shoptrace"].store.dispose()


@pytest.fixture
def shop_page() -> Iterator[tuple[str, dict[str, str]]]:
    """A shop's product page on another origin: ``(origin, {"html": ...})``."""
    content = {"html": ""}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            body = content["html"].encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", content
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


@needs_chromium
def test_a_badge_given_only_a_gtin_shows_the_lot_now_selling(
    live: tuple[str, Flask], shop_page: tuple[str, dict[str, str]]
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests need Playwright")
    origin, _app = live
    shop_origin, content = shop_page
    content["html"] = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Longjing tea</title></head><body><h1>Longjing tea</h1>
<shoptrace-badge gtin="{GTIN}"></shoptrace-badge>
<script async src="{origin}/trace/widget.js" data-lang="en"></script></body></html>"""
    with chromium() as browser:
        page = browser.new_page()
        page.set_default_timeout(5000)
        with page.expect_response(lambda r: "/trace/listings/" in r.url) as answer:
            page.goto(shop_origin + "/product")
        response = answer.value
        assert response.url == f"{origin}/trace/listings/{GTIN}?lang=en"
        assert response.status == 200
        assert json.loads(response.body())["lot"] == "LOT42"
        page.get_by_role("button", name="Traceable").click()
        dialog = page.get_by_role("dialog", name="Longjing tea")
        sync_api.expect(dialog).to_contain_text("LOT42")
        sync_api.expect(dialog).to_contain_text("Longjing village")
        sync_api.expect(dialog).to_contain_text("organic")
        sync_api.expect(dialog).not_to_contain_text("Partner Farm")
