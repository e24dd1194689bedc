"""Fixtures of the client tests: a ``responses`` mock that fails on unused registrations, a
client whose waits are recorded instead of slept, and a live service for the live tests."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import responses

from shoptrace.sdk.client import TraceClient
from tests.sdk.client.live import BACKENDS, PG_ENV, LiveServer, live_server, sqlite_database

BASE = "http://trace.test/trace"
API = BASE + "/api/v1"
EPCIS = BASE + "/epcis"
KEY = "st_k3j9x2ab_" + "S" * 43


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture
def sleeps() -> list[float]:
    """The waits the ``client`` fixture asked for, in order."""
    return []


@pytest.fixture
def client(sleeps: list[float]) -> Iterator[TraceClient]:
    """A client of ``BASE`` that records its waits and takes the full backoff (no jitter)."""
    client = TraceClient(KEY, base_url=BASE)
    client.transport.sleep = sleeps.append  # type: ignore[method-assign]
    client.transport.jitter = lambda delay: delay  # type: ignore[method-assign]
    yield client
    client.close()


@pytest.fixture(scope="module", params=BACKENDS)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """A real service on 127.0.0.1, one per module and database backend (tests tell their
    data apart by using a merchant each)."""
    folder = tmp_path_factory.mktemp("live")
    schemas = None
    if request.param == "sqlite":
        url = sqlite_database(folder)
    else:
        from tests.shop_plugin.conftest import PgSchemas

        schemas = PgSchemas(os.environ[PG_ENV])
        url = schemas.new(migrate=True)
    try:
        with live_server(url, folder / "instance") as server:
            yield server
    finally:
        if schemas is not None:
            schemas.drop_all()
