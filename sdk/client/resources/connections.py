"""``client.connections``: the shops (Shopify, WooCommerce, Saleor) whose webhooks the service
takes for the merchant."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shoptrace.sdk.client.models import Deleted, ShopConnection
from shoptrace.sdk.client.pagination import Pager, fetch_pages
from shoptrace.sdk.client.resources.base import NOT_GIVEN, NotGiven, Service, body, id_path

__all__ = ["ConnectionsService"]


def _connection(connection_id: int) -> str:
    return f"/connections/{id_path(connection_id, 'connection_id')}"


def _secret(value: Any) -> Any:
    """``secret`` as sent: text (its value is never shown, not even in errors)."""
    if value is None or isinstance(value, NotGiven) or isinstance(value, str):
        return value
    raise TypeError(f"secret must be a string, not {type(value).__name__}")


class ConnectionsService(Service):
    """Connect shops, rotate their webhook secrets, replace Saleor's public keys, disconnect.

    Each connection's ``webhook_url`` is the delivery URL to give the platform. Secrets and
    public keys go in and never come out: answers only say how webhooks are verified.
    """

    def create(
        self,
        *,
        platform: str,
        shop: str,
        secret: str | None = None,
        public_key: Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> ShopConnection:
        """Connect a shop: its ``platform`` (``shopify``, ``woocommerce``, ``saleor``), its
        domain or URL as its webhook headers name it, and the webhook ``secret`` (Saleor may
        give ``public_key``, a JWK Set or one JWK, instead or as well)."""
        payload = body(
            {
                "platform": platform,
                "shop": shop,
                "secret": _secret(secret),
                "publicKey": public_key,
            },
            extra,
            skip_none=True,
        )
        response = self._post("/connections", payload, idempotency_key)
        return ShopConnection.from_json(response.json())

    def get(self, connection_id: int) -> ShopConnection:
        """One connection (never its secret)."""
        return ShopConnection.from_json(self._get(_connection(connection_id)))

    def update(
        self,
        connection_id: int,
        *,
        secret: str | NotGiven = NOT_GIVEN,
        grace_seconds: int | NotGiven = NOT_GIVEN,
        public_key: Mapping[str, Any] | None | NotGiven = NOT_GIVEN,
        extra: Mapping[str, Any] | None = None,
    ) -> ShopConnection:
        """Rotate the secret (``grace_seconds`` keeps the previous one verifying webhooks that
        long) or replace Saleor's public keys (``public_key=None`` removes them)."""
        payload = body(
            {
                "secret": _secret(secret),
                "graceSeconds": grace_seconds,
                "publicKey": public_key,
            },
            extra,
            skip_none=False,
        )
        response = self._send("PATCH", _connection(connection_id), payload)
        return ShopConnection.from_json(response.json())

    def delete(self, connection_id: int) -> Deleted:
        """Disconnect a shop: its webhooks are refused from now on."""
        return Deleted.from_json(self._delete(_connection(connection_id)).json())

    def list(
        self,
        *,
        platform: str | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> Pager[ShopConnection]:
        """The merchant's connections, optionally of one platform."""
        return fetch_pages(
            self._transport,
            self._transport.api("/connections"),
            {"platform": platform, "pageSize": page_size},
            extract=lambda page: page["connections"],
            build=ShopConnection.from_json,
            token_param="pageToken",
            start=page_token,
        )
