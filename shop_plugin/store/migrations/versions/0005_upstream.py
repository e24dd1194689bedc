"""Upstream exchange: the merchant's upstream EPCIS endpoints, their push cursors and state.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from shoptrace.shop_plugin.store.tables import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "upstream_endpoints",
        sa.Column("id", ID, nullable=False),
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("partner", sa.Boolean(), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("auth_type", sa.String(16), nullable=False),
        sa.Column("auth_header", sa.String(100)),
        sa.Column("sealed_credential", sa.Text()),
        sa.Column("batch_size", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("pushed_seq", ID, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("lease_until", UTCDateTime()),
        sa.Column("last_status", sa.Integer()),
        sa.Column("last_error", sa.Text()),
        sa.Column("last_attempt_at", UTCDateTime()),
        sa.Column("last_success_at", UTCDateTime()),
        sa.Column("dead_at", UTCDateTime()),
        sa.Column("pulled_until", UTCDateTime()),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_upstream_endpoints"),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name="fk_upstream_endpoints_merchant_id_merchants"
        ),
        sa.UniqueConstraint("merchant_id", "name", name="uq_upstream_endpoints_merchant_id_name"),
    )
    op.create_index(
        "ix_upstream_endpoints_merchant_id_id", "upstream_endpoints", ["merchant_id", "id"]
    )
    op.create_index(
        "ix_upstream_endpoints_enabled_next_attempt_at",
        "upstream_endpoints",
        ["enabled", "next_attempt_at"],
    )


def downgrade() -> None:
    op.drop_table("upstream_endpoints")
