"""The URL of an endpoint shoptrace sends to (a merchant's webhook receiver, an upstream
EPCIS platform): a public https URL, or, where a setting allows it, a local one.

A local host is ``localhost`` or an IP literal that is not global (loopback, private, link
local), in any spelling the resolver takes; a name that resolves to a private address is
not caught here (the check is on what the merchant wrote, not on DNS).
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit

from shoptrace.shop_plugin.services.errors import FieldError
from shoptrace.shop_plugin.services.validation import INVALID, Check, url

__all__ = ["endpoint_url", "is_local_host"]

_LOCAL_NAMES = ("localhost", "localhost.localdomain")


def is_local_host(host: str) -> bool:
    """A loopback or private host: ``localhost`` and IP literals that are not global."""
    if host in _LOCAL_NAMES or host.endswith(".localhost"):
        return True
    try:
        address: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(host)
    except ValueError:
        # The resolver also takes the old IPv4 spellings: 127.1, 0x7f000001, 2130706433.
        if not host.isascii() or not all(c in "0123456789abcdefx." for c in host):
            return False
        try:
            address = ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return False
    return not address.is_global


def _bad(errors: list[FieldError], path: str, rule: str, detail: str) -> Any:
    errors.append(FieldError(path, rule, detail))
    return INVALID


def endpoint_url(*, allow_local: bool, setting: str, credentials: bool = True) -> Check:
    """A check of an endpoint URL. ``setting`` names the option that allows local URLs (in
    the error); ``credentials=False`` refuses ``user:password@`` (the endpoint has its own
    authentication fields)."""
    as_url = url()

    def check(value: Any, path: str, errors: list[FieldError]) -> Any:
        value = as_url(value, path, errors)
        if value is INVALID:
            return INVALID
        parts = urlsplit(value)
        try:
            parts.port  # noqa: B018 - raises ValueError for a bad port
            host = (parts.hostname or "").rstrip(".").lower()
        except ValueError:
            return _bad(errors, path, "url", "the port is not a number from 0 to 65535")
        if not host:
            return _bad(errors, path, "url", "must name a host")
        if not credentials and (parts.username is not None or parts.password is not None):
            return _bad(errors, path, "credentials", "must not hold credentials: give them in auth")
        if parts.fragment or value.endswith("#"):
            return _bad(errors, path, "url", "must not have a #fragment (it is never sent)")
        local = is_local_host(host)
        if local and not allow_local:
            return _bad(
                errors,
                path,
                "public-host",
                f"must be a public host (local and private addresses need {setting})",
            )
        if parts.scheme != "https" and not local:
            return _bad(
                errors,
                path,
                "https",
                f"must be an https:// URL (http:// only to local hosts, with {setting})",
            )
        return value

    return check
