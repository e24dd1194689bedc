"""OpenAPI paths and schemas of upstream EPCIS endpoints and their push state.

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
)
from shoptrace.shop_plugin.services.upstream import MAX_BATCH_SIZE, STATES
from shoptrace.shop_plugin.store.tables import (
    UPSTREAM_AUTH_TYPES,
    UPSTREAM_KINDS,
    UPSTREAM_MODES,
)

__all__ = ["paths", "schemas"]

_URL = {"type": "string", "format": "uri", "maxLength": 2000}
_SEQ = {"type": "integer", "minimum": 0}


def paths() -> dict[str, Any]:
    """Path items, keyed by path relative to the API root."""
    upstream_id = _param("upstream_id", "path", _ID, "Upstream endpoint id")
    created = {"Location": {"schema": _STRING, "description": "URL of the new resource"}}
    next_link = {"Link": {"schema": _STRING, "description": '<url>; rel="next"'}}
    return {
        "/upstreams": {
            "get": _op(
                "list_upstreams",
                "List upstream EPCIS endpoints with the state of pushing to each",
                {"200": _json("UpstreamList", "A page of endpoints") | {"headers": next_link}},
                params=[*_PAGE],
            ),
            "post": _op(
                "create_upstream",
                "Register an upstream EPCIS endpoint; events are pushed to it from now on "
                "(all stored ones first, unless backfill is false)",
                {"201": _json("Upstream", "Created") | {"headers": created}},
                params=[_IDEMPOTENCY],
                body="UpstreamInput",
                errors=(*_WRITE, 409),
            ),
        },
        "/upstreams/{upstream_id}": {
            "get": _op(
                "get_upstream",
                "Get an upstream endpoint and its push state: cursor, backlog, tries, next "
                "try, last error, dead (never its credential)",
                {"200": _json("Upstream", "The endpoint")},
                params=[upstream_id],
                errors=(*_READ, 404),
            ),
            "patch": _op(
                "update_upstream",
                "Change name, url, kind, partner, mode, auth, batchSize or enabled; a new "
                "url, mode or auth resets the tries and resumes a dead endpoint",
                {"200": _json("Upstream", "The endpoint")},
                params=[upstream_id],
                body="UpstreamPatch",
                errors=(*_WRITE, 404, 409),
            ),
            "delete": _op(
                "delete_upstream",
                "Delete an upstream endpoint (nothing more is pushed to it)",
                {"200": _json("UpstreamDeleted", "Deleted")},
                params=[upstream_id, _IDEMPOTENCY],
                errors=(*_READ, 404),
            ),
        },
        "/upstreams/{upstream_id}/resume": {
            "post": _op(
                "resume_upstream",
                "Try now: a dead endpoint gets a new round of tries, a retrying one skips "
                "the rest of its backoff",
                {"200": _json("Upstream", "The endpoint, due now")},
                params=[upstream_id, _IDEMPOTENCY],
                errors=(*_READ, 404, 409),
            )
        },
        "/upstreams/{upstream_id}/rewind": {
            "post": _op(
                "rewind_upstream",
                "Move the cursor to seq: the events after it are pushed (again), in order; "
                "forward skips events; resumes a dead endpoint",
                {"200": _json("Upstream", "The endpoint, due now")},
                params=[
                    upstream_id,
                    {
                        **_param(
                            "seq",
                            "query",
                            _SEQ,
                            "Position in the merchant's event chain (0: before the first)",
                        ),
                        "required": True,
                    },
                    _IDEMPOTENCY,
                ],
                errors=(*_READ, 404, 409),
            )
        },
    }


def schemas() -> dict[str, Any]:
    """Component schemas, keyed by name."""
    secret = {"type": "string", "minLength": 1, "maxLength": 4000, "writeOnly": True}
    auth_input = {
        "oneOf": [
            _obj({"type": {"const": "none"}}, ("type",)),
            _obj({"type": {"const": "bearer"}, "token": secret}, ("type", "token")),
            _obj(
                {
                    "type": {"const": "basic"},
                    "username": {"type": "string", "minLength": 1, "maxLength": 200},
                    "password": secret | {"maxLength": 1000},
                },
                ("type", "username", "password"),
            ),
            _obj(
                {
                    "type": {"const": "header"},
                    "name": {
                        "type": "string",
                        "maxLength": 100,
                        "description": "Header name, e.g. X-API-Key",
                    },
                    "value": secret,
                },
                ("type", "name", "value"),
            ),
        ],
        "description": "How shoptrace authenticates to the endpoint; sealed, never returned",
    }
    inputs = {
        "name": {"type": "string", "minLength": 1, "maxLength": 100},
        "url": _URL
        | {
            "description": "The EPCIS base URL (capture mode POSTs to {url}/capture and pull "
            "reads {url}/events) or, in document mode, the URL documents are POSTed to. "
            "https:// on a public host (local hosts with SHOPTRACE_SYNC_LOCAL_URLS)"
        },
        "kind": _ref("UpstreamKind"),
        "partner": {
            "type": "boolean",
            "description": "Receives partner data (default: kind is partner)",
        },
        "mode": {"enum": list(UPSTREAM_MODES), "description": "Default capture"},
        "auth": _ref("UpstreamAuthInput"),
        "batchSize": {
            "type": "integer",
            "minimum": 1,
            "maximum": MAX_BATCH_SIZE,
            "description": "Events per pushed document (default 100)",
        },
        "enabled": {"type": "boolean", "description": "Default true"},
    }
    status = {
        "state": {"enum": list(STATES)},
        "pushedSeq": _SEQ | {"description": "Every event up to this position was accepted"},
        "headSeq": _SEQ | {"description": "Position of the merchant's last event"},
        "backlog": _SEQ | {"description": "Events not pushed yet"},
        "attempts": {"type": "integer", "minimum": 0, "description": "Failed tries so far"},
        "nextAttemptAt": _nullable(_TIME),
        "lastAttemptAt": _nullable(_TIME),
        "lastStatus": _nullable({"type": "integer", "description": "HTTP status last answered"}),
        "lastError": _nullable(_STRING),
        "lastSuccessAt": _nullable(_TIME),
        "deadAt": _nullable(_TIME),
        "pulledUntil": _nullable(_TIME | {"description": "recordTime the last pull reached"}),
    }
    endpoint = {
        "id": _ID,
        "name": {"type": "string"},
        "url": _URL,
        "kind": _ref("UpstreamKind"),
        "partner": {"type": "boolean"},
        "mode": {"enum": list(UPSTREAM_MODES)},
        "auth": _obj(
            {
                "type": {"enum": list(UPSTREAM_AUTH_TYPES)},
                "header": _nullable(_STRING),
                "readable": {
                    "type": "boolean",
                    "description": "False when the sealed credential no longer opens (the "
                    "signing key changed): set auth again",
                },
            },
            ("type", "header", "readable"),
        ),
        "batchSize": {"type": "integer", "minimum": 1, "maximum": MAX_BATCH_SIZE},
        "enabled": {"type": "boolean"},
        "status": _obj(status, tuple(status)),
        "createdAt": _TIME,
        "updatedAt": _TIME,
    }
    return {
        "UpstreamKind": {"enum": list(UPSTREAM_KINDS)},
        "UpstreamAuthInput": auth_input,
        "UpstreamInput": _obj(
            {
                **inputs,
                "backfill": {
                    "type": "boolean",
                    "description": "Push the events stored so far too (default true); "
                    "false starts with the next event",
                },
            },
            ("name", "url"),
        ),
        "UpstreamPatch": _obj(inputs),
        "Upstream": _obj(endpoint, tuple(endpoint)),
        "UpstreamList": _obj(
            {
                "upstreams": {"type": "array", "items": _ref("Upstream")},
                "nextPageToken": _nullable(_STRING),
            },
            ("upstreams", "nextPageToken"),
        ),
        "UpstreamDeleted": _obj({"id": _ID, "deleted": {"const": True}}, ("id", "deleted")),
    }
