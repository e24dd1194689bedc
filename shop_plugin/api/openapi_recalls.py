"""OpenAPI paths and schemas of the merchant API's recalls.

Merged into the document by ``openapi.document``; build entries with that module's helpers
(``_op``, ``_param``, ``_json``, ``_ref``, ``_obj``, ...).
"""

from __future__ import annotations

from typing import Any

from shoptrace.shop_plugin.api.openapi import (
    _GTIN,
    _ID,
    _IDEMPOTENCY,
    _LOT,
    _PAGE,
    _READ,
    _STRING,
    _TIME,
    _WRITE,
    _i18n,
    _json,
    _nullable,
    _obj,
    _op,
    _param,
    _ref,
)
from shoptrace.shop_plugin.services.recalls import CSV_COLUMNS, MAX_LOTS, MAX_UNITS
from shoptrace.shop_plugin.store.tables import (
    LINE_STATUSES,
    ORDER_SOURCES,
    ORDER_STATUSES,
    RECALL_SCOPES,
    RECALL_SEVERITIES,
    RECALL_STATUSES,
    UNIT_STATUSES,
)

__all__ = ["paths", "schemas"]

_COUNT = {"type": "integer", "minimum": 0}


def paths() -> dict[str, Any]:
    """Path items, keyed by path relative to the API root."""
    recall_id = _param("recall_id", "path", _ID, "Recall id")
    created = {"Location": {"schema": _STRING, "description": "URL of the new recall"}}
    next_link = {"Link": {"schema": _STRING, "description": '<url>; rel="next"'}}
    close = _op(
        "close_recall",
        "Close an open recall: the public banner goes and its lots may be recalled again",
        {"200": _json("Recall", "The closed recall")},
        params=[recall_id, _IDEMPOTENCY],
        body="RecallClose",
        errors=(*_WRITE, 404, 409),
    )
    close["requestBody"]["required"] = False
    return {
        "/recalls": {
            "get": _op(
                "list_recalls",
                "List recalls",
                {"200": _json("RecallList", "A page of recalls") | {"headers": next_link}},
                params=[
                    *_PAGE,
                    _param("status", "query", {"enum": list(RECALL_STATUSES)}, "Only these"),
                    _param("gtin", "query", _GTIN, "Only recalls of this GTIN"),
                ],
            ),
            "post": _op(
                "create_recall",
                "Recall lots of a GTIN, or single units: marks them, captures the recall "
                "event (ObjectEvent OBSERVE, holding, recalled) and answers the impact with "
                "the first page of orders to notify (Link: rel=next for the rest)",
                {"201": _json("RecallCreated", "Recalled") | {"headers": created | next_link}},
                params=[_IDEMPOTENCY],
                body="RecallInput",
                errors=(*_WRITE, 409),
            ),
        },
        "/recalls/{recall_id}": {
            "get": _op(
                "get_recall",
                "Get a recall (its impact as counted when it was created)",
                {"200": _json("Recall", "The recall")},
                params=[recall_id],
                errors=(*_READ, 404),
            )
        },
        "/recalls/{recall_id}/impact": {
            "get": _op(
                "recall_impact",
                "The recall's impact now: units by status, affected lines, orders and "
                "customers, and the orders to notify (JSON, paged), or every affected order "
                "line as CSV (Accept: text/csv or ?format=csv; UTF-8 with BOM)",
                {
                    "200": {
                        "description": "JSON: counts and a page of orders. CSV: one row per "
                        "affected order line, columns " + ", ".join(CSV_COLUMNS),
                        "headers": next_link,
                        "content": {
                            "application/json": {"schema": _ref("RecallImpact")},
                            "text/csv": {"schema": _STRING},
                        },
                    }
                },
                params=[
                    recall_id,
                    *_PAGE,
                    _param(
                        "format",
                        "query",
                        {"enum": ["json", "csv"]},
                        "The form, over the Accept header",
                    ),
                ],
                errors=(*_READ, 404),
            )
        },
        "/recalls/{recall_id}/close": {"post": close},
    }


def _summary() -> dict[str, Any]:
    return {
        "computedAt": _TIME,
        "units": _ref("RecallUnitCounts"),
        "lines": _obj(
            {"unitBound": _COUNT, "lotBound": _COUNT, "lotBoundQuantity": _COUNT},
            ("unitBound", "lotBound", "lotBoundQuantity"),
        ),
        "orderCount": _COUNT,
        "customerCount": _COUNT,
    }


_SUMMARY_REQUIRED = ("computedAt", "units", "lines", "orderCount", "customerCount")


def _recall(impact: str) -> dict[str, Any]:
    fields = {
        "id": _ID,
        "gtin": _GTIN,
        "productId": _ID,
        "scope": {"enum": list(RECALL_SCOPES)},
        "lots": {
            "type": "array",
            "items": _LOT,
            "description": "The lots recalled, or the lots of the units recalled",
        },
        "reason": _ref("RecallReason"),
        "severity": _ref("RecallSeverity"),
        "status": {"enum": list(RECALL_STATUSES)},
        "createdAt": _TIME,
        "closedAt": _nullable(_TIME),
        "closeNote": _nullable(_STRING),
        "events": {
            "type": "array",
            "items": _STRING,
            "description": "eventIDs of the recall's EPCIS events",
        },
        "impact": _ref(impact),
    }
    return _obj(fields, tuple(fields))


