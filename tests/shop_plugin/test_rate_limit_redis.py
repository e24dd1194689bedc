"""Rate limits kept in Redis are shared by every process of the service.

Two apps stand for two worker processes: with ``SHOPTRACE_RATE_LIMIT_STORAGE_URL`` pointing
at Redis, requests to either count against one budget. Needs the Redis server on 127.0.0.1
(running on the CI machine) and the ``redis`` extra; skips saying so otherwise.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from tests.shop_plugin.helpers import Api, add_merchant, make_app

redis = pytest.importorskip("redis", reason="the redis extra (limits[redis]) is not installed")
URL = "redis://127.0.0.1:6379/15"


@pytest.fixture
def redis_url() -> str:
    try:
        # Database 15 is this test's own: emptied so earlier runs leave no counters behind.
        redis.Redis.from_url(URL, socket_connect_timeout=1).flushdb()
    except redis.exceptions.RedisError:
        pytest.skip("no Redis server answers at 127.0.0.1:6379")
    return URL


def test_two_processes_share_one_budget_through_redis(
    db_url: str, tmp_path: Path, redis_url: str
) -> None:
    settings = {
        "SHOPTRACE_RATE_LIMIT": "3 per minute",
        "SHOPTRACE_RATE_LIMIT_STORAGE_URL": redis_url,
    }
    first = make_app(db_url, tmp_path / "one", **settings)
    try:
        merchant_id, key = add_merchant(first, f"Shared {secrets.token_hex(4)}")
        second = make_app(db_url, tmp_path / "two", **settings)
        try:
            one = Api(first.test_client(), key, merchant_id)
            two = Api(second.test_client(), key, merchant_id)
            codes = [one.get("/products").status_code, two.get("/products").status_code]
            codes += [one.get("/products").status_code, two.get("/products").status_code]
            assert codes == [200, 200, 200, 429]
            assert two.get("/products").mimetype == "application/problem+json"
        finally:
            second.extensions["shoptrace"].store.dispose()
    finally:
        first.extensions["shoptrace"].store.dispose()
