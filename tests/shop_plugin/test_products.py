"""Products API: create, read, list with pages, change, and every kind of bad input."""

from __future__ import annotations

import json

import pytest

from shoptrace.sdk.gs1 import check_digit
from shoptrace.shop_plugin.store.tables import products
from tests.shop_plugin.helpers import API, GTIN, GTIN2, Api, count_rows


def _body(**fields: object) -> dict[str, object]:
    body: dict[str, object] = {
        "gtin": GTIN,
        "name": {"zh-CN": "有机苹果", "en": "Organic apples"},
        "description": {"zh-CN": "山东烟台\n有机种植", "en": "Grown in Yantai"},
        "category": "edible-agricultural-products",
        "listingUrl": "https://shop.example.com/p/apple",
        "shopProductId": "sku-1",
        "certifications": [
            {
                "scheme": "organic",
                "issuer": "CQC",
                "number": "ORG-1",
                "validFrom": "2025-01-01",
                "validUntil": "2027-12-31",
                "verification": "third-party-verified",
            }
        ],
        "visibility": {"shopProductId": "private", "certifications": "partner"},
    }
    body.update(fields)
    return body


def test_create_answers_the_stored_product_with_location(api: Api) -> None:
    response = api.post("/products", _body())
    assert response.status_code == 201
    product = response.get_json()
    assert response.headers["Location"] == f"{API}/products/{product['id']}"
    assert product["gtin"] == GTIN
    assert product["name"] == {"zh-CN": "有机苹果", "en": "Organic apples"}
    assert product["description"]["zh-CN"] == "山东烟台\n有机种植"
    assert product["category"] == "edible-agricultural-products"
    assert product["certifications"][0]["validUntil"] == "2027-12-31"
    assert product["visibility"] == {
        "name": "public",
        "description": "public",
        "category": "public",
        "listingUrl": "public",
        "shopProductId": "private",
        "certifications": "partner",
    }
    fetched = api.get(f"/products/{product['id']}")
    assert fetched.status_code == 200
    assert fetched.get_json() == product


def test_list_pages_with_token_and_link_keeping_filters(api: Api) -> None:
    gtins = []
    for i in range(5):
        body = f"0950600{i:06d}"
        gtins.append(body + check_digit(body))
        api.product(gtins[-1], category="food" if i % 2 else "drugs")
    first = api.get("/products?pageSize=2")
    assert first.status_code == 200
    page = first.get_json()
    assert [p["gtin"] for p in page["products"]] == gtins[:2]
    token = page["nextPageToken"]
    assert token
    link = first.headers["Link"]
    assert link.endswith('>; rel="next"')
    assert "pageSize=2" in link and f"pageToken={token}" in link
    second = api.get(f"/products?pageSize=2&pageToken={token}").get_json()
    assert [p["gtin"] for p in second["products"]] == gtins[2:4]
    last = api.get(f"/products?pageSize=2&pageToken={second['nextPageToken']}")
    assert [p["gtin"] for p in last.get_json()["products"]] == gtins[4:]
    assert last.get_json()["nextPageToken"] is None
    assert "Link" not in last.headers
    drugs = api.get("/products?category=drugs").get_json()["products"]
    assert [p["gtin"] for p in drugs] == [gtins[0], gtins[2], gtins[4]]
    one = api.get(f"/products?gtin={gtins[3]}").get_json()["products"]
    assert [p["gtin"] for p in one] == [gtins[3]]


def test_patch_changes_given_members_only(api: Api) -> None:
    product = api.product(shopProductId="sku-9", visibility={"name": "partner"})
    response = api.patch(
        f"/products/{product['id']}",
        {"name": {"en": "Apples"}, "listingUrl": None, "visibility": {"description": "private"}},
    )
    assert response.status_code == 200
    changed = response.get_json()
    assert changed["name"] == {"en": "Apples"}
    assert changed["listingUrl"] is None
    assert changed["shopProductId"] == "sku-9"
    assert changed["visibility"]["name"] == "partner"
    assert changed["visibility"]["description"] == "private"
    assert changed["updatedAt"] >= product["updatedAt"]


def test_patch_refuses_a_new_gtin(api: Api) -> None:
    product = api.product()
    response = api.patch(f"/products/{product['id']}", {"gtin": GTIN2})
    assert response.status_code == 422
    assert response.get_json()["errors"] == [
        {"field": "gtin", "rule": "immutable", "detail": response.get_json()["errors"][0]["detail"]}
    ]
    assert api.get(f"/products/{product['id']}").get_json()["gtin"] == GTIN


def test_same_gtin_twice_is_a_conflict_naming_the_field(api: Api) -> None:
    api.product()
    response = api.post("/products", _body())
    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["errors"][0]["field"] == "gtin"
    assert response.get_json()["errors"][0]["rule"] == "unique"


