"""What a recall covers (its lots' batches, or the units it named), as SQL conditions and
in Python, and the batch aliases the impact queries join through."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shoptrace.shop_plugin.store.tables import batches, order_lines, units


@dataclass(frozen=True)
class _Scope:
    """What a recall covers: its lots' batches, or the units it named."""

    merchant_id: int
    recall_id: int
    lots: bool
    batch_ids: tuple[int, ...] = ()
    unit_ids: tuple[int, ...] = ()
    sqlite: bool = False
    """Whether the queries run on SQLite (see :meth:`owned`)."""

    def owned(self, column: sa.ColumnElement[int]) -> sa.ColumnElement[bool]:
        """``column`` (the merchant of a row a query reaches from the covered units or lots)
        is the recall's merchant. On SQLite, which plans without statistics, written
        ``column + 0`` so that it is checked on those rows and never taken for an index to
        start from (all the merchant's lines or orders); PostgreSQL's statistics see to it."""
        if self.sqlite:
            return column + 0 == self.merchant_id
        return column == self.merchant_id

    def units(self) -> sa.ColumnElement[bool]:
        """Units the recall covers (driven by units(batch_id), or by primary key)."""
        if self.lots:
            return sa.and_(
                units.c.batch_id.in_(self.batch_ids), units.c.merchant_id == self.merchant_id
            )
        return sa.and_(units.c.id.in_(self.unit_ids), units.c.merchant_id == self.merchant_id)

    def covers(self, batch_id: int | None, unit_id: int | None) -> bool:
        """Whether a unit with these columns is covered (the Python form of :meth:`units`)."""
        return batch_id in self.batch_ids if self.lots else unit_id in self._unit_set

    @cached_property
    def _unit_set(self) -> frozenset[int]:
        return frozenset(self.unit_ids)

    def lot_lines(self) -> sa.ColumnElement[bool] | None:
        """Order lines bound to a recalled lot and to no units of their own."""
        if not self.lots or not self.batch_ids:
            return None
        bound = sa.select(units.c.id).where(units.c.order_line_id == order_lines.c.id)
        return sa.and_(
            order_lines.c.batch_id.in_(self.batch_ids),
            self.owned(order_lines.c.merchant_id),
            order_lines.c.status != "cancelled",
            ~bound.exists(),
        )


def _scope(conn: Connection, row: Any) -> _Scope:
    sqlite = conn.dialect.name == "sqlite"
    if row.scope == "units":
        named = tuple(int(i) for i in (row.impact or {}).get("unitIds") or [])
        return _Scope(row.merchant_id, row.id, False, unit_ids=named, sqlite=sqlite)
    batch_ids: tuple[int, ...] = ()
    if row.scope == "lots":
        batch_ids = tuple(
            conn.execute(
                sa.select(batches.c.id)
                .where(
                    batches.c.merchant_id == row.merchant_id,
                    batches.c.product_id == row.product_id,
                    batches.c.lot.in_(list(row.lots)),
                )
                .order_by(batches.c.id)
            ).scalars()
        )
    return _Scope(row.merchant_id, row.id, True, batch_ids=batch_ids, sqlite=sqlite)


_BOUND_BATCH = batches.alias("bound_batch")
_LINE_BATCH = batches.alias("line_batch")
