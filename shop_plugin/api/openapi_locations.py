"""OpenAPI paths and schemas of locations: names for the places events name.

Merged into the document by ``openapi.document``; built with that module's helpers.
"""

from __future__ import annotations

from typing import Any

from shoptrace.shop_plugin.api.openapi import (
    _ID,
    _IDEMPOTENCY,
    _PAGE,
    _READ,
    _STRING,
    _TIME,
    _WRITE,
    _json,
    _nullable,
    _obj,
    _op,
    _param,
    _ref,
    _visibility,
)
from shoptrace.shop_plugin.services.locations import LOCATION_VISIBILITY_FIELDS

__all__ = ["paths", "schemas"]

_PLACE_INPUT = {
    "type": "string",
    "maxLength": 500,
    "description": "The place: a GLN (13 digits; the GLN without extension), an SGLN URN "
    "(urn:epc:id:sgln:...) or a GS1 Digital Link with AI 414 (and 254). Stored as the "
    "canonical Digital Link the events' readPoint and bizLocation are kept as",
    "examples": ["9506000134352", "urn:epc:id:sgln:9506000.13435.0"],
}
_PLACE_ID = {
    "type": "string",
    "format": "uri",
    "pattern": "^https://id\\.gs1\\.org/414/[0-9]{13}(/254/.+)?$",
    "description": "Canonical place id (never shown to shoppers)",
}


def paths() -> dict[str, Any]:
    """Path items, keyed by path relative to the API root."""
    location_id = _param("location_id", "path", _ID, "Location id")
    created = {"Location": {"schema": _STRING, "description": "URL of the new resource"}}
    next_link = {"Link": {"schema": _STRING, "description": '<url>; rel="next"'}}
    place = _param("place", "query", _PLACE_INPUT, "Only the location of this place")
    return {
        "/locations": {
            "get": _op(
                "list_locations",
                "List locations",
                {"200": _json("LocationList", "A page of locations") | {"headers": next_link}},
                params=[*_PAGE, place],
            ),
            "post": _op(
                "create_location",
                "Name a place (readPoint / bizLocation); name and address stay private until "
                "visibility makes them public",
                {"201": _json("Location", "Created") | {"headers": created}},
                params=[_IDEMPOTENCY],
                body="LocationInput",
                errors=(*_WRITE, 409),
            ),
        },
        "/locations/{location_id}": {
            "get": _op(
                "get_location",
                "Get a location",
                {"200": _json("Location", "The location")},
                params=[location_id],
                errors=(*_READ, 404),
            ),
            "patch": _op(
                "update_location",
                "Change a location's place, name, address or visibility",
                {"200": _json("Location", "The location")},
                params=[location_id],
                body="LocationPatch",
                errors=(*_WRITE, 404, 409),
            ),
            "delete": _op(
                "delete_location",
                "Delete a location: its place is unnamed again (events keep their place ids)",
                {"200": _json("LocationDeleted", "Deleted")},
                params=[location_id, _IDEMPOTENCY],
                errors=(*_READ, 404),
            ),
        },
    }


def schemas() -> dict[str, Any]:
    """Component schemas, keyed by name."""
    address = _obj(
        {
            "countryCode": _nullable(
                {"type": "string", "pattern": "^[A-Z]{2}$", "description": "ISO 3166-1 alpha-2"}
            ),
            "region": _nullable(_ref("I18nShortText")),
            "city": _nullable(_ref("I18nShortText")),
        }
    )
    inputs = {
        "id": _PLACE_INPUT,
        "name": _ref("I18nText"),
        "address": _nullable(_ref("LocationAddress")),
        "visibility": _ref("LocationVisibility"),
    }
    text = _nullable({"type": "string", "maxLength": 100})
    return {
        "I18nShortText": _obj({"zh-CN": text, "en": text}) | {"minProperties": 1},
        "LocationAddress": address,
        "LocationVisibility": _visibility(LOCATION_VISIBILITY_FIELDS)
        | {"description": "Per field; a field not given is private"},
        "LocationInput": _obj(inputs, ("id", "name")),
        "LocationPatch": _obj(inputs),
        "Location": _obj(
            {
                "id": _ID,
                "placeId": _PLACE_ID,
                "name": _ref("I18nText"),
                "address": _nullable(_ref("LocationAddress")),
                "visibility": _ref("LocationVisibility"),
                "createdAt": _TIME,
                "updatedAt": _TIME,
            },
            ("id", "placeId", "name", "address", "visibility", "createdAt", "updatedAt"),
        ),
        "LocationList": _obj(
            {
                "locations": {"type": "array", "items": _ref("Location")},
                "nextPageToken": _nullable(_STRING),
            },
            ("locations", "nextPageToken"),
        ),
        "LocationDeleted": _obj({"id": _ID, "deleted": {"const": True}}, ("id", "deleted")),
    }