@pytest.mark.parametrize(
    ("change", "field", "rule"),
    [
        ({"gtin": "09506000134353"}, "gtin", "check-digit"),
        ({"gtin": "9506000134352"}, "gtin", "gtin-14"),
        ({"gtin": "0950600013435X"}, "gtin", "gtin-14"),
        ({"gtin": 9506000134352}, "gtin", "type"),
        ({"category": "toys"}, "category", "enum"),
        ({"category": None}, "category", "type"),
        ({"name": {}}, "name", "required-language"),
        ({"name": {"fr": "pommes"}}, "name.fr", "unknown-field"),
        ({"name": "apples"}, "name", "type"),
        ({"name": {"en": "x" * 201}}, "name.en", "max-length"),
        ({"name": {"en": "a\u0000b"}}, "name.en", "characters"),
        ({"name": {"en": "a\ud800b"}}, "name.en", "characters"),
        ({"name": {"en": "two\nlines"}}, "name.en", "characters"),
        ({"name": {"en": "two\u2028lines"}}, "name.en", "characters"),
        ({"name": {"zh-CN": "两\u2029段"}}, "name.zh-CN", "characters"),
        ({"listingUrl": "javascript:alert(1)"}, "listingUrl", "url"),
        ({"listingUrl": 5}, "listingUrl", "type"),
        ({"certifications": {}}, "certifications", "type"),
        ({"certifications": [{"scheme": "x"}]}, "certifications[0].issuer", "required"),
        (
            {
                "certifications": [
                    {
                        "scheme": "GAP",
                        "issuer": "x",
                        "number": "1",
                        "verification": "trust-me",
                    }
                ]
            },
            "certifications[0].verification",
            "enum",
        ),
        (
            {
                "certifications": [
                    {
                        "scheme": "GAP",
                        "issuer": "x",
                        "number": "1",
                        "verification": "self-declared",
                        "validFrom": "2026-01-01",
                        "validUntil": "2025-01-01",
                    }
                ]
            },
            "certifications[0].validUntil",
            "date-order",
        ),
        (
            {
                "certifications": [
                    {
                        "scheme": "GAP",
                        "issuer": "x",
                        "number": "1",
                        "verification": "self-declared",
                        "validFrom": "2025-02-30",
                    }
                ]
            },
            "certifications[0].validFrom",
            "date",
        ),
        ({"visibility": {"name": "everyone"}}, "visibility.name", "enum"),
        ({"visibility": {"gtin": "private"}}, "visibility.gtin", "unknown-field"),
        ({"colour": "red"}, "colour", "unknown-field"),
    ],
)
def test_bad_input_is_a_422_naming_field_and_rule_and_writes_nothing(
    api: Api, change: dict[str, object], field: str, rule: str
) -> None:
    response = api.post("/products", _body(**change))
    assert response.status_code == 422, response.get_json()
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["status"] == 422
    assert problem["type"] == "about:blank"
    assert problem["instance"] == f"{API}/products"
    assert {"field": field, "rule": rule} in [
        {"field": e["field"], "rule": e["rule"]} for e in problem["errors"]
    ]
    assert field in problem["detail"]
    assert count_rows(api.client.application, products) == 0


def test_missing_required_members_are_all_reported(api: Api) -> None:
    response = api.post("/products", {})
    assert response.status_code == 422
    fields = {(e["field"], e["rule"]) for e in response.get_json()["errors"]}
    assert fields == {("gtin", "required"), ("name", "required"), ("category", "required")}


@pytest.mark.parametrize("body", [[], "text", 5, None])
def test_a_body_that_is_not_an_object_is_a_422(api: Api, body: object) -> None:
    response = api.client.post(
        f"{API}/products",
        data=json.dumps(body),
        headers=api.headers(),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["rule"] == "type"


@pytest.mark.parametrize(
    ("data", "content_type", "status", "rule"),
    [
        (b"{not json", "application/json", 400, "json"),
        (b'{"gtin": NaN}', "application/json", 400, "json"),
        (b"\xff\xfe", "application/json", 400, "json"),
        (b"[" * 100_000 + b"]" * 100_000, "application/json", 400, "json"),
        (b"gtin=1", "application/x-www-form-urlencoded", 415, "media-type"),
    ],
)
def test_malformed_bodies_are_problems_not_500(
    api: Api, data: bytes, content_type: str, status: int, rule: str
) -> None:
    response = api.client.post(
        f"{API}/products", data=data, headers=api.headers(), content_type=content_type
    )
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["errors"][0]["rule"] == rule


def test_oversize_body_is_a_413(api: Api) -> None:
    body = json.dumps(_body(description={"en": "x" * 2_000_000}))
    response = api.client.post(
        f"{API}/products", data=body, headers=api.headers(), content_type="application/json"
    )
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == 413
    assert response.get_json()["errors"][0]["rule"] == "max-bytes"
    assert count_rows(api.client.application, products) == 0


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("pageSize=0", "pageSize"),
        ("pageSize=501", "pageSize"),
        ("pageSize=abc", "pageSize"),
        ("pageToken=garbage!!", "pageToken"),
        ("pageToken=djE6LTE", "pageToken"),
        ("gtin=123", "gtin"),
        ("category=toys", "category"),
    ],
)
def test_bad_query_parameters_are_400_naming_them(api: Api, query: str, field: str) -> None:
    response = api.get(f"/products?{query}")
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["field"] == field


@pytest.mark.parametrize("path", ["/products/0", "/products/99", "/products/99999999999999999999"])
def test_unknown_ids_are_404_problems(api: Api, path: str) -> None:
    response = api.get(path)
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["instance"] == API + path
    if path == "/products/99":
        assert response.get_json()["errors"][0]["field"] == "product_id"
        assert response.get_json()["errors"][0]["rule"] == "not-found"
