"""The shop's own tables (products with price and stock, customers, orders, unit stock,
the staff who may use the merchant admin).

They live in ``demo_shop.db`` in the app's instance folder, apart from the trace store
(``shoptrace.db`` beside it): a real shop keeps its catalogue and orders in its own database
and tells shoptrace about them through the order hooks.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.engine import Connection, Engine

__all__ = [
    "Shop",
    "customers",
    "get_meta",
    "merchant_users",
    "metadata",
    "now",
    "open_shop",
    "order_lines",
    "orders",
    "products",
    "recalls",
    "set_meta",
    "shop",
    "stock_units",
]

DB_FILE = "demo_shop.db"
EXTENSION_KEY = "demo_shop"
_WRITE = "demo_shop_write"

metadata = sa.MetaData()

meta = sa.Table(
    "meta",
    metadata,
    sa.Column("key", sa.String(50), primary_key=True),
    sa.Column("value", sa.Text(), nullable=False),
)

products = sa.Table(
    "products",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("slug", sa.String(50), nullable=False, unique=True),
    sa.Column("sku", sa.String(50), nullable=False, unique=True),
    sa.Column("gtin", sa.String(14), nullable=False),
    sa.Column("category", sa.String(40), nullable=False),
    sa.Column("name_zh", sa.String(200), nullable=False),
    sa.Column("name_en", sa.String(200), nullable=False),
    sa.Column("pack_zh", sa.String(100), nullable=False),
    sa.Column("pack_en", sa.String(100), nullable=False),
    sa.Column("summary_zh", sa.Text(), nullable=False),
    sa.Column("summary_en", sa.Text(), nullable=False),
    sa.Column("price_cents", sa.Integer(), nullable=False),
    sa.Column("stock", sa.Integer(), nullable=False),
    # The lot now selling: the badge on the listing names it.
    sa.Column("lot", sa.String(20), nullable=False),
    # Serialised goods carry a unit code each; others are traced by lot.
    sa.Column("serialised", sa.Boolean(), nullable=False),
    sa.Column("image", sa.String(100), nullable=False),
    sa.Column("position", sa.Integer(), nullable=False),
)

customers = sa.Table(
    "customers",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("email", sa.String(200), nullable=False, unique=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("created_at", sa.DateTime(), nullable=False),
)

orders = sa.Table(
    "orders",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("customer_id", sa.Integer(), sa.ForeignKey("customers.id"), nullable=False),
    # placed -> shipped -> delivered, or cancelled before shipping.
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("phone", sa.String(30), nullable=False),
    sa.Column("country", sa.String(2), nullable=False),
    sa.Column("region", sa.String(100), nullable=False),
    sa.Column("city", sa.String(100), nullable=False),
    sa.Column("postcode", sa.String(20), nullable=False),
    sa.Column("street", sa.String(200), nullable=False),
    sa.Column("total_cents", sa.Integer(), nullable=False),
    sa.Column("payment_ref", sa.String(40), nullable=False),
    sa.Column("lang", sa.String(8), nullable=False),
    sa.Column("placed_at", sa.DateTime(), nullable=False),
    sa.Column("shipped_at", sa.DateTime()),
    sa.Column("delivered_at", sa.DateTime()),
    # What shoptrace answered: the token of the shopper's order trace page
    # ({SHOPTRACE_PUBLIC_BASE_URL}/orders/{token}), and why it refused, if it did.
    sa.Column("trace_token", sa.String(100)),
    sa.Column("traced", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("trace_note", sa.Text()),
)

order_lines = sa.Table(
    "order_lines",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("order_id", sa.Integer(), sa.ForeignKey("orders.id"), nullable=False),
    sa.Column("line_no", sa.Integer(), nullable=False),
    sa.Column("product_id", sa.Integer(), sa.ForeignKey("products.id"), nullable=False),
    sa.Column("quantity", sa.Integer(), nullable=False),
    sa.Column("price_cents", sa.Integer(), nullable=False),
    # The lot shipped (lot-traced goods) once the order is packed.
    sa.Column("lot", sa.String(20)),
    sa.UniqueConstraint("order_id", "line_no"),
)

stock_units = sa.Table(
    "stock_units",
    metadata,
    # The warehouse's serialised stock: one row per unit code on a pack, as the packing
    # station scans it. ``state`` is in_stock, sold, recalled (its lot is), or held (set
    # aside because shoptrace refused it at packing).
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("product_id", sa.Integer(), sa.ForeignKey("products.id"), nullable=False),
    sa.Column("lot", sa.String(20), nullable=False),
    sa.Column("serial", sa.String(20), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("order_line_id", sa.Integer(), sa.ForeignKey("order_lines.id")),
    sa.UniqueConstraint("product_id", "serial"),
    sa.Index(None, "product_id", "state"),
    sa.Index(None, "order_line_id"),
)


recalls = sa.Table(
    "recalls",
    metadata,
    # Lots shoptrace told the shop are recalled: held back from sale, flagged on orders.
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("gtin", sa.String(14), nullable=False),
    sa.Column("lot", sa.String(20), nullable=False),
    sa.Column("reason_zh", sa.Text()),
    sa.Column("reason_en", sa.Text()),
    sa.Column("created_at", sa.DateTime(), nullable=False),
    sa.UniqueConstraint("gtin", "lot"),
)

merchant_users = sa.Table(
    "merchant_users",
    metadata,
    # The shop's staff who may use the merchant admin (/trace/admin): the admin auth callback
    # answers with ``merchant_id`` for a signed-in one. Passwords are werkzeug hashes.
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("email", sa.String(200), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(300), nullable=False),
    sa.Column("merchant_id", sa.Integer(), nullable=False),
    sa.Column("created_at", sa.DateTime(), nullable=False),
)


def now() -> datetime:
    """The current time as the shop stores it: naive UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


class Shop:
    """The shop's database: an engine and transactions over it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A write transaction (``BEGIN IMMEDIATE``, so two writers queue instead of failing)."""
        with self.engine.connect() as conn:
            conn.execution_options(**{_WRITE: True})
            with conn.begin():
                yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read transaction."""
        with self.engine.connect() as conn, conn.begin():
            yield conn

    def dispose(self) -> None:
        self.engine.dispose()


def open_shop(instance_path: str | Path) -> Shop:
    """Open (creating it on first use) the shop database in ``instance_path``."""
    path = Path(instance_path, DB_FILE).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(f"sqlite:///{path}", connect_args={"timeout": 30})

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN, see below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(_WRITE)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    metadata.create_all(engine)
    return Shop(engine)


def shop() -> Shop:
    """The current app's shop database."""
    found: Shop = current_app.extensions[EXTENSION_KEY]
    return found


def get_meta(conn: Connection, key: str) -> str | None:
    """A value the shop keeps about itself (the demo merchant's id, ...)."""
    value: str | None = conn.execute(
        sa.select(meta.c.value).where(meta.c.key == key)
    ).scalar_one_or_none()
    return value


def set_meta(conn: Connection, key: str, value: str) -> None:
    """Store ``value`` under ``key``, replacing what was there."""
    conn.execute(meta.delete().where(meta.c.key == key))
    conn.execute(meta.insert().values(key=key, value=value))
