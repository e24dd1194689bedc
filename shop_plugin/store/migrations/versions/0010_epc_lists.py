"""The EPC index in lists: an event names a few lists of EPCs and the same lists recur (the
units of a case are commissioned, packed, shipped, received and sold together), so each
distinct list is kept once per merchant with its members, and an event points at its lists
by role. A document of cases of 10 units wrote 102,000 index rows for 10,000 events; it now
writes 12,000 links and 26,000 list rows instead.

Existing rows of ``event_epcs`` are regrouped into lists on upgrade, and ``event_epcs``
becomes a view over them (one row per EPC, event and role, as before); downgrade expands the
lists back into the table.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_ID_BITS = (1 << 63) - 1
_BATCH = 5000


def _key_text(name: str, length: int, *, nullable: bool = True) -> sa.Column[str]:
    kind = sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")
    return sa.Column(name, kind, nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "epc_lists",
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("id", ID, nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("merchant_id", "id", name="pk_epc_lists"),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name="fk_epc_lists_merchant_id_merchants"
        ),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "epc_list_members",
        sa.Column("merchant_id", ID, nullable=False),
        _key_text("epc", 500, nullable=False),
        sa.Column("list_id", ID, nullable=False),
        sa.PrimaryKeyConstraint("merchant_id", "epc", "list_id", name="pk_epc_list_members"),
        sa.ForeignKeyConstraint(
            ["merchant_id", "list_id"],
            ["epc_lists.merchant_id", "epc_lists.id"],
            name="fk_epc_list_members_merchant_id_epc_lists",
        ),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "event_epc_lists",
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("list_id", ID, nullable=False),
        sa.Column("seq", ID, nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("list_id", "merchant_id", "seq", "role", name="pk_event_epc_lists"),
        sa.ForeignKeyConstraint(
            ["merchant_id", "list_id"],
            ["epc_lists.merchant_id", "epc_lists.id"],
            name="fk_event_epc_lists_merchant_id_epc_lists",
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id", "seq"],
            ["events.merchant_id", "events.seq"],
            name="fk_event_epc_lists_merchant_id_events",
        ),
        sqlite_with_rowid=False,
    )
    _regroup(op.get_bind())
    op.drop_table("event_epcs")
    # The old relation stays readable by its name, as a view over the lists.
    op.execute(
        "CREATE VIEW event_epcs AS "
        "SELECT m.merchant_id AS merchant_id, m.epc AS epc, l.seq AS seq, l.role AS role "
        "FROM epc_list_members AS m JOIN event_epc_lists AS l "
        "ON l.list_id = m.list_id AND l.merchant_id = m.merchant_id"
    )


def _groups(conn: sa.Connection) -> Iterator[tuple[int, int, str, list[str]]]:
    """``(merchant_id, seq, role, EPCs)`` of the old index, one event and role at a time."""
    rows = conn.execute(
        sa.text(
            "SELECT merchant_id, seq, role, epc FROM event_epcs ORDER BY merchant_id, seq, role"
        )
    )
    key: tuple[int, int, str] | None = None
    epcs: list[str] = []
    for merchant_id, seq, role, epc in rows:
        if (merchant_id, seq, role) != key:
            if key is not None:
                yield (*key, epcs)
            key, epcs = (int(merchant_id), int(seq), str(role)), []
        epcs.append(epc)
    if key is not None:
        yield (*key, epcs)


def _regroup(conn: sa.Connection) -> None:
    """Fill the list tables from ``event_epcs``. Digests and ids as the event store makes
    them (``event_store.list_digest`` / ``list_id``, copied here so the migration stays as
    written): SHA-256 of the sorted distinct members, each as length:text in UTF-8, id its first 63
    bits, the next free id when another list holds it."""
    groups = list(_groups(conn))  # read whole: SQLite cannot write while a read is open
    owners: dict[tuple[int, int], str] = {}
    ids: dict[tuple[int, str], int] = {}
    lists: list[dict[str, Any]] = []
    members: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    for merchant_id, seq, role, epcs in groups:
        distinct = sorted(set(epcs))
        body = "".join([f"{len(epc)}:{epc}" for epc in distinct])
        digest = hashlib.sha256(body.encode("utf-8", "surrogatepass")).hexdigest()
        found = ids.get((merchant_id, digest))
        if found is None:
            found = int(digest[:16], 16) >> 1
            while (merchant_id, found) in owners:
                found = (found + 1) & _ID_BITS
            owners[(merchant_id, found)] = digest
            ids[(merchant_id, digest)] = found
            lists.append({"m": merchant_id, "i": found, "d": digest})
            members += ({"m": merchant_id, "e": epc, "i": found} for epc in distinct)
        links.append({"m": merchant_id, "i": found, "s": seq, "r": role})
    for statement, rows in (
        ("INSERT INTO epc_lists (merchant_id, id, digest) VALUES (:m, :i, :d)", lists),
        ("INSERT INTO epc_list_members (merchant_id, epc, list_id) VALUES (:m, :e, :i)", members),
        (
            "INSERT INTO event_epc_lists (merchant_id, list_id, seq, role) VALUES (:m, :i, :s, :r)",
            links,
        ),
    ):
        for start in range(0, len(rows), _BATCH):
            conn.execute(sa.text(statement), rows[start : start + _BATCH])


def downgrade() -> None:
    op.execute("DROP VIEW event_epcs")
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
    op.execute(
        "INSERT INTO event_epcs (merchant_id, epc, seq, role) "
        "SELECT m.merchant_id, m.epc, l.seq, l.role FROM epc_list_members m "
        "JOIN event_epc_lists l ON l.merchant_id = m.merchant_id AND l.list_id = m.list_id"
    )
    op.drop_table("event_epc_lists")
    op.drop_table("epc_list_members")
    op.drop_table("epc_lists")
