"""Checks for JSON input: each names the field and the rule a bad value breaks.

A check is a function ``(value, path, errors) -> cleaned`` that appends a
:class:`~shoptrace.shop_plugin.services.errors.FieldError` and returns :data:`INVALID` when
the value is bad. :func:`validate` runs an object schema over a request body and raises
:class:`~shoptrace.shop_plugin.services.errors.InvalidInput` with every error found, so a
client fixes its request in one round trip. Strings are refused when they hold control
characters or lone surrogates, which no database column should receive.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from shoptrace.sdk.errors import InvalidElementString
from shoptrace.sdk.gs1 import has_valid_check_digit, validate_value
from shoptrace.shop_plugin.services.errors import FieldError, InvalidInput

__all__ = [
    "INVALID",
    "Check",
    "Field",
    "array",
    "enum",
    "gs1",
    "gtin",
    "i18n",
    "integer",
    "iso_date",
    "obj",
    "text",
    "url",
    "validate",
    "whole_number",
]

INVALID: Any = object()
"""What a check returns for a bad value (after recording the error)."""

Check = Callable[[Any, str, list[FieldError]], Any]

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# One line: no line break of any kind either (U+2028 LINE and U+2029 PARAGRAPH SEPARATOR too).
_CONTROL_SINGLE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _bad(errors: list[FieldError], path: str, rule: str, detail: str) -> Any:
    errors.append(FieldError(path, rule, detail))
    return INVALID


def _join(path: str, key: str) -> str:
    """``path.key``; a client's unknown key is shown escaped and cut to 100 characters."""
    key = key.encode("utf-8", "backslashreplace").decode("utf-8")[:100]
    return f"{path}.{key}" if path else key


def text(*, max_length: int, min_length: int = 1, multiline: bool = False) -> Check:
    """A string of ``min_length`` to ``max_length`` characters without control characters."""
    bad_chars = _CONTROL if multiline else _CONTROL_SINGLE_LINE

    def check(value: Any, path: str, errors: list[FieldError]) -> Any:
        if not isinstance(value, str):
            return _bad(errors, path, "type", f"must be a string, got {_json_type(value)}")
        if len(value) < min_length:
            return _bad(errors, path, "min-length", f"must have at least {min_length} characters")
        if len(value) > max_length:
            return _bad(errors, path, "max-length", f"must have at most {max_length} characters")
        found = bad_chars.search(value)
        if found:
            return _bad(
                errors,
                path,
                "characters",
                f"control character, line break or lone surrogate U+{ord(found.group()):04X} "
                f"at position {found.start()}",
            )
        return value

    return check


def whole_number(raw: str, low: int, high: int) -> int | None:
    """``raw`` (a query parameter, say) as a whole number from ``low`` to ``high`` written in
    ASCII digits only, else None. At most 19 digits are read: ``int()`` would take other
    scripts' digits, and refuses more than 4,300 digits with a ValueError."""
    if raw.isascii() and raw.isdigit() and len(raw) <= 19:
        value = int(raw)
        if low <= value <= high:
            return value
    return None


def integer(*, minimum: int, maximum: int) -> Check:
    """A JSON integer (not a boolean, not a fraction) within bounds."""

    def check(value: Any, path: str, errors: list[FieldError]) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            return _bad(errors, path, "type", f"must be an integer, got {_json_type(value)}")
        if value < minimum:
            return _bad(errors, path, "minimum", f"must be at least {minimum}")
        if value > maximum:
            return _bad(errors, path, "maximum", f"must be at most {maximum}")
        return value

    return check


def enum(values: tuple[str, ...]) -> Check:
    """One of ``values``."""

    def check(value: Any, path: str, errors: list[FieldError]) -> Any:
        if not isinstance(value, str):
            return _bad(errors, path, "type", f"must be a string, got {_json_type(value)}")
        if value not in values:
            shown = value if len(value) <= 40 else value[:40] + "..."
            return _bad(errors, path, "enum", f"{shown!r} is not one of {', '.join(values)}")
        return value

    return check


def gtin() -> Check:
    """A GTIN-14 (AI 01): 14 digits with a valid check digit."""

    def check(value: Any, path: str, errors: list[FieldError]) -> Any:
        if not isinstance(value, str):
            return _bad(errors, path, "type", f"must be a string, got {_json_type(value)}")
        if len(value) != 14 or not value.isascii() or not value.isdigit():
            return _bad(
                errors, path, "gtin-14", "must be 14 digits (pad GTIN-8/12/13 with leading zeros)"
            )
        if not has_valid_check_digit(value):
            return _bad(errors, path, "check-digit", "the GS1 check digit (last digit) is wrong")
        return gs1("01")(value, path, errors)

    return check


def gs1(ai: str) -> Check:
    """A valid value of GS1 Application Identifier ``ai`` (checked by the SDK)."""

    def check(value: Any, path: str, errors: list[FieldError]) -> Any:
        if not isinstance(value, str):
            return _bad(errors, path, "type", f"must be a string, got {_json_type(value)}")
        try:
            validate_value(ai, value)
        except InvalidElementString as exc:
            return _bad(errors, path, f"gs1-ai-{ai}", str(exc))
        return value

    return check


