"""No input produces a 500: arbitrary JSON bodies, paths and query strings."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.shop_plugin.helpers import API, GTIN, Api

any_text = st.text(st.characters(exclude_categories=()), max_size=30)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False)
    | any_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(any_text, inner, max_size=4),
    max_leaves=12,
)
FIELDS = [
    "gtin",
    "name",
    "description",
    "category",
    "listingUrl",
    "certifications",
    "visibility",
    "productId",
    "lot",
    "productionDate",
    "expiryDate",
    "origin",
    "producer",
    "inspectionReports",
    "count",
]
bodies = json_values | st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=6)
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _assert_handled(response: Any) -> None:
    assert response.status_code < 500, response.get_data(as_text=True)
    if response.status_code >= 400:
        assert response.mimetype == "application/problem+json"
        assert response.get_json()["status"] == response.status_code


@FUZZ
@given(body=bodies)
def test_any_body_to_any_write_endpoint_is_answered_without_500(api: Api, body: Any) -> None:
    product = api.get(f"/products?gtin={GTIN}").get_json()["products"]
    product_id = product[0]["id"] if product else api.product()["id"]
    batches = api.get("/batches?lot=FUZZ").get_json()["batches"]
    batch_id = batches[0]["id"] if batches else api.batch(product_id, "FUZZ")["id"]
    for method, path in (
        ("POST", "/products"),
        ("POST", "/batches"),
        ("PATCH", f"/products/{product_id}"),
        ("PATCH", f"/batches/{batch_id}"),
        ("POST", f"/batches/{batch_id}/codes"),
    ):
        _assert_handled(
            api.client.open(API + path, method=method, json=body, headers=api.headers())
        )


@FUZZ
@given(
    segment=st.text(max_size=25),
    query=st.dictionaries(
        st.sampled_from(
            [
                "pageSize",
                "pageToken",
                "gtin",
                "category",
                "productId",
                "lot",
                "issuance",
                "layout",
                "lang",
            ]
        ),
        st.text(max_size=25),
        max_size=3,
    ),
    method=st.sampled_from(["GET", "POST", "PATCH", "DELETE", "PUT"]),
)
def test_any_path_and_query_is_answered_without_500(
    api: Api, segment: str, query: dict[str, str], method: str
) -> None:
    qs = "&".join(f"{quote(k)}={quote(v)}" for k, v in query.items())
    for template in (
        "/products/{}",
        "/batches/{}/codes",
        "/{}",
        "/products?{}",
        "/batches/1/codes.pdf?{}",
    ):
        path = template.format(quote(segment, safe="") if "?" not in template else qs)
        _assert_handled(api.client.open(API + path, method=method, headers=api.headers()))


def test_lone_surrogates_in_member_names_are_reported_safely(api: Api) -> None:
    raw = b'{"\\ud800": 1, "gtin": "\\udfff"}'
    response = api.client.post(
        f"{API}/products", data=raw, headers=api.headers(), content_type="application/json"
    )
    assert response.status_code == 422
    fields = [e["field"] for e in response.get_json()["errors"]]
    assert "\\ud800" in fields or "\ufffd" in fields
