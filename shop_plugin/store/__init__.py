"""Storage of the trace service: SQLAlchemy Core tables, the store, Alembic migrations."""

from shoptrace.shop_plugin.store.engine import Store, open_store, sqlite_url
from shoptrace.shop_plugin.store.migrate import (
    SchemaBehind,
    current_revision,
    head_revision,
    is_up_to_date,
    upgrade,
)
from shoptrace.shop_plugin.store.tables import metadata

__all__ = [
    "SchemaBehind",
    "Store",
    "current_revision",
    "head_revision",
    "is_up_to_date",
    "metadata",
    "open_store",
    "sqlite_url",
    "upgrade",
]
