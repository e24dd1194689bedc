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
    "CAPTURE_ERROR_BEHAVIOURS",
    "EPC_ROLES",
    "FLAG_REASONS",
    "HOOK_PLATFORMS",
    "ISSUANCE_STATUSES",
    "LINE_STATUSES",
    "ORDER_SOURCES",
    "ORDER_STATUSES",
    "OUTBOX_CHANNELS",
    "OUTBOX_STATUSES",
    "RECALL_SCOPES",
    "RECALL_SEVERITIES",
    "RECALL_STATUSES",
    "SCAN_VERDICTS",
    "UNIT_STATUSES",
    "UPSTREAM_AUTH_TYPES",
    "UPSTREAM_KINDS",
    "UPSTREAM_MODES",
    "EVENT_EPCS_VIEW",
    "VOCABULARY_KINDS",
    "UTCDateTime",
    "api_keys",
    "batches",
    "capture_jobs",
    "code_flags",
    "epc_list_members",
    "epc_lists",
    "epcis_contexts",
    "epcis_vocabulary",
    "event_chains",
    "event_epc_lists",
    "event_epcs",
    "events",
    "hook_events",
    "idempotency_keys",
    "issuances",
    "locations",
    "merchants",
    "metadata",
    "order_lines",
    "orders",
    "outbox",
    "products",
    "recalls",
    "scans",
    "shop_connections",
    "units",
    "upstream_endpoints",
    "views",
    "webhook_endpoints",
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

CAPTURE_ERROR_BEHAVIOURS = ("rollback", "proceed")
"""``GS1-Capture-Error-Behaviour``: all or nothing (the default), or store the valid events."""

EPC_ROLES = (
    "epc",
    "parent",
    "child",
    "input",
    "output",
    "quantity",
    "child_quantity",
    "input_quantity",
    "output_quantity",
)
"""Where an event names an EPC: epcList, parentID, childEPCs, inputEPCList, outputEPCList, and
the epcClass of quantityList, childQuantityList, inputQuantityList, outputQuantityList."""

SCAN_VERDICTS = ("genuine", "forged", "unknown")
"""What the resolver found a scanned unit code to be: issued here, a serial whose check tag is
wrong, or a serial with a good tag (or none to check) that no unit has."""

FLAG_REASONS = ("many-clients", "forged-serial", "unknown-serial")
"""Why a code was flagged as suspicious (see ``services/scans.py``)."""

ORDER_SOURCES = ("api", "shopify", "woocommerce", "saleor")
"""Where an order came from: the Python API or blinker signals, or a platform's webhook."""

HOOK_PLATFORMS = ("shopify", "woocommerce", "saleor")
"""Shop platforms whose webhooks ``/trace/hooks/{platform}`` accepts."""

ORDER_STATUSES = ("placed", "fulfilled", "delivered", "cancelled", "returned")
"""Life-cycle states of an order."""

LINE_STATUSES = ("open", "allocated", "untraced", "cancelled", "returned")
"""States of an order line: waiting for fulfilment, bound to units or a lot, not traceable
(unknown SKU or GTIN: ``problem`` says why), cancelled, or returned."""

RECALL_SCOPES = ("lots", "units")
"""A recall names lots of one GTIN, or single units."""

RECALL_SEVERITIES = ("1", "2", "3")
"""Recall levels as GB/T 36061 and the food recall rules count them: 1 is the most serious."""

RECALL_STATUSES = ("open", "closed")

OUTBOX_CHANNELS = ("webhook",)
"""What an outbox message goes to: a merchant's webhook endpoint. (Upstream EPCIS endpoints
need no messages: each keeps a cursor into the merchant's event sequence, see
``upstream_endpoints``.)"""

OUTBOX_STATUSES = ("pending", "delivered", "dead")
"""An outbox message waits (with ``next_attempt_at``), was delivered, or is dead-lettered
after its last try; redelivery puts a dead or delivered message back to ``pending``."""

