"""Saleor webhooks: ``ORDER_CREATED``, ``ORDER_FULFILLED``, ``ORDER_CANCELLED``,
``PRODUCT_CREATED`` and ``PRODUCT_UPDATED``.

Saleor names the shop in ``Saleor-Api-Url`` (its GraphQL endpoint) and ``Saleor-Domain``, the
event in ``Saleor-Event`` (``order_created``), and signs in ``Saleor-Signature``: with the
webhook's ``secretKey`` set, the hex HMAC-SHA256 of the body (deprecated by Saleor); without
it, a JWS (RS256) with detached payload, ``<header>..<signature>``, verified here against the
public keys of the shop's ``/.well-known/jwks.json`` stored on the connection. The older
``X-Saleor-*`` headers are read too.

Payloads may be subscription payloads (``{"order": {...}}`` as the subscription query in
``shop_plugin/README.md`` selects it, camelCase) or Saleor's legacy default payloads (a list of
one object, snake_case); both map. Saleor sends no delivery id, but a retried delivery repeats
its payload byte for byte, so the delivery key is a digest of event and body (add ``issuedAt``
to the subscription so two events never share a payload).

Saleor has no GTIN field: a variant's GTIN is read from its metadata or attributes named
``gtin``, ``ean``, ``upc`` or ``barcode``, or its ``externalReference`` when that is a GTIN.
The shop's "product id" is the variant id, for order lines and saved products alike.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from typing import Any

from shoptrace.shop_plugin.hooks.common import (
    Headers,
    Mapped,
    MappingError,
    OrderChange,
    ProductSave,
    as_dict,
    as_list,
    delivery_key,
    destination,
    first_header,
    gtin_or_none,
    ident,
    name_text,
    opt_ident,
    opt_text,
    pick,
    quantity,
    timestamp,
)
from shoptrace.shop_plugin.services.connections import Credentials, RsaKey, normalise_shop

__all__ = [
    "ADAPTER",
    "GTIN_NAMES",
    "SaleorAdapter",
    "map_order",
    "map_products",
    "rs256_verify",
    "verify_jws",
]

_ORDER_ACTIONS = {
    "ORDER_CREATED": "placed",
    "ORDER_FULFILLED": "fulfilled",
    "ORDER_CANCELLED": "cancelled",
}
_PRODUCT_EVENTS = ("PRODUCT_CREATED", "PRODUCT_UPDATED")
GTIN_NAMES = frozenset({"gtin", "gtin8", "gtin12", "gtin13", "gtin14", "ean", "ean13", "upc"})
"""Metadata keys and attribute slugs (any case) holding a variant's GTIN; ``barcode`` too."""
_HEX = re.compile(r"[0-9a-fA-F]{64}")
_B64URL = re.compile(r"[A-Za-z0-9_-]*")
# DER prefix of a SHA-256 DigestInfo (RFC 8017, section 9.2, note 1).
_SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")


# ---------------------------------------------------------------------------------------------
# Signatures


def _b64url(value: str) -> bytes | None:
    if len(value) > 20_000 or not _B64URL.fullmatch(value):
        return None
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return None


def rs256_verify(key: RsaKey, message: bytes, signature: bytes) -> bool:
    """RSASSA-PKCS1-v1_5 with SHA-256 (RFC 8017, 8.2.2): the whole encoded message is
    rebuilt and compared, so no parser of the decrypted block can be fooled."""
    size = (key.n.bit_length() + 7) // 8
    if len(signature) != size:
        return False
    number = int.from_bytes(signature, "big")
    if number >= key.n:
        return False
    encoded = pow(number, key.e, key.n).to_bytes(size, "big")
    digest_info = _SHA256_DIGEST_INFO + hashlib.sha256(message).digest()
    padding = size - len(digest_info) - 3
    if padding < 8:
        return False
    expected = b"\x00\x01" + b"\xff" * padding + b"\x00" + digest_info
    return hmac.compare_digest(encoded, expected)


