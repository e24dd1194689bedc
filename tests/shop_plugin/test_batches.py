"""Batches API: lots with dates, origin, producer, reports and certificates."""

from __future__ import annotations

from datetime import date

import pytest

from shoptrace.shop_plugin.store.tables import batches
from tests.shop_plugin.helpers import API, GTIN, GTIN2, Api, count_rows

FULL = {
    "lot": "LOT-2025/07",
    "productionDate": "2025-07-01",
    "expiryDate": "2026-06-30",
    "origin": {"place": {"zh-CN": "山东烟台", "en": "Yantai, Shandong"}, "countryCode": "CN"},
    "producer": {
        "name": {"zh-CN": "烟台果业", "en": "Yantai Orchards"},
        "gln": "9506000000015",
        "licenseNumber": "SC123",
    },
    "inspectionReports": [
        {"issuer": "SGS", "number": "R-1", "date": "2025-07-02", "result": "pass"}
    ],
    "certifications": [
        {"scheme": "GAP", "issuer": "CQC", "number": "G-1", "verification": "self-declared"}
    ],
    "visibility": {"producer": "partner"},
}


def test_create_and_read_a_batch(api: Api) -> None:
    product = api.product()
    response = api.post("/batches", {"productId": product["id"], **FULL})
    assert response.status_code == 201, response.get_json()
    batch = response.get_json()
    assert response.headers["Location"] == f"{API}/batches/{batch['id']}"
    assert batch["gtin"] == GTIN
    assert batch["lot"] == "LOT-2025/07"
    assert batch["productionDate"] == "2025-07-01"
    assert batch["expiryDate"] == "2026-06-30"
    assert batch["origin"]["place"]["en"] == "Yantai, Shandong"
    assert batch["producer"]["gln"] == "9506000000015"
    assert batch["inspectionReports"][0]["result"] == "pass"
    assert batch["certifications"][0]["verification"] == "self-declared"
    assert batch["visibility"]["producer"] == "partner"
    assert batch["visibility"]["origin"] == "public"
    assert batch["codesIssued"] == 0
    assert api.get(f"/batches/{batch['id']}").get_json() == batch


def test_list_filters_by_product_and_lot_and_pages(api: Api) -> None:
    first = api.product()
    second = api.product(GTIN2)
    made = [api.batch(first["id"], f"L{i}") for i in range(3)]
    other = api.batch(second["id"], "L0")
    listed = api.get(f"/batches?productId={first['id']}&pageSize=2")
    page = listed.get_json()
    assert [b["id"] for b in page["batches"]] == [made[0]["id"], made[1]["id"]]
    assert f"productId={first['id']}" in listed.headers["Link"]
    rest = api.get(f"/batches?productId={first['id']}&pageSize=2&pageToken={page['nextPageToken']}")
    assert [b["id"] for b in rest.get_json()["batches"]] == [made[2]["id"]]
    by_lot = api.get("/batches?lot=L0").get_json()["batches"]
    assert {b["id"] for b in by_lot} == {made[0]["id"], other["id"]}


def test_patch_changes_dates_and_keeps_product_and_lot(api: Api) -> None:
    batch = api.batch(api.product()["id"], **{k: FULL[k] for k in ("productionDate", "expiryDate")})
    response = api.patch(f"/batches/{batch['id']}", {"expiryDate": "2026-12-31", "origin": None})
    assert response.status_code == 200
    assert response.get_json()["expiryDate"] == "2026-12-31"
    refused = api.patch(f"/batches/{batch['id']}", {"lot": "OTHER"})
    assert refused.status_code == 422
    assert refused.get_json()["errors"][0] == {
        "field": "lot",
        "rule": "immutable",
        "detail": refused.get_json()["errors"][0]["detail"],
    }
    early = api.patch(f"/batches/{batch['id']}", {"expiryDate": "2025-06-30"})
    assert early.status_code == 422
    assert early.get_json()["errors"][0]["rule"] == "date-order"
    assert api.get(f"/batches/{batch['id']}").get_json()["expiryDate"] == "2026-12-31"


