"""Helpers of the webhook tests: documented payload fixtures, platform signatures, a test RSA
key for Saleor's JWS, and deliveries posted the way each platform sends them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
from functools import cache
from pathlib import Path
from typing import Any

from tests.shop_plugin.helpers import Api

FIXTURES = Path(__file__).parent / "fixtures" / "hooks"
HOOKS = "/trace/hooks"
SHOPIFY_SHOP = "acme-orchards.myshopify.com"
WOO_SITE = "https://shop.acme-orchards.example/"
SALEOR_API = "https://acme-orchards.saleor.cloud/graphql/"
SHOPIFY_SECRET = "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"
WOO_SECRET = "wc-secret-Lp3x9zTk2mVq"
SALEOR_SECRET = "saleor-secret-key-5e7d9c1b"


def fixture(platform: str, name: str) -> bytes:
    """A documented payload, as the bytes a platform would send."""
    return (FIXTURES / platform / f"{name}.json").read_bytes()


def fixture_json(platform: str, name: str) -> Any:
    return json.loads(fixture(platform, name))


def b64_hmac(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.digest(secret.encode(), body, "sha256")).decode("ascii")


def connect(api: Api, platform: str, shop: str, **fields: Any) -> dict[str, Any]:
    """Connect a shop to ``api``'s merchant."""
    response = api.post("/connections", {"platform": platform, "shop": shop, **fields})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def shopify_headers(
    body: bytes,
    topic: str,
    *,
    secret: str = SHOPIFY_SECRET,
    shop: str = SHOPIFY_SHOP,
    event_id: str = "a8a2b5c4-8d2f-4c1e-9f0b-1c2d3e4f5a6b",
) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": b64_hmac(secret, body),
        "X-Shopify-Shop-Domain": shop,
        "X-Shopify-API-Version": "2025-07",
        "X-Shopify-Webhook-Id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
        "X-Shopify-Triggered-At": "2025-07-01T08:00:00.000000000Z",
        "X-Shopify-Event-Id": event_id,
    }


def woo_headers(
    body: bytes,
    topic: str,
    *,
    secret: str = WOO_SECRET,
    source: str = WOO_SITE,
    delivery_id: str = "36e520ebabc2fa725092ff4a47acedf2",
) -> dict[str, str]:
    resource, _, event = topic.partition(".")
    return {
        "Content-Type": "application/json",
        "User-Agent": "WooCommerce/9.4.0 Hookshot (WordPress/6.7)",
        "X-WC-Webhook-Source": source,
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Resource": resource,
        "X-WC-Webhook-Event": event,
        "X-WC-Webhook-Signature": b64_hmac(secret, body),
        "X-WC-Webhook-ID": "3",
        "X-WC-Webhook-Delivery-ID": delivery_id,
    }


def saleor_headers(
    body: bytes,
    event: str,
    *,
    secret: str | None = SALEOR_SECRET,
    jws: str | None = None,
    api_url: str = SALEOR_API,
) -> dict[str, str]:
    """Saleor's headers: the hex HMAC of ``secret``, or the given JWS."""
    signature = jws if jws is not None else hmac.new(secret.encode(), body, "sha256").hexdigest()
    host = api_url.split("//", 1)[1].split("/", 1)[0]
    return {
        "Content-Type": "application/json",
        "Saleor-Event": event.lower(),
        "Saleor-Domain": host,
        "Saleor-Api-Url": api_url,
        "Saleor-Signature": signature,
    }


def post(api: Api, platform: str, body: bytes, headers: dict[str, str]) -> Any:
    return api.client.post(f"{HOOKS}/{platform}", data=body, headers=headers)


# ---------------------------------------------------------------------------------------------
# A test RSA key (generated here, deterministically; never used outside tests)

_SMALL_PRIMES = [p for p in range(3, 2000, 2) if all(p % d for d in range(3, int(p**0.5) + 1, 2))]


def _probably_prime(n: int, rng: random.Random) -> bool:
    if any(n % p == 0 for p in _SMALL_PRIMES):
        return n in _SMALL_PRIMES
    d, r = n - 1, 0
    while d % 2 == 0:
        d, r = d // 2, r + 1
    for _ in range(24):
        x = pow(rng.randrange(2, n - 2), d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _prime(bits: int, rng: random.Random) -> int:
    while True:
        candidate = rng.getrandbits(bits) | (3 << (bits - 2)) | 1
        if _probably_prime(candidate, rng):
            return candidate


@cache
def rsa_key(seed: int = 7, bits: int = 2048) -> tuple[int, int, int]:
    """(n, e, d) of a test RSA key."""
    rng = random.Random(seed)
    e = 65537
    while True:
        p, q = _prime(bits // 2, rng), _prime(bits // 2, rng)
        phi = (p - 1) * (q - 1)
        if p != q and phi % e:
            return p * q, e, pow(e, -1, phi)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _int_b64url(value: int) -> str:
    return _b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


def jwks(seed: int = 7, kid: str = "saleor-test-key") -> dict[str, Any]:
    """The JWK Set of the test key, as Saleor's /.well-known/jwks.json serves it."""
    n, e, _ = rsa_key(seed)
    jwk = {"kty": "RSA", "key_ops": ["verify"], "n": _int_b64url(n), "e": _int_b64url(e)}
    return {"keys": [{**jwk, "use": "sig", "kid": kid}]}


def rs256_sign(message: bytes, seed: int = 7) -> bytes:
    n, _, d = rsa_key(seed)
    size = (n.bit_length() + 7) // 8
    info = (
        bytes.fromhex("3031300d060960864801650304020105000420") + hashlib.sha256(message).digest()
    )
    encoded = b"\x00\x01" + b"\xff" * (size - len(info) - 3) + b"\x00" + info
    return pow(int.from_bytes(encoded, "big"), d, n).to_bytes(size, "big")


def saleor_jws(body: bytes, *, seed: int = 7, kid: str = "saleor-test-key") -> str:
    """A detached JWS as Saleor makes it (PyJWT, RS256, ``"b64": false``)."""
    header = {"alg": "RS256", "b64": False, "kid": kid, "typ": "JWT"}
    encoded = _b64url(json.dumps(header, separators=(",", ":"), sort_keys=True).encode())
    signature = rs256_sign(encoded.encode("ascii") + b"." + body, seed)
    return f"{encoded}..{_b64url(signature)}"
