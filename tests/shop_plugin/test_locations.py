"""Locations: the merchant API (CRUD, place id forms, validation, conflicts, tenants) and the
place names the public trace shows (public ones only, never a place id, fresh after edits)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from shoptrace.sdk.epcis import events as ev
from shoptrace.shop_plugin.services.locations import (
    create_location,
    delete_location,
    update_location,
)
from shoptrace.shop_plugin.store.tables import locations
from tests.shop_plugin.epcis_helpers import unit_uri
from tests.shop_plugin.helpers import API, Api, add_merchant, count_rows
from tests.shop_plugin.resolver_helpers import Shop, capture, flush_scans, make_shop

STORE_GLN = "9506000000022"  # the store of epcis_helpers.supply_chain (STORE)
STORE_PLACE = f"https://id.gs1.org/414/{STORE_GLN}"
FACTORY_PLACE = "https://id.gs1.org/414/9506000000015"
FARM_URN = "urn:epc:id:sgln:9506000.00009.0"
JSON = {"Accept": "application/json"}
BROWSER = {"Accept": "text/html,application/xhtml+xml", "Accept-Language": "en"}
PLACE_IDS = re.compile(r"414/|sgln|9506000000\d{3}")


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"SHOPTRACE_PUBLIC_RATE_LIMIT": "", "SHOPTRACE_RESOLVER_STATE_TTL": 0}


def _body(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": STORE_GLN,
        "name": {"zh-CN": "西湖门店", "en": "West Lake store"},
        "address": {
            "countryCode": "CN",
            "region": {"zh-CN": "浙江省", "en": "Zhejiang"},
            "city": {"zh-CN": "杭州", "en": "Hangzhou"},
        },
        "visibility": {"name": "public", "address": "public"},
    }
    body.update(fields)
    return body


def _delete(api: Api, path: str) -> Any:
    return api.client.delete(api.url(path), headers=api.headers())


# --- merchant API ------------------------------------------------------------------------------


def test_create_answers_the_stored_location_with_its_canonical_place(api: Api) -> None:
    response = api.post("/locations", _body())
    assert response.status_code == 201
    location = response.get_json()
    assert response.headers["Location"] == f"{API}/locations/{location['id']}"
    assert location["placeId"] == STORE_PLACE
    assert location["name"] == {"zh-CN": "西湖门店", "en": "West Lake store"}
    assert location["address"]["city"] == {"zh-CN": "杭州", "en": "Hangzhou"}
    assert location["address"]["countryCode"] == "CN"
    assert location["visibility"] == {"name": "public", "address": "public"}
    assert location["createdAt"] and location["updatedAt"]
    fetched = api.get(f"/locations/{location['id']}")
    assert fetched.status_code == 200 and fetched.get_json() == location


def test_name_and_address_are_private_until_opened(api: Api) -> None:
    location = api.post("/locations", {"id": STORE_GLN, "name": {"en": "Depot"}}).get_json()
    assert location["visibility"] == {"name": "private", "address": "private"}
    assert location["address"] is None
    changed = api.patch(f"/locations/{location['id']}", {"visibility": {"name": "public"}})
    assert changed.get_json()["visibility"] == {"name": "public", "address": "private"}


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        (STORE_GLN, STORE_PLACE),
        ("urn:epc:id:sgln:9506000.00002.0", STORE_PLACE),
        ("urn:epc:id:sgln:9506000.00002.7", STORE_PLACE + "/254/7"),
        (STORE_PLACE, STORE_PLACE),
        (f"https://shop.example.com/trace/414/{STORE_GLN}/254/A1", STORE_PLACE + "/254/A1"),
    ],
)
def test_every_form_of_place_id_is_kept_as_the_event_store_keeps_it(
    api: Api, given: str, stored: str
) -> None:
    response = api.post("/locations", _body(id=given))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["placeId"] == stored
    found = api.get("/locations", query_string={"place": given}).get_json()["locations"]
    assert [loc["placeId"] for loc in found] == [stored]


@pytest.mark.parametrize(
    ("body", "field", "rule"),
    [
        (_body(id="9506000000023"), "id", "check-digit"),
        (_body(id="950600000002"), "id", "place-id"),
        (_body(id="urn:epc:id:sgtin:9506000.013435.1"), "id", "place-id"),
        (_body(id="https://id.gs1.org/01/09506000134352"), "id", "place-id"),
        (_body(id="https://id.gs1.org/414/9506000000023"), "id", "place-id"),
        (_body(id="urn:epc:id:sgln:9506000.0002.0"), "id", "place-id"),
        (_body(id=9506000000022), "id", "type"),
        (_body(id="x" * 501), "id", "max-length"),
        (_body(name={}), "name", "required-language"),
        (_body(name={"fr": "Magasin"}), "name.fr", "unknown-field"),
        (_body(name=None), "name", "type"),
        (_body(address={"countryCode": "cn"}), "address.countryCode", "iso-3166-alpha-2"),
        (_body(address={"street": "1 Main St"}), "address.street", "unknown-field"),
        (_body(address={"city": {"en": "x" * 101}}), "address.city.en", "max-length"),
        (_body(visibility={"name": "everyone"}), "visibility.name", "enum"),
        (_body(visibility={"street": "public"}), "visibility.street", "unknown-field"),
        (_body(placeId=STORE_PLACE), "placeId", "unknown-field"),
    ],
)
def test_bad_input_is_a_422_naming_field_and_rule_and_writes_nothing(
    app: Flask, api: Api, body: dict[str, Any], field: str, rule: str
) -> None:
    response = api.post("/locations", body)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    errors = response.get_json()["errors"]
    assert {"field": field, "rule": rule} in [
        {"field": e["field"], "rule": e["rule"]} for e in errors
    ]
    assert count_rows(app, locations) == 0


def test_missing_members_are_all_reported(api: Api) -> None:
    response = api.post("/locations", {})
    assert response.status_code == 422
    fields = {(e["field"], e["rule"]) for e in response.get_json()["errors"]}
    assert fields == {("id", "required"), ("name", "required")}


@pytest.mark.parametrize("raw", [b"not json", b"[1, 2]", b'"text"', b"null"])
def test_malformed_bodies_are_problems_not_500(api: Api, raw: bytes) -> None:
    response = api.client.post(
        api.url("/locations"),
        data=raw,
        headers=api.headers({"Content-Type": "application/json"}),
    )
    assert response.status_code in (400, 422)
    assert response.mimetype == "application/problem+json"


def test_a_bad_place_filter_is_a_400_naming_it(api: Api) -> None:
    response = api.get("/locations", query_string={"place": "nowhere"})
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["field"] == "place"


def test_the_same_place_twice_is_a_409_whatever_its_form(app: Flask, api: Api) -> None:
    first = api.post("/locations", _body()).get_json()
    response = api.post("/locations", _body(id="urn:epc:id:sgln:9506000.00002.0"))
    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["errors"][0]["field"] == "id"
    assert response.get_json()["errors"][0]["rule"] == "unique"
    other = api.post("/locations", _body(id=FARM_URN)).get_json()
    moved = api.patch(f"/locations/{other['id']}", {"id": STORE_GLN})
    assert moved.status_code == 409
    assert api.get(f"/locations/{other['id']}").get_json()["placeId"] != first["placeId"]
    assert count_rows(app, locations) == 2


def test_idempotent_create_replays_the_first_answer(app: Flask, api: Api) -> None:
    key = {"Idempotency-Key": "store-1"}
    first = api.post("/locations", _body(), headers=key)
    again = api.post("/locations", _body(), headers=key)
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert count_rows(app, locations) == 1


def test_patch_changes_given_members_only_and_delete_removes(app: Flask, api: Api) -> None:
    location = api.post("/locations", _body()).get_json()
    path = f"/locations/{location['id']}"
    changed = api.patch(path, {"name": {"en": "Lakeside"}, "address": None})
    assert changed.status_code == 200
    body = changed.get_json()
    assert body["name"] == {"en": "Lakeside"}
    assert body["address"] is None
    assert body["visibility"] == location["visibility"]
    assert body["placeId"] == STORE_PLACE
    assert body["updatedAt"] >= location["updatedAt"]
    assert api.patch(path, {"name": None}).status_code == 422
    deleted = _delete(api, path)
    assert deleted.status_code == 200 and deleted.get_json() == {
        "id": location["id"],
        "deleted": True,
    }
    assert api.get(path).status_code == 404
    assert _delete(api, path).status_code == 404
    assert api.patch(path, {"name": {"en": "Back"}}).status_code == 404
    assert api.get("/locations").get_json()["locations"] == []
    # The row stays without its names (the resolver's validator reads its stamp)...
    with app.extensions["shoptrace"].store.read() as conn:
        (kept,) = conn.execute(sa.select(locations)).all()
    assert kept.deleted_at is not None and kept.updated_at >= kept.created_at
    assert (kept.name_zh, kept.name_en, kept.address, kept.visibility) == (None, None, None, {})
    # ... and the place can be named again.
    again = api.post("/locations", _body(id="urn:epc:id:sgln:9506000.00002.0"))
    assert again.status_code == 201, again.get_json()
    assert again.get_json()["placeId"] == STORE_PLACE
    assert count_rows(app, locations) == 1


def test_list_pages_with_token_and_link(api: Api) -> None:
    glns = ["9506000000022", "9506000000015", "9506000000091"]
    for gln in glns:
        api.post("/locations", _body(id=gln))
    first = api.get("/locations?pageSize=2")
    page = first.get_json()
    assert [loc["placeId"][-13:] for loc in page["locations"]] == glns[:2]
    assert page["nextPageToken"] and first.headers["Link"].endswith('rel="next"')
    rest = api.get(f"/locations?pageSize=2&pageToken={page['nextPageToken']}").get_json()
    assert [loc["placeId"][-13:] for loc in rest["locations"]] == glns[2:]
    assert rest["nextPageToken"] is None


def test_another_merchants_location_is_invisible_and_unusable(api: Api, other_api: Api) -> None:
    mine = api.post("/locations", _body()).get_json()
    path = f"/locations/{mine['id']}"
    assert other_api.get(path).status_code == 404
    assert other_api.patch(path, {"name": {"en": "Taken"}}).status_code == 404
    assert _delete(other_api, path).status_code == 404
    assert other_api.get("/locations").get_json()["locations"] == []
    assert other_api.get("/locations", query_string={"place": STORE_GLN}).get_json() == {
        "locations": [],
        "nextPageToken": None,
    }
    # The same place is the other merchant's to name for itself.
    theirs = other_api.post("/locations", _body(name={"en": "Rival depot"}))
    assert theirs.status_code == 201
    assert api.get(path).get_json()["name"] == mine["name"]
    assert [loc["id"] for loc in api.get("/locations").get_json()["locations"]] == [mine["id"]]


def test_unauthenticated_requests_are_refused(client: FlaskClient) -> None:
    response = client.get(f"{API}/locations")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


def test_the_openapi_document_describes_the_operations(client: FlaskClient) -> None:
    doc = client.get(f"{API}/openapi.json").get_json()
    ops = {op["operationId"] for item in doc["paths"].values() for op in item.values()}
    assert {
        "list_locations",
        "create_location",
        "get_location",
        "update_location",
        "delete_location",
    } <= ops
    assert "409" in doc["paths"]["/locations"]["post"]["responses"]
    assert set(doc["components"]["schemas"]["LocationVisibility"]["properties"]) == {
        "name",
        "address",
    }


# --- the public trace --------------------------------------------------------------------------


@pytest.fixture
def shop(app: Flask) -> Iterator[Shop]:
    yield make_shop(app)
    flush_scans(app)  # no scan left to store after the test


def _name(app: Flask, merchant_id: int, body: dict[str, Any]) -> dict[str, Any]:
    with app.extensions["shoptrace"].store.begin() as conn:
        return create_location(conn, merchant_id, body)


def _public(client: FlaskClient, path: str, lang: str) -> dict[str, Any]:
    response = client.get(f"{path}?lang={lang}", headers=JSON)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert not PLACE_IDS.search(text), PLACE_IDS.search(text)
    body: dict[str, Any] = json.loads(text)
    return body


def _places(body: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(step["step"], step.get("place")) for step in body["timeline"]]


def test_public_places_show_in_both_languages_and_private_ones_never(
    app: Flask, client: FlaskClient, shop: Shop
) -> None:
    _name(app, shop.merchant_id, _body())
    _name(
        app,
        shop.merchant_id,
        {"id": FARM_URN, "name": {"zh-CN": "龙井茶园"}, "visibility": {"name": "public"}},
    )
    # Named, but private (the default): a trade secret.
    _name(app, shop.merchant_id, {"id": FACTORY_PLACE, "name": {"en": "Secret factory"}})
    en = _public(client, shop.unit(), "en")
    steps = _places(en)
    assert ("receiving", "West Lake store, Hangzhou") in steps
    assert ("retail_selling", "West Lake store, Hangzhou") in steps
    assert steps[0] == ("commissioning", "龙井茶园")  # the input's origin: zh-CN only
    assert en["now"]["place"] == "West Lake store, Hangzhou"
    assert ("packing", None) in steps  # at the factory, whose name is private
    zh = _public(client, shop.unit(), "zh-CN")
    assert ("retail_selling", "西湖门店，杭州") in _places(zh)
    assert zh["now"]["place"] == "西湖门店，杭州"
    for body in (en, zh):
        assert "Secret factory" not in json.dumps(body, ensure_ascii=False)
        assert "Zhejiang" not in json.dumps(body) and "浙江" not in json.dumps(
            body, ensure_ascii=False
        )
    lot = _public(client, shop.lot_path, "zh-CN")
    assert ("commissioning", "龙井茶园") in _places(lot)


def test_a_public_name_without_a_public_address_has_no_city(
    app: Flask, client: FlaskClient, shop: Shop
) -> None:
    _name(app, shop.merchant_id, _body(visibility={"name": "public", "address": "partner"}))
    body = _public(client, shop.unit(), "en")
    assert body["now"]["place"] == "West Lake store"
    assert "Hangzhou" not in json.dumps(body)


def test_nothing_named_means_no_place_at_all(client: FlaskClient, shop: Shop) -> None:
    body = _public(client, shop.unit(), "en")
    assert all("place" not in step for step in body["timeline"])
    assert "place" not in body["now"]


def test_another_merchants_name_for_the_place_is_not_shown(
    app: Flask, client: FlaskClient, shop: Shop
) -> None:
    rival, _key = add_merchant(app, "Rival")
    _name(app, rival, _body(name={"en": "Rival depot", "zh-CN": "对手仓库"}))
    body = _public(client, shop.unit(), "en")
    assert "Rival depot" not in json.dumps(body)
    assert "place" not in body["now"]


def test_the_trace_page_shows_the_public_place(app: Flask, client: FlaskClient, shop: Shop) -> None:
    _name(app, shop.merchant_id, _body())
    _name(app, shop.merchant_id, {"id": FACTORY_PLACE, "name": {"en": "Secret factory"}})
    response = client.get(shop.unit(), headers=BROWSER)
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "West Lake store, Hangzhou" in html
    assert "Secret factory" not in html
    assert not PLACE_IDS.search(html)
    zh = client.get(shop.unit() + "?lang=zh-CN", headers=BROWSER).get_data(as_text=True)
    assert "西湖门店，杭州" in zh


def test_creating_changing_and_deleting_a_location_changes_the_next_answer(
    app: Flask, client: FlaskClient, shop: Shop, api: Api
) -> None:
    def etag() -> str:
        flush_scans(app)  # a GET is a scan, which changes the unit's ETag when stored
        tag: str = client.head(shop.unit(), headers=JSON).headers["ETag"]
        return tag

    before = etag()
    assert etag() == before  # nothing changed: the same validator
    made = _name(app, shop.merchant_id, _body())
    created = etag()
    assert created != before
    assert _public(client, shop.unit(), "en")["now"]["place"] == "West Lake store, Hangzhou"
    with app.extensions["shoptrace"].store.begin() as conn:
        update_location(conn, shop.merchant_id, made["id"], {"visibility": {"name": "private"}})
    hidden = etag()
    assert hidden not in (before, created)
    assert "place" not in _public(client, shop.unit(), "en")["now"]
    with app.extensions["shoptrace"].store.begin() as conn:
        update_location(conn, shop.merchant_id, made["id"], {"visibility": {"name": "public"}})
    assert _public(client, shop.unit(), "en")["now"]["place"] == "West Lake store, Hangzhou"
    shown = etag()
    with app.extensions["shoptrace"].store.begin() as conn:
        delete_location(conn, shop.merchant_id, made["id"])
    assert etag() not in (created, hidden, shown)
    assert "place" not in _public(client, shop.unit(), "en")["now"]
    # Another merchant's locations leave this trace's validator alone.
    gone = etag()
    api.post("/locations", _body())
    assert etag() == gone


def test_a_conditional_request_after_an_edit_gets_the_new_body(
    app: Flask, client: FlaskClient, shop: Shop
) -> None:
    tag = client.head(shop.unit() + "?lang=en", headers=JSON).headers["ETag"]
    cached = client.get(shop.unit() + "?lang=en", headers={**JSON, "If-None-Match": tag})
    assert cached.status_code == 304
    flush_scans(app)
    tag = client.head(shop.unit() + "?lang=en", headers=JSON).headers["ETag"]
    _name(app, shop.merchant_id, _body())
    again = client.get(shop.unit() + "?lang=en", headers={**JSON, "If-None-Match": tag})
    assert again.status_code == 200 and again.headers["ETag"] != tag
    assert again.get_json()["now"]["place"] == "West Lake store, Hangzhou"


def test_a_unit_in_transit_is_not_placed_where_it_was(
    app: Flask, client: FlaskClient, shop: Shop
) -> None:
    _name(app, shop.merchant_id, _body())
    assert _public(client, shop.unit(), "en")["now"]["place"] == "West Lake store, Hangzhou"
    # Shipped on from the store: the latest event has no business location.
    shipped = ev.object_event(
        "OBSERVE",
        epcs=[unit_uri(shop.serials[0])],
        biz_step="shipping",
        disposition="in_transit",
        event_time=datetime(2030, 1, 1, tzinfo=UTC),
    )
    capture(app, shop.merchant_id, [shipped])
    body = _public(client, shop.unit(), "en")
    assert body["timeline"][-1]["step"] == "shipping"
    assert "place" not in body["now"]
    assert ("retail_selling", "West Lake store, Hangzhou") in _places(body)