def verify_jws(token: str, body: bytes, keys: tuple[RsaKey, ...]) -> bool:
    """Whether ``token`` (compact JWS with detached payload) signs ``body`` with one of
    ``keys``: RS256 only, the unencoded payload of RFC 7797 (``"b64": false``, as Saleor
    signs) or the usual base64url one."""
    parts = token.split(".")
    if len(parts) != 3 or parts[1] != "" or not keys:
        return False
    raw_header, signature = _b64url(parts[0]), _b64url(parts[2])
    if raw_header is None or signature is None:
        return False
    try:
        header = json.loads(raw_header)
    except (ValueError, RecursionError):
        return False
    if not isinstance(header, dict) or header.get("alg") != "RS256":
        return False
    crit = header.get("crit", [])
    if not isinstance(crit, list) or any(c != "b64" for c in crit):
        return False
    b64 = header.get("b64", True)
    if not isinstance(b64, bool):
        return False
    payload = base64.urlsafe_b64encode(body).rstrip(b"=") if b64 else body
    message = parts[0].encode("ascii") + b"." + payload
    kid = header.get("kid")
    candidates = [k for k in keys if k.kid is None or kid is None or k.kid == kid]
    return any(rs256_verify(key, message, signature) for key in candidates)


def _hex_hmac_matches(signature: str, body: bytes, secrets: tuple[str, ...]) -> bool:
    if not _HEX.fullmatch(signature):
        return False
    given = signature.lower().encode("ascii")
    found = False
    for secret in secrets:
        expected = hmac.new(secret.encode("utf-8"), body, "sha256").hexdigest().encode("ascii")
        found |= hmac.compare_digest(given, expected)
    return found


# ---------------------------------------------------------------------------------------------
# Payloads


def _subject(payload: Any, kind: str) -> tuple[Mapping[str, Any], str]:
    """The order or product object of a subscription or legacy payload, and its path."""
    if isinstance(payload, list):
        if len(payload) != 1:
            raise MappingError("(body)", "items", f"a legacy payload holds exactly one {kind}")
        return as_dict(payload[0], "[0]"), "[0]"
    body = as_dict(payload, "")
    data = body.get("data")
    if kind not in body and isinstance(data, dict):
        for key, value in data.items():
            if isinstance(value, dict) and kind in value:
                return as_dict(value[kind], f"data.{key}.{kind}"), f"data.{key}.{kind}"
    if kind not in body:
        raise MappingError(kind, "required", f"the payload must select the {kind}")
    return as_dict(body[kind], kind), kind


def _join(base: str, key: str) -> str:
    return f"{base}.{key}" if base else key


def _country(address: Any) -> Any:
    """Saleor's country: ``{"code": "PL"}`` in subscriptions, ``"PL"`` in legacy payloads."""
    if isinstance(address, dict):
        country = address.get("country")
        if isinstance(country, dict):
            return {**address, "country": country.get("code")}
    return address


def map_order(payload: Any) -> dict[str, Any]:
    """A Saleor order (subscription or legacy payload) as shoptrace's order shape."""
    order, base = _subject(payload, "order")
    user = order.get("user")
    customer = None
    if isinstance(user, dict):
        customer = opt_ident(user.get("id"), _join(base, "user.id"), max_length=200)
    lines = []
    for i, raw in enumerate(as_list(order.get("lines"), _join(base, "lines"))):
        path = _join(base, f"lines[{i}]")
        line = as_dict(raw, path)
        found = line.get("variant")
        variant: Mapping[str, Any] = found if isinstance(found, dict) else {}
        variant_id = pick(line, "productVariantId", "product_variant_id") or variant.get("id")
        lines.append(
            {
                "id": opt_ident(line.get("id"), f"{path}.id"),
                "sku": opt_text(
                    pick(line, "productSku", "product_sku") or variant.get("sku"),
                    f"{path}.productSku",
                    max_length=100,
                ),
                "product_id": opt_ident(variant_id, f"{path}.productVariantId"),
                "gtin": _variant_gtin(variant, f"{path}.variant") if variant else None,
                "name": name_text(
                    pick(line, "productName", "product_name"),
                    pick(line, "variantName", "variant_name"),
                ),
                "quantity": quantity(line.get("quantity"), f"{path}.quantity"),
            }
        )
    address = pick(order, "shippingAddress", "shipping_address")
    legacy = "shipping_address" in order or "user_email" in order or base == "[0]"
    return {
        "id": ident(order.get("id"), _join(base, "id")),
        "number": opt_text(order.get("number"), _join(base, "number"), max_length=100),
        "customer": customer,
        "placed_at": timestamp(order.get("created"), _join(base, "created")),
        "destination": destination(
            _country(address),
            _join(base, "shipping_address" if legacy else "shippingAddress"),
            country="country",
            region="country_area" if legacy else "countryArea",
            city="city",
            postcode="postal_code" if legacy else "postalCode",
        ),
        "lines": lines,
    }


