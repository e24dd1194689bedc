"""Shop connections: which merchant a platform's webhooks belong to, and how they are signed.

A connection names a shop as its platform names it in webhook headers (Shopify's
``myshopify.com`` domain, the WooCommerce site URL, the Saleor API URL), normalised to
``host[:port][/path]`` in lower case without scheme or trailing slash, so ``https://Shop.example.com/``
and ``shop.example.com`` are one shop. A shop belongs to one merchant.

What verifies its webhooks -- the webhook secret (HMAC-SHA256) and, for Saleor, the public
keys of its JWS signatures -- is stored sealed (:mod:`~shoptrace.shop_plugin.services.sealing`)
and bound to the connection's merchant, platform and shop; it is never returned, listed or
logged. Rotating the secret may keep the previous one valid for a grace period, so webhooks
signed before the platform switched still verify.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from shoptrace.shop_plugin.services.clock import iso, utcnow
from shoptrace.shop_plugin.services.errors import Conflict, FieldError, InvalidInput
from shoptrace.shop_plugin.services.pagination import Page, fetch_page
from shoptrace.shop_plugin.services.rows import owned_row
from shoptrace.shop_plugin.services.sealing import SealError, seal, unseal
from shoptrace.shop_plugin.services.validation import (
    INVALID,
    Field,
    enum,
    integer,
    obj,
    text,
    validate,
)
from shoptrace.shop_plugin.store.tables import HOOK_PLATFORMS, merchants, shop_connections

__all__ = [
    "MAX_GRACE_SECONDS",
    "PLATFORMS",
    "Credentials",
    "RsaKey",
    "create_connection",
    "delete_connection",
    "find_connection",
    "get_connection",
    "list_connections",
    "normalise_shop",
    "update_connection",
]

log = logging.getLogger(__name__)

PLATFORMS = HOOK_PLATFORMS
"""Platforms a connection can be made to."""
MAX_GRACE_SECONDS = 7 * 86_400
"""Longest time a rotated-out secret keeps verifying webhooks."""
_MAX_KEYS = 10
_MIN_RSA_BITS = 2048
_MAX_RSA_BITS = 8192
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_PATH_CHARS = re.compile(r"[A-Za-z0-9._~!$&'()*+,;=:@%/-]*")


@dataclass(frozen=True)
class RsaKey:
    """An RSA public key a Saleor JWS signature may be made with."""

    kid: str | None
    n: int
    e: int


@dataclass(frozen=True)
class Credentials:
    """What verifies a connection's webhooks: the merchant they belong to, the secrets valid
    now (the current one first) and, for Saleor, the JWS public keys."""

    connection_id: int
    merchant_id: int
    platform: str
    shop: str
    secrets: tuple[str, ...]
    keys: tuple[RsaKey, ...]


# ---------------------------------------------------------------------------------------------
# Shops


def _idna(host: str) -> str | None:
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return None


def normalise_shop(platform: str, value: str) -> str | None:
    """``value`` (a domain or URL) as the connection key ``host[:port][/path]``; None when it
    is not a shop address (Shopify shops are bare domains, without path)."""
    value = value.strip()
    if not value or len(value) > 2000 or any(c.isspace() or ord(c) < 32 for c in value):
        return None
    if "://" not in value:
        value = "https://" + value
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or parts.query or parts.fragment:
        return None
    if parts.username is not None or parts.password is not None or not parts.hostname:
        return None
    host = _idna(parts.hostname.rstrip("."))
    if host is None or not 1 <= len(host) <= 253:
        return None
    host = host.lower()
    if not all(_LABEL.fullmatch(label) for label in host.split(".")):
        return None
    path = parts.path.rstrip("/")
    if not _PATH_CHARS.fullmatch(path):
        return None
    if platform == "shopify" and path:
        return None
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    shop = netloc + path
    return shop if len(shop) <= 255 else None


def _shop_post(cleaned: dict[str, Any], path: str, errors: list[FieldError]) -> None:
    """Normalise ``shop`` for the platform given beside it."""
    platform = cleaned["platform"]
    shop = normalise_shop(platform, cleaned["shop"])
    if shop is None:
        what = (
            "the shop's myshopify.com domain, e.g. acme.myshopify.com"
            if platform == "shopify"
            else "the shop's domain or URL (WooCommerce: the site URL; Saleor: the API URL)"
        )
        errors.append(FieldError("shop", "shop", f"must be {what}"))
        return
    cleaned["shop"] = shop


# ---------------------------------------------------------------------------------------------
# Public keys (Saleor JWS)


def _b64url_int(value: Any) -> int | None:
    if not isinstance(value, str) or not value or len(value) > 2000 or "=" in value:
        return None
    if not re.fullmatch(r"[A-Za-z0-9_-]+", value):
        return None
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return None
    return int.from_bytes(raw, "big") if raw else None


def _jwk(value: Any, path: str, errors: list[FieldError]) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        errors.append(FieldError(path, "type", "must be a JWK object"))
        return None
    before = len(errors)
    if value.get("kty") != "RSA":
        errors.append(FieldError(f"{path}.kty", "enum", "must be RSA (Saleor signs with RS256)"))
    if "alg" in value and value["alg"] != "RS256":
        errors.append(FieldError(f"{path}.alg", "enum", "must be RS256"))
    if "use" in value and value["use"] != "sig":
        errors.append(FieldError(f"{path}.use", "enum", "must be sig"))
    kid = value.get("kid")
    if kid is not None:
        text(max_length=200)(kid, f"{path}.kid", errors)
    n = _b64url_int(value.get("n"))
    e = _b64url_int(value.get("e"))
    if n is None:
        errors.append(FieldError(f"{path}.n", "jwk", "must be the modulus, base64url"))
    elif not _MIN_RSA_BITS <= n.bit_length() <= _MAX_RSA_BITS:
        errors.append(
            FieldError(f"{path}.n", "key-size", f"must be {_MIN_RSA_BITS} to {_MAX_RSA_BITS} bits")
        )
    if e is None or e < 3 or e % 2 == 0 or e.bit_length() > 32:
        errors.append(FieldError(f"{path}.e", "jwk", "must be an odd public exponent, base64url"))
    if len(errors) > before:
        return None
    return {"kid": kid, "n": value["n"], "e": value["e"]}


def _public_key(value: Any, path: str, errors: list[FieldError]) -> Any:
    """A JWK Set (``{"keys": [...]}``, as Saleor's ``/.well-known/jwks.json`` serves it) or one
    JWK; only the RSA members are kept."""
    if isinstance(value, dict) and "keys" in value:
        keys = value["keys"]
        if not isinstance(keys, list) or not keys:
            errors.append(FieldError(f"{path}.keys", "type", "must be a non-empty array"))
            return INVALID
        if len(keys) > _MAX_KEYS:
            errors.append(FieldError(f"{path}.keys", "max-items", f"at most {_MAX_KEYS} keys"))
            return INVALID
        found = [_jwk(k, f"{path}.keys[{i}]", errors) for i, k in enumerate(keys)]
    else:
        found = [_jwk(value, path, errors)]
    if any(k is None for k in found):
        return INVALID
    return found


def _rsa_keys(stored: list[dict[str, Any]]) -> tuple[RsaKey, ...]:
    keys = []
    for item in stored:
        n, e = _b64url_int(item.get("n")), _b64url_int(item.get("e"))
        if n is not None and e is not None:
            keys.append(RsaKey(item.get("kid"), n, e))
    return tuple(keys)


# ---------------------------------------------------------------------------------------------
# Sealed credentials


def _associated(merchant_id: int, platform: str, shop: str) -> bytes:
    return f"shop-connection\x00{merchant_id}\x00{platform}\x00{shop}".encode()


def _seal(signing_key: str, row: dict[str, Any], document: dict[str, Any]) -> str:
    plain = json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return seal(
        signing_key,
        plain,
        associated=_associated(row["merchant_id"], row["platform"], row["shop"]),
    )


def _unseal(signing_key: str, row: Any) -> dict[str, Any] | None:
    """The sealed document of a connection row; None when it does not open (sealed under
    another SHOPTRACE_SIGNING_KEY, or changed)."""
    try:
        plain = unseal(
            signing_key,
            row.sealed_secret,
            associated=_associated(row.merchant_id, row.platform, row.shop),
        )
        document: dict[str, Any] = json.loads(plain)
    except (SealError, ValueError):
        return None
    return document


def _valid_secrets(document: dict[str, Any], now: datetime) -> list[dict[str, Any]]:
    valid = []
    for item in document.get("secrets") or []:
        until = item.get("until")
        if until is None or datetime.fromisoformat(until) > now:
            valid.append(item)
    return valid


# ---------------------------------------------------------------------------------------------
# Rendering and rows


def _render(row: Any, signing_key: str) -> dict[str, Any]:
    document = _unseal(signing_key, row)
    verification: list[str] = []
    previous_until = None
    if document is not None:
        now = utcnow()
        valid = _valid_secrets(document, now)
        if valid:
            verification.append("hmac-sha256")
        if document.get("keys"):
            verification.append("jws-rs256")
        for item in valid:
            if item.get("until") is not None:
                previous_until = iso(datetime.fromisoformat(item["until"]))
    return {
        "id": row.id,
        "platform": row.platform,
        "shop": row.shop,
        "status": "active" if document is not None else "unreadable",
        "verification": verification,
        "previousSecretUntil": previous_until,
        "createdAt": iso(row.created_at),
        "updatedAt": iso(row.updated_at),
    }


def _row(conn: Connection, merchant_id: int, connection_id: int) -> Any:
    return owned_row(
        conn, shop_connections, merchant_id, connection_id, field="connection_id", what="connection"
    )


def _taken(conn: Connection, merchant_id: int, platform: str, shop: str) -> None:
    other = conn.execute(
        sa.select(shop_connections.c.id, shop_connections.c.merchant_id).where(
            shop_connections.c.platform == platform, shop_connections.c.shop == shop
        )
    ).first()
    if other is None:
        return
    detail = (
        f"connection {other.id} of this merchant has this shop"
        if other.merchant_id == merchant_id
        else "another merchant has connected this shop"
    )
    raise Conflict(
        f"{platform} shop {shop} is already connected",
        errors=[FieldError("shop", "unique", detail)],
    )


def _needs_secret(platform: str, document: dict[str, Any]) -> None:
    if platform != "saleor" and not document["secrets"]:
        raise InvalidInput.one("secret", "required", "is required")
    if platform == "saleor" and not document["secrets"] and not document["keys"]:
        raise InvalidInput.one(
            "secret", "required", "give the webhook's secret key, or publicKey for JWS"
        )


def _keys_only_for_saleor(platform: str, data: dict[str, Any]) -> None:
    if platform != "saleor" and data.get("publicKey") is not None:
        raise InvalidInput.one(
            "publicKey", "platform", "only Saleor signs webhooks with JWS public keys"
        )


_secret = text(max_length=1000, min_length=8)

_CREATE = obj(
    {
        "platform": Field(enum(PLATFORMS), required=True),
        "shop": Field(text(max_length=2000), required=True),
        "secret": Field(_secret, nullable=False),
        "publicKey": Field(_public_key),
    },
    post=_shop_post,
)

_UPDATE = obj(
    {
        "secret": Field(_secret, nullable=False),
        "publicKey": Field(_public_key),
        "graceSeconds": Field(integer(minimum=0, maximum=MAX_GRACE_SECONDS), nullable=False),
    }
)


def create_connection(
    conn: Connection, merchant_id: int, body: Any, *, signing_key: str
) -> dict[str, Any]:
    """Connect a shop: validate ``body`` (platform, shop, secret and/or Saleor publicKey) and
    store its credentials sealed."""
    data = validate(body, _CREATE)
    platform, shop = data["platform"], data["shop"]
    _keys_only_for_saleor(platform, data)
    document = {
        "secrets": [{"value": data["secret"], "until": None}] if "secret" in data else [],
        "keys": data.get("publicKey") or [],
    }
    _needs_secret(platform, document)
    _taken(conn, merchant_id, platform, shop)
    now = utcnow()
    row = {"merchant_id": merchant_id, "platform": platform, "shop": shop}
    try:
        connection_id = conn.execute(
            shop_connections.insert()
            .values(
                **row,
                sealed_secret=_seal(signing_key, row, document),
                created_at=now,
                updated_at=now,
            )
            .returning(shop_connections.c.id)
        ).scalar_one()
    except IntegrityError:
        raise Conflict(
            f"{platform} shop {shop} is already connected",
            errors=[FieldError("shop", "unique", "another connection has this shop")],
        ) from None
    return get_connection(conn, merchant_id, connection_id, signing_key=signing_key)


def get_connection(
    conn: Connection, merchant_id: int, connection_id: int, *, signing_key: str
) -> dict[str, Any]:
    """One of the merchant's connections (never its secret)."""
    return _render(_row(conn, merchant_id, connection_id), signing_key)


def list_connections(
    conn: Connection,
    merchant_id: int,
    *,
    signing_key: str,
    after: int = 0,
    limit: int = 50,
    platform: str | None = None,
) -> Page:
    """The merchant's connections in id order, optionally of one platform."""
    query = sa.select(shop_connections).where(shop_connections.c.merchant_id == merchant_id)
    if platform is not None:
        query = query.where(shop_connections.c.platform == platform)
    return fetch_page(
        conn,
        query,
        shop_connections.c.id,
        after=after,
        limit=limit,
        render=lambda row: _render(row, signing_key),
    )


def update_connection(
    conn: Connection, merchant_id: int, connection_id: int, body: Any, *, signing_key: str
) -> dict[str, Any]:
    """Rotate a connection's secret (``graceSeconds`` keeps the previous one valid that long)
    or replace its Saleor public keys (``publicKey: null`` removes them)."""
    data = validate(body, _UPDATE)
    row = _row(conn, merchant_id, connection_id)
    _keys_only_for_saleor(row.platform, data)
    if "graceSeconds" in data and "secret" not in data:
        raise InvalidInput.one("graceSeconds", "requires", "only applies with a new secret")
    document = _unseal(signing_key, row) or {"secrets": [], "keys": []}
    now = utcnow()
    if "secret" in data:
        secrets = [{"value": data["secret"], "until": None}]
        grace = data.get("graceSeconds", 0)
        current = [s for s in _valid_secrets(document, now) if s.get("until") is None]
        if grace and current and current[0]["value"] != data["secret"]:
            until = (now + timedelta(seconds=grace)).isoformat()
            secrets.append({"value": current[0]["value"], "until": until})
        document["secrets"] = secrets
    if "publicKey" in data:
        document["keys"] = data["publicKey"] or []
    _needs_secret(row.platform, document)
    if "secret" in data or "publicKey" in data:
        target = {"merchant_id": merchant_id, "platform": row.platform, "shop": row.shop}
        conn.execute(
            shop_connections.update()
            .where(
                shop_connections.c.id == connection_id,
                shop_connections.c.merchant_id == merchant_id,
            )
            .values(sealed_secret=_seal(signing_key, target, document), updated_at=now)
        )
    return get_connection(conn, merchant_id, connection_id, signing_key=signing_key)


def delete_connection(conn: Connection, merchant_id: int, connection_id: int) -> dict[str, Any]:
    """Disconnect a shop: its webhooks are refused from now on (deliveries already handled
    stay recorded)."""
    row = _row(conn, merchant_id, connection_id)
    conn.execute(
        shop_connections.delete().where(
            shop_connections.c.id == connection_id,
            shop_connections.c.merchant_id == merchant_id,
        )
    )
    return {"id": row.id, "platform": row.platform, "shop": row.shop, "deleted": True}


def find_connection(
    conn: Connection, platform: str, shops: list[str], *, signing_key: str
) -> Credentials | None:
    """The connection a webhook comes from, by the shop names its headers give (already
    normalised, most specific first); None when no connection has them, its merchant is not
    active, or its sealed credentials do not open."""
    for shop in shops:
        row = conn.execute(
            sa.select(shop_connections, merchants.c.status.label("merchant_status"))
            .join(merchants, merchants.c.id == shop_connections.c.merchant_id)
            .where(shop_connections.c.platform == platform, shop_connections.c.shop == shop)
        ).one_or_none()
        if row is None:
            continue
        if row.merchant_status != "active":
            return None
        document = _unseal(signing_key, row)
        if document is None:
            log.warning(
                "connection %s (%s %s): its sealed secret does not open; was "
                "SHOPTRACE_SIGNING_KEY changed? Set the secret again.",
                row.id,
                platform,
                shop,
            )
            return None
        return Credentials(
            connection_id=row.id,
            merchant_id=row.merchant_id,
            platform=platform,
            shop=shop,
            secrets=tuple(s["value"] for s in _valid_secrets(document, utcnow())),
            keys=_rsa_keys(document.get("keys") or []),
        )
    return None