VOCABULARY_KINDS = ("eventType", "bizStep", "disposition", "readPoint", "bizLocation")
"""The EPCIS top-level resources listed from ``epcis_vocabulary``."""


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


def _seq(name: str = "seq") -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False)


def _key_text(name: str, length: int, *, nullable: bool = True) -> sa.Column[str]:
    """Text compared by code point on every engine (C collation on PostgreSQL), so prefix
    ranges (``>= 'x/' AND < 'x0'``) select exactly the values starting with ``x/``."""
    kind = sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")
    return sa.Column(name, kind, nullable=nullable)


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
    # The shop's stock-keeping unit: order lines that name only a SKU find their product here.
    sa.Column("sku", sa.String(100)),
    sa.Column("certifications", sa.JSON(), nullable=False),
    sa.Column("visibility", sa.JSON(), nullable=False),
    _created(),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.UniqueConstraint("merchant_id", "gtin"),
    sa.Index(None, "merchant_id", "id"),
    sa.Index(None, "merchant_id", "shop_product_id"),
    sa.Index(None, "merchant_id", "sku"),
    # The public resolver finds the merchants that own a GTIN with one index lookup.
    sa.Index(None, "gtin"),
)

locations = sa.Table(
    "locations",
    metadata,
    # A merchant's name for a place its events name (readPoint, bizLocation): ``place_id`` is
    # the place's id as ``events`` keeps it (canonical Digital Link, AI 414 [+ 254]). Private
    # until the merchant opens ``name``/``address`` in ``visibility``: a place is a trade secret.
    # A deleted location stays as a row without names, ``deleted_at`` set, so the newest
    # ``updated_at`` of a merchant's rows (one index lookup) changes on every create, change
    # and delete: the resolver's validator.
    _id(),
    _merchant_fk(),
    sa.Column("place_id", sa.String(500), nullable=False),
    sa.Column("name_zh", sa.String(200)),
    sa.Column("name_en", sa.String(200)),
    sa.Column("address", sa.JSON()),
    sa.Column("visibility", sa.JSON(), nullable=False),
    _created(),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Column("deleted_at", UTCDateTime()),
    sa.UniqueConstraint("merchant_id", "place_id"),
    sa.Index(None, "merchant_id", "id"),
    # The resolver's validator reads the newest change of a merchant's places from here.
    sa.Index(None, "merchant_id", "updated_at"),
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
    # The open recall of the lot, if any (no foreign key: added by a later migration).
    sa.Column("recall_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite")),
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
    # The recall that covers the unit (its lot's or its own); status keeps the life cycle, so
    # a recall's impact still tells stock from sold.
    sa.Column("recall_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite")),
    sa.UniqueConstraint("gtin", "serial"),
    sa.Index(None, "order_line_id"),
    sa.Index(None, "recall_id"),
    sa.Index(None, "batch_id", "id"),
    # A lot's units in stock (allocation, the lot now selling) without walking the sold ones.
    sa.Index(None, "batch_id", "status", "id"),
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
    # Pruning walks the keys older than SHOPTRACE_IDEMPOTENCY_TTL in this order.
    sa.Index(None, "created_at"),
)

capture_jobs = sa.Table(
    "capture_jobs",
    metadata,
    _id(),
    _merchant_fk(),
    sa.Column("error_behaviour", sa.String(8), nullable=False),
    sa.Column("success", sa.Boolean(), nullable=False),
    sa.Column("event_count", sa.Integer(), nullable=False),
    sa.Column("stored", sa.Integer(), nullable=False),
    sa.Column("duplicates", sa.Integer(), nullable=False),
    sa.Column("rejected", sa.Integer(), nullable=False),
    sa.Column("errors", sa.JSON(), nullable=False),
    _created(),
    sa.Column("finished_at", UTCDateTime()),
    sa.Index(None, "merchant_id", "id"),
)

