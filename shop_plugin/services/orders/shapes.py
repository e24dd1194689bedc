"""The order and product shapes the shop sends, checked and cleaned (field errors name
the member, e.g. ``lines[2].quantity``)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from shoptrace.sdk.gs1 import has_valid_check_digit
from shoptrace.shop_plugin.services.allocation import MAX_CODES
from shoptrace.shop_plugin.services.catalogue import CATEGORY_CODES
from shoptrace.shop_plugin.services.errors import FieldError, InvalidInput
from shoptrace.shop_plugin.services.validation import (
    INVALID,
    Check,
    Field,
    array,
    enum,
    i18n,
    integer,
    obj,
    text,
    url,
)

MAX_LINES = 500
"""Most lines in one order."""
MAX_QUANTITY = 100_000

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _shop_id(max_length: int) -> Check:
    """A shop's id: a string, or a whole number (platforms send numbers) kept as text."""
    as_text = text(max_length=max_length)

    def check(value: Any, path: str, errors: list[FieldError]) -> Any:
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            value = str(value)
        return as_text(value, path, errors)

    return check


def _any_gtin() -> Check:
    """A GTIN-8, -12, -13 or -14, kept as 14 digits."""

    def check(value: Any, path: str, errors: list[FieldError]) -> Any:
        if not isinstance(value, str):
            errors.append(FieldError(path, "type", f"must be a string, got {_json_type(value)}"))
            return INVALID
        digits = value.strip()
        if len(digits) not in (8, 12, 13, 14) or not digits.isascii() or not digits.isdigit():
            errors.append(FieldError(path, "gtin", "must be a GTIN of 8, 12, 13 or 14 digits"))
            return INVALID
        digits = digits.zfill(14)
        if not has_valid_check_digit(digits):
            errors.append(FieldError(path, "check-digit", "the GS1 check digit is wrong"))
            return INVALID
        return digits

    return check


def _moment() -> Check:
    """An ISO 8601 date-time with a UTC offset (or an aware ``datetime``), as UTC."""

    def check(value: Any, path: str, errors: list[FieldError]) -> Any:
        moment: datetime | None = None
        if isinstance(value, datetime):
            moment = value
        elif isinstance(value, str) and 10 < len(value) <= 40:
            try:
                moment = datetime.fromisoformat(value.strip())
            except ValueError:
                moment = None
        elif not isinstance(value, str):
            errors.append(FieldError(path, "type", f"must be a string, got {_json_type(value)}"))
            return INVALID
        if moment is None:
            errors.append(
                FieldError(path, "date-time", "must be ISO 8601, e.g. 2026-04-02T10:30:00+08:00")
            )
            return INVALID
        if moment.tzinfo is None or moment.utcoffset() is None:
            errors.append(FieldError(path, "time-zone", "must carry a UTC offset or Z"))
            return INVALID
        if not 2000 <= moment.year <= 2100:
            errors.append(FieldError(path, "range", "must be between the years 2000 and 2100"))
            return INVALID
        return moment.astimezone(UTC)

    return check


def _country() -> Check:
    as_text = text(max_length=2, min_length=2)

    def check(value: Any, path: str, errors: list[FieldError]) -> Any:
        found = as_text(value, path, errors)
        if found is INVALID:
            return INVALID
        if not (found.isascii() and found.isalpha()):
            errors.append(FieldError(path, "iso-3166-alpha-2", "must be two letters, e.g. CN"))
            return INVALID
        return found.upper()

    return check


_DESTINATION = obj(
    {
        "country": Field(_country()),
        "region": Field(text(max_length=100)),
        "city": Field(text(max_length=100)),
        "postcode": Field(text(max_length=20)),
    }
)
_LINE = obj(
    {
        "id": Field(_shop_id(100)),
        "sku": Field(text(max_length=100)),
        "product_id": Field(_shop_id(100)),
        "gtin": Field(_any_gtin()),
        "name": Field(text(max_length=200)),
        "quantity": Field(integer(minimum=1, maximum=MAX_QUANTITY), required=True),
    }
)


def _lines_check() -> Check:
    items = array(_LINE, max_items=MAX_LINES)

    def check(value: Any, path: str, errors: list[FieldError]) -> Any:
        if isinstance(value, list) and not value:
            errors.append(FieldError(path, "min-items", "must have at least one line"))
            return INVALID
        return items(value, path, errors)

    return check


_ORDER = obj(
    {
        "id": Field(_shop_id(100), required=True),
        "number": Field(text(max_length=100)),
        "customer": Field(text(max_length=200)),
        "placed_at": Field(_moment()),
        "destination": Field(_DESTINATION),
        "lines": Field(_lines_check()),
    }
)


def _name() -> Check:
    as_text = text(max_length=200)
    as_i18n = i18n(max_length=200)

    def check(value: Any, path: str, errors: list[FieldError]) -> Any:
        if isinstance(value, str):
            found = as_text(value, path, errors)
            if found is INVALID:
                return INVALID
            return {"zh-CN" if _CJK.search(found) else "en": found}
        return as_i18n(value, path, errors)

    return check


_PRODUCT = obj(
    {
        "id": Field(_shop_id(100), required=True),
        "gtin": Field(_any_gtin()),
        "sku": Field(text(max_length=100)),
        "name": Field(_name()),
        "url": Field(url()),
        "category": Field(enum(CATEGORY_CODES)),
    }
)


def _checked(value: Any, schema: Check, prefix: str) -> Any:
    errors: list[FieldError] = []
    cleaned = schema(value, prefix, errors)
    if errors:
        raise InvalidInput(errors)
    return cleaned


def _codes(value: Any) -> list[Any] | None:
    """The scanned codes: None (no scans) or a list (an empty one counts as none)."""
    if value is None:
        return None
    if not isinstance(value, list | tuple):
        raise InvalidInput.one("units", "type", f"must be a list of codes, got {_json_type(value)}")
    if len(value) > MAX_CODES:
        raise InvalidInput.one("units", "max-items", f"must have at most {MAX_CODES} codes")
    return list(value) or None
