"""The admin's places: listed, named through the form (errors next to the fields, nothing
written), edited, made public, deleted; another merchant's places are out of reach; a POST
without the form token changes nothing."""

from __future__ import annotations

from typing import Any

from flask import Flask

from shoptrace.shop_plugin.store.tables import locations
from tests.shop_plugin.helpers import Api, count_rows
from tests.shop_plugin.test_admin import ADMIN, Admin, admin, app_config, text_of

__all__ = ["admin", "app_config"]  # fixtures used here

STORE_GLN = "9506000000022"


def _redirect(response: Any) -> str:
    assert response.status_code == 303, (response.status_code, response.data[:3000])
    return str(response.headers["Location"]).split(ADMIN, 1)[1]


def test_a_place_is_named_edited_and_deleted_through_its_form(
    app: Flask, admin: Admin, api: Api
) -> None:
    assert "Nothing here yet." in admin.page("/locations")
    bad = admin.post(
        "/locations/new",
        {"id": "9506000000023", "name.en": "", "address.countryCode": "C1", "name.zh-CN": ""},
    )
    assert bad.status_code == 422
    page = text_of(bad.get_data(as_text=True))
    assert "Please correct the fields marked below" in page
    assert "The check digit is wrong" in page and "Give it in Chinese or English" in page
    assert "Two capital letters" in page
    assert 'value="9506000000023"' in bad.get_data(as_text=True)
    assert count_rows(app, locations) == 0
    zh = admin.post("/locations/new", {"id": "nowhere", "name.zh-CN": "门店"}, lang="zh-CN")
    assert zh.status_code == 422 and "不是有效的 GLN 或地点标识" in zh.get_data(as_text=True)

    form = {
        "id": STORE_GLN,
        "name.zh-CN": "西湖门店",
        "name.en": "West Lake store",
        "address.countryCode": "CN",
        "address.city.zh-CN": "杭州",
        "address.city.en": "Hangzhou",
        "visibility.name": "public",
    }
    where = _redirect(admin.post("/locations/new", form))
    assert where.startswith("/locations?")
    listed = admin.page(where)
    assert "Created." in listed and "West Lake store" in listed
    assert f"https://id.gs1.org/414/{STORE_GLN}" in listed
    stored = api.get("/locations").get_json()["locations"]
    assert len(stored) == 1
    location = stored[0]
    assert location["name"] == {"zh-CN": "西湖门店", "en": "West Lake store"}
    assert location["address"] == {"countryCode": "CN", "city": {"zh-CN": "杭州", "en": "Hangzhou"}}
    assert location["visibility"] == {"name": "public", "address": "private"}
    assert "西湖门店" in admin.page("/locations", lang="zh-CN")

    taken = admin.post("/locations/new", form)
    assert taken.status_code == 409 and "Already taken" in taken.get_data(as_text=True)

    edit_path = f"/locations/{location['id']}/edit"
    edit = admin.page(edit_path)
    assert 'value="West Lake store"' in edit and 'value="Hangzhou"' in edit
    assert '<option value="private" selected>' in edit  # the address: private by default
    _redirect(
        admin.post(
            edit_path,
            {
                "id": STORE_GLN,
                "name.zh-CN": "西湖门店",
                "name.en": "Lakeside store",
                "visibility.name": "public",
                "visibility.address": "public",
            },
        )
    )
    changed = api.get(f"/locations/{location['id']}").get_json()
    assert changed["name"]["en"] == "Lakeside store"
    assert changed["address"] is None  # every address input blank: cleared
    assert changed["visibility"] == {"name": "public", "address": "public"}

    cleared = admin.post(edit_path, {"id": STORE_GLN, "name.zh-CN": "", "name.en": ""})
    assert cleared.status_code == 422
    assert api.get(f"/locations/{location['id']}").get_json()["name"]["en"] == "Lakeside store"

    gone = _redirect(admin.post(f"/locations/{location['id']}/delete"))
    listed = admin.page(gone)
    assert "Deleted." in listed and "Lakeside store" not in listed
    assert api.get("/locations").get_json()["locations"] == []


def test_another_merchants_place_is_out_of_reach(app: Flask, admin: Admin, other_api: Api) -> None:
    theirs = other_api.post(
        "/locations", {"id": STORE_GLN, "name": {"en": "Rival depot"}}
    ).get_json()
    assert "Rival depot" not in admin.page("/locations")
    assert admin.get(f"/locations/{theirs['id']}/edit").status_code == 404
    assert admin.post(f"/locations/{theirs['id']}/delete").status_code == 404
    assert count_rows(app, locations) == 1


def test_a_post_without_the_form_token_changes_nothing(app: Flask, admin: Admin) -> None:
    response = admin.client.post(
        ADMIN + "/locations/new",
        data={"id": STORE_GLN, "name.en": "Store"},
        headers=admin.headers("en"),
    )
    assert response.status_code == 400
    assert count_rows(app, locations) == 0


def test_the_menu_leads_to_the_places(admin: Admin) -> None:
    assert f'href="{ADMIN}/locations?lang=en"' in admin.page("/")
    assert "追溯节点" in admin.page("/locations", lang="zh-CN")
