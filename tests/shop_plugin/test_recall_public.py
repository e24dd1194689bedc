"""What shoppers see of a recall: the banner on trace pages, in the JSON the widget reads and
in the embed, in both languages; the gs1:recallStatus link; the banner gone once the recall
is closed; answers revalidated (ETag) when a recall opens or closes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from shoptrace.sdk.epcis import events as ev
from shoptrace.shop_plugin.services import recalls
from shoptrace.widgets import render_trace_page
from tests.shop_plugin.epcis_helpers import at, unit_uri
from tests.shop_plugin.helpers import GTIN
from tests.shop_plugin.resolver_helpers import BASE, SECRETS, Shop, capture, flush_scans, make_shop

JSON = {"Accept": "application/json"}
BROWSER = {"Accept": "text/html", "Accept-Language": "en"}
REASON = {"zh-CN": "农药残留超标", "en": "Pesticide residue above the limit"}
BANNER = re.compile(r'<section class="card alert" role="alert">(.*?)</section>', re.S)


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"SHOPTRACE_PUBLIC_RATE_LIMIT": "", "SHOPTRACE_RESOLVER_STATE_TTL": 0}


@pytest.fixture(autouse=True)
def _scans_stored(app: Flask) -> Iterator[None]:
    yield
    flush_scans(app)


@pytest.fixture
def shop(app: Flask) -> Shop:
    return make_shop(app)


def _recall(app: Flask, shop: Shop, **body: Any) -> dict[str, Any]:
    request = {"gtin": GTIN, "reason": REASON, "severity": "1", **body}
    with app.extensions["shoptrace"].store.begin() as conn:
        return recalls.create_recall(conn, shop.merchant_id, request, base_url=BASE)


def _close(app: Flask, shop: Shop, recall_id: int) -> None:
    with app.extensions["shoptrace"].store.begin() as conn:
        recalls.close_recall(conn, shop.merchant_id, recall_id, {"note": "done"})


def _json(client: FlaskClient, path: str, lang: str = "en") -> dict[str, Any]:
    response = client.get(f"{path}?lang={lang}", headers=JSON)
    assert response.status_code == 200, response.data
    body: dict[str, Any] = response.get_json()
    return body


def _banner(client: FlaskClient, path: str, lang: str = "en") -> str | None:
    html = client.get(f"{path}?lang={lang}", headers=BROWSER).get_data(as_text=True)
    found = BANNER.search(html)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1))).strip() if found else None


def _today() -> str:
    return datetime.now(UTC).date().isoformat()


def test_a_recalled_lot_shows_the_banner_with_reason_severity_and_date(
    app: Flask, client: FlaskClient, shop: Shop
) -> None:
    _recall(app, shop, lots=["LOT42"])
    for path in (shop.unit(0), shop.unit(4), shop.unit(1, lot=False), shop.lot_path):
        assert _json(client, path)["recall"] == {
            "recalled": True,
            "label": "Recalled",
            "reason": "Pesticide residue above the limit",
            "severity": "1",
            "severityLabel": "Level 1 recall (most serious)",
            "since": _today(),
        }, path
    zh = _json(client, shop.unit(0), "zh-CN")["recall"]
    assert (zh["label"], zh["reason"], zh["severityLabel"]) == (
        "已召回",
        "农药残留超标",
        "一级召回（最严重）",
    )
    body = _json(client, shop.unit(0))
    assert body["timeline"][-1]["title"] == "On hold"
    assert body["timeline"][-1]["dispositionLabel"] == "Recalled"
    banner = _banner(client, shop.unit(0))
    assert banner is not None
    assert "Recalled" in banner and "Pesticide residue above the limit" in banner
    assert "Level 1 recall (most serious)" in banner and "Stop using this product" in banner
    zh_banner = _banner(client, shop.lot_path, "zh-CN")
    assert zh_banner is not None
    assert "已召回" in zh_banner and "农药残留超标" in zh_banner and "一级召回" in zh_banner
    assert "召回日期" in zh_banner and "请停止使用该商品" in zh_banner
    embed = client.get(f"/trace/embed/01/{GTIN}/10/LOT42?lang=en").get_data(as_text=True)
    assert "Pesticide residue above the limit" in embed and 'role="alert"' in embed
    product = _json(client, shop.product_path)
    assert "recall" not in product  # the GTIN as a whole is not recalled
    for secret in SECRETS:
        assert secret not in str(body)


def test_a_plain_reason_shows_in_both_languages(
    app: Flask, client: FlaskClient, shop: Shop
) -> None:
    _recall(app, shop, lots=["LOT42"], reason="标签错误", severity="3")
    for lang in ("en", "zh-CN"):
        recall = _json(client, shop.unit(0), lang)["recall"]
        assert recall["reason"] == "标签错误" and recall["severity"] == "3"
    assert _json(client, shop.unit(0))["recall"]["severityLabel"] == "Level 3 recall"


def test_a_unit_recall_marks_that_unit_only(app: Flask, client: FlaskClient, shop: Shop) -> None:
    _recall(app, shop, units=[shop.serials[1]], reason={"en": "Damaged seal"}, severity="2")
    recall = _json(client, shop.unit(1))["recall"]
    assert recall["reason"] == "Damaged seal" and recall["severity"] == "2"
    # No Chinese reason given: shoppers reading Chinese get the English one.
    assert _json(client, shop.unit(1), "zh-CN")["recall"]["reason"] == "Damaged seal"
    assert _json(client, shop.unit(1), "zh-CN")["recall"]["severityLabel"] == "二级召回"
    assert "recall" not in _json(client, shop.unit(0))
    assert "recall" not in _json(client, shop.lot_path)
    assert _banner(client, shop.unit(0)) is None


def test_the_unit_shows_its_own_recall_over_its_lots(
    app: Flask, client: FlaskClient, shop: Shop
) -> None:
    _recall(app, shop, units=[shop.serials[2]], reason={"en": "Own reason"}, severity="3")
    other = _recall(app, shop, units=[shop.serials[4]], reason={"en": "Other"}, severity="3")
    lot = _recall(app, shop, lots=["LOT42"])
    assert _json(client, shop.unit(2))["recall"]["reason"] == "Own reason"
    assert _json(client, shop.unit(3))["recall"]["reason"] == "Pesticide residue above the limit"
    _close(app, shop, other["id"])  # its unit falls back to the lot's recall
    assert _json(client, shop.unit(4))["recall"]["reason"] == "Pesticide residue above the limit"
    _close(app, shop, lot["id"])
    assert _json(client, shop.unit(2))["recall"]["reason"] == "Own reason"
    assert "recall" not in _json(client, shop.unit(3))
    assert "recall" not in _json(client, shop.unit(4))


def test_closing_the_recall_takes_the_banner_away(
    app: Flask, client: FlaskClient, shop: Shop
) -> None:
    recall = _recall(app, shop, lots=["LOT42"])
    assert _banner(client, shop.unit(0)) is not None
    _close(app, shop, recall["id"])
    for path in (shop.unit(0), shop.lot_path):
        body = _json(client, path)
        assert "recall" not in body, path
        assert body["timeline"][-1]["title"] == "On hold"  # the history stays
        assert _banner(client, path) is None
        assert _banner(client, path, "zh-CN") is None


def test_a_partners_recall_event_still_shows_without_a_reason(
    app: Flask, client: FlaskClient, shop: Shop
) -> None:
    capture(
        app,
        shop.merchant_id,
        [
            ev.object_event(
                "OBSERVE",
                epcs=[unit_uri(shop.serials[0])],
                biz_step="holding",
                disposition="recalled",
                event_time=at(60),
            )
        ],
    )
    partner = {"recalled": True, "label": "Recalled", "since": "2025-03-01"}
    assert _json(client, shop.unit(0))["recall"] == partner
    recall = _recall(app, shop, lots=["LOT42"])
    assert _json(client, shop.unit(0))["recall"]["reason"] == "Pesticide residue above the limit"
    _close(app, shop, recall["id"])
    assert _json(client, shop.unit(0))["recall"] == partner  # the partner's event still stands
    assert "recall" not in _json(client, shop.unit(1))


def test_the_recall_status_link_answers_in_place(
    app: Flask, client: FlaskClient, shop: Shop
) -> None:
    link = "?linkType=gs1:recallStatus"
    clear = client.get(shop.unit(0) + link + "&lang=en", headers=JSON)
    assert clear.status_code == 200
    assert clear.get_json()["recall"] == {"recalled": False, "label": "Not recalled"}
    zh = client.get(shop.lot_path + link + "&lang=zh-CN", headers=JSON).get_json()
    assert zh["recall"] == {"recalled": False, "label": "未召回"}
    page = client.get(shop.unit(0) + link + "&lang=en", headers=BROWSER)
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "Not recalled" in html and 'role="alert"' not in html
    # The plain trace says nothing of a recall that is not there.
    assert "recall" not in _json(client, shop.unit(0))
    assert "Not recalled" not in client.get(shop.unit(0), headers=BROWSER).get_data(as_text=True)

    _recall(app, shop, lots=["LOT42"])
    recalled = client.get(shop.unit(0) + link + "&lang=en", headers=JSON).get_json()["recall"]
    assert (
        recalled["recalled"] is True and recalled["reason"] == "Pesticide residue above the limit"
    )
    html = client.get(shop.lot_path + link + "&lang=zh-CN", headers=BROWSER).get_data(as_text=True)
    assert 'role="alert"' in html and "农药残留超标" in html and "未召回" not in html
    # A product (GTIN alone) has no recall status link.
    assert client.get(shop.product_path + link, headers=JSON).status_code == 404


def test_answers_revalidate_when_a_recall_opens_and_closes(
    app: Flask, client: FlaskClient, shop: Shop
) -> None:
    paths = (shop.unit(0), shop.unit(1, lot=False), shop.lot_path)
    forms = (JSON, BROWSER, {"Accept": "application/linkset+json"})

    def tags() -> dict[tuple[str, int], str]:
        found = {}
        for path in paths:
            for i, headers in enumerate(forms):
                response = client.head(path, headers=headers)
                assert response.status_code == 200
                found[(path, i)] = response.headers["ETag"]
        return found

    before = tags()
    assert tags() == before  # nothing changed, nothing new
    recall = _recall(app, shop, lots=["LOT42"])
    opened = tags()
    assert all(opened[key] != before[key] for key in before)
    stale = client.get(shop.unit(0), headers={**JSON, "If-None-Match": before[(shop.unit(0), 0)]})
    assert stale.status_code == 200 and stale.get_json()["recall"]["recalled"] is True
    _close(app, shop, recall["id"])
    closed = tags()
    assert all(closed[key] not in (before[key], opened[key]) for key in before)
    fresh = client.get(shop.unit(0), headers={**JSON, "If-None-Match": opened[(shop.unit(0), 0)]})
    assert fresh.status_code == 200 and "recall" not in fresh.get_json()


def test_a_unit_recall_closing_revalidates_the_unit(
    app: Flask, client: FlaskClient, shop: Shop
) -> None:
    recall = _recall(app, shop, units=[shop.serials[0]])
    tag = client.head(shop.unit(0), headers=JSON).headers["ETag"]
    _close(app, shop, recall["id"])
    assert client.head(shop.unit(0), headers=JSON).headers["ETag"] != tag
    assert "recall" not in _json(client, shop.unit(0))


def test_the_page_renders_a_severity_given_without_its_label() -> None:
    trace = {
        "kind": "unit",
        "code": BASE + "/01/" + GTIN + "/21/X",
        "recall": {"recalled": True, "reason": "Bad", "severity": "2", "since": "2026-05-10"},
    }
    html = render_trace_page(trace, lang="zh-CN")
    banner = BANNER.search(html)
    assert banner is not None and "二级召回" in banner.group(1) and "Bad" in banner.group(1)