def _century_year(yy: int, today: date) -> int:
    """GS1 General Specifications 7.12: a YY is taken within -49..+50 years of today."""
    current = today.year
    candidate = current - current % 100 + yy
    if candidate - current > 50:
        candidate -= 100
    elif candidate - current < -49:
        candidate += 100
    return candidate


def iso_date(ai: str | None = None) -> Check:
    """A date ``YYYY-MM-DD``; with ``ai`` ("11", "17") also a valid value of that GS1 AI,
    in the years GS1's YYMMDD can carry (within -49..+50 years of today)."""

    def check(value: Any, path: str, errors: list[FieldError]) -> Any:
        if not isinstance(value, str):
            return _bad(errors, path, "type", f"must be a string, got {_json_type(value)}")
        if not _ISO_DATE.fullmatch(value):
            return _bad(errors, path, "date", "must be a date written YYYY-MM-DD")
        try:
            day = date.fromisoformat(value)
        except ValueError:
            return _bad(errors, path, "date", f"{value} is not a calendar date")
        if ai is None:
            return day
        if _century_year(day.year % 100, date.today()) != day.year:
            return _bad(
                errors,
                path,
                f"gs1-ai-{ai}",
                f"year {day.year} cannot be written as GS1 AI ({ai}) YYMMDD, which covers "
                "49 years back to 50 years ahead",
            )
        if gs1(ai)(day.strftime("%y%m%d"), path, errors) is INVALID:
            return INVALID
        return day

    return check


def url(*, max_length: int = 2000) -> Check:
    """An absolute http(s) URL."""
    as_text = text(max_length=max_length)

    def check(value: Any, path: str, errors: list[FieldError]) -> Any:
        value = as_text(value, path, errors)
        if value is INVALID:
            return INVALID
        try:
            parts = urlsplit(value)
        except ValueError:
            parts = None
        if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
            return _bad(errors, path, "url", "must be an absolute http:// or https:// URL")
        if any(c.isspace() for c in value):
            return _bad(errors, path, "url", "must not contain white space")
        return value

    return check


def array(item: Check, *, max_items: int) -> Check:
    """A list of at most ``max_items`` values, each checked by ``item``."""

    def check(value: Any, path: str, errors: list[FieldError]) -> Any:
        if not isinstance(value, list):
            return _bad(errors, path, "type", f"must be an array, got {_json_type(value)}")
        if len(value) > max_items:
            return _bad(errors, path, "max-items", f"must have at most {max_items} items")
        cleaned = [item(v, f"{path}[{i}]", errors) for i, v in enumerate(value)]
        return INVALID if any(v is INVALID for v in cleaned) else cleaned

    return check


@dataclass(frozen=True)
class Field:
    """A member of an object: its check, whether it must be given, whether null is allowed."""

    check: Check
    required: bool = False
    nullable: bool = True


def obj(
    fields: Mapping[str, Field],
    *,
    partial: bool = False,
    post: Callable[[dict[str, Any], str, list[FieldError]], None] | None = None,
) -> Check:
    """An object with exactly the members of ``fields``; unknown members are errors.

    ``partial`` (PATCH) lifts the required checks. ``post`` checks rules across members.
    """

    def check(value: Any, path: str, errors: list[FieldError]) -> Any:
        if not isinstance(value, dict):
            return _bad(
                errors, path or "(body)", "type", f"must be an object, got {_json_type(value)}"
            )
        before = len(errors)
        cleaned: dict[str, Any] = {}
        for key in value:
            if key not in fields:
                _bad(errors, _join(path, str(key)), "unknown-field", "is not a known field")
        for key, spec in fields.items():
            where = _join(path, key)
            if key not in value:
                if spec.required and not partial:
                    _bad(errors, where, "required", "is required")
                continue
            member = value[key]
            if member is None:
                if spec.nullable and not spec.required:
                    cleaned[key] = None
                else:
                    _bad(errors, where, "type", "must not be null")
                continue
            result = spec.check(member, where, errors)
            if result is not INVALID:
                cleaned[key] = result
        if len(errors) == before and post is not None:
            post(cleaned, path, errors)
        return INVALID if len(errors) > before else cleaned

    return check


def i18n(*, max_length: int, multiline: bool = False) -> Check:
    """Text in zh-CN and/or en: ``{"zh-CN": "...", "en": "..."}``, at least one of them."""
    member = Field(text(max_length=max_length, multiline=multiline))
    inner = obj({"zh-CN": member, "en": member})

    def check(value: Any, path: str, errors: list[FieldError]) -> Any:
        cleaned = inner(value, path, errors)
        if cleaned is INVALID:
            return INVALID
        if not any(cleaned.get(lang) for lang in ("zh-CN", "en")):
            return _bad(errors, path, "required-language", "give the text in zh-CN or en")
        return cleaned

    return check


def validate(body: Any, schema: Check) -> Any:
    """Run ``schema`` over a request body; raise InvalidInput with every error found."""
    errors: list[FieldError] = []
    cleaned = schema(body, "", errors)
    if errors:
        raise InvalidInput(errors)
    return cleaned
