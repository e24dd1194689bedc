"""Merchants, API keys, products, batches, code issuances, units and idempotency keys.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from shoptrace.shop_plugin.store.tables import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _id() -> sa.Column[int]:
    return sa.Column("id", ID, primary_key=True)


def upgrade() -> None:
    op.create_table(
        "merchants",
        _id(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("tag_key_salt", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_merchants"),
    )
    op.create_table(
        "api_keys",
        _id(),
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("label", sa.String(100)),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime()),
        sa.Column("revoked_at", UTCDateTime()),
        sa.PrimaryKeyConstraint("id", name="pk_api_keys"),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name="fk_api_keys_merchant_id_merchants"
        ),
        sa.UniqueConstraint("prefix", name="uq_api_keys_prefix"),
        sa.UniqueConstraint("key_hash", name="uq_api_keys_key_hash"),
    )
    op.create_index("ix_api_keys_merchant_id_id", "api_keys", ["merchant_id", "id"])
    op.create_table(
        "products",
        _id(),
        sa.Column("merchant_id", ID, nullable=False),
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
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_products"),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name="fk_products_merchant_id_merchants"
        ),
        sa.UniqueConstraint("merchant_id", "gtin", name="uq_products_merchant_id_gtin"),
    )
    op.create_index("ix_products_merchant_id_id", "products", ["merchant_id", "id"])
    op.create_index(
        "ix_products_merchant_id_shop_product_id", "products", ["merchant_id", "shop_product_id"]
    )
    op.create_table(
        "batches",
        _id(),
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("product_id", ID, nullable=False),
        sa.Column("gtin", sa.String(14), nullable=False),
        sa.Column("lot", sa.String(20), nullable=False),
        sa.Column("production_date", sa.Date()),
        sa.Column("expiry_date", sa.Date()),
        sa.Column("origin", sa.JSON()),
        sa.Column("producer", sa.JSON()),
        sa.Column("inspection_reports", sa.JSON(), nullable=False),
        sa.Column("certifications", sa.JSON(), nullable=False),
        sa.Column("visibility", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_batches"),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name="fk_batches_merchant_id_merchants"
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name="fk_batches_product_id_products"
        ),
        sa.UniqueConstraint("product_id", "lot", name="uq_batches_product_id_lot"),
    )
    op.create_index("ix_batches_gtin_lot", "batches", ["gtin", "lot"])
    op.create_index("ix_batches_merchant_id_id", "batches", ["merchant_id", "id"])
    op.create_table(
        "issuances",
        _id(),
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("batch_id", ID, nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.Text()),
        sa.Column("worker", sa.String(64)),
        sa.Column("lease_until", UTCDateTime()),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime()),
        sa.PrimaryKeyConstraint("id", name="pk_issuances"),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name="fk_issuances_merchant_id_merchants"
        ),
        sa.ForeignKeyConstraint(["batch_id"], ["batches.id"], name="fk_issuances_batch_id_batches"),
    )
    op.create_index("ix_issuances_merchant_id_id", "issuances", ["merchant_id", "id"])
    op.create_index("ix_issuances_batch_id_id", "issuances", ["batch_id", "id"])
    op.create_index("ix_issuances_status_lease_until", "issuances", ["status", "lease_until"])
    op.create_table(
        "units",
        _id(),
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("batch_id", ID, nullable=False),
        sa.Column("issuance_id", ID, nullable=False),
        sa.Column("gtin", sa.String(14), nullable=False),
        sa.Column("serial", sa.String(20), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("order_line_id", ID),
        sa.Column("first_scan_at", UTCDateTime()),
        sa.Column("last_scan_at", UTCDateTime()),
        sa.Column("scan_count", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_units"),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name="fk_units_merchant_id_merchants"
        ),
        sa.ForeignKeyConstraint(["batch_id"], ["batches.id"], name="fk_units_batch_id_batches"),
        sa.ForeignKeyConstraint(
            ["issuance_id"], ["issuances.id"], name="fk_units_issuance_id_issuances"
        ),
        sa.UniqueConstraint("gtin", "serial", name="uq_units_gtin_serial"),
    )
    op.create_index("ix_units_batch_id_id", "units", ["batch_id", "id"])
    op.create_index("ix_units_issuance_id_id", "units", ["issuance_id", "id"])
    op.create_table(
        "idempotency_keys",
        _id(),
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("method", sa.String(8), nullable=False),
        sa.Column("path", sa.String(2000), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer()),
        sa.Column("response_body", sa.Text()),
        sa.Column("response_headers", sa.JSON()),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_idempotency_keys"),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name="fk_idempotency_keys_merchant_id_merchants"
        ),
        sa.UniqueConstraint("merchant_id", "key", name="uq_idempotency_keys_merchant_id_key"),
    )


def downgrade() -> None:
    for table in ("idempotency_keys", "units", "issuances", "batches", "products", "api_keys"):
        op.drop_table(table)
    op.drop_table("merchants")
