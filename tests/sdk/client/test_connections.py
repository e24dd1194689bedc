"""``client.connections``: the request each method sends and the typed result it builds."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, cast

import pytest
import responses
from responses import matchers

from shoptrace.sdk.client import (
    ConflictError,
    Deleted,
    NotFoundError,
    TraceClient,
    ValidationError,
)
from shoptrace.sdk.client.models import ShopConnection
from tests.sdk.client import payloads
from tests.sdk.client.conftest import API, BASE

JSON = matchers.json_params_matcher
QUERY = matchers.query_param_matcher
PROBLEM = "application/problem+json"
SECRET = "shpss_" + "x" * 32
NEW_SECRET = "shpss_" + "y" * 32
JWKS = {"keys": [{"kty": "RSA", "n": "sXch" + "A" * 340, "e": "AQAB", "kid": "k1"}]}


def _connection(**extra: Any) -> dict[str, Any]:
    return {
        "id": 4,
        "platform": "shopify",
        "shop": "acme.myshopify.com",
        "status": "active",
        "verification": ["hmac-sha256"],
        "previousSecretUntil": None,
        "webhookUrl": BASE + "/hooks/shopify",
        "createdAt": payloads.STAMP,
        "updatedAt": payloads.STAMP,
        **extra,
    }


def _problem(status: int, detail: str, errors: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "type": "about:blank",
        "title": "Problem",
        "status": status,
        "detail": detail,
        "errors": errors,
    }


def test_create_sends_the_secret_and_never_shows_it(
    client: TraceClient, mocked: responses.RequestsMock
) -> None:
    mocked.post(
        API + "/connections",
        status=201,
        json=_connection(),
        headers={"Location": "/trace/api/v1/connections/4"},
        match=[
            JSON(
                {
                    "platform": "shopify",
                    "shop": "https://Acme.myshopify.com/",
                    "secret": SECRET,
                    "extraField": 1,
                }
            )
        ],
    )
    made = client.connections.create(
        platform="shopify",
        shop="https://Acme.myshopify.com/",
        secret=SECRET,
        extra={"extraField": 1},
    )
    assert (made.id, made.platform, made.shop, made.status) == (
        4,
        "shopify",
        "acme.myshopify.com",
        "active",
    )
    assert made.verification == ("hmac-sha256",)
    assert made.webhook_url == BASE + "/hooks/shopify"
    assert made.previous_secret_until is None
    assert made.created_at == datetime(2024, 5, 1, 10, tzinfo=UTC)
    assert made["webhookUrl"] == made.webhook_url  # the JSON as received is kept
    assert mocked.calls[0].request.headers["Idempotency-Key"]
    for shown in (repr(made), repr(client.connections), repr(client)):
        assert SECRET not in shown


def test_create_for_saleor_with_public_keys_only(
    client: TraceClient, mocked: responses.RequestsMock
) -> None:
    mocked.post(
        API + "/connections",
        status=201,
        json=_connection(
            platform="saleor",
            shop="saleor.example.com/graphql",
            verification=["jws-rs256"],
            webhookUrl=BASE + "/hooks/saleor",
        ),
        match=[
            JSON(
                {
                    "platform": "saleor",
                    "shop": "https://saleor.example.com/graphql/",
                    "publicKey": JWKS,
                }
            )
        ],
    )
    made = client.connections.create(
        platform="saleor",
        shop="https://saleor.example.com/graphql/",
        public_key=JWKS,
        idempotency_key="conn-1",
    )
    assert (made.platform, made.verification) == ("saleor", ("jws-rs256",))
    assert mocked.calls[0].request.headers["Idempotency-Key"] == "conn-1"


def test_get_update_delete(client: TraceClient, mocked: responses.RequestsMock) -> None:
    until = "2024-05-02T10:00:00Z"
    mocked.get(API + "/connections/4", json=_connection())
    mocked.patch(
        API + "/connections/4",
        json=_connection(previousSecretUntil=until),
        match=[JSON({"secret": NEW_SECRET, "graceSeconds": 86400})],
    )
    mocked.patch(
        API + "/connections/4",
        json=_connection(platform="saleor", verification=["hmac-sha256"]),
        match=[JSON({"publicKey": None})],
    )
    mocked.delete(
        API + "/connections/4",
        json={"id": 4, "platform": "shopify", "shop": "acme.myshopify.com", "deleted": True},
    )
    conns = client.connections
    assert conns.get(4) == ShopConnection.from_json(_connection())
    rotated = conns.update(4, secret=NEW_SECRET, grace_seconds=86400)
    assert rotated.previous_secret_until == datetime(2024, 5, 2, 10, tzinfo=UTC)
    assert NEW_SECRET not in repr(rotated)
    assert conns.update(4, public_key=None).verification == ("hmac-sha256",)
    deleted = conns.delete(4)
    assert isinstance(deleted, Deleted) and (deleted.id, deleted.deleted) == (4, True)
    assert deleted["shop"] == "acme.myshopify.com"
    assert [c.request.method for c in mocked.calls] == ["GET", "PATCH", "PATCH", "DELETE"]
    assert ["Idempotency-Key" in c.request.headers for c in mocked.calls] == [
        False,
        False,
        False,
        True,  # the DELETE: a retry after a lost answer gets the first answer again
    ]


def test_list_filters_by_platform_and_follows_the_pages(
    client: TraceClient, mocked: responses.RequestsMock
) -> None:
    mocked.get(
        API + "/connections",
        json={"connections": [_connection()], "nextPageToken": "n1"},
        match=[QUERY({"platform": "shopify", "pageSize": "1"})],
    )
    mocked.get(
        API + "/connections",
        json={"connections": [_connection(id=5, shop="b.myshopify.com")], "nextPageToken": None},
        match=[QUERY({"platform": "shopify", "pageSize": "1", "pageToken": "n1"})],
    )
    mocked.get(
        API + "/connections",
        json={"connections": [], "nextPageToken": None},
        match=[QUERY({"pageToken": "n9"})],
    )
    found = client.connections.list(platform="shopify", page_size=1)
    assert [(c.id, c.shop) for c in found] == [(4, "acme.myshopify.com"), (5, "b.myshopify.com")]
    assert client.connections.list(page_token="n9").all() == []


def test_wrong_arguments_fail_before_any_request(client: TraceClient) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        conns = client.connections
        for bad_id in (0, -1, True, "4", None):
            with pytest.raises(ValueError, match="connection_id"):
                conns.get(bad_id)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="connection_id"):
            conns.delete(0)
        secret = SECRET.encode()
        with pytest.raises(TypeError, match="secret must be a string") as caught:
            conns.create(platform="shopify", shop="acme.myshopify.com", secret=secret)  # type: ignore[arg-type]
        assert SECRET not in str(caught.value) and str(secret) not in str(caught.value)
        with pytest.raises(TypeError, match="secret must be a string"):
            conns.update(4, secret=secret)  # type: ignore[arg-type]
        assert not mock.calls


def test_errors_are_mapped_and_never_show_the_secret(
    client: TraceClient, mocked: responses.RequestsMock
) -> None:
    mocked.post(
        API + "/connections",
        status=422,
        content_type=PROBLEM,
        json=_problem(
            422,
            "the request body breaks 1 rule",
            [
                {
                    "field": "shop",
                    "rule": "shop",
                    "detail": "must be the shop's myshopify.com domain",
                }
            ],
        ),
    )
    mocked.post(
        API + "/connections",
        status=409,
        content_type=PROBLEM,
        json=_problem(
            409,
            "shopify shop acme.myshopify.com is already connected",
            [{"field": "shop", "rule": "unique", "detail": "another merchant has it"}],
        ),
    )
    mocked.patch(
        API + "/connections/9",
        status=404,
        content_type=PROBLEM,
        json=_problem(
            404,
            "connection 9 does not exist",
            [{"field": "connection_id", "rule": "not-found", "detail": "no such connection"}],
        ),
    )
    with pytest.raises(ValidationError) as invalid:
        client.connections.create(platform="shopify", shop="acme.example.com/x", secret=SECRET)
    assert invalid.value.errors[0].field == "shop"
    with pytest.raises(ConflictError) as clash:
        client.connections.create(platform="shopify", shop="acme.myshopify.com", secret=SECRET)
    assert clash.value.errors[0].rule == "unique"
    with pytest.raises(NotFoundError) as missing:
        client.connections.update(9, secret=NEW_SECRET)
    assert missing.value.status == 404
    for error, secret in ((invalid, SECRET), (clash, SECRET), (missing, NEW_SECRET)):
        for shown in (str(error.value), repr(error.value), repr(error.value.__dict__)):
            assert secret not in shown
    assert json.loads(cast(bytes, mocked.calls[2].request.body)) == {
        "secret": NEW_SECRET
    }  # it was sent
    assert len(mocked.calls) == 3  # none of them retried


def test_results_tolerate_missing_and_unknown_members() -> None:
    bare = ShopConnection.from_json({"id": 4, "futureField": "x"})
    assert bare["futureField"] == "x"
    assert (bare.platform, bare.verification, bare.webhook_url, bare.created_at) == (
        "",
        (),
        "",
        None,
    )
    odd = ShopConnection.from_json({"id": True, "verification": "hmac-sha256", "shop": 5})
    assert (odd.id, odd.verification, odd.shop) == (0, (), "")
