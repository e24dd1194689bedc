"""The merchant admin's work, page by page: products and batches through their forms (errors
next to the fields, nothing written), code issuance with its progress, PDF labels and CSV,
allocation by scanning with a refused code, a recall opened, shown, exported and closed,
the integrity check, webhook endpoints and their deliveries, upstream sync."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from shoptrace.shop_plugin import signals
from shoptrace.shop_plugin.admin import dashboard
from shoptrace.shop_plugin.services.issuance import run_pending
from shoptrace.shop_plugin.store.tables import (
    batches,
    events,
    issuances,
    outbox,
    products,
    recalls,
    units,
    upstream_endpoints,
    webhook_endpoints,
)
from tests.shop_plugin.helpers import GTIN, SIGNING_KEY, Api, add_merchant, count_rows, make_app
from tests.shop_plugin.test_admin import ADMIN, Admin, admin, app_config, auth, text_of

__all__ = ["admin", "app_config"]  # fixtures used here


def _location(response: Any) -> str:
    assert response.status_code == 303, (response.status_code, response.data[:3000])
    return str(response.headers["Location"]).split(ADMIN, 1)[1]


# --- products and batches ---------------------------------------------------------------------


def test_a_product_is_created_and_edited_through_its_form(
    app: Flask, admin: Admin, api: Api
) -> None:
    bad = admin.post(
        "/products/new",
        {"gtin": "9506000134353", "name.zh-CN": "", "sku": "TEA-9", "category": "food"},
    )
    assert bad.status_code == 422
    page = text_of(bad.get_data(as_text=True))
    assert "Please correct the fields marked below" in page
    assert "The check digit is wrong" in page and "Give it in Chinese or English" in page
    assert 'value="TEA-9"' in bad.get_data(as_text=True)
    assert count_rows(app, products) == 0
    zh = admin.post("/products/new", {"gtin": "123", "category": "food"}, lang="zh-CN")
    assert zh.status_code == 422 and "不是有效的商品条码" in zh.get_data(as_text=True)

    form = {
        "gtin": "9506000134352",
        "name.zh-CN": "西湖龙井",
        "name.en": "West Lake Longjing",
        "description.en": "Spring harvest",
        "category": "food",
        "sku": "TEA-9",
        "certifications[0].scheme": "",
        "certifications[1].scheme": "Organic",
        "certifications[1].issuer": "CQC",
        "certifications[1].number": "ORG-1",
        "certifications[1].validUntil": "2030-01-01",
        "certifications[1].verification": "third-party-verified",
        "visibility.listingUrl": "private",
    }
    where = _location(admin.post("/products/new", form))
    product_id = int(where.split("/")[2].split("?")[0])
    stored = api.get(f"/products/{product_id}").get_json()
    assert stored["gtin"] == "09506000134352"
    assert stored["name"] == {"zh-CN": "西湖龙井", "en": "West Lake Longjing"}
    assert stored["certifications"] == [
        {
            "scheme": "Organic",
            "issuer": "CQC",
            "number": "ORG-1",
            "validUntil": "2030-01-01",
            "verification": "third-party-verified",
        }
    ]
    assert stored["visibility"]["listingUrl"] == "private"
    assert "Created." in admin.page(where)

    taken = admin.post("/products/new", form)
    assert taken.status_code == 409 and "Already taken" in taken.get_data(as_text=True)

    edit = admin.page(f"/products/{product_id}/edit")
    assert 'value="West Lake Longjing"' in edit and 'value="ORG-1"' in edit
    cleared = admin.post(
        f"/products/{product_id}/edit",
        {"name.zh-CN": "", "name.en": "", "category": "food"},
    )
    assert cleared.status_code == 422
    assert "Give it in Chinese or English" in cleared.get_data(as_text=True)
    assert api.get(f"/products/{product_id}").get_json()["name"]["en"] == "West Lake Longjing"
    _location(
        admin.post(
            f"/products/{product_id}/edit",
            {"name.zh-CN": "西湖龙井", "name.en": "Longjing tea", "category": "food"},
        )
    )
    stored = api.get(f"/products/{product_id}").get_json()
    assert stored["name"] == {"zh-CN": "西湖龙井", "en": "Longjing tea"}
    assert stored["description"] is None and stored["sku"] is None
    assert stored["certifications"] == [] and stored["gtin"] == "09506000134352"


def test_a_batch_form_asks_for_what_the_class_requires(app: Flask, admin: Admin, api: Api) -> None:
    product = api.product(category="drugs")
    page = text_of(admin.page(f"/products/{product['id']}/batches/new"))
    for requirement in ("Expiry date", "Producer's licence number", "An inspection report"):
        assert requirement in page
    zh = text_of(admin.page(f"/products/{product['id']}/batches/new", lang="zh-CN"))
    assert "药品需要记录" in zh and "生产许可证编号" in zh
    form = {
        "lot": "B-7",
        "productionDate": "2025-05-01",
        "expiryDate": "2025-04-01",
        "origin.place.zh-CN": "杭州",
        "origin.countryCode": "cn",
        "producer.name.en": "Hangzhou Pharma",
        "producer.licenseNumber": "LIC-77",
        "inspectionReports[0].issuer": "Zhejiang Lab",
        "inspectionReports[0].number": "R-1",
        "inspectionReports[0].date": "2025-05-02",
        "inspectionReports[0].result": "pass",
    }
    bad = admin.post(f"/products/{product['id']}/batches/new", form)
    assert bad.status_code == 422
    assert "Dates in the wrong order" in bad.get_data(as_text=True)
    assert 'value="Zhejiang Lab"' in bad.get_data(as_text=True)
    assert count_rows(app, batches) == 0
    where = _location(
        admin.post(f"/products/{product['id']}/batches/new", {**form, "expiryDate": "2027-05-01"})
    )
    batch_id = int(where.split("/")[2].split("?")[0])
    stored = api.get(f"/batches/{batch_id}").get_json()
    assert stored["origin"] == {"place": {"zh-CN": "杭州"}, "countryCode": "CN"}
    assert stored["producer"] == {"name": {"en": "Hangzhou Pharma"}, "licenseNumber": "LIC-77"}
    assert stored["inspectionReports"][0]["number"] == "R-1"
    page = text_of(admin.page(f"/batches/{batch_id}"))
    assert "Missing A valid third-party verified certificate" in page
    assert "Recorded Expiry date" in page
    _location(admin.post(f"/batches/{batch_id}/edit", {"expiryDate": "2028-01-31", "lot": "X"}))
    stored = api.get(f"/batches/{batch_id}").get_json()
    assert stored["expiryDate"] == "2028-01-31" and stored["lot"] == "B-7"
    assert stored["origin"] is None and stored["inspectionReports"] == []


# --- codes and labels -------------------------------------------------------------------------


def test_codes_are_issued_and_their_labels_downloaded(app: Flask, admin: Admin, api: Api) -> None:
    batch = api.batch(api.product()["id"])
    for count, words in (("abc", "Wrong kind of value"), ("0", "Too small"), ("", "Required")):
        refused = admin.post(f"/batches/{batch['id']}/codes", {"count": count})
        assert refused.status_code == 422 and words in refused.get_data(as_text=True), count
    assert count_rows(app, units) == 0
    where = _location(admin.post(f"/batches/{batch['id']}/codes", {"count": "5"}))
    assert where.startswith("/issuances/")
    page = text_of(admin.page(where))
    assert "Done" in page and "5 of 5 codes" in page
    issuance_id = int(where.split("/")[2].split("?")[0])
    pdf = admin.get(f"/batches/{batch['id']}/labels.pdf?issuance={issuance_id}&layout=a4-4x10")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF") and pdf.headers["X-Label-Count"] == "5"
    assert "attachment" in pdf.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(admin.get(f"/batches/{batch['id']}/codes.csv").text)))
    assert rows[0][:3] == ["gtin", "lot", "serial"] and len(rows) == 6
    assert rows[1][3].startswith(f"https://shop.example.com/trace/01/{GTIN}/10/LOT42/21/")
    assert admin.get(f"/batches/{batch['id']}/labels.pdf?issuance=999").status_code == 404


def test_a_large_issuance_runs_as_a_job_with_progress_and_label_parts(
    db_url: str, tmp_path: Path
) -> None:
    app = make_app(
        db_url,
        tmp_path / "instance",
        SHOPTRACE_ADMIN_AUTH=auth,
        SHOPTRACE_SYNC_CODE_LIMIT=2,
        SHOPTRACE_MAX_PDF_LABELS=2,
    )
    client = app.test_client()
    merchant_id, key = add_merchant(app, "Acme")
    api, admin = Api(client, key, merchant_id), Admin(client, merchant_id)
    batch = api.batch(api.product()["id"])
    where = _location(admin.post(f"/batches/{batch['id']}/codes", {"count": "5"}))
    html = admin.page(where)
    assert "Waiting" in html and "<script nonce=" in html and 'http-equiv="refresh"' in html
    issuance_id = int(where.split("/")[2].split("?")[0])
    status = admin.get(f"/issuances/{issuance_id}/status").get_json()
    assert status == {
        "id": issuance_id,
        "status": "pending",
        "done": 0,
        "count": 5,
        "progress": 0.0,
        "error": None,
    }
    assert run_pending(app.extensions["shoptrace"].store, SIGNING_KEY) == 1
    assert admin.get(f"/issuances/{issuance_id}/status").get_json()["status"] == "done"
    html = admin.page(where)
    assert "<script" not in html and "Labels 5–5 (PDF)" in html
    page = text_of(admin.page(f"/batches/{batch['id']}"))
    assert "Labels 1–2 (PDF)" in page and "Labels 3–4 (PDF)" in page
    counts = []
    for part in (1, 2, 3):
        pdf = admin.get(f"/batches/{batch['id']}/labels.pdf?part={part}")
        assert pdf.data.startswith(b"%PDF")
        counts.append(pdf.headers["X-Label-Count"])
    assert counts == ["2", "2", "1"]
    assert admin.get(f"/batches/{batch['id']}/labels.pdf?part=4").status_code == 404
    app.extensions["shoptrace"].store.dispose()


# --- orders -----------------------------------------------------------------------------------


def test_scanning_allocates_units_and_shows_refused_codes(
    app: Flask, admin: Admin, api: Api
) -> None:
    batch = api.batch(api.product()["id"])
    codes = api.post(f"/batches/{batch['id']}/codes", {"count": 3}).get_json()["codes"]
    placed = api.post(
        "/orders",
        {"id": "SO/7", "number": "#7", "lines": [{"gtin": GTIN, "quantity": 2, "name": "茶"}]},
    )
    assert placed.status_code == 201
    page = text_of(admin.page("/orders/SO/7"))
    assert "Allocate by scanning" in page and "Waiting for fulfilment" in page
    unknown = f"https://shop.example.com/trace/01/{GTIN}/10/LOT42/21/NOSUCHSERIAL9"
    refused = admin.post(
        "/orders/SO/7/fulfil", {"units": f"{codes[0]['uri']}\n\n  {unknown}  \n", "mode": "scan"}
    )
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "These codes were refused" in html and "No unit or lot has this code" in html
    assert unknown in html and codes[0]["uri"] in html  # the scans stay in the box
    zh = admin.post("/orders/SO/7/fulfil", {"units": unknown, "mode": "scan"}, lang="zh-CN")
    assert "没有单品或批次使用此追溯码" in zh.get_data(as_text=True)
    empty = admin.post("/orders/SO/7/fulfil", {"units": " \n", "mode": "scan"})
    assert empty.status_code == 422 and "Scan at least one code" in empty.get_data(as_text=True)
    assert api.get("/orders/SO%2F7").get_json()["status"] == "placed"
    received: list[dict[str, Any]] = []

    def traced(sender: Any, **extra: Any) -> None:
        received.append(extra)

    signals.order_traced.connect(traced, sender=app)
    try:
        done = admin.post("/orders/SO/7/fulfil", {"units": f"{codes[0]['uri']}\n{codes[1]['uri']}"})
    finally:
        signals.order_traced.disconnect(traced, sender=app)
    where = _location(done)
    assert where.startswith("/orders/SO/7?")
    page = text_of(admin.page(where))
    assert "The order is fulfilled and traced." in page and "2 units" in page
    assert codes[0]["serial"] in page and codes[1]["serial"] in page
    order = api.get("/orders/SO%2F7").get_json()
    assert order["status"] == "fulfilled" and order["lines"][0]["unitCount"] == 2
    assert [r["order"]["id"] for r in received] == ["SO/7"]
    assert "Allocate by scanning" not in page


def test_an_order_can_take_stock_first_expiry_first_out(admin: Admin, api: Api) -> None:
    batch = api.batch(api.product()["id"])
    api.post(f"/batches/{batch['id']}/codes", {"count": 1})
    api.post("/orders", {"id": "SO-8", "lines": [{"gtin": GTIN, "quantity": 1}]})
    page = text_of(admin.page(_location(admin.post("/orders/SO-8/fulfil", {"mode": "stock"}))))
    assert "Fulfilled" in page
    assert api.get("/orders/SO-8").get_json()["status"] == "fulfilled"


# --- recalls ----------------------------------------------------------------------------------


def test_a_recall_is_opened_shown_exported_and_closed(
    app: Flask, admin: Admin, api: Api, client: FlaskClient
) -> None:
    batch = api.batch(api.product()["id"])
    codes = api.post(f"/batches/{batch['id']}/codes", {"count": 3}).get_json()["codes"]
    api.post(
        "/orders",
        {"id": "SO-9", "number": "#9", "customer": "c-9", "lines": [{"gtin": GTIN, "quantity": 1}]},
    )
    api.post("/orders/SO-9/fulfil", {"units": [codes[0]["uri"]]})
    form_page = admin.page(f"/recalls/new?gtin={GTIN}&lot=LOT42&scope=lots")
    assert ">LOT42</textarea>" in form_page and f'value="{GTIN}"' in form_page
    missing = admin.post("/recalls/new", {"gtin": GTIN, "lots": "LOT42", "severity": "1"})
    assert missing.status_code == 422 and "Give it in Chinese or English" in missing.text
    unknown = admin.post(
        "/recalls/new", {"gtin": GTIN, "lots": "NOPE", "reason.en": "x", "severity": "1"}
    )
    assert unknown.status_code == 422 and "lots[0]" in unknown.get_data(as_text=True)
    assert count_rows(app, recalls) == 0
    opened: list[dict[str, Any]] = []
    closed: list[dict[str, Any]] = []

    def on_open(sender: Any, **extra: Any) -> None:
        opened.append(extra)

    def on_close(sender: Any, **extra: Any) -> None:
        closed.append(extra)

    signals.recall_created.connect(on_open, sender=app)
    signals.recall_closed.connect(on_close, sender=app)
    try:
        where = _location(
            admin.post(
                "/recalls/new",
                {
                    "gtin": GTIN,
                    "scope": "lots",
                    "lots": "LOT42\n",
                    "reason.zh-CN": "标签错误",
                    "reason.en": "Wrong label",
                    "severity": "1",
                },
            )
        )
        page = text_of(admin.page(where))
        assert "The recall is open." in page and "Wrong label" in page and "标签错误" in page
        assert "#9" in page and "c-9" in page
        assert re.search(r"Units covered.*3 2 0 1 0 0 1 1", page)
        recall_id = int(where.split("/")[2].split("?")[0])
        exported = admin.get(f"/recalls/{recall_id}/impact.csv")
        assert exported.mimetype == "text/csv"
        rows = list(csv.reader(io.StringIO(exported.data.decode("utf-8-sig"))))
        assert rows[0][0] == "order_id" and rows[1][0] == "SO-9"
        assert rows[1][rows[0].index("serials")] == codes[0]["serial"]
        public = client.get(
            f"/trace/01/{GTIN}/10/LOT42/21/{codes[1]['serial']}?lang=en",
            headers={"Accept": "application/json"},
        ).get_json()
        assert public["recall"]["recalled"] is True and public["recall"]["reason"] == "Wrong label"
        _location(admin.post(f"/recalls/{recall_id}/close", {"note": "Relabelled"}))
        again = admin.post(f"/recalls/{recall_id}/close", {"note": "twice"})
    finally:
        signals.recall_created.disconnect(on_open, sender=app)
        signals.recall_closed.disconnect(on_close, sender=app)
    assert again.status_code == 409 and "only an open recall can be closed" in again.text
    page = text_of(admin.page(f"/recalls/{recall_id}", lang="zh-CN"))
    assert "已结束" in page and "Relabelled" in page and "一级召回" in page
    assert [o["recall"]["id"] for o in opened] == [recall_id]
    assert [c["recall"]["status"] for c in closed] == ["closed"]


# --- integrity --------------------------------------------------------------------------------


def test_the_integrity_check_names_the_first_broken_event(
    app: Flask, admin: Admin, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    batch = api.batch(api.product()["id"])
    codes = api.post(f"/batches/{batch['id']}/codes", {"count": 2}).get_json()["codes"]
    api.post("/orders", {"id": "SO-1", "lines": [{"gtin": GTIN, "quantity": 1}]})
    api.post("/orders/SO-1/fulfil", {"units": [codes[0]["uri"]]})
    page = text_of(admin.page("/integrity"))
    assert "Check the event chain now" in page and "intact" not in page
    assert "The chain is intact" in text_of(admin.page("/integrity?run=1"))
    with app.extensions["shoptrace"].store.begin() as conn:
        first = conn.execute(
            sa.select(events.c.id, events.c.document, events.c.event_id)
            .where(events.c.merchant_id == api.merchant_id)
            .order_by(events.c.seq)
        ).first()
        assert first is not None
        conn.execute(
            events.update()
            .where(events.c.id == first.id)
            .values(document=first.document.replace("retail_selling", "receiving"))
        )
    page = text_of(admin.page("/integrity?run=1"))
    assert "The chain is broken" in page and "First event that breaks it" in page
    assert first.event_id in page and "the event was changed" in page
    assert "事件链已断开" in text_of(admin.page("/integrity?run=1", lang="zh-CN"))
    assert "Event chain broken at event 1" in text_of(admin.page("/"))
    monkeypatch.setattr(dashboard, "VERIFY_LIMIT", 1)  # long chains are checked on request
    page = text_of(admin.page("/"))
    assert "events: run the integrity check" in page and "broken" not in page
    zh = text_of(admin.page("/integrity?run=1", lang="zh-CN"))
    assert "事件在存储后被修改" in zh and "The event was changed" not in zh.split("原因")[1][:40]


def test_a_long_chain_is_checked_a_page_per_press(
    app: Flask, admin: Admin, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    batch = api.batch(api.product()["id"])
    codes = api.post(f"/batches/{batch['id']}/codes", {"count": 3}).get_json()["codes"]
    api.post("/orders", {"id": "SO-1", "lines": [{"gtin": GTIN, "quantity": 3}]})
    api.post("/orders/SO-1/fulfil", {"units": [c["uri"] for c in codes]})
    with app.extensions["shoptrace"].store.read() as conn:
        total = conn.execute(
            sa.select(sa.func.count()).where(events.c.merchant_id == api.merchant_id)
        ).scalar_one()
    assert total >= 2
    monkeypatch.setattr(dashboard, "CHECK_PAGE", 1)
    html = admin.page("/integrity?run=1")
    page = text_of(html)
    assert f"No break in events 1–1 so far; the chain holds {total} events." in page
    assert "Go on checking from event 2" in page and "intact" not in page
    token = re.search(r'name="pageToken" value="([^"]+)"', html)
    assert token is not None
    seen = 1
    while token is not None:
        html = admin.page(f"/integrity?run=1&pageToken={token.group(1)}")
        seen += 1
        token = re.search(r'name="pageToken" value="([^"]+)"', html)
    assert seen == total and "The chain is intact" in text_of(html)
    zh = text_of(admin.page("/integrity?run=1", lang="zh-CN"))
    assert f"第 1–1 个事件未发现断开；事件链共有 {total} 个事件。" in zh
    assert "从第 2 个事件继续校验" in zh


# --- webhooks, connections, upstream ----------------------------------------------------------


def test_webhook_endpoints_show_their_secret_once_and_their_deliveries(
    app: Flask, admin: Admin, api: Api
) -> None:
    refused = admin.post(
        "/webhooks", {"url": "http://127.0.0.1/hook", "topics": ["recall.created"]}
    )
    assert refused.status_code == 422 and 'value="http://127.0.0.1/hook"' in refused.text
    assert count_rows(app, webhook_endpoints) == 0
    created = admin.client.post(
        ADMIN + "/webhooks",
        data={
            "csrf_token": admin.token(),
            "url": "https://erp.example.com/hooks",
            "topics": ["recall.created", "order.traced"],
            "description": "ERP",
        },
        headers=admin.headers("en"),
    )
    assert created.status_code == 201
    secret = re.search(r"whsec_[A-Za-z0-9_-]+", created.text)
    assert secret is not None and "shown only this once" in created.text
    endpoint = api.get("/webhooks").get_json()["webhooks"][0]
    assert endpoint["topics"] == ["recall.created", "order.traced"]
    for path in ("/webhooks", f"/webhooks/{endpoint['id']}", "/"):
        assert "whsec_" not in admin.page(path)
    hook = f"/webhooks/{endpoint['id']}"
    assert _location(admin.post(hook + "/test")).startswith(hook)
    page = text_of(admin.page(hook))
    assert "Test message" in page and "Waiting" in page and "The message is queued" not in page
    with app.extensions["shoptrace"].store.begin() as conn:
        conn.execute(
            outbox.update()
            .where(outbox.c.merchant_id == api.merchant_id)
            .values(status="dead", attempts=8, last_status=500, last_error="HTTP 500")
        )
    page = text_of(admin.page(hook + "?status=dead"))
    assert "Failed" in page and "HTTP 500" in page and "Deliver again" in page
    assert "1 webhook message could not be delivered" in text_of(admin.page("/"))
    delivery = api.get(hook + "/deliveries").get_json()["deliveries"][0]["id"]
    _location(admin.post(f"{hook}/deliveries/{delivery}/redeliver"))
    assert api.get(f"{hook}/deliveries/{delivery}").get_json()["status"] == "pending"
    _location(admin.post(hook + "/disable"))
    assert api.get(hook).get_json()["enabled"] is False
    refused = admin.post(f"{hook}/deliveries/{delivery}/redeliver")
    assert refused.status_code == 409 and "The endpoint is disabled" in refused.text
    _location(admin.post(hook + "/enable"))
    rotated = admin.post(hook + "/rotate")
    assert rotated.status_code == 200
    fresh = re.search(r"whsec_[A-Za-z0-9_-]+", rotated.text)
    assert fresh is not None and fresh.group() != secret.group()
    # The old secret keeps signing for a day, and both pages say until when.
    until = api.get(hook).get_json()["previousSecretExpiresAt"]
    assert until is not None
    assert "also signed with the previous secret" in text_of(rotated.text)
    assert "also signed with the previous secret" in text_of(admin.page(hook))
    assert "同时附带旧密钥的签名" in admin.page(hook, lang="zh-CN")
    assert _location(admin.post(hook + "/delete")).startswith("/webhooks")
    assert count_rows(app, webhook_endpoints) == 0


def test_upstream_endpoints_show_their_state_and_resume(app: Flask, admin: Admin, api: Api) -> None:
    upstream = api.post(
        "/upstreams",
        {"name": "Provincial platform", "url": "https://p.example.com/epcis", "kind": "provincial"},
    ).get_json()
    with app.extensions["shoptrace"].store.begin() as conn:
        conn.execute(
            upstream_endpoints.update()
            .where(upstream_endpoints.c.id == upstream["id"])
            .values(dead_at=sa.func.current_timestamp(), attempts=10, last_status=503)
        )
    page = text_of(admin.page("/upstreams"))
    assert "Stopped after failures" in page and "HTTP 503" in page and "Try again now" in page
    assert "1 upstream endpoint stopped" in text_of(admin.page("/"))
    _location(admin.post(f"/upstreams/{upstream['id']}/resume"))
    assert api.get(f"/upstreams/{upstream['id']}").get_json()["status"]["state"] != "dead"
    assert "多次失败后已停止" not in admin.page("/upstreams", lang="zh-CN")


def test_issuances_table_lists_jobs(app: Flask, admin: Admin, api: Api) -> None:
    batch = api.batch(api.product()["id"])
    api.post(f"/batches/{batch['id']}/codes", {"count": 2})
    with app.extensions["shoptrace"].store.begin() as conn:
        conn.execute(issuances.update().values(status="failed", error="disk full"))
    assert "1 code issuance failed" in text_of(admin.page("/"))
    assert "Failed" in text_of(admin.page(f"/batches/{batch['id']}"))
