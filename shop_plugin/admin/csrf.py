"""CSRF protection of the admin's forms without a server-side session.

A signed double submit: the browser holds a random value in a cookie scoped to the admin, and
every form carries ``<time>.<HMAC(key, value | merchant | time)>``, keyed from
``SHOPTRACE_SIGNING_KEY``. Another site can make the browser send the cookie, but cannot read
it to build the form field; a site that can set cookies for the domain still cannot sign a
value it chose. The host app need not have a ``SECRET_KEY``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

__all__ = ["COOKIE", "FIELD", "MAX_AGE", "csrf_key", "make_token", "new_cookie_value", "valid"]

COOKIE = "shoptrace_admin_csrf"
FIELD = "csrf_token"
MAX_AGE = 12 * 3600
"""Seconds a form stays valid after the page was rendered."""
_DOMAIN = b"shoptrace admin csrf v1\x00"
_SKEW = 300


def csrf_key(signing_key: str) -> bytes:
    """The key form tokens are signed with, derived from the master signing key."""
    return hmac.digest(signing_key.encode("utf-8"), _DOMAIN, "sha256")


def new_cookie_value() -> str:
    """A fresh random cookie value."""
    return secrets.token_urlsafe(32)


def _mac(key: bytes, cookie: str, merchant_id: int, stamp: int) -> str:
    message = f"{cookie}|{merchant_id}|{stamp}".encode("utf-8", "replace")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def make_token(key: bytes, cookie: str, merchant_id: int, now: int) -> str:
    """The form field for ``cookie`` and ``merchant_id`` at unix time ``now``."""
    return f"{now}.{_mac(key, cookie, merchant_id, now)}"


def valid(key: bytes, cookie: str | None, token: str | None, merchant_id: int, now: int) -> bool:
    """Whether ``token`` was made for this cookie and merchant less than MAX_AGE ago."""
    if not cookie or not token or len(cookie) > 100 or len(token) > 100:
        return False
    stamp, _, mac = token.partition(".")
    if not stamp.isascii() or not stamp.isdigit() or len(stamp) > 12:
        return False
    made = int(stamp)
    if not now - MAX_AGE <= made <= now + _SKEW:
        return False
    return hmac.compare_digest(mac, _mac(key, cookie, merchant_id, made))
