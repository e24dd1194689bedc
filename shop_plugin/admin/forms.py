"""HTML forms to service bodies, and service errors back to the fields they name.

Each form's input names are the paths the services use in their errors (``name.zh-CN``,
``origin.place.en``, ``certifications[1].validUntil``), so an error lands next to its input.
The body built from a form is shaped like the API's answer, so a form refused by a service is
shown again from the body, with the rows of lists renumbered the way the service saw them.
Text is trimmed; a blank input is left out when creating and cleared (null) when editing.
Nothing here checks values: the services do, and name every field they refuse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import MultiDict

from shoptrace.shop_plugin.admin.phrases import rule_label
from shoptrace.shop_plugin.services.batches import BATCH_VISIBILITY_FIELDS
from shoptrace.shop_plugin.services.errors import FieldError, ServiceError
from shoptrace.shop_plugin.services.locations import LOCATION_VISIBILITY_FIELDS
from shoptrace.shop_plugin.services.products import PRODUCT_VISIBILITY_FIELDS

__all__ = [
    "BLANK_ROWS",
    "CERT_FIELDS",
    "REPORT_FIELDS",
    "FormErrors",
    "FormInput",
    "batch_body",
    "errors_of",
    "gtin_text",
    "lines",
    "location_body",
    "product_body",
    "recall_body",
    "webhook_body",
]

LANGS = ("zh-CN", "en")
BLANK_ROWS = 2
"""Empty rows shown after the stored ones in a list of certificates or reports."""
MAX_ROWS = 100
"""Rows of one list read from a form (the services allow fewer)."""
CERT_FIELDS = ("scheme", "issuer", "number", "validFrom", "validUntil", "verification", "url")
REPORT_FIELDS = ("issuer", "number", "date", "result", "url")
_CERT_CHOICES = ("verification",)
_REPORT_CHOICES = ("result",)
_ROW = re.compile(r"([A-Za-z]+)\[([0-9]{1,4})\]\.([A-Za-z]+)")
_PLAIN = frozenset({"required", "required-language", "unknown-field"})


FormInput = MultiDict[str, str]
"""A submitted form (werkzeug's ``request.form``)."""


def _value(form: FormInput, name: str) -> str:
    raw = form.get(name)
    return raw.strip() if isinstance(raw, str) else ""


def _put(body: dict[str, Any], key: str, value: Any, *, create: bool) -> None:
    """Set ``key``; a blank value is left out when creating and null when editing."""
    if value in ("", None, {}):
        if not create:
            body[key] = None
        return
    body[key] = value


def _texts(form: FormInput, name: str) -> dict[str, str]:
    """``{"zh-CN": ..., "en": ...}`` from the inputs ``name.zh-CN`` and ``name.en``."""
    return {lang: text for lang in LANGS if (text := _value(form, f"{name}.{lang}"))}


def gtin_text(value: str) -> str:
    """A GTIN-8, -12 or -13 padded to the 14 digits the services keep; anything else as is."""
    digits = value.strip()
    if digits.isascii() and digits.isdigit() and len(digits) in (8, 12, 13):
        return digits.zfill(14)
    return digits


def _rows(
    form: FormInput, prefix: str, fields: tuple[str, ...], choices: tuple[str, ...]
) -> list[dict[str, str]]:
    """The filled rows of ``prefix[i].field`` inputs in row order, renumbered from 0; a row
    whose text inputs are all blank is dropped (its choices alone do not keep it)."""
    indices: set[int] = set()
    for key in form.keys():
        found = _ROW.fullmatch(key)
        if found and found.group(1) == prefix and found.group(3) in fields:
            indices.add(int(found.group(2)))
    rows = []
    for index in sorted(indices)[:MAX_ROWS]:
        row = {name: _value(form, f"{prefix}[{index}].{name}") for name in fields}
        if any(row[name] for name in fields if name not in choices):
            rows.append({name: text for name, text in row.items() if text})
    return rows


def _visibility(form: FormInput, fields: tuple[str, ...]) -> dict[str, str]:
    return {name: text for name in fields if (text := _value(form, f"visibility.{name}"))}


def product_body(form: FormInput, *, create: bool) -> dict[str, Any]:
    """The product body of the product form (``create``: POST; else the changes of PATCH)."""
    body: dict[str, Any] = {}
    if create:
        _put(body, "gtin", gtin_text(_value(form, "gtin")), create=True)
    body["name"] = _texts(form, "name")
    _put(body, "description", _texts(form, "description"), create=create)
    _put(body, "category", _value(form, "category"), create=create)
    for name in ("listingUrl", "shopProductId", "sku"):
        _put(body, name, _value(form, name), create=create)
    body["certifications"] = _rows(form, "certifications", CERT_FIELDS, _CERT_CHOICES)
    visibility = _visibility(form, PRODUCT_VISIBILITY_FIELDS)
    if visibility:
        body["visibility"] = visibility
    return body


def _group(form: FormInput, name: str, parts: dict[str, str]) -> dict[str, Any] | None:
    """An object of texts (``kind`` "i18n" or "text" per member); None when all are blank."""
    found: dict[str, Any] = {}
    blank = True
    for member, kind in parts.items():
        if kind == "i18n":
            texts = _texts(form, f"{name}.{member}")
            blank = blank and not texts
            found[member] = texts
        else:
            text = _value(form, f"{name}.{member}")
            blank = blank and not text
            if text:
                # Only ASCII is capitalised: "ß".upper() is "SS" and "ﬁ".upper() "FI", which
                # would pass as country codes; other text reaches the service as typed.
                upper = member == "countryCode" and text.isascii()
                found[member] = text.upper() if upper else text
    if blank:
        return None
    return {k: v for k, v in found.items() if v or k in ("place", "name")}


def batch_body(form: FormInput, product_id: int | None, *, create: bool) -> dict[str, Any]:
    """The batch body of the batch form (``product_id`` is set when creating)."""
    body: dict[str, Any] = {}
    if create:
        body["productId"] = product_id
        _put(body, "lot", _value(form, "lot"), create=True)
    for name in ("productionDate", "expiryDate"):
        _put(body, name, _value(form, name), create=create)
    origin = _group(form, "origin", {"place": "i18n", "countryCode": "text", "region": "text"})
    _put(body, "origin", origin, create=create)
    producer = _group(
        form,
        "producer",
        {"name": "i18n", "gln": "text", "licenseNumber": "text", "address": "i18n"},
    )
    _put(body, "producer", producer, create=create)
    body["inspectionReports"] = _rows(form, "inspectionReports", REPORT_FIELDS, _REPORT_CHOICES)
    body["certifications"] = _rows(form, "certifications", CERT_FIELDS, _CERT_CHOICES)
    visibility = _visibility(form, BATCH_VISIBILITY_FIELDS)
    if visibility:
        body["visibility"] = visibility
    return body


def lines(text: Any) -> list[str]:
    """The non-blank lines of a text area (codes or lots, one per line), trimmed."""
    if not isinstance(text, str):
        return []
    return [line.strip() for line in text.splitlines() if line.strip()]


def recall_body(form: FormInput) -> dict[str, Any]:
    """The recall body of the recall form: lots or unit codes as the scope says."""
    body: dict[str, Any] = {"gtin": gtin_text(_value(form, "gtin"))}
    scope = _value(form, "scope")
    lots, units = lines(form.get("lots")), lines(form.get("units"))
    if scope == "units" or (scope != "lots" and units and not lots):
        body["units"] = units
    else:
        body["lots"] = lots
    body["reason"] = _texts(form, "reason")
    body["severity"] = _value(form, "severity")
    location = _value(form, "location")
    if location:
        body["location"] = location
    return body


def webhook_body(form: FormInput) -> dict[str, Any]:
    """The endpoint body of the webhook form."""
    body: dict[str, Any] = {
        "url": _value(form, "url"),
        "topics": [t for t in form.getlist("topics") if isinstance(t, str)],
    }
    description = _value(form, "description")
    if description:
        body["description"] = description
    return body


def location_body(form: FormInput, *, create: bool) -> dict[str, Any]:
    """The location body of the location form (``create``: POST; else the changes of PATCH).
    The address is country, region and city; all blank leaves it out (clears it on edit)."""
    body: dict[str, Any] = {}
    _put(body, "id", _value(form, "id"), create=create)
    body["name"] = _texts(form, "name")
    address = _group(form, "address", {"countryCode": "text", "region": "i18n", "city": "i18n"})
    if address is not None:
        address = {k: v for k, v in address.items() if v}
    _put(body, "address", address, create=create)
    visibility = _visibility(form, LOCATION_VISIBILITY_FIELDS)
    if visibility:
        body["visibility"] = visibility
    return body


@dataclass
class FormErrors:
    """The refusals of a service, found by the input they name."""

    errors: list[FieldError] = field(default_factory=list)
    lang: str = "en"

    def __bool__(self) -> bool:
        return bool(self.errors)

    def message(self, error: FieldError) -> str:
        """What went wrong, in the page's language (the service's detail is English)."""
        label = rule_label(error.rule, self.lang)
        if label is None:
            return error.detail
        if error.rule in _PLAIN:
            return label
        return f"{label}: {error.detail}"

    def of(self, *paths: str) -> list[str]:
        """Messages of the errors naming one of ``paths`` or a member or row below it."""
        found = []
        for error in self.errors:
            name = error.field
            if any(
                name == p or name.startswith(p + ".") or name.startswith(p + "[") for p in paths
            ):
                found.append(self.message(error))
        return found

    def all(self) -> list[tuple[str, str]]:
        """Every error as ``(field, message)``."""
        return [(e.field, self.message(e)) for e in self.errors]


def errors_of(exc: ServiceError, lang: str) -> FormErrors:
    """The errors of a refusal; one without fields is shown by its detail."""
    return FormErrors(list(exc.errors) or [FieldError("", "", exc.detail)], lang)
