"""Schema pieces shared by products and batches: certifications, visibility, JSON storage."""

from __future__ import annotations

from datetime import date
from typing import Any

from shoptrace.shop_plugin.services.errors import FieldError
from shoptrace.shop_plugin.services.validation import (
    Check,
    Field,
    array,
    enum,
    iso_date,
    obj,
    text,
    url,
)

__all__ = [
    "VERIFICATION_LEVELS",
    "VISIBILITY_LEVELS",
    "certifications",
    "jsonable",
    "merged_visibility",
    "visibility",
]

VISIBILITY_LEVELS = ("public", "partner", "private")
"""Who sees a descriptive field: shoppers (public), trade partners, or the merchant alone."""
VERIFICATION_LEVELS = ("self-declared", "third-party-verified")
"""How a claim is backed: 自我声明 or 第三方认证."""


def _date_order(first: str, second: str) -> Any:
    def post(cleaned: dict[str, Any], path: str, errors: list[FieldError]) -> None:
        start, end = cleaned.get(first), cleaned.get(second)
        if start is not None and end is not None and end < start:
            where = f"{path}.{second}" if path else second
            errors.append(FieldError(where, "date-order", f"must not be before {first}"))

    return post


_certification = obj(
    {
        "scheme": Field(text(max_length=100), required=True),
        "issuer": Field(text(max_length=200), required=True),
        "number": Field(text(max_length=100), required=True),
        "validFrom": Field(iso_date()),
        "validUntil": Field(iso_date()),
        "verification": Field(enum(VERIFICATION_LEVELS), required=True),
        "url": Field(url()),
    },
    post=_date_order("validFrom", "validUntil"),
)

certifications: Check = array(_certification, max_items=50)
"""A list of certificates: scheme, issuer, number, validity and verification level."""


def visibility(fields: tuple[str, ...]) -> Check:
    """A map from descriptive field name to public, partner or private."""
    return obj({name: Field(enum(VISIBILITY_LEVELS), nullable=False) for name in fields})


def jsonable(value: Any) -> Any:
    """``value`` with dates as ISO text, ready for a JSON column."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    return value


def merged_visibility(fields: tuple[str, ...], *layers: dict[str, str] | None) -> dict[str, str]:
    """Every field's visibility: public unless a later layer says otherwise."""
    result = dict.fromkeys(fields, "public")
    for layer in layers:
        result.update(layer or {})
    return result
