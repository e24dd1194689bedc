"""Alembic migrations of the store, run from code (``shoptrace db upgrade``, first start).

The version is kept in its own table, ``shoptrace_alembic_version``, so a host shop that
uses Alembic for its own tables in the same database keeps its history apart.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from shoptrace.shop_plugin.store.engine import Store

__all__ = [
    "VERSION_TABLE",
    "SchemaBehind",
    "current_revision",
    "head_revision",
    "is_up_to_date",
    "upgrade",
]

VERSION_TABLE = "shoptrace_alembic_version"
MIGRATIONS = Path(__file__).with_name("migrations")


class SchemaBehind(RuntimeError):
    """The database schema is older than this code: run ``shoptrace db upgrade``."""


def _config(store: Store | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    if store is not None:
        config.attributes["store"] = store
    return config


def head_revision() -> str:
    """The newest migration this code ships."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(store: Store) -> str | None:
    """The migration the database is at, or None for an empty database."""
    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
        return context.get_current_revision()


def is_up_to_date(store: Store) -> bool:
    """Whether the database is at the newest migration."""
    return current_revision(store) == head_revision()


def upgrade(store: Store, revision: str = "head") -> str | None:
    """Migrate the database to ``revision``; return the revision it is at afterwards."""
    command.upgrade(_config(store), revision)
    return current_revision(store)
