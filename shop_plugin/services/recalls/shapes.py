"""The recall request's shape: a GTIN and its lots or units, a reason in one or both
languages, a severity; and the unit codes it may name."""

from __future__ import annotations

import re
from typing import Any

from shoptrace.sdk import digital_link
from shoptrace.sdk.epcis.epc import urn_to_dl
from shoptrace.sdk.errors import ShoptraceError
from shoptrace.sdk.gs1 import parse_hri
from shoptrace.shop_plugin.services.errors import FieldError
from shoptrace.shop_plugin.services.validation import (
    INVALID,
    Check,
    Field,
    array,
    enum,
    gs1,
    i18n,
    obj,
    text,
)
from shoptrace.shop_plugin.services.validation import gtin as gtin_check
from shoptrace.shop_plugin.store.tables import RECALL_SEVERITIES

MAX_LOTS = 100
"""Lots one recall may name."""
MAX_UNITS = 10_000
"""Units one recall may name (recall their lot instead when more are affected)."""

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def _reason(value: Any, path: str, errors: list[FieldError]) -> Any:
    """Text (its language guessed: any Chinese character makes it zh-CN) or ``{zh-CN, en}``."""
    if isinstance(value, str):
        cleaned = text(max_length=500)(value, path, errors)
        if cleaned is INVALID:
            return INVALID
        if not cleaned.strip():
            errors.append(FieldError(path, "min-length", "must not be blank"))
            return INVALID
        return {"zh-CN" if _CJK.search(cleaned) else "en": cleaned}
    cleaned = i18n(max_length=500)(value, path, errors)
    if cleaned is INVALID:
        return INVALID
    return {k: v for k, v in cleaned.items() if v}


def _one_scope(cleaned: dict[str, Any], path: str, errors: list[FieldError]) -> None:
    lots, named = cleaned.get("lots"), cleaned.get("units")
    if lots is not None and named is not None:
        errors.append(FieldError("units", "one-of", "name lots or units, not both"))
    elif lots is None and named is None:
        errors.append(FieldError("lots", "one-of", "name the lots (or the units) to recall"))
    for name, values in (("lots", lots), ("units", named)):
        if values is not None and not values:
            errors.append(FieldError(name, "min-items", "must name at least one"))


_CREATE: Check = obj(
    {
        "gtin": Field(gtin_check(), required=True),
        "lots": Field(array(gs1("10"), max_items=MAX_LOTS)),
        "units": Field(array(text(max_length=2000), max_items=MAX_UNITS)),
        "reason": Field(_reason, required=True),
        "severity": Field(enum(RECALL_SEVERITIES), required=True),
        "location": Field(gs1("414")),
    },
    post=_one_scope,
)
_CLOSE: Check = obj({"note": Field(text(max_length=2000, multiline=True))})


def _unit_ref(code: str, gtin: str) -> tuple[str, str | None] | FieldError:
    """``(serial, lot or None)`` of a unit code: a Digital Link URI, an EPC URN, bracketed AI
    data ``(01)...(21)...`` or a bare serial of ``gtin``; else the error (field left blank)."""
    value = code.strip()
    try:
        if value.startswith("("):
            ais = dict(parse_hri(value))
        elif value.startswith("urn:epc:"):
            ais = dict(digital_link.parse(urn_to_dl(value)).path_ais)
        elif "://" in value:
            ais = dict(digital_link.parse(value).path_ais)
        else:
            errors: list[FieldError] = []
            if gs1("21")(value, "", errors) is INVALID:
                return FieldError("", "unit-code", errors[0].detail)
            return value, None
    except (ShoptraceError, ValueError) as exc:
        return FieldError("", "unit-code", f"not a unit code: {exc}")
    if "01" not in ais or "21" not in ais:
        return FieldError("", "unit-code", "must name a unit: a GTIN (01) and a serial (21)")
    if ais["01"].rjust(14, "0") != gtin:
        return FieldError("", "gtin-mismatch", f"names GTIN {ais['01']}, not the recall's {gtin}")
    return ais["21"], ais.get("10")