def schemas() -> dict[str, Any]:
    """Component schemas, keyed by name."""
    listed = {
        "orders": {"type": "array", "items": _ref("RecallOrder")},
        "nextPageToken": _nullable(_STRING),
    }
    return {
        "RecallSeverity": {
            "enum": list(RECALL_SEVERITIES),
            "description": "Recall level (GB/T 36061): 1 is the most serious",
        },
        "RecallReason": _i18n(500),
        "RecallInput": _obj(
            {
                "gtin": _GTIN,
                "lots": {"type": "array", "items": _LOT, "minItems": 1, "maxItems": MAX_LOTS},
                "units": {
                    "type": "array",
                    "items": {"type": "string", "minLength": 1, "maxLength": 2000},
                    "minItems": 1,
                    "maxItems": MAX_UNITS,
                    "description": "Unit codes: Digital Link URIs, EPC URNs, (01)...(21)... "
                    "or bare serials of the GTIN",
                },
                "reason": {
                    "anyOf": [
                        {"type": "string", "minLength": 1, "maxLength": 500},
                        _ref("RecallReason"),
                    ],
                    "description": "Shown to shoppers; plain text is taken as zh-CN when it "
                    "holds Chinese, else en",
                },
                "severity": _ref("RecallSeverity"),
                "location": {
                    "type": "string",
                    "pattern": "^[0-9]{13}$",
                    "description": "GLN (AI 414) where the recalled stock is held: the "
                    "event's readPoint and bizLocation",
                },
            },
            ("gtin", "reason", "severity"),
        )
        | {"oneOf": [{"required": ["lots"]}, {"required": ["units"]}]},
        "RecallClose": _obj({"note": _nullable({"type": "string", "maxLength": 2000})}),
        "RecallUnitCounts": _obj(
            {
                "total": _COUNT,
                "inStock": {**_COUNT, "description": "issued, commissioned or packed"},
                "sold": _COUNT,
                "shipped": _COUNT,
                "delivered": _COUNT,
                "returned": _COUNT,
                "byStatus": {
                    "type": "object",
                    "propertyNames": {"enum": list(UNIT_STATUSES)},
                    "additionalProperties": _COUNT,
                },
            },
            ("total", "inStock", "sold", "shipped", "delivered", "returned", "byStatus"),
        ),
        "RecallImpactSummary": _obj(_summary(), _SUMMARY_REQUIRED),
        "RecallImpactPage": _obj(
            _summary() | listed, (*_SUMMARY_REQUIRED, "orders", "nextPageToken")
        ),
        "RecallImpact": _obj(
            {"recallId": _ID, "status": {"enum": list(RECALL_STATUSES)}} | _summary() | listed,
            ("recallId", "status", *_SUMMARY_REQUIRED, "orders", "nextPageToken"),
        ),
        "RecallOrder": _obj(
            {
                "id": _STRING,
                "number": _nullable(_STRING),
                "customer": _nullable(_STRING),
                "status": {"enum": list(ORDER_STATUSES)},
                "source": {"enum": list(ORDER_SOURCES)},
                "placedAt": _TIME,
                "lines": {"type": "array", "items": _ref("RecallOrderLine")},
            },
            ("id", "number", "customer", "status", "source", "placedAt", "lines"),
        ),
        "RecallOrderLine": _obj(
            {
                "id": _nullable(_STRING),
                "lineNo": {"type": "integer", "minimum": 1},
                "sku": _nullable(_STRING),
                "gtin": _nullable(_GTIN),
                "name": _nullable(_STRING),
                "quantity": {"type": "integer", "minimum": 1},
                "status": {"enum": list(LINE_STATUSES)},
                "binding": {
                    "enum": ["units", "lot"],
                    "description": "units: the line's own units are recalled; lot: the "
                    "line is bound to a recalled lot",
                },
                "lots": {"type": "array", "items": _LOT},
                "affected": {**_COUNT, "description": "Units recalled (lot: the quantity)"},
                "units": {
                    "type": "array",
                    "items": _obj(
                        {
                            "serial": _STRING,
                            "lot": _LOT,
                            "status": {"enum": list(UNIT_STATUSES)},
                        },
                        ("serial", "lot", "status"),
                    ),
                },
            },
            (
                "id",
                "lineNo",
                "sku",
                "gtin",
                "name",
                "quantity",
                "status",
                "binding",
                "lots",
                "affected",
                "units",
            ),
        ),
        "Recall": _recall("RecallImpactSummary"),
        "RecallCreated": _recall("RecallImpactPage"),
        "RecallList": _obj(
            {
                "recalls": {"type": "array", "items": _ref("Recall")},
                "nextPageToken": _nullable(_STRING),
            },
            ("recalls", "nextPageToken"),
        ),
    }
