"""The OpenAPI 3.1 document of the merchant API, served at ``openapi.json``.

Written by hand next to the views; ``tests/shop_plugin/test_openapi.py`` fails when a
registered route is missing here (or documented but not registered) and checks real answers
against these schemas.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response

from shoptrace.sdk import labels
from shoptrace.shop_plugin.api.support import state
from shoptrace.shop_plugin.services.batches import BATCH_VISIBILITY_FIELDS
from shoptrace.shop_plugin.services.catalogue import CATEGORY_CODES
from shoptrace.shop_plugin.services.chain import BREAK_KINDS
from shoptrace.shop_plugin.services.codes import CSV_COLUMNS
from shoptrace.shop_plugin.services.products import PRODUCT_VISIBILITY_FIELDS
from shoptrace.shop_plugin.services.schemas import VERIFICATION_LEVELS, VISIBILITY_LEVELS
from shoptrace.shop_plugin.services.trace import Forward, Trace, TraceEvent, TraceState
from shoptrace.shop_plugin.store.tables import EPC_ROLES, ISSUANCE_STATUSES, UNIT_STATUSES

__all__ = ["document", "register"]

_JSON = "application/json"
_PROBLEM = "application/problem+json"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _obj(
    properties: dict[str, Any], required: tuple[str, ...] = (), *, closed: bool = True
) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    if closed:
        schema["additionalProperties"] = False
    return schema


_STRING = {"type": "string"}
_DATE = {"type": "string", "format": "date"}
_TIME = {"type": "string", "format": "date-time"}
_ID = {"type": "integer", "minimum": 1}
_URL = {"type": "string", "format": "uri", "maxLength": 2000}
_GTIN = {"type": "string", "pattern": "^[0-9]{14}$", "description": "GTIN-14 (AI 01)"}
_LOT = {"type": "string", "minLength": 1, "maxLength": 20, "description": "Lot (AI 10)"}


def _i18n(max_length: int) -> dict[str, Any]:
    text = _nullable({"type": "string", "maxLength": max_length})
    return _obj({"zh-CN": text, "en": text}) | {"minProperties": 1}


def _visibility(fields: tuple[str, ...]) -> dict[str, Any]:
    return _obj({f: _ref("VisibilityLevel") for f in fields})


def _schemas() -> dict[str, Any]:
    certification = _obj(
        {
            "scheme": {"type": "string", "maxLength": 100},
            "issuer": {"type": "string", "maxLength": 200},
            "number": {"type": "string", "maxLength": 100},
            "validFrom": _DATE,
            "validUntil": _DATE,
            "verification": {"enum": list(VERIFICATION_LEVELS)},
            "url": _URL,
        },
        ("scheme", "issuer", "number", "verification"),
    )
    origin = _obj(
        {
            "place": _ref("I18nText"),
            "countryCode": {"type": "string", "pattern": "^[A-Z]{2}$"},
            "region": {"type": "string", "maxLength": 200},
        },
        ("place",),
    )
    producer = _obj(
        {
            "name": _ref("I18nText"),
            "gln": {"type": "string", "pattern": "^[0-9]{13}$", "description": "GLN (AI 414)"},
            "licenseNumber": {"type": "string", "maxLength": 100},
            "address": _ref("I18nText"),
        },
        ("name",),
    )
    report = _obj(
        {
            "issuer": {"type": "string", "maxLength": 200},
            "number": {"type": "string", "maxLength": 100},
            "date": _DATE,
            "result": {"enum": ["pass", "fail"]},
            "url": _URL,
        },
        ("issuer", "number", "date", "result"),
    )
    product_fields = {
        "gtin": _GTIN,
        "name": _ref("I18nText"),
        "description": _nullable(_ref("I18nLongText")),
        "category": _ref("Category"),
        "listingUrl": _nullable(_URL),
        "shopProductId": _nullable({"type": "string", "maxLength": 100}),
        "sku": _nullable({"type": "string", "maxLength": 100}),
        "certifications": {"type": "array", "items": _ref("Certification"), "maxItems": 50},
        "visibility": _ref("ProductVisibility"),
    }
    batch_fields = {
        "productId": _ID,
        "lot": _LOT,
        "productionDate": _nullable(_DATE),
        "expiryDate": _nullable(_DATE),
        "origin": _nullable(_ref("Origin")),
        "producer": _nullable(_ref("Producer")),
        "inspectionReports": {
            "type": "array",
            "items": _ref("InspectionReport"),
            "maxItems": 50,
        },
        "certifications": {"type": "array", "items": _ref("Certification"), "maxItems": 50},
        "visibility": _ref("BatchVisibility"),
    }
    stamps = {"createdAt": _TIME, "updatedAt": _TIME}
    issuance = _obj(
        {
            "id": _ID,
            "batchId": _ID,
            "count": {"type": "integer", "minimum": 1},
            "done": {"type": "integer", "minimum": 0},
            "status": {"enum": list(ISSUANCE_STATUSES)},
            "progress": {"type": "number", "minimum": 0, "maximum": 1},
            "error": _nullable(_STRING),
            "createdAt": _TIME,
            "updatedAt": _TIME,
            "finishedAt": _nullable(_TIME),
        },
        ("id", "batchId", "count", "done", "status", "progress"),
    )
    requirement = _obj(
        {
            "field": _STRING,
            "level": {"enum": ["product", "batch", "any"]},
            "label": _ref("I18nText"),
            "present": {"type": "boolean"},
        },
        ("field", "level", "label"),
    )
    token = _nullable(_STRING)
    return {
        "Problem": _obj(
            {
                "type": _STRING,
                "title": _STRING,
                "status": {"type": "integer"},
                "detail": _STRING,
                "instance": _STRING,
                "errors": {"type": "array", "items": _ref("FieldError")},
            },
            ("type", "title", "status", "detail"),
        ),
        "FieldError": _obj(
            {"field": _STRING, "rule": _STRING, "detail": _STRING}, ("field", "rule", "detail")
        ),
        "I18nText": _i18n(200),
        "I18nLongText": _i18n(5000),
        "Category": {"enum": list(CATEGORY_CODES)},
        "VisibilityLevel": {"enum": list(VISIBILITY_LEVELS)},
        "ProductVisibility": _visibility(PRODUCT_VISIBILITY_FIELDS),
        "BatchVisibility": _visibility(BATCH_VISIBILITY_FIELDS),
        "Certification": certification,
        "Origin": origin,
        "Producer": producer,
        "InspectionReport": report,
        "ProductInput": _obj(product_fields, ("gtin", "name", "category")),
        "ProductPatch": _obj(product_fields),
        "Product": _obj(
            {"id": _ID, **product_fields, "name": _nullable(_ref("I18nText")), **stamps},
            ("id", "gtin", "category", "certifications", "visibility"),
        ),
        "ProductList": _obj(
            {"products": {"type": "array", "items": _ref("Product")}, "nextPageToken": token},
            ("products", "nextPageToken"),
        ),
        "ProductDeleted": _obj({"id": _ID, "deleted": {"const": True}}, ("id", "deleted")),
        "BatchInput": _obj(batch_fields, ("productId", "lot")),
        "BatchPatch": _obj(batch_fields),
        "Batch": _obj(
            {
                "id": _ID,
                **batch_fields,
                "gtin": _GTIN,
                "codesIssued": {"type": "integer", "minimum": 0},
                **stamps,
            },
            ("id", "productId", "gtin", "lot", "visibility", "codesIssued"),
        ),
        "BatchList": _obj(
            {"batches": {"type": "array", "items": _ref("Batch")}, "nextPageToken": token},
            ("batches", "nextPageToken"),
        ),
        "BatchDeleted": _obj({"id": _ID, "deleted": {"const": True}}, ("id", "deleted")),
        "CodeRequest": _obj({"count": {"type": "integer", "minimum": 1}}, ("count",)),
        "Issuance": issuance,
        "IssuanceList": _obj(
            {"issuances": {"type": "array", "items": _ref("Issuance")}}, ("issuances",)
        ),
        "IssuedCodes": _obj(
            {
                "issuance": _ref("Issuance"),
                "codes": {
                    "type": "array",
                    "items": _obj({"serial": _STRING, "uri": _URL}, ("serial", "uri")),
                },
            },
            ("issuance", "codes"),
        ),
        "IssuanceJob": _obj({"issuance": _ref("Issuance")}, ("issuance",)),
        "Code": _obj(
            {
                "serial": {"type": "string", "maxLength": 20},
                "uri": _URL,
                "status": {"enum": list(UNIT_STATUSES)},
                "issuanceId": _ID,
                "issuedAt": _TIME,
            },
            ("serial", "uri", "status", "issuanceId", "issuedAt"),
        ),
        "CodeList": _obj(
            {"codes": {"type": "array", "items": _ref("Code")}, "nextPageToken": token},
            ("codes", "nextPageToken"),
        ),
        "Requirement": requirement,
        "BatchCompleteness": _obj(
            {
                "batchId": _ID,
                "productId": _ID,
                "category": _ref("Category"),
                "score": {"type": "number", "minimum": 0, "maximum": 1},
                "complete": {"type": "boolean"},
                "required": {"type": "array", "items": _ref("Requirement")},
                "missing": {"type": "array", "items": _STRING},
            },
            ("batchId", "productId", "category", "score", "complete", "required", "missing"),
        ),
        "ProductCompleteness": _obj(
            {
                "productId": _ID,
                "category": _ref("Category"),
                "score": {"type": "number", "minimum": 0, "maximum": 1},
                "complete": {"type": "boolean"},
                "required": {"type": "array", "items": _ref("Requirement")},
                "missing": {"type": "array", "items": _STRING},
                "batchRequired": {"type": "array", "items": _ref("Requirement")},
                "batches": _obj(
                    {
                        "total": {"type": "integer"},
                        "complete": {"type": "integer"},
                        "incomplete": {
                            "type": "array",
                            "items": _obj(
                                {
                                    "batchId": _ID,
                                    "lot": _LOT,
                                    "missing": {"type": "array", "items": _STRING},
                                },
                                ("batchId", "lot", "missing"),
                            ),
                        },
                    },
                    ("total", "complete", "incomplete"),
                ),
            },
            ("productId", "category", "score", "complete", "required", "missing", "batches"),
        ),
        "Party": _obj({"type": _nullable(_STRING), "id": _STRING}, ("type", "id")),
        "TraceEvent": _obj(
            {
                "eventID": _STRING,
                "eventType": _STRING,
                "eventTime": _TIME,
                "eventTimeZoneOffset": _nullable(_STRING),
                "recordTime": _TIME,
                "action": _nullable({"enum": ["ADD", "OBSERVE", "DELETE"]}),
                "bizStep": _nullable(_STRING),
                "disposition": _nullable(_STRING),
                "readPoint": _nullable(_STRING),
                "bizLocation": _nullable(_STRING),
                "via": {"enum": ["self", "lot", "container", "input"]},
                "subject": _STRING,
                "role": {"enum": list(EPC_ROLES)},
                "bizTransactions": {"type": "array", "items": _ref("Party")},
                "sources": {"type": "array", "items": _ref("Party")},
                "destinations": {"type": "array", "items": _ref("Party")},
                "event": {"type": "object", "description": "The EPCIS event as stored"},
            },
            tuple(TraceEvent.__annotations__),
        ),
        "Material": _obj(
            {
                "epc": _STRING,
                "level": {"enum": ["instance", "class"]},
                "quantity": _nullable({"type": "number"}),
                "uom": _nullable(_STRING),
                "eventID": _STRING,
                "events": {"type": "array", "items": _ref("TraceEvent")},
            },
            ("epc", "level", "quantity", "uom", "eventID"),
        ),
        "Trace": _obj(
            {
                "code": _STRING,
                "kind": {"enum": ["unit", "lot", "container"]},
                "epc": _STRING,
                "gtin": _nullable(_GTIN),
                "lot": _nullable(_STRING),
                "serial": _nullable(_STRING),
                "sscc": _nullable(_STRING),
                "product": _nullable(_ref("Product")),
                "batch": _nullable(_ref("Batch")),
                "unit": _nullable(
                    _obj(
                        {
                            "serial": _STRING,
                            "status": {"enum": list(UNIT_STATUSES)},
                            "issuedAt": _TIME,
                            "firstScanAt": _nullable(_TIME),
                            "lastScanAt": _nullable(_TIME),
                            "scanCount": {"type": "integer", "minimum": 0},
                        },
                        ("serial", "status", "issuedAt", "firstScanAt", "lastScanAt", "scanCount"),
                    )
                ),
                "state": _obj(
                    {
                        "status": _nullable({"enum": list(UNIT_STATUSES)}),
                        "disposition": _nullable(_STRING),
                        "place": _nullable(_STRING),
                        "placeSince": _nullable(_TIME),
                        "readPoint": _nullable(_STRING),
                        "lastStep": _nullable(_STRING),
                        "lastEventTime": _nullable(_TIME),
                        "container": _nullable(_STRING),
                    },
                    tuple(TraceState.__annotations__),
                ),
                "containers": {
                    "type": "array",
                    "items": _obj(
                        {
                            "container": _STRING,
                            "level": {"type": "integer", "minimum": 1},
                            "since": _TIME,
                            "until": _nullable(_TIME),
                        },
                        ("container", "level", "since", "until"),
                    ),
                },
                "inputs": {"type": "array", "items": _ref("Material")},
                "outputs": {"type": "array", "items": _ref("Material")},
                "events": {"type": "array", "items": _ref("TraceEvent")},
            },
            tuple(Trace.__annotations__),
        ),
        "Downstream": _obj(
            {
                "gtin": _GTIN,
                "lot": _LOT,
                "epc": _STRING,
                "batch": _nullable(_ref("Batch")),
                "units": _obj(
                    {
                        "total": {"type": "integer", "minimum": 0},
                        "byStatus": {
                            "type": "object",
                            "additionalProperties": {"type": "integer"},
                        },
                        "items": {"type": "array", "items": _STRING},
                        "truncated": {"type": "boolean"},
                    },
                    ("total", "byStatus", "items", "truncated"),
                ),
                "containers": {"type": "array", "items": _STRING},
                "orders": {"type": "array", "items": _ref("Party")},
                "destinations": {"type": "array", "items": _ref("Party")},
                "outputs": {"type": "array", "items": _ref("Material")},
                "eventCount": {"type": "integer", "minimum": 0},
            },
            tuple(Forward.__annotations__),
        ),
        "Integrity": _obj(
            {
                "valid": {
                    "type": ["boolean", "null"],
                    "description": "true: the whole chain holds; false: firstBreak names "
                    "where it breaks; null: no break in this page, more to check (follow "
                    "nextPageToken)",
                },
                "complete": {"type": "boolean"},
                "events": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "Events checked by this answer",
                },
                "checked": _obj(
                    {
                        "from": {"type": "integer", "minimum": 1},
                        "through": {"type": "integer", "minimum": 0},
                    },
                    ("from", "through"),
                ),
                "head": _obj(
                    {"seq": {"type": "integer", "minimum": 0}, "hash": _STRING}, ("seq", "hash")
                ),
                "firstBreak": _nullable(
                    _obj(
                        {
                            "seq": {"type": "integer"},
                            "eventID": _nullable(_STRING),
                            "kind": {"enum": list(BREAK_KINDS)},
                            "reason": _STRING,
                        },
                        ("seq", "eventID", "kind", "reason"),
                    )
                ),
                "nextPageToken": _nullable(_STRING),
                "checkedAt": _TIME,
            },
            (
                "valid",
                "complete",
                "events",
                "checked",
                "head",
                "firstBreak",
                "nextPageToken",
                "checkedAt",
            ),
        ),
        "CategoryList": _obj(
            {
                "categories": {
                    "type": "array",
                    "items": _obj(
                        {
                            "code": _ref("Category"),
                            "name": _ref("I18nText"),
                            "mandatory": {"type": "boolean"},
                            "requirements": {"type": "array", "items": _ref("Requirement")},
                        },
                        ("code", "name", "mandatory", "requirements"),
                    ),
                }
            },
            ("categories",),
        ),
    }


def _problems(*statuses: int) -> dict[str, Any]:
    text = {
        400: "Malformed request, query parameter or page token",
        401: "Missing, unknown, revoked or expired API key",
        404: "No such resource for this merchant",
        409: "Clashes with stored data",
        413: "Body too large",
        415: "Body is not JSON",
        422: "A field breaks a rule; nothing was written",
        429: "Rate limit reached (see Retry-After)",
    }
    return {
        str(s): {"description": text[s], "content": {_PROBLEM: {"schema": _ref("Problem")}}}
        for s in statuses
    }


def _json(schema: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {_JSON: {"schema": _ref(schema)}}}


def _param(name: str, where: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": where,
        "required": where == "path",
        "schema": schema,
        "description": description,
    }


_PAGE = [
    _param("pageSize", "query", {"type": "integer", "minimum": 1}, "Items per page"),
    _param("pageToken", "query", _STRING, "nextPageToken of the previous page"),
]
_IDEMPOTENCY = _param(
    "Idempotency-Key",
    "header",
    {"type": "string", "minLength": 1, "maxLength": 255},
    "Retries with the same key replay the first successful answer",
)
_READ = (400, 401, 429)
_WRITE = (400, 401, 413, 415, 422, 429)


def _op(
    operation_id: str,
    summary: str,
    responses: dict[str, Any],
    *,
    params: list[dict[str, Any]] | None = None,
    body: str | None = None,
    errors: tuple[int, ...] = _READ,
) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": operation_id,
        "summary": summary,
        "responses": responses | _problems(*errors),
    }
    if params:
        op["parameters"] = params
    if body:
        op["requestBody"] = {"required": True, "content": {_JSON: {"schema": _ref(body)}}}
    return op


def _paths() -> dict[str, Any]:
    product_id = _param("product_id", "path", _ID, "Product id")
    batch_id = _param("batch_id", "path", _ID, "Batch id")
    issuance_filter = _param("issuance", "query", _ID, "Only the codes of this issuance")
    created = {"Location": {"schema": _STRING, "description": "URL of the new resource"}}
    next_link = {"Link": {"schema": _STRING, "description": '<url>; rel="next"'}}
    return {
        "/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This document",
                "security": [],
                "responses": {"200": {"description": "OpenAPI 3.1 document"}},
            }
        },
        "/categories": {
            "get": _op(
                "list_categories",
                "Catalogue classes and the trace data each requires",
                {"200": _json("CategoryList", "The classes")},
            )
        },
        "/products": {
            "get": _op(
                "list_products",
                "List products",
                {"200": _json("ProductList", "A page of products") | {"headers": next_link}},
                params=[
                    *_PAGE,
                    _param("gtin", "query", _GTIN, "Only this GTIN"),
                    _param("category", "query", _ref("Category"), "Only this class"),
                    _param("sku", "query", {"type": "string", "maxLength": 100}, "Only this SKU"),
                ],
            ),
            "post": _op(
                "create_product",
                "Register a product (GTIN)",
                {"201": _json("Product", "Created") | {"headers": created}},
                params=[_IDEMPOTENCY],
                body="ProductInput",
                errors=(*_WRITE, 409),
            ),
        },
        "/products/{product_id}": {
            "get": _op(
                "get_product",
                "Get a product",
                {"200": _json("Product", "The product")},
                params=[product_id],
                errors=(*_READ, 404),
            ),
            "patch": _op(
                "update_product",
                "Change a product (members given replace stored ones; GTIN is fixed)",
                {"200": _json("Product", "The product")},
                params=[product_id],
                body="ProductPatch",
                errors=(*_WRITE, 404),
            ),
            "delete": _op(
                "delete_product",
                "Delete a product nothing refers to (one registered with a wrong GTIN). 409, "
                'rule "in-use", when anything does, each error\'s field naming it: lots, '
                "orderLines, recalls, events. Trace records are kept, and so is what they name: "
                "delete its unused lots first",
                {"200": _json("ProductDeleted", "Deleted")},
                params=[product_id, _IDEMPOTENCY],
                errors=(*_READ, 404, 409),
            ),
        },
        "/products/{product_id}/completeness": {
            "get": _op(
                "product_completeness",
                "Trace data the product's class requires that it and its batches lack",
                {"200": _json("ProductCompleteness", "Completeness")},
                params=[product_id],
                errors=(*_READ, 404),
            )
        },
        "/batches": {
            "get": _op(
                "list_batches",
                "List batches",
                {"200": _json("BatchList", "A page of batches") | {"headers": next_link}},
                params=[
                    *_PAGE,
                    _param("productId", "query", _ID, "Only batches of this product"),
                    _param("lot", "query", _LOT, "Only this lot"),
                ],
            ),
            "post": _op(
                "create_batch",
                "Record a batch (lot) of a product",
                {"201": _json("Batch", "Created") | {"headers": created}},
                params=[_IDEMPOTENCY],
                body="BatchInput",
                errors=(*_WRITE, 409),
            ),
        },
        "/batches/{batch_id}": {
            "get": _op(
                "get_batch",
                "Get a batch",
                {"200": _json("Batch", "The batch")},
                params=[batch_id],
                errors=(*_READ, 404),
            ),
            "patch": _op(
                "update_batch",
                "Change a batch (product and lot are fixed)",
                {"200": _json("Batch", "The batch")},
                params=[batch_id],
                body="BatchPatch",
                errors=(*_WRITE, 404),
            ),
            "delete": _op(
                "delete_batch",
                "Delete a lot nothing refers to (one recorded with a wrong lot number). 409, "
                'rule "in-use", when anything does, each error\'s field naming it: codes (unit '
                "codes issued), issuances (an issuance started), recalls, orderLines, events",
                {"200": _json("BatchDeleted", "Deleted")},
                params=[batch_id, _IDEMPOTENCY],
                errors=(*_READ, 404, 409),
            ),
        },
        "/batches/{batch_id}/completeness": {
            "get": _op(
                "batch_completeness",
                "Trace data the batch's class requires that it lacks",
                {"200": _json("BatchCompleteness", "Completeness")},
                params=[batch_id],
                errors=(*_READ, 404),
            )
        },
        "/batches/{batch_id}/codes": {
            "post": _op(
                "issue_codes",
                "Issue unit codes: at once up to the sync limit (201), else as a job (202)",
                {
                    "201": _json("IssuedCodes", "Codes issued") | {"headers": created},
                    "202": _json("IssuanceJob", "Job accepted; poll Location")
                    | {"headers": created},
                },
                params=[batch_id, _IDEMPOTENCY],
                body="CodeRequest",
                errors=(*_WRITE, 404),
            ),
            "get": _op(
                "list_codes",
                "List the batch's codes with their Digital Link URIs",
                {"200": _json("CodeList", "A page of codes") | {"headers": next_link}},
                params=[batch_id, *_PAGE, issuance_filter],
                errors=(*_READ, 404),
            ),
        },
        "/batches/{batch_id}/codes.csv": {
            "get": _op(
                "export_csv",
                "Export the batch's codes as CSV",
                {
                    "200": {
                        "description": "CSV: " + ", ".join(CSV_COLUMNS),
                        "content": {"text/csv": {"schema": _STRING}},
                    }
                },
                params=[
                    batch_id,
                    issuance_filter,
                    _param(
                        "lang",
                        "query",
                        {"enum": ["zh-CN", "en"]},
                        "Language of product_name (default SHOPTRACE_DEFAULT_LANGUAGE)",
                    ),
                ],
                errors=(*_READ, 404),
            )
        },
        "/batches/{batch_id}/codes.pdf": {
            "get": _op(
                "export_pdf",
                "Print the batch's codes as QR labels (PDF), paged",
                {
                    "200": {
                        "description": "PDF label sheets",
                        "headers": next_link
                        | {"X-Label-Count": {"schema": _ID, "description": "Labels in it"}},
                        "content": {"application/pdf": {"schema": {"type": "string"}}},
                    }
                },
                params=[
                    batch_id,
                    issuance_filter,
                    *_PAGE,
                    _param(
                        "layout",
                        "query",
                        {"enum": list(labels.LAYOUTS)},
                        "Label stock",
                    ),
                ],
                errors=(*_READ, 404),
            )
        },
        "/batches/{batch_id}/issuances": {
            "get": _op(
                "list_issuances",
                "List the batch's code issuances",
                {"200": _json("IssuanceList", "Issuances")},
                params=[batch_id],
                errors=(*_READ, 404),
            )
        },
        "/batches/{batch_id}/downstream": {
            "get": _op(
                "batch_downstream",
                "Forward tracing: the batch's units, containers, orders, destinations, outputs",
                {"200": _json("Downstream", "Everything downstream of the lot")},
                params=[
                    batch_id,
                    _param(
                        "unitLimit",
                        "query",
                        {"type": "integer", "minimum": 0, "maximum": 100000},
                        "Most unit EPCs listed (default 1000)",
                    ),
                ],
                errors=(*_READ, 404),
            )
        },
        "/trace": {
            "get": _op(
                "get_trace",
                "Trace of a unit, lot or container: product, batch, events in time order, "
                "containers, inputs and outputs, current state",
                {"200": _json("Trace", "The trace")},
                params=[
                    _param(
                        "code",
                        "query",
                        {"type": "string", "maxLength": 2000},
                        "Digital Link URI (any domain) or EPC URN of the item",
                    )
                ],
                errors=(*_READ, 404, 422),
            )
        },
        "/integrity": {
            "get": _op(
                "integrity",
                "Recompute the merchant's event hash chain, a page of events at a time; name "
                "the first event that breaks it",
                {"200": _json("Integrity", 'The chain report (Link: rel="next" continues it)')},
                params=[
                    _param(
                        "pageSize",
                        "query",
                        {"type": "integer", "minimum": 1, "maximum": 1_000_000},
                        "Events to check in this answer (default 100000)",
                    ),
                    _param(
                        "pageToken",
                        "query",
                        _STRING,
                        "nextPageToken of the previous answer: continue the check after it",
                    ),
                ],
            )
        },
        "/issuances/{issuance_id}": {
            "get": _op(
                "get_issuance",
                "Progress of a code issuance",
                {"200": _json("Issuance", "The issuance")},
                params=[_param("issuance_id", "path", _ID, "Issuance id")],
                errors=(*_READ, 404),
            )
        },
    }


def _fragments() -> list[Any]:
    """Modules documenting later parts of the API (each has ``paths()`` and ``schemas()``);
    imported here, late, because they build on this module's helpers."""
    from shoptrace.shop_plugin.api import (
        openapi_connections,
        openapi_locations,
        openapi_orders,
        openapi_recalls,
        openapi_upstream,
        openapi_webhooks,
    )

    return [
        openapi_orders,
        openapi_recalls,
        openapi_webhooks,
        openapi_connections,
        openapi_upstream,
        openapi_locations,
    ]


def document(url_prefix: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document for an API mounted under ``url_prefix``."""
    paths = _paths()
    schemas = _schemas()
    for fragment in _fragments():
        paths |= fragment.paths()
        schemas |= fragment.schemas()
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "shoptrace merchant API",
            "version": "1",
            "description": (
                "Products, batches and unit codes (GS1 Digital Link) of one merchant. "
                "Errors are RFC 7807 problem+json; lists are paged with nextPageToken and "
                'Link: rel="next"; a POST or DELETE with an Idempotency-Key replays its first '
                "answer."
            ),
        },
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "servers": [{"url": f"{url_prefix}/api/v1"}],
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A merchant API key from `shoptrace merchants create`",
                }
            },
            "schemas": schemas,
        },
    }


def openapi() -> Response:
    doc = document(state().settings.url_prefix)
    return Response(json.dumps(doc, ensure_ascii=False, indent=1), mimetype="application/json")


def register(bp: Blueprint) -> None:
    """Add the document's route to the API blueprint."""
    bp.add_url_rule("/openapi.json", view_func=openapi, methods=["GET"])
