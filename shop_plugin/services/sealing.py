"""Sealed secrets: authenticated encryption of small secrets under SHOPTRACE_SIGNING_KEY.

A platform's webhook secret must stay usable to verify HMACs, so it cannot be hashed like an
API key; it is stored sealed instead. Sealing uses only the standard library:

- two keys derived from the master key with HMAC-SHA256 and a domain string, one to encrypt
  and one to authenticate (as :mod:`~shoptrace.shop_plugin.services.signing` derives tag keys);
- a random 16-byte nonce per seal, and a keystream of HMAC-SHA256(encryption key, nonce ||
  block counter) blocks XORed with the plaintext (counter mode over a PRF);
- a 32-byte HMAC-SHA256 tag over version, nonce, associated data and ciphertext
  (encrypt-then-MAC), checked in constant time before anything is decrypted.

``associated`` binds a sealed value to where it is stored (say the merchant, platform and shop
of a connection): the same ciphertext copied into another row does not open there. The text
form is ``v1.<base64url(nonce || ciphertext || tag)>``. A changed master key, a changed byte
or other associated data all raise :class:`SealError` without telling which.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
import secrets

__all__ = ["SealError", "seal", "unseal"]

_VERSION = "v1"
_NONCE = 16
_TAG = 32
_BLOCK = 32
_ENCRYPTION_DOMAIN = b"shoptrace sealed secret encryption v1\x00"
_MAC_DOMAIN = b"shoptrace sealed secret authentication v1\x00"
_PACKED = re.compile(r"[A-Za-z0-9_-]+")
MAX_PLAINTEXT = 64 * 1024
"""Largest value :func:`seal` accepts (the counter never wraps long before this)."""


class SealError(ValueError):
    """A sealed value is malformed, was changed, or was sealed under another key or context."""


def _keys(signing_key: str) -> tuple[bytes, bytes]:
    master = signing_key.encode("utf-8")
    return (
        hmac.digest(master, _ENCRYPTION_DOMAIN, "sha256"),
        hmac.digest(master, _MAC_DOMAIN, "sha256"),
    )


def _keystream_xor(key: bytes, nonce: bytes, data: bytes) -> bytes:
    out = bytearray(len(data))
    for block, start in enumerate(range(0, len(data), _BLOCK)):
        pad = hmac.digest(key, nonce + block.to_bytes(8, "big"), "sha256")
        chunk = data[start : start + _BLOCK]
        out[start : start + len(chunk)] = bytes(a ^ b for a, b in zip(chunk, pad, strict=False))
    return bytes(out)


def _tag(key: bytes, nonce: bytes, associated: bytes, ciphertext: bytes) -> bytes:
    message = b"".join(
        (
            _VERSION.encode("ascii"),
            nonce,
            len(associated).to_bytes(8, "big"),
            associated,
            ciphertext,
        )
    )
    return hmac.digest(key, message, "sha256")


def seal(signing_key: str, plaintext: bytes, *, associated: bytes = b"") -> str:
    """``plaintext`` sealed under ``signing_key``, bound to ``associated``."""
    if len(plaintext) > MAX_PLAINTEXT:
        raise ValueError(f"can seal at most {MAX_PLAINTEXT} bytes")
    encryption_key, mac_key = _keys(signing_key)
    nonce = secrets.token_bytes(_NONCE)
    ciphertext = _keystream_xor(encryption_key, nonce, plaintext)
    tag = _tag(mac_key, nonce, associated, ciphertext)
    packed = base64.urlsafe_b64encode(nonce + ciphertext + tag).decode("ascii").rstrip("=")
    return f"{_VERSION}.{packed}"


def unseal(signing_key: str, sealed: str, *, associated: bytes = b"") -> bytes:
    """The plaintext of ``sealed``; :class:`SealError` unless it is intact and was sealed under
    ``signing_key`` with the same ``associated`` data."""
    version, dot, packed = sealed.partition(".")
    if version != _VERSION or not dot:
        raise SealError("not a sealed value of a known version")
    if not _PACKED.fullmatch(packed):
        raise SealError("not a sealed value: bad encoding")
    try:
        raw = base64.b64decode(packed + "=" * (-len(packed) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise SealError("not a sealed value: bad encoding") from None
    if len(raw) < _NONCE + _TAG:
        raise SealError("not a sealed value: too short")
    nonce, ciphertext, tag = raw[:_NONCE], raw[_NONCE:-_TAG], raw[-_TAG:]
    encryption_key, mac_key = _keys(signing_key)
    if not hmac.compare_digest(tag, _tag(mac_key, nonce, associated, ciphertext)):
        raise SealError("the sealed value was changed or sealed under another key")
    return _keystream_xor(encryption_key, nonce, ciphertext)
