"""``client.webhook_endpoints.rotate_secret``: the grace window of the previous secret."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import responses
from responses import matchers

from shoptrace.sdk.client import TraceClient
from shoptrace.sdk.client.models import WebhookEndpoint
from tests.sdk.client import payloads
from tests.sdk.client.conftest import API

ROTATE = API + "/webhooks/2/rotate-secret"
UNTIL = "2024-05-02T10:00:00Z"


def _endpoint(until: str | None) -> dict[str, object]:
    return {
        "id": 2,
        "url": "https://shop.example.com/hooks/shoptrace",
        "description": None,
        "topics": ["recall.created"],
        "enabled": True,
        "previousSecretExpiresAt": until,
        "createdAt": payloads.STAMP,
        "updatedAt": payloads.STAMP,
        "secret": "whsec_" + "n" * 43,
    }


def test_rotate_secret_sends_the_window_asked_for(
    client: TraceClient, mocked: responses.RequestsMock
) -> None:
    mocked.post(
        ROTATE,
        json=_endpoint(UNTIL),
        match=[matchers.json_params_matcher({"expiresInSeconds": 3600})],
    )
    mocked.post(
        ROTATE, json=_endpoint(None), match=[matchers.json_params_matcher({"expiresInSeconds": 0})]
    )
    mocked.post(ROTATE, json=_endpoint(UNTIL))
    rotated = client.webhook_endpoints.rotate_secret(2, expires_in_seconds=3600)
    assert rotated.previous_secret_expires_at == datetime(2024, 5, 2, 10, tzinfo=UTC)
    assert rotated.secret == "whsec_" + "n" * 43 and "whsec_" not in repr(rotated)
    at_once = client.webhook_endpoints.rotate_secret(2, expires_in_seconds=0)
    assert at_once.previous_secret_expires_at is None
    default = client.webhook_endpoints.rotate_secret(2, idempotency_key="rot-1")
    assert default.previous_secret_expires_at is not None
    calls = [c.request for c in mocked.calls]
    assert calls[2].body is None  # no window given: the service's default (24 hours)
    assert calls[2].headers["Idempotency-Key"] == "rot-1"
    assert all(c.headers["Idempotency-Key"] for c in calls)
    assert calls[0].headers["Content-Type"] == "application/json"


@pytest.mark.parametrize("bad", [True, 1.5, "3600"])
def test_a_window_that_is_not_whole_seconds_fails_before_sending(
    client: TraceClient, mocked: responses.RequestsMock, bad: object
) -> None:
    with pytest.raises(TypeError, match="expires_in_seconds"):
        client.webhook_endpoints.rotate_secret(2, expires_in_seconds=bad)  # type: ignore[arg-type]
    assert len(mocked.calls) == 0


def test_an_endpoint_without_the_member_has_no_previous_secret() -> None:
    data = _endpoint(None)
    del data["previousSecretExpiresAt"]
    assert WebhookEndpoint.from_json(data).previous_secret_expires_at is None
