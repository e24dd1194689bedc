"""EPCIS events: capture jobs, @contexts, events, the EPC index, hash chains, vocabulary.

Revision ID: 0002
Revises: 0001
Create Date: 2025-02-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from shoptrace.shop_plugin.store.tables import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _id() -> sa.Column[int]:
    return sa.Column("id", ID, primary_key=True)


def _key_text(name: str, length: int, *, nullable: bool = True) -> sa.Column[str]:
    kind = sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")
    return sa.Column(name, kind, nullable=nullable)


def _merchant_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["merchant_id"], ["merchants.id"], name=f"fk_{table}_merchant_id_merchants"
    )


def upgrade() -> None:
    op.create_table(
        "capture_jobs",
        _id(),
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("error_behaviour", sa.String(8), nullable=False),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.Column("event_count", sa.Integer(), nullable=False),
        sa.Column("stored", sa.Integer(), nullable=False),
        sa.Column("duplicates", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime()),
        sa.PrimaryKeyConstraint("id", name="pk_capture_jobs"),
        _merchant_fk("capture_jobs"),
    )
    op.create_index("ix_capture_jobs_merchant_id_id", "capture_jobs", ["merchant_id", "id"])
    op.create_table(
        "epcis_contexts",
        _id(),
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_epcis_contexts"),
        _merchant_fk("epcis_contexts"),
        sa.UniqueConstraint("merchant_id", "digest", name="uq_epcis_contexts_merchant_id_digest"),
    )
    op.create_table(
        "events",
        _id(),
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("seq", ID, nullable=False),
        _key_text("event_id", 500, nullable=False),
        sa.Column("hash_id", sa.String(100), nullable=False),
        sa.Column("chain_hash", sa.String(64), nullable=False),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("event_time", UTCDateTime(), nullable=False),
        sa.Column("record_time", UTCDateTime(), nullable=False),
        sa.Column("action", sa.String(8)),
        sa.Column("biz_step", sa.String(500)),
        sa.Column("disposition", sa.String(500)),
        sa.Column("read_point", sa.String(500)),
        sa.Column("biz_location", sa.String(500)),
        sa.Column("capture_id", ID),
        sa.Column("context_id", ID),
        sa.Column("document", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_events"),
        _merchant_fk("events"),
        sa.ForeignKeyConstraint(
            ["capture_id"], ["capture_jobs.id"], name="fk_events_capture_id_capture_jobs"
        ),
        sa.ForeignKeyConstraint(
            ["context_id"], ["epcis_contexts.id"], name="fk_events_context_id_epcis_contexts"
        ),
        sa.UniqueConstraint("merchant_id", "seq", name="uq_events_merchant_id_seq"),
        sa.UniqueConstraint("merchant_id", "event_id", name="uq_events_merchant_id_event_id"),
        sa.UniqueConstraint("merchant_id", "hash_id", name="uq_events_merchant_id_hash_id"),
    )
    op.create_index("ix_events_merchant_id_event_time", "events", ["merchant_id", "event_time"])
    op.create_table(
        "event_epcs",
        sa.Column("merchant_id", ID, nullable=False),
        _key_text("epc", 500, nullable=False),
        sa.Column("seq", ID, nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("merchant_id", "epc", "seq", "role", name="pk_event_epcs"),
        sa.ForeignKeyConstraint(
            ["merchant_id", "seq"],
            ["events.merchant_id", "events.seq"],
            name="fk_event_epcs_merchant_id_events",
        ),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "event_chains",
        _id(),
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("seq", ID, nullable=False),
        sa.Column("head", sa.String(64), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_event_chains"),
        _merchant_fk("event_chains"),
        sa.UniqueConstraint("merchant_id", name="uq_event_chains_merchant_id"),
    )
    op.create_table(
        "epcis_vocabulary",
        _id(),
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.String(500), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_epcis_vocabulary"),
        _merchant_fk("epcis_vocabulary"),
        sa.UniqueConstraint(
            "merchant_id", "kind", "value", name="uq_epcis_vocabulary_merchant_id_kind_value"
        ),
    )


def downgrade() -> None:
    for table in (
        "epcis_vocabulary",
        "event_chains",
        "event_epcs",
        "events",
        "epcis_contexts",
        "capture_jobs",
    ):
        op.drop_table(table)
