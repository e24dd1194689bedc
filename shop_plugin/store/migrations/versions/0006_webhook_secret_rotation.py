"""Webhook secret rotation with a grace window: an endpoint keeps the salt of its previous
secret, and when that secret stops signing, beside the current one. And an index for the
pruning of old platform hook records.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from shoptrace.shop_plugin.store.tables import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("webhook_endpoints") as batch:
        batch.add_column(sa.Column("previous_secret_salt", sa.String(64)))
        batch.add_column(sa.Column("previous_secret_expires_at", UTCDateTime()))
    op.create_index("ix_hook_events_received_at", "hook_events", ["received_at"])


def downgrade() -> None:
    op.drop_index("ix_hook_events_received_at", table_name="hook_events")
    with op.batch_alter_table("webhook_endpoints") as batch:
        batch.drop_column("previous_secret_expires_at")
        batch.drop_column("previous_secret_salt")
