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


EPCIS_FIELDS = [
    "@context",
    "type",
    "schemaVersion",
    "creationDate",
    "epcisBody",
    "eventList",
    "eventTime",
    "eventTimeZoneOffset",
    "epcList",
    "action",
    "bizStep",
    "parentID",
    "childEPCs",
    "quantityList",
    "readPoint",
    "eventID",
]
epcis_values = json_values | st.sampled_from(
    [
        "ObjectEvent",
        "AggregationEvent",
        "EPCISDocument",
        "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
        "2025-03-01T08:00:00Z",
        "+00:00",
        "ADD",
        "urn:epc:id:sgtin:9506000.013435.1",
        "https://id.gs1.org/01/09506000134352/21/1",
    ]
)
epcis_objects = st.dictionaries(st.sampled_from(EPCIS_FIELDS), epcis_values, max_size=8)
epcis_bodies = (
    json_values
    | epcis_objects
    | st.builds(
        lambda head, events: {**head, "epcisBody": {"eventList": events}},
        epcis_objects,
        st.lists(epcis_objects | json_values, max_size=3),
    )
)


def _assert_epcis_handled(response: Any) -> None:
    _assert_handled(response)
    if response.status_code >= 400:
        assert response.get_json()["type"].startswith(("epcisException:", "about:blank"))


@FUZZ
@given(body=epcis_bodies, proceed=st.booleans())
def test_any_document_or_event_is_answered_without_500(api: Api, body: Any, proceed: bool) -> None:
    behaviour = {"GS1-Capture-Error-Behaviour": "proceed" if proceed else "rollback"}
    for path in ("/trace/epcis/capture", "/trace/epcis/events"):
        _assert_epcis_handled(api.client.post(path, json=body, headers=api.headers(behaviour)))


@FUZZ
@given(
    segment=st.text(max_size=25),
    query=st.dictionaries(
        st.sampled_from(
            [
                "eventType",
                "GE_eventTime",
                "LT_recordTime",
                "EQ_action",
                "EQ_bizStep",
                "EQ_readPoint",
                "MATCH_epc",
                "MATCH_epcClass",
                "EQ_eventID",
                "perPage",
                "nextPageToken",
                "orderBy",
                "orderDirection",
            ]
        ),
        st.text(max_size=25),
        max_size=4,
    ),
)
def test_any_epcis_path_and_query_is_answered_without_500(
    api: Api, segment: str, query: dict[str, str]
) -> None:
    qs = "&".join(f"{quote(k)}={quote(v)}" for k, v in query.items())
    for template in (
        "/events?{}",
        "/events/{}",
        "/epcs/{}/events",
        "/bizSteps/{}",
        "/readPoints/{}/events",
        "/capture/{}",
        "/epcs?{}",
        "/{}",
    ):
        path = template.format(qs if "?" in template else quote(segment, safe=""))
        _assert_epcis_handled(api.client.get("/trace/epcis" + path, headers=api.headers()))
