"""The tables of the trace store, as SQLAlchemy Core metadata.

Every row carries ``merchant_id`` and every query filters by it. Units hold their GTIN so
that the public resolver finds a unit by (GTIN, serial) with one lookup in a unique index
across the whole store, as GS1 requires of an SGTIN. Later issues add their tables here and
a migration beside them; ``tests/shop_plugin/test_store.py`` checks both stay the same.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

__all__ = [
    "ISSUANCE_STATUSES",
    "UNIT_STATUSES",
    "UTCDateTime",
    "api_keys",
    "batches",
    "idempotency_keys",
    "issuances",
    "merchants",
    "metadata",
    "products",
    "units",
]

UNIT_STATUSES = (
    "issued",
    "commissioned",
    "packed",
    "shipped",
    "sold",
    "delivered",
    "returned",
    "recalled",
)
"""Life-cycle states of a unit; codes start as ``issued``."""

ISSUANCE_STATUSES = ("pending", "running", "done", "failed")
"""States of a code issuance; synchronous ones are ``done`` when the request answers."""


class UTCDateTime(sa.TypeDecorator[datetime]):
    """A timestamp kept in UTC: timezone-aware in Python, naive UTC text on SQLite."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("UTCDateTime needs a timezone-aware datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment: datetime = value
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True)


def _merchant_fk() -> sa.Column[int]:
    return sa.Column(
        "merchant_id",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        sa.ForeignKey("merchants.id"),
        nullable=False,
    )


def _ref(name: str, target: str, *, nullable: bool = False) -> sa.Column[int]:
    return sa.Column(
        name,
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        sa.ForeignKey(target),
        nullable=nullable,
    )


def _created() -> sa.Column[datetime]:
    return sa.Column("created_at", UTCDateTime(), nullable=False)


metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

merchants = sa.Table(
    "merchants",
    metadata,
    _id(),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    # Random salt of the merchant's check-tag key; the key itself is derived from it and
    # SHOPTRACE_SIGNING_KEY, so a copy of the database alone cannot forge serials.
    sa.Column("tag_key_salt", sa.String(64), nullable=False),
    _created(),
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    _id(),
    _merchant_fk(),
    sa.Column("prefix", sa.String(16), nullable=False, unique=True),
    sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("label", sa.String(100)),
    _created(),
    sa.Column("expires_at", UTCDateTime()),
    sa.Column("revoked_at", UTCDateTime()),
    sa.Index(None, "merchant_id", "id"),
)

products = sa.Table(
    "products",
    metadata,
    _id(),
    _merchant_fk(),
    sa.Column("gtin", sa.String(14), nullable=False),
    sa.Column("name_zh", sa.String(200)),
    sa.Column("name_en", sa.String(200)),
    sa.Column("description_zh", sa.Text()),
    sa.Column("description_en", sa.Text()),
    sa.Column("category", sa.String(40), nullable=False),
    sa.Column("listing_url", sa.String(2000)),
    sa.Column("shop_product_id", sa.String(100)),
    sa.Column("certifications", sa.JSON(), nullable=False),
    sa.Column("visibility", sa.JSON(), nullable=False),
    _created(),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.UniqueConstraint("merchant_id", "gtin"),
    sa.Index(None, "merchant_id", "id"),
    sa.Index(None, "merchant_id", "shop_product_id"),
)

batches = sa.Table(
    "batches",
    metadata,
    _id(),
    _merchant_fk(),
    _ref("product_id", "products.id"),
    sa.Column("gtin", sa.String(14), nullable=False),
    sa.Column("lot", sa.String(20), nullable=False),
    sa.Column("production_date", sa.Date()),
    sa.Column("expiry_date", sa.Date()),
    sa.Column("origin", sa.JSON()),
    sa.Column("producer", sa.JSON()),
    sa.Column("inspection_reports", sa.JSON(), nullable=False),
    sa.Column("certifications", sa.JSON(), nullable=False),
    sa.Column("visibility", sa.JSON(), nullable=False),
    _created(),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.UniqueConstraint("product_id", "lot"),
    sa.Index(None, "gtin", "lot"),
    sa.Index(None, "merchant_id", "id"),
)

issuances = sa.Table(
    "issuances",
    metadata,
    _id(),
    _merchant_fk(),
    _ref("batch_id", "batches.id"),
    sa.Column("count", sa.Integer(), nullable=False),
    sa.Column("done", sa.Integer(), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("error", sa.Text()),
    sa.Column("worker", sa.String(64)),
    sa.Column("lease_until", UTCDateTime()),
    _created(),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Column("finished_at", UTCDateTime()),
    sa.Index(None, "merchant_id", "id"),
    sa.Index(None, "batch_id", "id"),
    sa.Index(None, "status", "lease_until"),
)

units = sa.Table(
    "units",
    metadata,
    _id(),
    _merchant_fk(),
    _ref("batch_id", "batches.id"),
    _ref("issuance_id", "issuances.id"),
    sa.Column("gtin", sa.String(14), nullable=False),
    sa.Column("serial", sa.String(20), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("order_line_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite")),
    sa.Column("first_scan_at", UTCDateTime()),
    sa.Column("last_scan_at", UTCDateTime()),
    sa.Column("scan_count", sa.Integer(), nullable=False, server_default=sa.text("0")),
    _created(),
    sa.UniqueConstraint("gtin", "serial"),
    sa.Index(None, "batch_id", "id"),
    sa.Index(None, "issuance_id", "id"),
)

idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    _id(),
    _merchant_fk(),
    sa.Column("key", sa.String(255), nullable=False),
    sa.Column("method", sa.String(8), nullable=False),
    sa.Column("path", sa.String(2000), nullable=False),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("status_code", sa.Integer()),
    sa.Column("response_body", sa.Text()),
    sa.Column("response_headers", sa.JSON()),
    _created(),
    sa.UniqueConstraint("merchant_id", "key"),
)
