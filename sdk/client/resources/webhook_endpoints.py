"""``client.webhook_endpoints``: where the service sends webhooks, and their deliveries."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from shoptrace.sdk.client.models import Deleted, WebhookDelivery, WebhookEndpoint
from shoptrace.sdk.client.pagination import Pager, fetch_pages
from shoptrace.sdk.client.resources.base import NOT_GIVEN, NotGiven, Service, body, id_path

__all__ = ["WebhookEndpointsService"]


def _endpoint(webhook_id: int) -> str:
    return f"/webhooks/{id_path(webhook_id, 'webhook_id')}"


def _delivery(webhook_id: int, delivery_id: int) -> str:
    return f"{_endpoint(webhook_id)}/deliveries/{id_path(delivery_id, 'delivery_id')}"


class WebhookEndpointsService(Service):
    """Register endpoints (``recall.created``, ``recall.closed``, ``code.suspicious``,
    ``order.traced``), rotate their secrets, send tests, follow deliveries."""

    def create(
        self,
        *,
        url: str,
        topics: Sequence[str],
        description: str | None = None,
        enabled: bool | None = None,
        extra: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> WebhookEndpoint:
        """Register an endpoint; the result's ``secret`` is shown this once."""
        payload = body(
            {"url": url, "topics": list(topics), "description": description, "enabled": enabled},
            extra,
            skip_none=True,
        )
        response = self._post("/webhooks", payload, idempotency_key)
        return WebhookEndpoint.from_json(response.json())

    def get(self, webhook_id: int) -> WebhookEndpoint:
        """One endpoint (never its secret)."""
        return WebhookEndpoint.from_json(self._get(_endpoint(webhook_id)))

    def update(
        self,
        webhook_id: int,
        *,
        url: str | NotGiven = NOT_GIVEN,
        topics: Sequence[str] | NotGiven = NOT_GIVEN,
        description: str | None | NotGiven = NOT_GIVEN,
        enabled: bool | NotGiven = NOT_GIVEN,
        extra: Mapping[str, Any] | None = None,
    ) -> WebhookEndpoint:
        """Change an endpoint; a disabled one's messages wait until it is enabled again."""
        payload = body(
            {
                "url": url,
                "topics": topics if isinstance(topics, NotGiven) else list(topics),
                "description": description,
                "enabled": enabled,
            },
            extra,
            skip_none=False,
        )
        return WebhookEndpoint.from_json(self._send("PATCH", _endpoint(webhook_id), payload).json())

    def delete(self, webhook_id: int) -> Deleted:
        """Delete an endpoint with its deliveries (unsent messages are dropped)."""
        return Deleted.from_json(self._delete(_endpoint(webhook_id)).json())

    def list(
        self, *, page_size: int | None = None, page_token: str | None = None
    ) -> Pager[WebhookEndpoint]:
        """The merchant's endpoints."""
        return fetch_pages(
            self._transport,
            self._transport.api("/webhooks"),
            {"pageSize": page_size},
            extract=lambda page: page["webhooks"],
            build=WebhookEndpoint.from_json,
            token_param="pageToken",
            start=page_token,
        )

    def rotate_secret(
        self,
        webhook_id: int,
        *,
        expires_in_seconds: int | None = None,
        idempotency_key: str | None = None,
    ) -> WebhookEndpoint:
        """Replace the endpoint's signing secret; the result's ``secret`` is the new one.

        Until ``previous_secret_expires_at`` messages are signed with the new and the previous
        secret, so a receiver verifies with either while it moves over:
        ``expires_in_seconds`` sets that window (0 to 7 days; 0 stops the previous secret at
        once); None leaves it to the service (24 hours).
        """
        payload = None
        if expires_in_seconds is not None:
            if isinstance(expires_in_seconds, bool) or not isinstance(expires_in_seconds, int):
                raise TypeError("expires_in_seconds must be a whole number of seconds")
            payload = {"expiresInSeconds": expires_in_seconds}
        response = self._post(f"{_endpoint(webhook_id)}/rotate-secret", payload, idempotency_key)
        return WebhookEndpoint.from_json(response.json())

    def test(self, webhook_id: int, *, idempotency_key: str | None = None) -> WebhookDelivery:
        """Queue a test message to the endpoint, whatever its topics."""
        response = self._post(f"{_endpoint(webhook_id)}/test", None, idempotency_key)
        return WebhookDelivery.from_json(response.json())

    def deliveries(
        self,
        webhook_id: int,
        *,
        status: str | None = None,
        topic: str | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> Pager[WebhookDelivery]:
        """The endpoint's messages and their delivery state, oldest first."""
        return fetch_pages(
            self._transport,
            self._transport.api(f"{_endpoint(webhook_id)}/deliveries"),
            {"status": status, "topic": topic, "pageSize": page_size},
            extract=lambda page: page["deliveries"],
            build=WebhookDelivery.from_json,
            token_param="pageToken",
            start=page_token,
        )

    def get_delivery(self, webhook_id: int, delivery_id: int) -> WebhookDelivery:
        """One delivery, with the body it sends (``payload``)."""
        return WebhookDelivery.from_json(self._get(_delivery(webhook_id, delivery_id)))

    def redeliver(
        self, webhook_id: int, delivery_id: int, *, idempotency_key: str | None = None
    ) -> WebhookDelivery:
        """Send a message again now (a dead or delivered one goes back to pending)."""
        path = f"{_delivery(webhook_id, delivery_id)}/redeliver"
        return WebhookDelivery.from_json(self._post(path, None, idempotency_key).json())
