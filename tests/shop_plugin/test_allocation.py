"""First-expiry-first-out allocation within a lot: the lowest-id units in stock, whatever mix
of statuses the lot holds (the service reads each stock status's range of the (batch_id,
status, id) index and merges them)."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st

from shoptrace.shop_plugin.services.allocation import (
    STOCK_STATUSES,
    allocate_fefo,
    selling_lot,
)
from shoptrace.shop_plugin.store.tables import units
from tests.shop_plugin.helpers import Api

STATUSES = ("issued", *STOCK_STATUSES, "shipped", "delivered", "sold", "recalled")
UNITS = 24


def _lot(app: Flask, api: Api) -> tuple[int, int, list[int]]:
    product = api.product()
    batch = api.batch(product["id"], expiryDate="2030-01-01")
    issued = api.post(f"/batches/{batch['id']}/codes", {"count": UNITS})
    assert issued.status_code in (200, 201, 202), issued.get_json()
    with app.extensions["shoptrace"].store.read() as conn:
        ids = conn.execute(
            sa.select(units.c.id).where(units.c.batch_id == batch["id"]).order_by(units.c.id)
        ).scalars()
        return product["id"], batch["id"], list(ids)


def test_the_lowest_ids_in_stock_are_taken(app: Flask, api: Api) -> None:
    product_id, batch_id, ids = _lot(app, api)
    store = app.extensions["shoptrace"].store

    @settings(max_examples=40, deadline=None)
    @given(
        statuses=st.lists(st.sampled_from(STATUSES), min_size=UNITS, max_size=UNITS),
        recalled=st.sets(st.integers(0, UNITS - 1), max_size=4),
        count=st.integers(1, UNITS + 2),
        taken=st.sets(st.integers(0, UNITS - 1), max_size=3),
    )
    def check(statuses: list[str], recalled: set[int], count: int, taken: set[int]) -> None:
        with store.begin() as conn:
            for n, (unit_id, status) in enumerate(zip(ids, statuses, strict=True)):
                recall: Any = 1 if n in recalled else None
                conn.execute(
                    units.update()
                    .where(units.c.id == unit_id)
                    .values(status=status, recall_id=recall)
                )
        in_stock = [
            unit_id
            for n, (unit_id, status) in enumerate(zip(ids, statuses, strict=True))
            if status in STOCK_STATUSES and n not in recalled
        ]
        already = {ids[n] for n in taken}
        expected = [unit_id for unit_id in in_stock if unit_id not in already][:count]
        with store.begin() as conn:
            chosen = allocate_fefo(
                conn, api.merchant_id, product_id, count, date(2026, 1, 1), taken=set(already)
            )
            lot = selling_lot(conn, api.merchant_id, product_id, date(2026, 1, 1), by_unit=True)
        assert [unit.id for unit in chosen] == expected
        assert {unit.status for unit in chosen} <= set(STOCK_STATUSES)
        assert all(unit.batch_id == batch_id for unit in chosen)
        assert (lot is not None) == bool(in_stock)

    check()