epcis_contexts = sa.Table(
    "epcis_contexts",
    metadata,
    _id(),
    _merchant_fk(),
    # SHA-256 of the JSON text; a document's @context is stored once per merchant.
    sa.Column("digest", sa.String(64), nullable=False),
    sa.Column("body", sa.Text(), nullable=False),
    _created(),
    sa.UniqueConstraint("merchant_id", "digest"),
)

events = sa.Table(
    "events",
    metadata,
    _id(),
    _merchant_fk(),
    # Position in the merchant's hash chain: 1, 2, 3, ... in the order events were stored.
    _seq(),
    _key_text("event_id", 500, nullable=False),
    sa.Column("hash_id", sa.String(100), nullable=False),
    sa.Column("chain_hash", sa.String(64), nullable=False),
    sa.Column("event_type", sa.String(200), nullable=False),
    sa.Column("event_time", UTCDateTime(), nullable=False),
    sa.Column("record_time", UTCDateTime(), nullable=False),
    sa.Column("action", sa.String(8)),
    # CBV values as bare words ("shipping"), other values as given; places in the canonical
    # Digital Link form when they are EPCs, so every spelling of one value matches.
    sa.Column("biz_step", sa.String(500)),
    sa.Column("disposition", sa.String(500)),
    sa.Column("read_point", sa.String(500)),
    sa.Column("biz_location", sa.String(500)),
    _ref("capture_id", "capture_jobs.id", nullable=True),
    _ref("context_id", "epcis_contexts.id", nullable=True),
    # The event as captured, with eventID and recordTime set: compact JSON text.
    sa.Column("document", sa.Text(), nullable=False),
    sa.UniqueConstraint("merchant_id", "seq"),
    sa.UniqueConstraint("merchant_id", "event_id"),
    sa.UniqueConstraint("merchant_id", "hash_id"),
    sa.Index(None, "merchant_id", "event_time"),
)

