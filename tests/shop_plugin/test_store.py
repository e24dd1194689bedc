"""The store: migrations equal the table metadata, SQLite settings, timestamps, schema checks."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from shoptrace.shop_plugin.store import (
    Store,
    current_revision,
    head_revision,
    is_up_to_date,
    metadata,
    open_store,
    sqlite_url,
    upgrade,
)
from shoptrace.shop_plugin.store.engine import PAGE_SIZE
from shoptrace.shop_plugin.store.migrate import VERSION_TABLE
from shoptrace.shop_plugin.store.tables import EVENT_EPCS_VIEW, merchants, views
from tests.shop_plugin.helpers import make_app


def test_migrations_build_exactly_the_tables_of_the_metadata(empty_db_url: str) -> None:
    store = open_store(empty_db_url)
    try:
        assert current_revision(store) is None
        assert not is_up_to_date(store)
        assert upgrade(store) == head_revision()
        assert upgrade(store) == head_revision()
        with store.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
            assert compare_metadata(context, metadata) == []
            names = set(sa.inspect(conn).get_table_names())
            view_names = set(sa.inspect(conn).get_view_names())
            if conn.dialect.name == "sqlite":
                made = conn.exec_driver_sql(
                    "SELECT sql FROM sqlite_master WHERE type = 'view' AND name = 'event_epcs'"
                ).scalar_one()
                assert made == "CREATE VIEW event_epcs AS " + EVENT_EPCS_VIEW
        assert {t.name for t in metadata.sorted_tables} | {VERSION_TABLE} == names
        assert {t.name for t in views.sorted_tables} == view_names == {"event_epcs"}
    finally:
        store.dispose()


def test_every_table_but_merchants_carries_merchant_id() -> None:
    for table in metadata.sorted_tables:
        if table.name != "merchants":
            assert "merchant_id" in table.c, table.name
            assert not table.c.merchant_id.nullable


def test_units_are_unique_by_gtin_and_serial() -> None:
    units = metadata.tables["units"]
    uniques = [
        tuple(c.name for c in constraint.columns)
        for constraint in units.constraints
        if isinstance(constraint, sa.UniqueConstraint)
    ]
    assert ("gtin", "serial") in uniques


def test_timestamps_come_back_aware_in_utc(store: Store) -> None:
    moment = datetime(2025, 3, 1, 16, 30, tzinfo=timezone(timedelta(hours=8)))
    with store.begin() as conn:
        conn.execute(
            merchants.insert().values(
                name="T", status="active", tag_key_salt="00", created_at=moment
            )
        )
    with store.read() as conn:
        stored = conn.execute(sa.select(merchants.c.created_at)).scalar_one()
    assert stored == moment and stored.tzinfo is not None
    assert stored.utcoffset() == timedelta(0)
    assert stored == datetime(2025, 3, 1, 8, 30, tzinfo=UTC)


def test_naive_timestamps_are_refused(store: Store) -> None:
    with pytest.raises(sa.exc.StatementError), store.begin() as conn:
        conn.execute(
            merchants.insert().values(
                name="T", status="active", tag_key_salt="00", created_at=datetime(2025, 1, 1)
            )
        )


def test_an_in_memory_sqlite_store_is_refused() -> None:
    with pytest.raises(ValueError, match="file"):
        open_store("sqlite://")


def test_the_api_answers_503_until_the_schema_is_upgraded(
    empty_db_url: str, tmp_path: Path
) -> None:
    app = make_app(empty_db_url, tmp_path / "instance")
    try:
        client = app.test_client()
        behind = client.get("/trace/api/v1/products")
        assert behind.status_code == 503
        assert "shoptrace db upgrade" in behind.get_json()["detail"]
        upgrade(app.extensions["shoptrace"].store)
        assert client.get("/trace/api/v1/products").status_code == 401
    finally:
        app.extensions["shoptrace"].store.dispose()


def test_new_sqlite_databases_get_16_kib_pages_and_older_ones_keep_theirs(tmp_path: Path) -> None:
    fresh = open_store(sqlite_url(tmp_path / "new.db"))
    older_file = tmp_path / "older.db"
    made = sqlite3.connect(older_file)
    made.execute("CREATE TABLE kept (x)")
    made.execute("INSERT INTO kept VALUES (1)")
    made.commit()
    made.close()
    older = open_store(sqlite_url(older_file))
    try:
        upgrade(fresh)
        upgrade(older)
        with fresh.read() as conn:
            assert conn.exec_driver_sql("PRAGMA page_size").scalar_one() == PAGE_SIZE == 16384
        with older.begin() as conn:
            assert conn.exec_driver_sql("PRAGMA page_size").scalar_one() == 4096
            assert conn.exec_driver_sql("SELECT x FROM kept").scalar_one() == 1
            conn.execute(
                merchants.insert().values(
                    name="T", status="active", tag_key_salt="00", created_at=datetime.now(UTC)
                )
            )
        with older.read() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
            assert conn.execute(sa.select(sa.func.count()).select_from(merchants)).scalar_one() == 1
    finally:
        fresh.dispose()
        older.dispose()