def _named(name: Any) -> bool:
    return isinstance(name, str) and (name.lower() in GTIN_NAMES or name.lower() == "barcode")


def _metadata_gtin(metadata: Any) -> str | None:
    if isinstance(metadata, dict):
        items = [{"key": k, "value": v} for k, v in metadata.items()]
    elif isinstance(metadata, list):
        items = [m for m in metadata if isinstance(m, dict)]
    else:
        return None
    for item in items:
        if _named(item.get("key")):
            gtin = gtin_or_none(item.get("value"))
            if gtin is not None:
                return gtin
    return None


def _attribute_gtin(attributes: Any) -> str | None:
    if not isinstance(attributes, list):
        return None
    for item in attributes:
        if not isinstance(item, dict):
            continue
        inner = item.get("attribute")
        attribute: dict[str, Any] = inner if isinstance(inner, dict) else item
        if not _named(attribute.get("slug")):
            continue
        values = item.get("values")
        for value in values if isinstance(values, list) else []:
            if isinstance(value, dict):
                for member in ("plainText", "plain_text", "name", "value", "slug"):
                    gtin = gtin_or_none(value.get(member))
                    if gtin is not None:
                        return gtin
    return None


def _variant_gtin(variant: Mapping[str, Any], path: str) -> str | None:
    return (
        _metadata_gtin(variant.get("metadata"))
        or _attribute_gtin(variant.get("attributes"))
        or gtin_or_none(pick(variant, "externalReference", "external_reference"))
    )


def map_products(payload: Any) -> Mapped:
    """One product per variant of a Saleor product."""
    product, base = _subject(payload, "product")
    ident(product.get("id"), _join(base, "id"))
    name = opt_text(product.get("name"), _join(base, "name"), max_length=200)
    mapped = Mapped()
    variants = as_list(product.get("variants"), _join(base, "variants"), optional=True)
    for i, raw in enumerate(variants):
        path = _join(base, f"variants[{i}]")
        if isinstance(raw, str):  # PRODUCT_DELETED-style payloads list variant ids only
            continue
        variant = as_dict(raw, path)
        variant_id = ident(variant.get("id"), f"{path}.id")
        gtin = _variant_gtin(variant, path)
        if gtin is None:
            mapped.notes.append(f"variant {variant_id}: no GTIN in metadata or attributes")
        mapped.changes.append(
            ProductSave(
                {
                    "id": variant_id,
                    "gtin": gtin,
                    "sku": opt_text(variant.get("sku"), f"{path}.sku", max_length=100),
                    "name": name_text(
                        name, opt_text(variant.get("name"), f"{path}.name", max_length=200)
                    ),
                    "url": None,
                    "category": None,
                }
            )
        )
    if not mapped.changes:
        mapped.ignored = "the payload selects no variants"
    return mapped


class SaleorAdapter:
    """Saleor's headers, signatures and events."""

    platform = "saleor"
    shop_header = "Saleor-Api-Url"
    signature_header = "Saleor-Signature"
    topic_header = "Saleor-Event"

    def is_ping(self, headers: Headers, body: bytes) -> bool:
        return False

    def shops(self, headers: Headers) -> list[str]:
        found: list[str] = []
        for name in ("Saleor-Api-Url", "Saleor-Domain", "X-Saleor-Domain"):
            given = first_header(headers, name)
            shop = normalise_shop(self.platform, given) if given else None
            if shop and shop not in found:
                found.append(shop)
        return found

    def verify(self, headers: Headers, body: bytes, credentials: Credentials) -> bool:
        signature = first_header(headers, self.signature_header, "X-Saleor-Signature")
        if signature is None or len(signature) > 20_000:
            return False
        if "." in signature:
            return verify_jws(signature, body, credentials.keys)
        return _hex_hmac_matches(signature, body, credentials.secrets)

    def topic(self, headers: Headers) -> str | None:
        event = first_header(headers, self.topic_header, "X-Saleor-Event")
        return event.upper() if event is not None else None

    def event_id(self, headers: Headers, body: bytes, topic: str) -> str:
        return delivery_key(topic, None, body)

    def handles(self, topic: str) -> bool:
        return topic in _ORDER_ACTIONS or topic in _PRODUCT_EVENTS

    def map(self, topic: str, payload: Any, shop: str) -> Mapped:
        if topic in _PRODUCT_EVENTS:
            return map_products(payload)
        return Mapped([OrderChange(_ORDER_ACTIONS[topic], map_order(payload))])


ADAPTER = SaleorAdapter()
