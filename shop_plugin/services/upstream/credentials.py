"""An endpoint's credential: sealed with the signing key, bound to its merchant and
endpoint, opened only into the headers of a request."""

from __future__ import annotations

import base64
import json
from typing import Any

from shoptrace.shop_plugin.services.sealing import SealError, seal, unseal


def _associated(merchant_id: int, endpoint_id: int) -> bytes:
    return f"upstream-endpoint\x00{merchant_id}\x00{endpoint_id}".encode()


def _sealed(signing_key: str, merchant_id: int, endpoint_id: int, auth: dict[str, Any]) -> str:
    plain = json.dumps(auth, separators=(",", ":"), ensure_ascii=True).encode("ascii")
    return seal(signing_key, plain, associated=_associated(merchant_id, endpoint_id))


class CredentialError(Exception):
    """The sealed credential of an endpoint does not open (another signing key)."""


def _headers_of(auth: dict[str, Any]) -> dict[str, str]:
    kind = auth.get("type")
    if kind == "bearer":
        return {"Authorization": f"Bearer {auth['token']}"}
    if kind == "basic":
        pair = f"{auth['username']}:{auth['password']}".encode("ascii")
        return {"Authorization": "Basic " + base64.b64encode(pair).decode("ascii")}
    if kind == "header":
        return {str(auth["name"]): str(auth["value"])}
    return {}


def _credential_headers(signing_key: str, row: Any) -> dict[str, str]:
    """The authentication headers of an endpoint row; :class:`CredentialError` when its
    sealed credential does not open."""
    if row.auth_type == "none":
        return {}
    if row.sealed_credential is None:
        raise CredentialError("the endpoint has no credential: set auth again")
    try:
        plain = unseal(
            signing_key,
            row.sealed_credential,
            associated=_associated(row.merchant_id, row.id),
        )
        auth: dict[str, Any] = json.loads(plain)
    except (SealError, ValueError):
        raise CredentialError(
            "the credential cannot be opened (was SHOPTRACE_SIGNING_KEY changed?): set auth again"
        ) from None
    return _headers_of(auth)


def _readable(signing_key: str, row: Any) -> bool:
    try:
        _credential_headers(signing_key, row)
    except CredentialError:
        return False
    return True