# The EPC index, in lists. An event names its EPCs in lists (epcList, childEPCs, ...), and
# the same list recurs: the units of a case are commissioned, packed, shipped, received and
# sold together. Each distinct list is kept once per merchant (epc_lists, its members in
# epc_list_members, keyed by EPC) and an event points at its lists by role
# (event_epc_lists), so an event naming a known list adds one index row, not one per EPC.
# EPCs are in the canonical Digital Link form (URN and Digital Link spellings of one item
# match); values that are not EPCs are kept as given. A list's id is the first 63 bits of the
# SHA-256 of its members (its digest is kept to tell the rare clash of two lists' ids apart:
# the later list takes the next free id). On SQLite the keys are the tables (WITHOUT ROWID).
# Links are keyed by list first: they are only ever reached from a list (an EPC's lists), and
# a key led by the merchant would tempt SQLite's planner into walking all the merchant's links.
epc_lists = sa.Table(
    "epc_lists",
    metadata,
    sa.Column("merchant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
    sa.Column("digest", sa.String(64), nullable=False),
    sa.PrimaryKeyConstraint("merchant_id", "id"),
    sa.ForeignKeyConstraint(["merchant_id"], ["merchants.id"]),
    sqlite_with_rowid=False,
)

epc_list_members = sa.Table(
    "epc_list_members",
    metadata,
    sa.Column("merchant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
    _key_text("epc", 500, nullable=False),
    sa.Column("list_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
    sa.PrimaryKeyConstraint("merchant_id", "epc", "list_id"),
    sa.ForeignKeyConstraint(["merchant_id", "list_id"], ["epc_lists.merchant_id", "epc_lists.id"]),
    sqlite_with_rowid=False,
)

event_epc_lists = sa.Table(
    "event_epc_lists",
    metadata,
    sa.Column("merchant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
    sa.Column("list_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
    _seq(),
    sa.Column("role", sa.String(16), nullable=False),
    sa.PrimaryKeyConstraint("list_id", "merchant_id", "seq", "role"),
    sa.ForeignKeyConstraint(["merchant_id", "list_id"], ["epc_lists.merchant_id", "epc_lists.id"]),
    sa.ForeignKeyConstraint(["merchant_id", "seq"], ["events.merchant_id", "events.seq"]),
    sqlite_with_rowid=False,
)

views = sa.MetaData()
"""Views the migrations create over the tables (kept apart from :data:`metadata`, whose
tables the migrations are checked against)."""

EVENT_EPCS_VIEW = (
    "SELECT m.merchant_id AS merchant_id, m.epc AS epc, l.seq AS seq, l.role AS role "
    "FROM epc_list_members AS m JOIN event_epc_lists AS l "
    "ON l.list_id = m.list_id AND l.merchant_id = m.merchant_id"
)
event_epcs = sa.Table(
    "event_epcs",
    views,
    # The EPC index as one row per (EPC, event, role): a view joining each event's lists to
    # their members. Queries (and people at an SQL prompt) read it like a table; both engines
    # fold it into the query, which searches the members by EPC, then the links by list.
    sa.Column("merchant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite")),
    _key_text("epc", 500),
    _seq(),
    sa.Column("role", sa.String(16)),
    sa.PrimaryKeyConstraint("merchant_id", "epc", "seq", "role"),
)
"""The view ``event_epcs`` (:data:`EVENT_EPCS_VIEW`)."""

event_chains = sa.Table(
    "event_chains",
    metadata,
    # Head of a merchant's hash chain: the last position and chain hash. Capture updates it
    # first thing in its transaction, which serialises the merchant's writers.
    _id(),
    _merchant_fk(),
    _seq(),
    sa.Column("head", sa.String(64), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.UniqueConstraint("merchant_id"),
)

epcis_vocabulary = sa.Table(
    "epcis_vocabulary",
    metadata,
    # Values the merchant's events use, per kind: the EPCIS top-level resources list them
    # without scanning the events.
    _id(),
    _merchant_fk(),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("value", sa.String(500), nullable=False),
    sa.UniqueConstraint("merchant_id", "kind", "value"),
)

scans = sa.Table(
    "scans",
    metadata,
    # One resolution of a unit code by the public resolver: when, by what kind of client (a
    # keyed hash of its address and agent, never the address itself), and what it found.
    _id(),
    _merchant_fk(),
    _ref("unit_id", "units.id", nullable=True),
    sa.Column("gtin", sa.String(14), nullable=False),
    sa.Column("lot", sa.String(20)),
    sa.Column("serial", sa.String(20), nullable=False),
    sa.Column("scanned_at", UTCDateTime(), nullable=False),
    sa.Column("verdict", sa.String(8), nullable=False),
    sa.Column("unit_status", sa.String(16)),
    sa.Column("client_class", sa.String(16), nullable=False),
    sa.Column("client_id", sa.String(32), nullable=False),
    sa.Index(None, "merchant_id", "id"),
    sa.Index(None, "unit_id", "scanned_at"),
    sa.Index(None, "merchant_id", "gtin", "serial"),
)

code_flags = sa.Table(
    "code_flags",
    metadata,
    # A code the scan rule found suspicious, once per reason; ``code_suspicious`` is sent when
    # the row is created.
    _id(),
    _merchant_fk(),
    _ref("unit_id", "units.id", nullable=True),
    sa.Column("gtin", sa.String(14), nullable=False),
    sa.Column("lot", sa.String(20)),
    sa.Column("serial", sa.String(20), nullable=False),
    sa.Column("reason", sa.String(16), nullable=False),
    sa.Column("clients", sa.Integer(), nullable=False),
    _created(),
    sa.UniqueConstraint("merchant_id", "gtin", "serial", "reason"),
    sa.Index(None, "merchant_id", "id"),
)

orders = sa.Table(
    "orders",
    metadata,
    # A shop order as the shop reports it. ``customer_ref`` and ``destination`` are the shop's
    # own data: they never appear in public output or in captured events (events carry the
    # destination masked to country and region).
    _id(),
    _merchant_fk(),
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
    _created(),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.UniqueConstraint("merchant_id", "shop_order_id"),
    sa.Index(None, "merchant_id", "id"),
    sa.Index(None, "merchant_id", "customer_ref"),
)

order_lines = sa.Table(
    "order_lines",
    metadata,
    # One line of an order. Unit-traced products bind units (``units.order_line_id``); products
    # without serialised stock bind the lot (``batch_id``). ``problem`` says why a line is
    # untraced (unknown SKU or GTIN).
    _id(),
    _merchant_fk(),
    _ref("order_id", "orders.id"),
    sa.Column("line_no", sa.Integer(), nullable=False),
    sa.Column("shop_line_id", sa.String(100)),
    sa.Column("sku", sa.String(100)),
    sa.Column("gtin", sa.String(14)),
    _ref("product_id", "products.id", nullable=True),
    _ref("batch_id", "batches.id", nullable=True),
    sa.Column("name", sa.String(200)),
    sa.Column("quantity", sa.Integer(), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("problem", sa.Text()),
    _created(),
    sa.UniqueConstraint("order_id", "line_no"),
    sa.Index(None, "merchant_id", "gtin"),
    sa.Index(None, "batch_id"),
)

recalls = sa.Table(
    "recalls",
    metadata,
    # A recall of lots of one GTIN or of single units. Recalled units and lots point back
    # with ``units.recall_id`` / ``batches.recall_id``; ``impact`` is the answer computed when
    # the recall was created (units in stock, shipped, sold; orders and customers to notify).
    _id(),
    _merchant_fk(),
    _ref("product_id", "products.id"),
    sa.Column("gtin", sa.String(14), nullable=False),
    sa.Column("scope", sa.String(8), nullable=False),
    sa.Column("lots", sa.JSON(), nullable=False),
    sa.Column("reason", sa.JSON(), nullable=False),
    sa.Column("severity", sa.String(8), nullable=False),
    sa.Column("status", sa.String(8), nullable=False),
    sa.Column("impact", sa.JSON(), nullable=False),
    _created(),
    sa.Column("closed_at", UTCDateTime()),
    sa.Column("close_note", sa.Text()),
    sa.Index(None, "merchant_id", "id"),
    sa.Index(None, "gtin"),
)

shop_connections = sa.Table(
    "shop_connections",
    metadata,
    # A shop platform that sends this merchant's webhooks: the shop as the platform names it
    # in its webhook headers (Shopify domain, WooCommerce site URL, Saleor API URL) and the
    # webhook secret, sealed with a key derived from SHOPTRACE_SIGNING_KEY.
    _id(),
    _merchant_fk(),
    sa.Column("platform", sa.String(16), nullable=False),
    sa.Column("shop", sa.String(255), nullable=False),
    sa.Column("sealed_secret", sa.Text(), nullable=False),
    _created(),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.UniqueConstraint("platform", "shop"),
    sa.Index(None, "merchant_id", "id"),
)

hook_events = sa.Table(
    "hook_events",
    metadata,
    # Platform webhook deliveries already handled, by the platform's event id: a redelivery
    # finds its row and changes nothing.
    _id(),
    _merchant_fk(),
    sa.Column("platform", sa.String(16), nullable=False),
    sa.Column("event_id", sa.String(255), nullable=False),
    sa.Column("topic", sa.String(100), nullable=False),
    sa.Column("outcome", sa.String(200), nullable=False),
    sa.Column("received_at", UTCDateTime(), nullable=False),
    sa.UniqueConstraint("merchant_id", "platform", "event_id"),
    # Pruning walks the records older than the retention period in this order.
    sa.Index(None, "received_at"),
)

webhook_endpoints = sa.Table(
    "webhook_endpoints",
    metadata,
    # Where the merchant wants outbound webhooks. The signing secret is derived from
    # SHOPTRACE_SIGNING_KEY and ``secret_salt``, so the database alone does not hold it.
    # After a rotation the previous secret's salt is kept until ``previous_secret_expires_at``
    # (UTC): messages sent before then are signed with both secrets.
    _id(),
    _merchant_fk(),
    sa.Column("url", sa.String(2000), nullable=False),
    sa.Column("description", sa.String(200)),
    sa.Column("topics", sa.JSON(), nullable=False),
    sa.Column("secret_salt", sa.String(64), nullable=False),
    sa.Column("previous_secret_salt", sa.String(64)),
    sa.Column("previous_secret_expires_at", UTCDateTime()),
    sa.Column("enabled", sa.Boolean(), nullable=False),
    _created(),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Index(None, "merchant_id", "id"),
)

outbox = sa.Table(
    "outbox",
    metadata,
    # Messages to deliver with retries: outbound webhooks now, upstream EPCIS pushes later.
    # One message per (channel, endpoint, key), so enqueuing twice is harmless.
    _id(),
    _merchant_fk(),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("endpoint_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
    sa.Column("topic", sa.String(64), nullable=False),
    sa.Column("message_key", sa.String(255), nullable=False),
    sa.Column("payload", sa.Text(), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
    sa.Column("lease_until", UTCDateTime()),
    sa.Column("last_status", sa.Integer()),
    sa.Column("last_error", sa.Text()),
    _created(),
    sa.Column("delivered_at", UTCDateTime()),
    sa.UniqueConstraint("channel", "endpoint_id", "message_key"),
    sa.Index(None, "status", "next_attempt_at"),
    sa.Index(None, "merchant_id", "id"),
)


# The upstream exchange (issue #8) ------------------------------------------------------------

UPSTREAM_KINDS = ("national", "provincial", "marketplace", "partner", "other")
"""What an upstream EPCIS endpoint is: a national or provincial trace platform, a marketplace,
a trading partner, or something else."""

UPSTREAM_MODES = ("capture", "document")
"""How events are pushed: ``POST {url}/capture`` (the EPCIS 2.0 REST binding), or the same
EPCISDocument POSTed to ``{url}`` itself (platforms with a single document intake)."""

UPSTREAM_AUTH_TYPES = ("none", "bearer", "basic", "header")
"""How the merchant authenticates to an upstream endpoint: nothing, ``Authorization: Bearer``,
HTTP Basic, or an API key in a header of the platform's choice."""

upstream_endpoints = sa.Table(
    "upstream_endpoints",
    metadata,
    # An upstream EPCIS 2.0 endpoint the merchant's events are pushed to (and optionally
    # pulled from). ``pushed_seq`` is the cursor: every event of the merchant up to that
    # ``events.seq`` was accepted with a 2xx; the worker pushes the following ones in seq
    # order, a batch at a time, while it holds ``lease_until``. ``attempts`` counts failed
    # tries of the current batch; after the last one ``dead_at`` is set and the endpoint
    # waits for a resume. The credential (a document with the token, password or header
    # value) is sealed with a key derived from SHOPTRACE_SIGNING_KEY, bound to the merchant
    # and the endpoint. ``pulled_until`` is the partner recordTime ``shoptrace pull`` reached.
    _id(),
    _merchant_fk(),
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
    _seq("pushed_seq"),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
    sa.Column("lease_until", UTCDateTime()),
    sa.Column("last_status", sa.Integer()),
    sa.Column("last_error", sa.Text()),
    sa.Column("last_attempt_at", UTCDateTime()),
    sa.Column("last_success_at", UTCDateTime()),
    sa.Column("dead_at", UTCDateTime()),
    sa.Column("pulled_until", UTCDateTime()),
    _created(),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.UniqueConstraint("merchant_id", "name"),
    sa.Index(None, "merchant_id", "id"),
    sa.Index(None, "enabled", "next_attempt_at"),
)