def test_same_lot_twice_for_a_product_is_a_conflict(api: Api) -> None:
    product = api.product()
    api.batch(product["id"], "L1")
    response = api.post("/batches", {"productId": product["id"], "lot": "L1"})
    assert response.status_code == 409
    assert response.get_json()["errors"][0]["field"] == "lot"
    assert api.batch(api.product(GTIN2)["id"], "L1")["lot"] == "L1"


def test_another_merchants_product_is_not_found_and_nothing_is_written(
    api: Api, other_api: Api
) -> None:
    product = api.product()
    response = other_api.post("/batches", {"productId": product["id"], "lot": "L1"})
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "productId"
    assert response.get_json()["errors"][0]["rule"] == "not-found"
    assert count_rows(api.client.application, batches) == 0


@pytest.mark.parametrize(
    ("change", "field", "rule"),
    [
        ({"lot": ""}, "lot", "gs1-ai-10"),
        ({"lot": "L" * 21}, "lot", "gs1-ai-10"),
        ({"lot": "LOT 1"}, "lot", "gs1-ai-10"),
        ({"lot": "批次1"}, "lot", "gs1-ai-10"),
        ({"lot": 42}, "lot", "type"),
        ({"productId": "1"}, "productId", "type"),
        ({"productId": 0}, "productId", "minimum"),
        ({"productId": 2**70}, "productId", "maximum"),
        ({"productionDate": "2025-13-01"}, "productionDate", "date"),
        ({"productionDate": "20250701"}, "productionDate", "date"),
        ({"expiryDate": "1960-01-01"}, "expiryDate", "gs1-ai-17"),
        ({"expiryDate": "2025-06-30"}, "expiryDate", "date-order"),
        ({"origin": {"countryCode": "CN"}}, "origin.place", "required"),
        (
            {"origin": {"place": {"en": "x"}, "countryCode": "cn"}},
            "origin.countryCode",
            "iso-3166-alpha-2",
        ),
        ({"producer": {"name": {"en": "x"}, "gln": "123"}}, "producer.gln", "gs1-ai-414"),
        (
            {
                "inspectionReports": [
                    {"issuer": "x", "number": "1", "date": "2025-01-01", "result": "ok"}
                ]
            },
            "inspectionReports[0].result",
            "enum",
        ),
        ({"inspectionReports": None}, "inspectionReports", "type"),
        ({"visibility": {"lot": "private"}}, "visibility.lot", "unknown-field"),
        ({"size": "L"}, "size", "unknown-field"),
    ],
)
def test_bad_batches_are_422_naming_field_and_rule(
    api: Api, change: dict[str, object], field: str, rule: str
) -> None:
    product = api.product()
    body = {"productId": product["id"], "lot": "L1", "productionDate": "2025-07-01", **change}
    response = api.post("/batches", body)
    assert response.status_code == 422, response.get_json()
    assert (field, rule) in [(e["field"], e["rule"]) for e in response.get_json()["errors"]]
    assert count_rows(api.client.application, batches) == 0


def test_a_year_gs1_cannot_write_is_refused_but_near_dates_pass(api: Api) -> None:
    product = api.product()
    soon = date.today().replace(day=1).isoformat()
    ok = api.post("/batches", {"productId": product["id"], "lot": "L1", "expiryDate": soon})
    assert ok.status_code == 201
    far = f"{date.today().year + 60}-01-01"
    response = api.post("/batches", {"productId": product["id"], "lot": "L2", "expiryDate": far})
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["rule"] == "gs1-ai-17"


def test_bad_filters_are_400(api: Api) -> None:
    assert api.get("/batches?productId=abc").get_json()["errors"][0]["field"] == "productId"
    assert api.get("/batches?lot=a%20b").get_json()["errors"][0]["field"] == "lot"
