"""Shop integration: orders and lines, recalls, platform connections and their webhook
deliveries, outbound webhook endpoints and the outbox.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from shoptrace.shop_plugin.store.tables import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _head(table: str) -> list[sa.Column[int] | sa.PrimaryKeyConstraint | sa.ForeignKeyConstraint]:
    return [
        sa.Column("id", ID, nullable=False),
        sa.Column("merchant_id", ID, nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name=f"fk_{table}_merchant_id_merchants"
        ),
    ]


def upgrade() -> None:
    with op.batch_alter_table("products") as batch:
        batch.add_column(sa.Column("sku", sa.String(100)))
    op.create_index("ix_products_merchant_id_sku", "products", ["merchant_id", "sku"])
    with op.batch_alter_table("batches") as batch:
        batch.add_column(sa.Column("recall_id", ID))
    with op.batch_alter_table("units") as batch:
        batch.add_column(sa.Column("recall_id", ID))
    op.create_index("ix_units_order_line_id", "units", ["order_line_id"])
    op.create_index("ix_units_recall_id", "units", ["recall_id"])

    op.create_table(
        "orders",
        *_head("orders"),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("shop_order_id", sa.String(100), nullable=False),
        sa.Column("shop_order_number", sa.String(100)),
        sa.Column("customer_ref", sa.String(200)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("destination", sa.JSON()),
        sa.Column("placed_at", UTCDateTime(), nullable=False),
        sa.Column("fulfilled_at", UTCDateTime()),
        sa.Column("delivered_at", UTCDateTime()),
        sa.Column("cancelled_at", UTCDateTime()),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint(
            "merchant_id", "shop_order_id", name="uq_orders_merchant_id_shop_order_id"
        ),
    )
    op.create_index("ix_orders_merchant_id_id", "orders", ["merchant_id", "id"])
    op.create_index("ix_orders_merchant_id_customer_ref", "orders", ["merchant_id", "customer_ref"])

    op.create_table(
        "order_lines",
        *_head("order_lines"),
        sa.Column("order_id", ID, nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("shop_line_id", sa.String(100)),
        sa.Column("sku", sa.String(100)),
        sa.Column("gtin", sa.String(14)),
        sa.Column("product_id", ID),
        sa.Column("batch_id", ID),
        sa.Column("name", sa.String(200)),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("problem", sa.Text()),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name="fk_order_lines_order_id_orders"),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name="fk_order_lines_product_id_products"
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name="fk_order_lines_batch_id_batches"
        ),
        sa.UniqueConstraint("order_id", "line_no", name="uq_order_lines_order_id_line_no"),
    )
    op.create_index("ix_order_lines_merchant_id_gtin", "order_lines", ["merchant_id", "gtin"])
    op.create_index("ix_order_lines_batch_id", "order_lines", ["batch_id"])

    op.create_table(
        "recalls",
        *_head("recalls"),
        sa.Column("product_id", ID, nullable=False),
        sa.Column("gtin", sa.String(14), nullable=False),
        sa.Column("scope", sa.String(8), nullable=False),
        sa.Column("lots", sa.JSON(), nullable=False),
        sa.Column("reason", sa.JSON(), nullable=False),
        sa.Column("severity", sa.String(8), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("impact", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("closed_at", UTCDateTime()),
        sa.Column("close_note", sa.Text()),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name="fk_recalls_product_id_products"
        ),
    )
    op.create_index("ix_recalls_merchant_id_id", "recalls", ["merchant_id", "id"])
    op.create_index("ix_recalls_gtin", "recalls", ["gtin"])

    op.create_table(
        "shop_connections",
        *_head("shop_connections"),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("shop", sa.String(255), nullable=False),
        sa.Column("sealed_secret", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("platform", "shop", name="uq_shop_connections_platform_shop"),
    )
    op.create_index("ix_shop_connections_merchant_id_id", "shop_connections", ["merchant_id", "id"])

    op.create_table(
        "hook_events",
        *_head("hook_events"),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("event_id", sa.String(255), nullable=False),
        sa.Column("topic", sa.String(100), nullable=False),
        sa.Column("outcome", sa.String(200), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint(
            "merchant_id",
            "platform",
            "event_id",
            name="uq_hook_events_merchant_id_platform_event_id",
        ),
    )

    op.create_table(
        "webhook_endpoints",
        *_head("webhook_endpoints"),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("description", sa.String(200)),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("secret_salt", sa.String(64), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_index(
        "ix_webhook_endpoints_merchant_id_id", "webhook_endpoints", ["merchant_id", "id"]
    )

    op.create_table(
        "outbox",
        *_head("outbox"),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("endpoint_id", ID, nullable=False),
        sa.Column("topic", sa.String(64), nullable=False),
        sa.Column("message_key", sa.String(255), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("lease_until", UTCDateTime()),
        sa.Column("last_status", sa.Integer()),
        sa.Column("last_error", sa.Text()),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("delivered_at", UTCDateTime()),
        sa.UniqueConstraint(
            "channel",
            "endpoint_id",
            "message_key",
            name="uq_outbox_channel_endpoint_id_message_key",
        ),
    )
    op.create_index("ix_outbox_status_next_attempt_at", "outbox", ["status", "next_attempt_at"])
    op.create_index("ix_outbox_merchant_id_id", "outbox", ["merchant_id", "id"])


def downgrade() -> None:
    for table in (
        "outbox",
        "webhook_endpoints",
        "hook_events",
        "shop_connections",
        "recalls",
        "order_lines",
        "orders",
    ):
        op.drop_table(table)
    op.drop_index("ix_units_recall_id", table_name="units")
    op.drop_index("ix_units_order_line_id", table_name="units")
    with op.batch_alter_table("units") as batch:
        batch.drop_column("recall_id")
    with op.batch_alter_table("batches") as batch:
        batch.drop_column("recall_id")
    op.drop_index("ix_products_merchant_id_sku", table_name="products")
    with op.batch_alter_table("products") as batch:
        batch.drop_column("sku")
