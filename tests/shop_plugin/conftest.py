"""Fixtures of the shop plugin tests: ``store``, ``app``, ``client``, ``runner`` and friends.

Every store and API test runs on SQLite and, when SHOPTRACE_TEST_DATABASE_URL is set, also on
PostgreSQL. Each test session gets its own PostgreSQL schema (search_path), migrated once,
emptied before each test and dropped at the end, so parallel runs and leftovers never meet.
SQLite tests copy a database migrated once per session.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy.pool import NullPool

from shoptrace.shop_plugin.store import Store, open_store, sqlite_url, upgrade
from shoptrace.shop_plugin.store.tables import metadata
from tests.shop_plugin.helpers import Api, add_merchant, make_app

PG_ENV = "SHOPTRACE_TEST_DATABASE_URL"
BACKENDS = ["sqlite", *(["postgresql"] if os.environ.get(PG_ENV) else [])]


class PgSchemas:
    """Creates private PostgreSQL schemas and drops them all at the end of the session."""

    def __init__(self, url: str) -> None:
        self.url = sa.make_url(url)
        self.admin = sa.create_engine(self.url, poolclass=NullPool)
        self.created: list[str] = []

    def new(self, *, migrate: bool) -> str:
        name = f"st_test_{os.getpid()}_{secrets.token_hex(4)}"
        with self.admin.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{name}"')
        self.created.append(name)
        url = self.url.update_query_dict({"options": f"-csearch_path={name}"})
        text = url.render_as_string(hide_password=False)
        if migrate:
            store = open_store(text)
            upgrade(store)
            store.dispose()
        return text

    def drop_all(self) -> None:
        with self.admin.begin() as conn:
            for name in self.created:
                conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        self.admin.dispose()


@pytest.fixture(scope="session")
def pg_schemas() -> Iterator[PgSchemas]:
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"{PG_ENV} is not set")
    schemas = PgSchemas(url)
    yield schemas
    schemas.drop_all()


@pytest.fixture(scope="session")
def pg_url(pg_schemas: PgSchemas) -> str:
    """The session's migrated PostgreSQL schema."""
    return pg_schemas.new(migrate=True)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "shoptrace.db"
    store = open_store(sqlite_url(path))
    upgrade(store)
    with store.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    store.dispose()
    return path


def _empty_tables(url: str) -> None:
    engine = sa.create_engine(url, poolclass=NullPool)
    names = ", ".join(t.name for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database on each backend."""
    if request.param == "sqlite":
        target = tmp_path / "db" / "shoptrace.db"
        target.parent.mkdir()
        shutil.copy(request.getfixturevalue("sqlite_template"), target)
        return sqlite_url(target)
    url = request.getfixturevalue("pg_url")
    _empty_tables(url)
    return url


@pytest.fixture(params=BACKENDS)
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database with no tables at all, on each backend."""
    if request.param == "sqlite":
        return sqlite_url(tmp_path / "empty" / "shoptrace.db")
    return request.getfixturevalue("pg_schemas").new(migrate=False)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    store = open_store(db_url)
    yield store
    store.dispose()


@pytest.fixture
def app_config() -> dict[str, Any]:
    """Extra settings for the ``app`` fixture; override in a test module."""
    return {}


@pytest.fixture
def app(db_url: str, tmp_path: Path, app_config: dict[str, Any]) -> Iterator[Flask]:
    app = make_app(db_url, tmp_path / "instance", **app_config)
    yield app
    app.extensions["shoptrace"].store.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def api(app: Flask, client: FlaskClient) -> Api:
    """The API as merchant "Acme"."""
    merchant_id, key = add_merchant(app, "Acme")
    return Api(client, key, merchant_id)


@pytest.fixture
def other_api(app: Flask, client: FlaskClient) -> Api:
    """The API as a second merchant, "Rival"."""
    merchant_id, key = add_merchant(app, "Rival")
    return Api(client, key, merchant_id)
