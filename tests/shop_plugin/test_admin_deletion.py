"""The admin's delete buttons: a product without lots and a lot nothing refers to can be
deleted after ticking the confirm box, in both languages; a refusal shows why on the page in
its language and deletes nothing; another merchant's ids are out of reach; a POST without the
form token changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from shoptrace.shop_plugin.admin import phrases
from shoptrace.shop_plugin.services.references import BATCH_USES, PRODUCT_USES
from shoptrace.shop_plugin.store.tables import batches, products
from tests.shop_plugin.helpers import GTIN, GTIN2, Api, count_rows
from tests.shop_plugin.test_admin import ADMIN, Admin, admin, app_config, text_of
from tests.shop_plugin.test_deletion import rows
from tests.shop_plugin.test_orders import order, place

__all__ = ["admin", "app_config"]  # fixtures used here

CONFIRM = {"confirm": "yes"}
WORDS = {
    "en": {
        "delete_product": "Delete product",
        "delete_lot": "Delete lot",
        "deleted": "Deleted.",
        "refused": "Not deleted:",
        "tick": "Tick the box to confirm the deletion.",
        "lots": "It has 1 lot, whose trace records are kept. Delete the lot first if it is unused.",
        "line": "An order line refers to it; orders are kept.",
        "codes": "2 trace codes were issued for it; issued codes are trace records and are kept.",
    },
    "zh-CN": {
        "delete_product": "删除商品",
        "delete_lot": "删除批次",
        "deleted": "已删除。",
        "refused": "未删除：",
        "tick": "请勾选确认框以确认删除。",
        "lots": "该商品有 1 个批次，其追溯记录须保留。如该批次未被使用，请先删除批次。",
        "line": "有 1 个订单行关联它，订单记录须保留。",
        "codes": "已为它发放 2 个追溯码；已发放的追溯码属于追溯记录，须保留。",
    },
}
LANGS = sorted(WORDS)


def _form(html: str, action: str) -> bool:
    """Whether the page has the delete form posting to ``action`` with its confirm box."""
    return f'action="{ADMIN}{action}?lang=' in html and 'name="confirm" value="yes"' in html


def _to(response: Any) -> str:
    assert response.status_code == 303, (response.status_code, response.data[:2000])
    return str(response.headers["Location"]).split(ADMIN, 1)[1]


@pytest.mark.parametrize("lang", LANGS)
def test_a_product_without_lots_is_deleted_after_confirming(
    app: Flask, admin: Admin, api: Api, lang: str
) -> None:
    words = WORDS[lang]
    product = api.product(GTIN2)
    path = f"/products/{product['id']}"
    page = admin.page(path, lang=lang)
    assert words["delete_product"] in page and _form(page, path + "/delete")
    assert GTIN2 in text_of(page)
    # Without the box ticked: the page again, saying so; nothing deleted.
    unticked = admin.post(path + "/delete", lang=lang)
    assert unticked.status_code == 422
    shown = text_of(unticked.get_data(as_text=True))
    assert words["refused"] in shown and words["tick"] in shown
    assert f'<html lang="{lang}">' in unticked.get_data(as_text=True)
    assert count_rows(app, products) == 1
    where = _to(admin.post(path + "/delete", CONFIRM, lang=lang))
    assert where.startswith(f"/products?lang={lang}&notice=deleted")
    assert words["deleted"] in admin.page(where, lang=lang)
    assert count_rows(app, products) == 0
    assert admin.get(path, lang=lang).status_code == 404


@pytest.mark.parametrize("lang", LANGS)
def test_a_product_with_a_lot_shows_no_button_and_a_refusal_says_why(
    app: Flask, admin: Admin, api: Api, lang: str
) -> None:
    words = WORDS[lang]
    product = api.product()
    api.batch(product["id"])
    path = f"/products/{product['id']}"
    page = admin.page(path, lang=lang)
    assert words["delete_product"] not in page and not _form(page, path + "/delete")
    before = rows(app)
    refused = admin.post(path + "/delete", CONFIRM, lang=lang)
    assert refused.status_code == 409
    html = refused.get_data(as_text=True)
    assert f'<html lang="{lang}">' in html
    shown = text_of(html)
    assert words["refused"] in shown and words["lots"] in shown
    assert "LOT42" in shown  # the product page itself, with its lots
    assert rows(app) == before


@pytest.mark.parametrize("lang", LANGS)
def test_a_product_an_order_refers_to_is_refused_in_the_page_language(
    app: Flask, admin: Admin, api: Api, lang: str
) -> None:
    product = api.product()
    place(api, order(lines=[{"gtin": GTIN, "quantity": 1}]))
    path = f"/products/{product['id']}"
    assert _form(admin.page(path, lang=lang), path + "/delete")  # no lots: the button shows
    before = rows(app)
    refused = admin.post(path + "/delete", CONFIRM, lang=lang)
    assert refused.status_code == 409
    assert WORDS[lang]["line"] in text_of(refused.get_data(as_text=True))
    assert rows(app) == before


@pytest.mark.parametrize("lang", LANGS)
def test_a_lot_nothing_refers_to_is_deleted_after_confirming(
    app: Flask, admin: Admin, api: Api, lang: str
) -> None:
    words = WORDS[lang]
    product = api.product()
    batch = api.batch(product["id"], "LOT4Z")
    path = f"/batches/{batch['id']}"
    page = admin.page(path, lang=lang)
    assert words["delete_lot"] in page and _form(page, path + "/delete")
    unticked = admin.post(path + "/delete", {"confirm": "no"}, lang=lang)
    assert unticked.status_code == 422
    assert words["tick"] in text_of(unticked.get_data(as_text=True))
    assert count_rows(app, batches) == 1
    where = _to(admin.post(path + "/delete", CONFIRM, lang=lang))
    assert where.startswith(f"/products/{product['id']}?lang={lang}&notice=deleted")
    shown = admin.page(where, lang=lang)
    assert words["deleted"] in shown and "LOT4Z" not in shown
    assert count_rows(app, batches) == 0
    # With its only lot gone, the product offers its own delete button again.
    assert _form(shown, f"/products/{product['id']}/delete")


@pytest.mark.parametrize("lang", LANGS)
def test_a_lot_with_codes_shows_no_button_and_a_refusal_says_why(
    app: Flask, admin: Admin, api: Api, lang: str
) -> None:
    words = WORDS[lang]
    batch = api.batch(api.product()["id"])
    api.post(f"/batches/{batch['id']}/codes", {"count": 2})
    path = f"/batches/{batch['id']}"
    page = admin.page(path, lang=lang)
    assert words["delete_lot"] not in page and not _form(page, path + "/delete")
    before = rows(app)
    refused = admin.post(path + "/delete", CONFIRM, lang=lang)
    assert refused.status_code == 409
    html = refused.get_data(as_text=True)
    assert f'<html lang="{lang}">' in html
    shown = text_of(html)
    assert words["refused"] in shown and words["codes"] in shown
    assert rows(app) == before


def test_another_merchants_product_and_lot_are_out_of_reach(
    app: Flask, client: Any, admin: Admin, api: Api, other_api: Api
) -> None:
    product = api.product(GTIN2)
    batch = api.batch(api.product()["id"], "LOT4Z")
    rival = Admin(client, other_api.merchant_id)
    before = rows(app)
    for path in (f"/products/{product['id']}", f"/batches/{batch['id']}"):
        assert rival.post(path + "/delete", CONFIRM).status_code == 404
        assert rival.post(path + "/delete").status_code == 404  # unticked too
    assert rows(app) == before


def test_a_delete_without_the_form_token_changes_nothing(
    app: Flask, client: Any, admin: Admin, api: Api
) -> None:
    product = api.product(GTIN2)
    batch = api.batch(api.product()["id"], "LOT4Z")
    for path in (f"/products/{product['id']}/delete", f"/batches/{batch['id']}/delete"):
        response = client.post(ADMIN + path, data=CONFIRM, headers=admin.headers("en"))
        assert response.status_code == 400
    assert (count_rows(app, products), count_rows(app, batches)) == (2, 1)


def test_every_reason_has_words_in_both_languages() -> None:
    for what in {*PRODUCT_USES, *BATCH_USES}:
        for lang in LANGS:
            assert "3" in phrases.t(f"delete.use.{what}", lang, count=3)
            assert "1000+" in phrases.t(f"delete.use.{what}", lang, count="1000+")
            assert phrases.t(f"delete.use.{what}", lang, count=1).strip()
