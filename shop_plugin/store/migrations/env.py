"""Alembic environment: runs the migrations on the store handed over by ``migrate.upgrade``."""

from __future__ import annotations

from alembic import context

from shoptrace.shop_plugin.store.migrate import VERSION_TABLE
from shoptrace.shop_plugin.store.tables import metadata

store = context.config.attributes.get("store")
if store is None:
    raise RuntimeError("run migrations through shoptrace db upgrade (store.migrate.upgrade)")

with store.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        render_as_batch=connection.dialect.name == "sqlite",
        transaction_per_migration=False,
    )
    with context.begin_transaction():
        context.run_migrations()
