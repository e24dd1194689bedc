"""What the dashboard counts: scans per day, alerts, flagged codes (no Flask, one merchant).

Every query filters by the merchant. Days are UTC calendar days, grouped in the database on
either engine (``date()`` of the naive UTC text on SQLite, ``timezone('UTC', ...)`` on
PostgreSQL), so a month of scans is one grouped read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shoptrace.shop_plugin.services.clock import iso
from shoptrace.shop_plugin.store.tables import (
    code_flags,
    event_chains,
    issuances,
    order_lines,
    outbox,
    recalls,
    scans,
    upstream_endpoints,
)

__all__ = [
    "Alerts",
    "DayCount",
    "alerts",
    "chain_length",
    "delivery_counts",
    "recent_flags",
    "scans_per_day",
]


@dataclass(frozen=True)
class DayCount:
    """Scans of one day: of genuine codes, and of unknown or forged ones."""

    day: date
    genuine: int
    other: int

    @property
    def total(self) -> int:
        return self.genuine + self.other


def _day(conn: Connection) -> sa.ColumnElement[Any]:
    if conn.dialect.name == "postgresql":
        return sa.func.date(sa.func.timezone("UTC", scans.c.scanned_at))
    return sa.func.date(scans.c.scanned_at)


def scans_per_day(
    conn: Connection, merchant_id: int, *, today: date, days: int = 30
) -> list[DayCount]:
    """The merchant's scans on each of the ``days`` days up to ``today`` (UTC), oldest first,
    days without scans included."""
    first = today - timedelta(days=days - 1)
    since = datetime.combine(first, time(), tzinfo=UTC)
    day = _day(conn).label("day")
    rows = conn.execute(
        sa.select(day, scans.c.verdict, sa.func.count())
        .where(scans.c.merchant_id == merchant_id, scans.c.scanned_at >= since)
        .group_by(day, scans.c.verdict)
    ).all()
    counts: dict[date, list[int]] = {}
    for value, verdict, count in rows:
        when = date.fromisoformat(str(value)[:10])
        slot = counts.setdefault(when, [0, 0])
        slot[0 if verdict == "genuine" else 1] += int(count)
    out = []
    for offset in range(days):
        when = first + timedelta(days=offset)
        genuine, other = counts.get(when, (0, 0))
        out.append(DayCount(when, genuine, other))
    return out


@dataclass(frozen=True)
class Alerts:
    """What needs the merchant's attention."""

    flags: int
    dead_deliveries: int
    open_recalls: int
    untraced_lines: int
    dead_upstreams: int
    failed_issuances: int


def _count(conn: Connection, table: sa.Table, *conditions: sa.ColumnElement[bool]) -> int:
    return int(
        conn.execute(sa.select(sa.func.count()).select_from(table).where(*conditions)).scalar_one()
    )


def alerts(conn: Connection, merchant_id: int) -> Alerts:
    """The merchant's alert counts."""
    return Alerts(
        flags=_count(conn, code_flags, code_flags.c.merchant_id == merchant_id),
        dead_deliveries=_count(
            conn,
            outbox,
            outbox.c.merchant_id == merchant_id,
            outbox.c.channel == "webhook",
            outbox.c.status == "dead",
        ),
        open_recalls=_count(
            conn, recalls, recalls.c.merchant_id == merchant_id, recalls.c.status == "open"
        ),
        untraced_lines=_count(
            conn,
            order_lines,
            order_lines.c.merchant_id == merchant_id,
            order_lines.c.status == "untraced",
        ),
        dead_upstreams=_count(
            conn,
            upstream_endpoints,
            upstream_endpoints.c.merchant_id == merchant_id,
            upstream_endpoints.c.enabled.is_(True),
            upstream_endpoints.c.dead_at.is_not(None),
        ),
        failed_issuances=_count(
            conn,
            issuances,
            issuances.c.merchant_id == merchant_id,
            issuances.c.status == "failed",
        ),
    )


def recent_flags(conn: Connection, merchant_id: int, *, limit: int = 10) -> list[dict[str, Any]]:
    """The codes flagged last, newest first."""
    rows = conn.execute(
        sa.select(code_flags)
        .where(code_flags.c.merchant_id == merchant_id)
        .order_by(code_flags.c.id.desc())
        .limit(limit)
    )
    return [
        {
            "gtin": row.gtin,
            "lot": row.lot,
            "serial": row.serial,
            "reason": row.reason,
            "clients": row.clients,
            "createdAt": iso(row.created_at),
        }
        for row in rows
    ]


def chain_length(conn: Connection, merchant_id: int) -> int:
    """How many events the merchant's hash chain holds."""
    found = conn.execute(
        sa.select(event_chains.c.seq).where(event_chains.c.merchant_id == merchant_id)
    ).scalar_one_or_none()
    return int(found or 0)


def delivery_counts(conn: Connection, merchant_id: int) -> dict[int, dict[str, int]]:
    """Webhook messages per endpoint and status."""
    rows = conn.execute(
        sa.select(outbox.c.endpoint_id, outbox.c.status, sa.func.count())
        .where(outbox.c.merchant_id == merchant_id, outbox.c.channel == "webhook")
        .group_by(outbox.c.endpoint_id, outbox.c.status)
    )
    found: dict[int, dict[str, int]] = {}
    for endpoint_id, status, count in rows:
        found.setdefault(int(endpoint_id), {})[status] = int(count)
    return found
