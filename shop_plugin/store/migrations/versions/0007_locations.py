"""Location master data: a merchant's names (zh-CN, en) and address for the places its
events name, each field private until the merchant makes it public. A deleted location is
kept as a nameless row (``deleted_at``), so the newest ``updated_at`` per merchant, which the
resolver's validator reads, moves on deletes too.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from shoptrace.shop_plugin.store.tables import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "locations",
        sa.Column("id", ID, nullable=False),
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("place_id", sa.String(500), nullable=False),
        sa.Column("name_zh", sa.String(200)),
        sa.Column("name_en", sa.String(200)),
        sa.Column("address", sa.JSON()),
        sa.Column("visibility", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("deleted_at", UTCDateTime()),
        sa.PrimaryKeyConstraint("id", name="pk_locations"),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name="fk_locations_merchant_id_merchants"
        ),
        sa.UniqueConstraint("merchant_id", "place_id", name="uq_locations_merchant_id_place_id"),
    )
    op.create_index("ix_locations_merchant_id_id", "locations", ["merchant_id", "id"])
    op.create_index(
        "ix_locations_merchant_id_updated_at", "locations", ["merchant_id", "updated_at"]
    )


def downgrade() -> None:
    op.drop_table("locations")
