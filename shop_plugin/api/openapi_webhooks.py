"""OpenAPI paths and schemas of outbound webhook endpoints and their deliveries.

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
from shoptrace.shop_plugin.services.outbox import TEST_TOPIC, WEBHOOK_TOPICS
from shoptrace.shop_plugin.services.webhooks import DEFAULT_SECRET_GRACE, MAX_SECRET_GRACE
from shoptrace.shop_plugin.store.tables import OUTBOX_STATUSES

__all__ = ["paths", "schemas"]

_URL = {"type": "string", "format": "uri", "maxLength": 2000}


def paths() -> dict[str, Any]:
    """Path items, keyed by path relative to the API root."""
    webhook_id = _param("webhook_id", "path", _ID, "Webhook endpoint id")
    delivery_id = _param("delivery_id", "path", _ID, "Delivery (outbox message) id")
    created = {"Location": {"schema": _STRING, "description": "URL of the new resource"}}
    next_link = {"Link": {"schema": _STRING, "description": '<url>; rel="next"'}}
    rotate = _op(
        "rotate_webhook_secret",
        "Replace the endpoint's signing secret; the answer shows the new one, once. Until "
        "previousSecretExpiresAt (expiresInSeconds, default 24 h; 0: at once) every message "
        "is signed with the new and the previous secret (two v1 values)",
        {"200": _json("WebhookWithSecret", "The endpoint with its new secret")},
        params=[webhook_id, _IDEMPOTENCY],
        body="WebhookRotation",
        errors=(*_READ, 404, 413, 415),
    )
    rotate["requestBody"]["required"] = False
    return {
        "/webhooks": {
            "get": _op(
                "list_webhooks",
                "List webhook endpoints",
                {"200": _json("WebhookList", "A page of endpoints") | {"headers": next_link}},
                params=[*_PAGE],
            ),
            "post": _op(
                "create_webhook",
                "Register a webhook endpoint; the answer shows its signing secret, once",
                {"201": _json("WebhookWithSecret", "Created") | {"headers": created}},
                params=[_IDEMPOTENCY],
                body="WebhookInput",
                errors=(*_WRITE, 409),
            ),
        },
        "/webhooks/{webhook_id}": {
            "get": _op(
                "get_webhook",
                "Get a webhook endpoint (never its secret)",
                {"200": _json("Webhook", "The endpoint")},
                params=[webhook_id],
                errors=(*_READ, 404),
            ),
            "patch": _op(
                "update_webhook",
                "Change url, topics, description or enabled; a disabled endpoint's messages "
                "wait until it is enabled",
                {"200": _json("Webhook", "The endpoint")},
                params=[webhook_id],
                body="WebhookPatch",
                errors=(*_WRITE, 404),
            ),
            "delete": _op(
                "delete_webhook",
                "Delete a webhook endpoint with its deliveries (unsent messages are dropped)",
                {"200": _json("WebhookDeleted", "Deleted")},
                params=[webhook_id, _IDEMPOTENCY],
                errors=(*_READ, 404),
            ),
        },
        "/webhooks/{webhook_id}/rotate-secret": {"post": rotate},
        "/webhooks/{webhook_id}/test": {
            "post": _op(
                "test_webhook",
                f"Queue a {TEST_TOPIC} message to the endpoint, whatever its topics",
                {"202": _json("WebhookDelivery", "Queued") | {"headers": created}},
                params=[webhook_id, _IDEMPOTENCY],
                errors=(*_READ, 404, 409),
            )
        },
        "/webhooks/{webhook_id}/deliveries": {
            "get": _op(
                "list_webhook_deliveries",
                "The endpoint's messages and their delivery state, oldest first",
                {
                    "200": _json("WebhookDeliveryList", "A page of deliveries")
                    | {"headers": next_link}
                },
                params=[
                    webhook_id,
                    *_PAGE,
                    _param("status", "query", {"enum": list(OUTBOX_STATUSES)}, "Only this state"),
                    _param("topic", "query", _ref("DeliveryTopic"), "Only this topic"),
                ],
                errors=(*_READ, 404),
            )
        },
        "/webhooks/{webhook_id}/deliveries/{delivery_id}": {
            "get": _op(
                "get_webhook_delivery",
                "One delivery, with the body it sends",
                {"200": _json("WebhookDelivery", "The delivery")},
                params=[webhook_id, delivery_id],
                errors=(*_READ, 404),
            )
        },
        "/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver": {
            "post": _op(
                "redeliver_webhook_delivery",
                "Send a message again now: a dead or delivered one goes back to pending with "
                "a new round of tries",
                {"202": _json("WebhookDelivery", "Pending again")},
                params=[webhook_id, delivery_id, _IDEMPOTENCY],
                errors=(*_READ, 404, 409),
            )
        },
    }


def schemas() -> dict[str, Any]:
    """Component schemas, keyed by name."""
    topics = {
        "type": "array",
        "items": _ref("WebhookTopic"),
        "minItems": 1,
        "description": "What the endpoint receives",
    }
    inputs = {
        "url": _URL
        | {
            "description": "https:// URL on a public host (local and private hosts, over "
            "http:// too, with SHOPTRACE_WEBHOOK_LOCAL_URLS)"
        },
        "topics": topics,
        "description": _nullable({"type": "string", "maxLength": 200}),
        "enabled": {"type": "boolean", "description": "Default true"},
    }
    endpoint = {
        "id": _ID,
        "url": _URL,
        "description": _nullable(_STRING),
        "topics": {"type": "array", "items": _ref("WebhookTopic")},
        "enabled": {"type": "boolean"},
        "previousSecretExpiresAt": _nullable(_TIME)
        | {
            "description": "Until when messages are also signed with the secret the last "
            "rotation replaced (never shown); null: only the current secret signs"
        },
        "createdAt": _TIME,
        "updatedAt": _TIME,
    }
    required = (
        "id",
        "url",
        "description",
        "topics",
        "enabled",
        "previousSecretExpiresAt",
        "createdAt",
        "updatedAt",
    )
    delivery = {
        "id": _ID,
        "webhookId": _ID,
        "eventId": {
            "type": "string",
            "pattern": "^evt_[0-9a-f]{32}$",
            "description": "The body's id and the ShopTrace-Event-Id header",
        },
        "topic": _ref("DeliveryTopic"),
        "status": {"enum": list(OUTBOX_STATUSES)},
        "attempts": {"type": "integer", "minimum": 0, "description": "Tries made so far"},
        "nextAttemptAt": _nullable(_TIME),
        "lastStatus": _nullable({"type": "integer", "description": "HTTP status last answered"}),
        "lastError": _nullable(_STRING),
        "createdAt": _TIME,
        "deliveredAt": _nullable(_TIME),
        "payload": _ref("WebhookEvent"),
    }
    return {
        "WebhookTopic": {"enum": list(WEBHOOK_TOPICS)},
        "DeliveryTopic": {"enum": [*WEBHOOK_TOPICS, TEST_TOPIC]},
        "WebhookInput": _obj(inputs, ("url", "topics")),
        "WebhookPatch": _obj(inputs),
        "WebhookRotation": _obj(
            {
                "expiresInSeconds": {
                    "type": "integer",
                    "minimum": 0,
                    "maximum": MAX_SECRET_GRACE,
                    "default": DEFAULT_SECRET_GRACE,
                    "description": "Seconds the previous secret keeps signing messages beside "
                    "the new one (at most 7 days); 0 stops it at once. A bad value is a 400 "
                    "naming expiresInSeconds",
                }
            }
        ),
        "Webhook": _obj(endpoint, required),
        "WebhookWithSecret": _obj(
            {
                **endpoint,
                "secret": {
                    "type": "string",
                    "pattern": "^whsec_[A-Za-z0-9_-]{43}$",
                    "description": "Signing secret; shown only here. Verify ShopTrace-"
                    "Signature with it (shoptrace.sdk.webhooks.construct_event)",
                },
            },
            (*required, "secret"),
        ),
        "WebhookList": _obj(
            {
                "webhooks": {"type": "array", "items": _ref("Webhook")},
                "nextPageToken": _nullable(_STRING),
            },
            ("webhooks", "nextPageToken"),
        ),
        "WebhookDeleted": _obj({"id": _ID, "deleted": {"const": True}}, ("id", "deleted")),
        "WebhookEvent": _obj(
            {
                "id": {"type": "string", "pattern": "^evt_[0-9a-f]{32}$"},
                "type": _ref("DeliveryTopic"),
                "created": _TIME,
                "merchant": _ID,
                "data": {"type": "object", "description": "What happened; shape per topic"},
            },
            ("id", "type", "created", "merchant", "data"),
        ),
        "WebhookDelivery": _obj(
            delivery,
            (
                "id",
                "webhookId",
                "eventId",
                "topic",
                "status",
                "attempts",
                "nextAttemptAt",
                "lastStatus",
                "lastError",
                "createdAt",
                "deliveredAt",
            ),
        ),
        "WebhookDeliveryList": _obj(
            {
                "deliveries": {"type": "array", "items": _ref("WebhookDelivery")},
                "nextPageToken": _nullable(_STRING),
            },
            ("deliveries", "nextPageToken"),
        ),
    }
