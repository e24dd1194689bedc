"""What the platform adapters share: the changes a webhook maps to, mapping errors, and
careful readers of platform JSON.

An adapter turns a verified delivery into :class:`Mapped`: order changes and product saves in
the shapes of ``services/orders/shapes.py`` (the contract in ``shop_plugin/README.md``, "Orders and
listings"), or the reason it is ignored. Readers name the platform's own field (``line_items[2]
.quantity``) when a payload does not fit, so the 422 answer says what the platform sent wrong.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from shoptrace.sdk.gs1 import has_valid_check_digit
from shoptrace.shop_plugin.services.connections import Credentials
from shoptrace.shop_plugin.services.errors import FieldError, InvalidInput

__all__ = [
    "Adapter",
    "Headers",
    "Mapped",
    "MappingError",
    "OrderChange",
    "ProductSave",
    "as_dict",
    "as_list",
    "b64_hmac_matches",
    "body_digest",
    "delivery_key",
    "destination",
    "first_header",
    "gtin_or_none",
    "ident",
    "name_text",
    "opt_ident",
    "opt_text",
    "pick",
    "quantity",
    "timestamp",
]

MAX_LINES = 1000
"""Most lines (or variants) one payload may carry."""


class Headers(Protocol):
    """The request headers (werkzeug's ``EnvironHeaders`` or a dict in tests)."""

    def get(self, key: str) -> str | None: ...


@dataclass(frozen=True)
class OrderChange:
    """``apply_order(action, order, units=units)``."""

    action: str
    order: dict[str, Any]
    units: list[str] | None = None

    def describe(self) -> str:
        return f"{self.action} order {self.order['id']}"


@dataclass(frozen=True)
class ProductSave:
    """``save_product(product)``."""

    product: dict[str, Any]

    def describe(self) -> str:
        return f"saved product {self.product['id']}"


@dataclass
class Mapped:
    """What one delivery asks for: changes in order, or the reason nothing is done; ``notes``
    say what was left out (a barcode that is no GTIN, ...)."""

    changes: list[OrderChange | ProductSave] = field(default_factory=list)
    ignored: str | None = None
    notes: list[str] = field(default_factory=list)


class MappingError(InvalidInput):
    """A signed payload does not fit what its topic should carry (422, nothing written)."""

    def __init__(self, path: str, rule: str, detail: str) -> None:
        super().__init__([FieldError(path, rule, detail)])


class Adapter(Protocol):
    """One platform's webhooks: where the shop, topic, event id and signature are, and how
    its payloads map onto orders and products."""

    platform: str
    shop_header: str
    signature_header: str
    topic_header: str

    def is_ping(self, headers: Headers, body: bytes) -> bool: ...

    def shops(self, headers: Headers) -> list[str]: ...

    def verify(self, headers: Headers, body: bytes, credentials: Credentials) -> bool: ...

    def topic(self, headers: Headers) -> str | None: ...

    def event_id(self, headers: Headers, body: bytes, topic: str) -> str: ...

    def handles(self, topic: str) -> bool: ...

    def map(self, topic: str, payload: Any, shop: str) -> Mapped: ...


# ---------------------------------------------------------------------------------------------
# Headers and signatures


def first_header(headers: Headers, *names: str) -> str | None:
    """The first of ``names`` present with a non-blank value, stripped."""
    for name in names:
        value = headers.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def b64_hmac_matches(signature: str | None, body: bytes, secrets: tuple[str, ...]) -> bool:
    """Whether ``signature`` is base64(HMAC-SHA256(secret, body)) for one of ``secrets``."""
    if not signature or len(signature) > 200:
        return False
    try:
        given = base64.b64decode(signature.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return False
    found = False
    for secret in secrets:
        expected = hmac.digest(secret.encode("utf-8"), body, "sha256")
        found |= hmac.compare_digest(given, expected)
    return found


def body_digest(*parts: str | bytes) -> str:
    """SHA-256 hex of the parts, each length-prefixed."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8", "surrogateescape") if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


_PLAIN_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,200}")


def delivery_key(topic: str, given: str | None, body: bytes) -> str:
    """The idempotency key of a delivery: the platform's event id with its topic, or, when
    the platform gives none, a digest of topic and body (a retried delivery repeats both)."""
    if given is not None and _PLAIN_ID.fullmatch(given):
        key = f"{topic}:{given}"
        return key if len(key) <= 255 else "sha256:" + body_digest(topic, given)
    if given is not None:
        return "sha256:" + body_digest(topic, given)
    return "body:" + body_digest(topic, body)


# ---------------------------------------------------------------------------------------------
# Payload readers


def _kind(value: Any) -> str:
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


def as_dict(value: Any, path: str) -> Mapping[str, Any]:
    """``value`` if it is a JSON object."""
    if not isinstance(value, dict):
        raise MappingError(path or "(body)", "type", f"must be an object, got {_kind(value)}")
    return value


def as_list(value: Any, path: str, *, optional: bool = False) -> list[Any]:
    """``value`` if it is a JSON array (``[]`` for null when ``optional``)."""
    if value is None and optional:
        return []
    if not isinstance(value, list):
        raise MappingError(path, "type", f"must be an array, got {_kind(value)}")
    if len(value) > MAX_LINES:
        raise MappingError(path, "max-items", f"must have at most {MAX_LINES} items")
    return value


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def _clean(value: str) -> str:
    return " ".join(_CONTROL.sub(" ", value).split())


def opt_text(value: Any, path: str, *, max_length: int) -> str | None:
    """A text member: None when absent or blank; control characters become spaces; longer
    text is cut to ``max_length`` (names and places are descriptive, not keys)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise MappingError(path, "type", f"must be a string, got {_kind(value)}")
    cleaned = _clean(str(value))
    return cleaned[:max_length] or None


def name_text(*parts: Any, max_length: int = 200) -> str | None:
    """Descriptive text joined from the non-blank ``parts`` (product and variant names)."""
    found = [_clean(p) for p in parts if isinstance(p, str) and _clean(p)]
    return " - ".join(found)[:max_length] or None


def opt_ident(value: Any, path: str, *, max_length: int = 100) -> str | None:
    """An identifier (a platform's numeric or string id) as text; None when absent, 0 or
    blank (WooCommerce writes 0 for "none")."""
    if value is None or value == 0 or value == "" or value == "0":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise MappingError(path, "type", f"must be an id (string or integer), got {_kind(value)}")
    text = str(value).strip()
    if not text:
        return None
    if len(text) > max_length or _CONTROL.search(text):
        raise MappingError(path, "id", f"must be an id of at most {max_length} characters")
    return text


def ident(value: Any, path: str, *, max_length: int = 100) -> str:
    """A required identifier."""
    found = opt_ident(value, path, max_length=max_length)
    if found is None:
        raise MappingError(path, "required", "is required")
    return found


def quantity(value: Any, path: str) -> int:
    """A line quantity: a whole number of at least 1."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise MappingError(path, "type", f"must be a whole number, got {_kind(value)}")
    if not 1 <= value <= 1_000_000:
        raise MappingError(path, "range", "must be from 1 to 1000000")
    return value


def gtin_or_none(value: Any) -> str | None:
    """A barcode as GTIN-14 when it is a GTIN-8/12/13/14 with a valid check digit; None
    otherwise (shops often keep their own codes in barcode fields)."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value).strip().replace(" ", "").replace("-", "")
    if not (text.isascii() and text.isdigit() and len(text) in (8, 12, 13, 14)):
        return None
    padded = text.zfill(14)
    if set(padded) == {"0"} or not has_valid_check_digit(padded):
        return None
    return padded


def timestamp(value: Any, path: str, *, naive_is_utc: bool = False) -> str | None:
    """An ISO 8601 date-time as text with its offset; None when absent. A value without an
    offset is UTC when ``naive_is_utc`` (WooCommerce's ``*_gmt`` members), else refused."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 64:
        raise MappingError(path, "type", f"must be a date-time string, got {_kind(value)}")
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise MappingError(path, "date-time", "must be an ISO 8601 date-time") from None
    if moment.tzinfo is None:
        if not naive_is_utc:
            raise MappingError(path, "date-time", "must carry a UTC offset")
        moment = moment.replace(tzinfo=UTC)
    if not 1970 <= moment.astimezone(UTC).year <= 9998:
        raise MappingError(path, "date-time", "is out of range")
    return moment.isoformat()


def destination(
    address: Any, path: str, *, country: str, region: str, city: str, postcode: str
) -> dict[str, str] | None:
    """The order's destination from a shipping address, reading the platform's member names;
    None without an address or a country."""
    if address is None:
        return None
    address = as_dict(address, path)
    code = opt_text(address.get(country), f"{path}.{country}", max_length=10)
    if code is None:
        return None
    if not (len(code) == 2 and code.isascii() and code.isalpha()):
        raise MappingError(f"{path}.{country}", "iso-3166-alpha-2", "must be a two-letter code")
    found = {
        "country": code.upper(),
        "region": opt_text(address.get(region), f"{path}.{region}", max_length=100),
        "city": opt_text(address.get(city), f"{path}.{city}", max_length=100),
        "postcode": opt_text(address.get(postcode), f"{path}.{postcode}", max_length=20),
    }
    return {k: v for k, v in found.items() if v is not None}


def pick(mapping: Mapping[str, Any], *keys: str) -> Any:
    """The first of ``keys`` present with a non-null value."""
    for key in keys:
        value = mapping.get(key)
        if value is not None:
            return value
    return None


Mapper = Callable[[Any, str], Mapped]
"""A topic's mapping: (payload, shop) -> :class:`Mapped`."""
