"""OpenAPI paths and schemas of the merchant API's orders and the order trace.

Merged into the document by ``openapi.document``; build entries with that module's helpers
(``_op``, ``_param``, ``_json``, ``_ref``, ``_obj``, ...).
"""

from __future__ import annotations

from typing import Any

from shoptrace.shop_plugin.api.openapi import (
    _ID,
    _IDEMPOTENCY,
    _PAGE,
    _STRING,
    _TIME,
    _WRITE,
    _json,
    _nullable,
    _obj,
    _op,
    _param,
    _ref,
)
from shoptrace.shop_plugin.services.allocation import MAX_CODES
from shoptrace.shop_plugin.services.orders import MAX_LINES, MAX_QUANTITY, PROBLEM_CODES
from shoptrace.shop_plugin.store.tables import (
    LINE_STATUSES,
    ORDER_SOURCES,
    ORDER_STATUSES,
    UNIT_STATUSES,
)

__all__ = ["paths", "schemas"]


def _text(max_length: int) -> dict[str, Any]:
    return {"type": "string", "minLength": 1, "maxLength": max_length}


def _shop_id(max_length: int) -> dict[str, Any]:
    return {"anyOf": [_text(max_length), {"type": "integer", "minimum": 0}]}


_ANY_GTIN = {
    "type": "string",
    "pattern": "^([0-9]{8}|[0-9]{12,14})$",
    "description": "GTIN-8, -12, -13 or -14 (kept as 14 digits)",
}
_CODE = {
    "type": "string",
    "minLength": 1,
    "maxLength": 2000,
    "description": "A trace code as scanned: Digital Link URI, EPC URN, (01)...(21)... text "
    "or raw barcode data; without a serial it names a lot",
}


def paths() -> dict[str, Any]:
    """Path items, keyed by path relative to the API root."""
    order_id = _param(
        "order_id", "path", _text(100), "The shop's order id (percent-encode reserved characters)"
    )
    created = {"Location": {"schema": _STRING, "description": "URL of the order"}}
    next_link = {"Link": {"schema": _STRING, "description": '<url>; rel="next"'}}
    actions = {
        "fulfil": (
            "fulfil_order",
            "The order was shipped: bind its lines to the scanned units (refusing any that are "
            "another merchant's, of no line's GTIN, sold, recalled, expired or too many), else "
            "to stock first expiry first out, or to a lot; capture retail_selling and shipping",
        ),
        "deliver": ("deliver_order", "The order reached the customer (fulfilled first if needed)"),
        "cancel": ("cancel_order", "The order was cancelled before fulfilment"),
        "return": (
            "return_order",
            "Units came back (the ones given, else all): back in stock as returned",
        ),
    }
    items: dict[str, Any] = {
        "/orders": {
            "get": _op(
                "list_orders",
                "List orders, in the order they were recorded",
                {"200": _json("OrderList", "A page of orders") | {"headers": next_link}},
                params=[
                    *_PAGE,
                    _param("status", "query", {"enum": list(ORDER_STATUSES)}, "Only this status"),
                    _param("customer", "query", _text(200), "Only this customer reference"),
                ],
            ),
            "post": _op(
                "place_order",
                "Place an order (201); an order placed already is answered as it is (200), or "
                "updated while it is not fulfilled",
                {
                    "201": _json("Order", "Placed") | {"headers": created},
                    "200": _json("Order", "Known already"),
                },
                params=[_IDEMPOTENCY],
                body="OrderInput",
                errors=_WRITE,
            ),
        },
        "/orders/{order_id}": {
            "get": _op(
                "get_order",
                "Get an order with its lines, bound units and lots, and its trace page URL",
                {"200": _json("Order", "The order")},
                params=[order_id],
                errors=(400, 401, 404, 429),
            )
        },
    }
    for name, (operation, summary) in actions.items():
        op = _op(
            operation,
            summary,
            {"200": _json("Order", "The order")},
            params=[order_id, _IDEMPOTENCY],
            body="OrderAction",
            errors=(*_WRITE, 404, 409),
        )
        op["requestBody"]["required"] = False
        items[f"/orders/{{order_id}}/{name}"] = {"post": op}
    return items


