"""Public resolver: scans of unit codes, suspicious-code flags, products by GTIN.

Revision ID: 0003
Revises: 0002
Create Date: 2025-02-15
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from shoptrace.shop_plugin.store.tables import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _code_columns(table: str) -> list[Any]:
    return [
        sa.Column("id", ID, primary_key=True),
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("unit_id", ID),
        sa.Column("gtin", sa.String(14), nullable=False),
        sa.Column("lot", sa.String(20)),
        sa.Column("serial", sa.String(20), nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name=f"fk_{table}_merchant_id_merchants"
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=f"fk_{table}_unit_id_units"),
    ]


def upgrade() -> None:
    op.create_index("ix_products_gtin", "products", ["gtin"])
    op.create_table(
        "scans",
        *_code_columns("scans"),
        sa.Column("scanned_at", UTCDateTime(), nullable=False),
        sa.Column("verdict", sa.String(8), nullable=False),
        sa.Column("unit_status", sa.String(16)),
        sa.Column("client_class", sa.String(16), nullable=False),
        sa.Column("client_id", sa.String(32), nullable=False),
    )
    op.create_index("ix_scans_merchant_id_id", "scans", ["merchant_id", "id"])
    op.create_index("ix_scans_unit_id_scanned_at", "scans", ["unit_id", "scanned_at"])
    op.create_index("ix_scans_merchant_id_gtin_serial", "scans", ["merchant_id", "gtin", "serial"])
    op.create_table(
        "code_flags",
        *_code_columns("code_flags"),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("clients", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint(
            "merchant_id",
            "gtin",
            "serial",
            "reason",
            name="uq_code_flags_merchant_id_gtin_serial_reason",
        ),
    )
    op.create_index("ix_code_flags_merchant_id_id", "code_flags", ["merchant_id", "id"])


def downgrade() -> None:
    op.drop_table("code_flags")
    op.drop_table("scans")
    op.drop_index("ix_products_gtin", table_name="products")
