"""Authentication with Bearer API keys, key life cycle, rate limits."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask

from shoptrace.shop_plugin.services import merchants
from tests.shop_plugin.helpers import API, Api, add_merchant, make_app


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer ", "Basic dXNlcjpwdw==", "Bearer st_unknown_key", "Bearer nope"],
)
def test_requests_without_a_valid_key_are_401_problems(
    client: object, api: Api, header: str | None
) -> None:
    headers = {"Authorization": header} if header is not None else {}
    response = api.client.get(f"{API}/products", headers=headers)
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="shoptrace"'
    assert "products" not in response.get_json()


def test_the_openapi_document_needs_no_key(client: object, api: Api) -> None:
    response = api.client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    assert response.get_json()["openapi"] == "3.1.0"


def test_rotated_key_works_during_grace_then_not(app: Flask, api: Api) -> None:
    store = app.extensions["shoptrace"].store
    prefix = api.key[:11]
    with store.begin() as conn:
        info, new_key = merchants.rotate_key(conn, prefix, grace=timedelta(hours=1))
    assert info["status"] == "active" and info["prefix"] != prefix
    assert api.get("/products").status_code == 200
    assert Api(api.client, new_key, api.merchant_id).get("/products").status_code == 200
    with store.begin() as conn:
        merchants.rotate_key(conn, info["prefix"])
    assert Api(api.client, new_key, api.merchant_id).get("/products").status_code == 401
    with store.read() as conn:
        statuses = [k["status"] for k in merchants.list_keys(conn, api.merchant_id)]
    assert statuses == ["active", "expired", "active"]


def test_revoked_key_is_refused_at_once(app: Flask, api: Api) -> None:
    store = app.extensions["shoptrace"].store
    with store.begin() as conn:
        info = merchants.revoke_key(conn, api.key[:11])
    assert info["status"] == "revoked" and info["revokedAt"]
    assert api.get("/products").status_code == 401


def test_keys_are_stored_hashed_and_listed_by_prefix_only(app: Flask, api: Api) -> None:
    import sqlalchemy as sa

    from shoptrace.shop_plugin.store.tables import api_keys

    with app.extensions["shoptrace"].store.read() as conn:
        row = conn.execute(sa.select(api_keys)).one()
        listed = merchants.list_keys(conn, api.merchant_id)
    secret = api.key[12:]
    assert secret not in "".join(str(v) for v in row)
    assert row.key_hash == merchants.hash_key(api.key)
    assert listed[0]["prefix"] == row.prefix and api.key.startswith(row.prefix + "_")
    assert secret not in str(listed)


def test_rate_limit_answers_429_with_retry_after(db_url: str, tmp_path: Path) -> None:
    app = make_app(db_url, tmp_path / "instance", SHOPTRACE_RATE_LIMIT="3 per minute")
    try:
        merchant_id, key = add_merchant(app, "Busy")
        api = Api(app.test_client(), key, merchant_id)
        assert [api.get("/products").status_code for _ in range(3)] == [200] * 3
        limited = api.get("/products")
        assert limited.status_code == 429
        assert limited.mimetype == "application/problem+json"
        assert 1 <= int(limited.headers["Retry-After"]) <= 60
        other_id, other_key = add_merchant(app, "Calm")
        assert Api(api.client, other_key, other_id).get("/products").status_code == 200
        anonymous = [api.client.get(f"{API}/products").status_code for _ in range(4)]
        assert anonymous == [401, 401, 401, 429]
    finally:
        app.extensions["shoptrace"].store.dispose()