def schemas() -> dict[str, Any]:
    """Component schemas, keyed by name."""
    destination = _obj(
        {
            "country": {"type": "string", "pattern": "^[A-Za-z]{2}$"},
            "region": _nullable(_text(100)),
            "city": _nullable(_text(100)),
            "postcode": _nullable(_text(20)),
        }
    )
    line_input = _obj(
        {
            "id": _nullable(_shop_id(100)),
            "sku": _nullable(_text(100)),
            "product_id": _nullable(_shop_id(100)),
            "gtin": _nullable(_ANY_GTIN),
            "name": _nullable(_text(200)),
            "quantity": {"type": "integer", "minimum": 1, "maximum": MAX_QUANTITY},
        },
        ("quantity",),
    )
    unit = _obj(
        {
            "serial": _STRING,
            "lot": _STRING,
            "status": {"enum": list(UNIT_STATUSES)},
            "uri": {"type": "string", "format": "uri"},
        },
        ("serial", "lot", "status", "uri"),
    )
    problem = _obj(
        {
            "code": {"enum": [*PROBLEM_CODES, "other"]},
            "message": _obj({"en": _STRING, "zh-CN": _STRING}, ("en", "zh-CN")),
        },
        ("code", "message"),
    )
    line = _obj(
        {
            "lineNo": {"type": "integer", "minimum": 1},
            "id": _nullable(_STRING),
            "sku": _nullable(_STRING),
            "gtin": _nullable({"type": "string", "pattern": "^[0-9]{14}$"}),
            "name": _nullable(_STRING),
            "quantity": {"type": "integer", "minimum": 1},
            "productId": _nullable(_ID),
            "status": {"enum": list(LINE_STATUSES)},
            "problem": _nullable(_ref("OrderLineProblem")),
            "tracedBy": _nullable({"enum": ["unit", "lot"]}),
            "lot": _nullable(_STRING),
            "unitCount": {"type": "integer", "minimum": 0},
            "units": {"type": "array", "items": _ref("OrderUnit")},
        },
        (
            "lineNo",
            "quantity",
            "status",
            "problem",
            "tracedBy",
            "lot",
            "unitCount",
            "units",
        ),
    )
    order = _obj(
        {
            "id": _STRING,
            "number": _nullable(_STRING),
            "customer": _nullable(_STRING),
            "source": {"enum": list(ORDER_SOURCES)},
            "status": {"enum": list(ORDER_STATUSES)},
            "destination": _nullable(_ref("Destination")),
            "placedAt": _TIME,
            "fulfilledAt": _nullable(_TIME),
            "deliveredAt": _nullable(_TIME),
            "cancelledAt": _nullable(_TIME),
            "createdAt": _TIME,
            "updatedAt": _TIME,
            "token": {"type": "string", "pattern": "^[A-Za-z0-9_-]{32}$"},
            "traceUrl": _STRING,
            "untracedLines": {"type": "integer", "minimum": 0},
            "lines": {"type": "array", "items": _ref("OrderLine")},
        },
        ("id", "source", "status", "placedAt", "token", "traceUrl", "lines"),
    )
    return {
        "Destination": destination,
        "OrderLineInput": line_input,
        "OrderInput": _obj(
            {
                "id": _shop_id(100),
                "number": _nullable(_text(100)),
                "customer": _nullable(_text(200)),
                "placed_at": _nullable({"type": "string", "format": "date-time"}),
                "destination": _nullable(_ref("Destination")),
                "lines": {
                    "type": "array",
                    "items": _ref("OrderLineInput"),
                    "minItems": 1,
                    "maxItems": MAX_LINES,
                },
            },
            ("id",),
        ),
        "OrderAction": _obj(
            {
                "units": _nullable({"type": "array", "items": _CODE, "maxItems": MAX_CODES}),
                "order": _nullable(_ref("OrderInput")),
            }
        ),
        "OrderUnit": unit,
        "OrderLineProblem": problem,
        "OrderLine": line,
        "Order": order,
        "OrderList": _obj(
            {
                "orders": {"type": "array", "items": _ref("Order")},
                "nextPageToken": _nullable(_STRING),
            },
            ("orders", "nextPageToken"),
        ),
    }
