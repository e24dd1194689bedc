"""OpenAPI paths and schemas of the shop platform connections (inbound webhooks).

Merged into the document by ``openapi.document``; build entries with that module's helpers
(``_op``, ``_param``, ``_json``, ``_ref``, ``_obj``, ...).
"""

from __future__ import annotations

from typing import Any

__all__ = ["paths", "schemas"]


def paths() -> dict[str, Any]:
    """Path items, keyed by path relative to the API root."""
    return {}


def schemas() -> dict[str, Any]:
    """Component schemas, keyed by name."""
    return {}
