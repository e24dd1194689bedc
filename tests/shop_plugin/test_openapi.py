"""openapi.json documents every route of the merchant API, and real answers fit it."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from shoptrace.shop_plugin.api import API_PATH, BLUEPRINT
from tests.shop_plugin.epcis_helpers import capture, document, supply_chain
from tests.shop_plugin.helpers import Api

IGNORED_METHODS = {"HEAD", "OPTIONS"}


def _routes(app: Flask) -> set[tuple[str, str]]:
    """(OpenAPI path, method) of every route the API blueprint registered."""
    root = app.extensions["shoptrace"].settings.url_prefix + API_PATH
    found = set()
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith(BLUEPRINT + "."):
            continue
        assert rule.rule.startswith(root)
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule[len(root) :])
        for method in (rule.methods or set()) - IGNORED_METHODS:
            found.add((path, method.lower()))
    return found


def _documented(doc: dict[str, Any]) -> set[tuple[str, str]]:
    return {(path, method) for path, item in doc["paths"].items() for method in item}


def test_every_registered_route_is_documented_and_nothing_else(app: Flask, api: Api) -> None:
    doc = api.get("/openapi.json").get_json()
    routes = _routes(app)
    assert len(routes) >= 18
    assert routes - _documented(doc) == set(), "routes missing from openapi.json"
    assert _documented(doc) - routes == set(), "openapi.json documents routes that do not exist"


def test_operation_ids_are_the_view_names(app: Flask, api: Api) -> None:
    doc = api.get("/openapi.json").get_json()
    endpoints = {
        r.endpoint.split(".", 1)[1]
        for r in app.url_map.iter_rules()
        if r.endpoint.startswith(BLUEPRINT + ".")
    }
    operation_ids = {op["operationId"] for item in doc["paths"].values() for op in item.values()}
    assert operation_ids == endpoints


def test_document_is_openapi_3_1_with_bearer_auth(api: Api) -> None:
    doc = api.get("/openapi.json").get_json()
    assert doc["openapi"] == "3.1.0"
    assert doc["servers"] == [{"url": "/trace/api/v1"}]
    assert doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    for schema in doc["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)
    refs = re.findall(r'"\$ref": "#/components/schemas/([A-Za-z]+)"', str(doc).replace("'", '"'))
    assert set(refs) <= set(doc["components"]["schemas"])


@pytest.fixture
def check(api: Api) -> Any:
    doc = api.get("/openapi.json").get_json()
    registry = Registry().with_resource("urn:shoptrace:openapi", Resource(doc, DRAFT202012))

    def check(name: str, instance: Any) -> None:
        schema = {"$ref": f"urn:shoptrace:openapi#/components/schemas/{name}"}
        Draft202012Validator(schema, registry=registry).validate(instance)

    return check


def test_answers_fit_their_schemas(api: Api, check: Any) -> None:
    product = api.product(
        certifications=[
            {"scheme": "GAP", "issuer": "CQC", "number": "1", "verification": "self-declared"}
        ]
    )
    check("Product", product)
    check("ProductList", api.get("/products").get_json())
    batch = api.batch(
        product["id"],
        productionDate="2025-07-01",
        origin={"place": {"en": "Yantai"}, "countryCode": "CN"},
        producer={"name": {"zh-CN": "烟台果业"}, "licenseNumber": "SC1"},
        inspectionReports=[
            {"issuer": "SGS", "number": "R", "date": "2025-07-02", "result": "pass"}
        ],
    )
    check("Batch", batch)
    check("BatchList", api.get("/batches").get_json())
    issued = api.post(f"/batches/{batch['id']}/codes", {"count": 2}).get_json()
    check("IssuedCodes", issued)
    check("Issuance", api.get(f"/issuances/{issued['issuance']['id']}").get_json())
    check("IssuanceList", api.get(f"/batches/{batch['id']}/issuances").get_json())
    check("CodeList", api.get(f"/batches/{batch['id']}/codes").get_json())
    check("BatchCompleteness", api.get(f"/batches/{batch['id']}/completeness").get_json())
    check("ProductCompleteness", api.get(f"/products/{product['id']}/completeness").get_json())
    check("CategoryList", api.get("/categories").get_json())
    check("Problem", api.post("/products", {"gtin": "1"}).get_json())
    check("Problem", api.get("/nothing").get_json())


def test_inputs_the_schemas_refuse_the_api_refuses_too(api: Api, check: Any) -> None:
    bad = {"gtin": "09506000134352", "name": {"en": "x"}, "category": "food", "colour": "red"}
    with pytest.raises(Exception, match="colour"):
        check("ProductInput", bad)
    assert api.post("/products", bad).status_code == 422


def test_trace_answers_fit_their_schemas(api: Api, check: Any) -> None:
    product = api.product()
    batch = api.batch(product["id"], "LOT42")
    codes = api.post(f"/batches/{batch['id']}/codes", {"count": 3}).get_json()["codes"]
    capture(api, document(supply_chain([c["serial"] for c in codes])))
    traced = api.get("/trace?code=" + quote(codes[0]["uri"], safe="")).get_json()
    assert len(traced["events"]) == 9
    check("Trace", traced)
    check("Downstream", api.get(f"/batches/{batch['id']}/downstream").get_json())
    check("Integrity", api.get("/integrity").get_json())
