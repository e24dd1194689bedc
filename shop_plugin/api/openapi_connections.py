"""OpenAPI paths and schemas of the shop platform connections (inbound webhooks).

Merged into the document by ``openapi.document``; build entries with that module's helpers
(``_op``, ``_param``, ``_json``, ``_ref``, ``_obj``, ...).
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
)
from shoptrace.shop_plugin.services.connections import MAX_GRACE_SECONDS, PLATFORMS

__all__ = ["paths", "schemas"]

_SECRET = {
    "type": "string",
    "minLength": 8,
    "maxLength": 1000,
    "writeOnly": True,
    "description": "The webhook secret the platform signs with (Shopify: the app's client "
    "secret or the shop's webhook signing key; WooCommerce: the webhook's secret; Saleor: "
    "the webhook's secretKey). Stored sealed, never returned.",
}
_PUBLIC_KEY = {
    "description": "Saleor only: the RSA public keys of its JWS signatures, as the shop's "
    "/.well-known/jwks.json serves them (a JWK Set) or one JWK",
    "anyOf": [
        _obj(
            {"keys": {"type": "array", "items": _ref("Jwk"), "minItems": 1, "maxItems": 10}},
            ("keys",),
            closed=False,
        ),
        _ref("Jwk"),
    ],
}


def paths() -> dict[str, Any]:
    """Path items, keyed by path relative to the API root."""
    connection_id = _param("connection_id", "path", _ID, "Connection id")
    created = {"Location": {"schema": _STRING, "description": "URL of the new resource"}}
    next_link = {"Link": {"schema": _STRING, "description": '<url>; rel="next"'}}
    return {
        "/connections": {
            "get": _op(
                "list_connections",
                "List the shops whose webhooks this merchant receives",
                {"200": _json("ConnectionList", "A page of connections") | {"headers": next_link}},
                params=[
                    *_PAGE,
                    _param("platform", "query", {"enum": list(PLATFORMS)}, "Only this platform"),
                ],
            ),
            "post": _op(
                "create_connection",
                "Connect a shop: its platform, its name in the webhook headers, the secret",
                {"201": _json("Connection", "Connected") | {"headers": created}},
                params=[_IDEMPOTENCY],
                body="ConnectionInput",
                errors=(*_WRITE, 409),
            ),
        },
        "/connections/{connection_id}": {
            "get": _op(
                "get_connection",
                "Get a connection (never its secret)",
                {"200": _json("Connection", "The connection")},
                params=[connection_id],
                errors=(*_READ, 404),
            ),
            "patch": _op(
                "update_connection",
                "Rotate the secret (optionally keeping the previous one for graceSeconds) "
                "or replace Saleor's public keys",
                {"200": _json("Connection", "The connection")},
                params=[connection_id],
                body="ConnectionPatch",
                errors=(*_WRITE, 404),
            ),
            "delete": _op(
                "delete_connection",
                "Disconnect a shop: its webhooks are refused from now on",
                {"200": _json("ConnectionDeleted", "Disconnected")},
                params=[connection_id, _IDEMPOTENCY],
                errors=(*_READ, 404),
            ),
        },
    }


def schemas() -> dict[str, Any]:
    """Component schemas, keyed by name."""
    platform = {"enum": list(PLATFORMS)}
    shop = {
        "type": "string",
        "maxLength": 255,
        "description": "The shop as its webhook headers name it, normalised to "
        "host[:port][/path]: Shopify's myshopify.com domain, the WooCommerce site URL, "
        "the Saleor API URL",
    }
    return {
        "Jwk": _obj(
            {
                "kty": {"const": "RSA"},
                "n": {"type": "string", "description": "Modulus, base64url (2048-8192 bits)"},
                "e": {"type": "string", "description": "Public exponent, base64url"},
                "kid": _STRING,
                "alg": {"const": "RS256"},
                "use": {"const": "sig"},
            },
            ("kty", "n", "e"),
            closed=False,
        ),
        "ConnectionInput": _obj(
            {
                "platform": platform,
                "shop": {
                    **shop,
                    "maxLength": 2000,
                    "description": "The shop's domain or URL (scheme and trailing slash optional)",
                },
                "secret": _SECRET,
                "publicKey": _nullable(_PUBLIC_KEY),
            },
            ("platform", "shop"),
        ),
        "ConnectionPatch": _obj(
            {
                "secret": _SECRET,
                "graceSeconds": {
                    "type": "integer",
                    "minimum": 0,
                    "maximum": MAX_GRACE_SECONDS,
                    "description": "With a new secret: how long the previous one still "
                    "verifies webhooks (default 0)",
                },
                "publicKey": _nullable(_PUBLIC_KEY),
            }
        ),
        "Connection": _obj(
            {
                "id": _ID,
                "platform": platform,
                "shop": shop,
                "status": {
                    "enum": ["active", "unreadable"],
                    "description": "unreadable: the sealed secret does not open under the "
                    "current SHOPTRACE_SIGNING_KEY; set the secret again",
                },
                "verification": {
                    "type": "array",
                    "items": {"enum": ["hmac-sha256", "jws-rs256"]},
                    "description": "How this connection's webhooks are verified",
                },
                "previousSecretUntil": _nullable(_TIME),
                "webhookUrl": {
                    "type": "string",
                    "format": "uri",
                    "description": "The delivery URL to give the platform",
                },
                "createdAt": _TIME,
                "updatedAt": _TIME,
            },
            (
                "id",
                "platform",
                "shop",
                "status",
                "verification",
                "previousSecretUntil",
                "webhookUrl",
                "createdAt",
                "updatedAt",
            ),
        ),
        "ConnectionList": _obj(
            {
                "connections": {"type": "array", "items": _ref("Connection")},
                "nextPageToken": _nullable(_STRING),
            },
            ("connections", "nextPageToken"),
        ),
        "ConnectionDeleted": _obj(
            {"id": _ID, "platform": platform, "shop": shop, "deleted": {"const": True}},
            ("id", "platform", "shop", "deleted"),
        ),
    }
