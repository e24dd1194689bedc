"""Matching order lines to the merchant's products: by GTIN, else the shop's product id,
else the SKU."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shoptrace.shop_plugin.services.orders.problems import _problem_text
from shoptrace.shop_plugin.store.tables import products


@dataclass(frozen=True)
class _Match:
    product_id: int | None
    gtin: str | None
    problem: dict[str, Any] | None


def _by(conn: Connection, merchant_id: int, column: Any, values: set[str]) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    if not values:
        return found
    rows = conn.execute(
        sa.select(products.c.id, products.c.gtin, products.c.sku, products.c.shop_product_id)
        .where(products.c.merchant_id == merchant_id, column.in_(sorted(values)))
        .order_by(products.c.id)
    )
    for row in rows:
        found.setdefault(getattr(row, column.key), []).append(row)
    return found


def _match_lines(
    conn: Connection, merchant_id: int, lines: Sequence[Mapping[str, Any]]
) -> list[_Match]:
    """The product of each line: by GTIN, else the shop's product id, else the SKU (three
    queries for the whole order)."""
    by_gtin = _by(conn, merchant_id, products.c.gtin, {x["gtin"] for x in lines if x.get("gtin")})
    by_pid = _by(
        conn,
        merchant_id,
        products.c.shop_product_id,
        {x["product_id"] for x in lines if x.get("product_id") and not x.get("gtin")},
    )
    by_sku = _by(
        conn,
        merchant_id,
        products.c.sku,
        {x["sku"] for x in lines if x.get("sku") and not x.get("gtin")},
    )
    return [_match_one(line, by_gtin, by_pid, by_sku) for line in lines]


def _match_one(
    line: Mapping[str, Any],
    by_gtin: dict[str, list[Any]],
    by_pid: dict[str, list[Any]],
    by_sku: dict[str, list[Any]],
) -> _Match:
    gtin, pid, sku = line.get("gtin"), line.get("product_id"), line.get("sku")
    ids = {k: v for k, v in (("gtin", gtin), ("productId", pid), ("sku", sku)) if v}
    if gtin:
        found = by_gtin.get(gtin)
        if found:
            return _Match(found[0].id, gtin, None)
        return _Match(None, gtin, {"code": "unknown-gtin", **ids})
    problem: dict[str, Any] | None = None
    if pid:
        candidates = by_pid.get(pid, [])
        if len(candidates) > 1 and sku:
            candidates = [c for c in candidates if c.sku == sku] or candidates
        if len(candidates) == 1:
            return _Match(candidates[0].id, candidates[0].gtin, None)
        if candidates:
            return _Match(
                None, None, {"code": "ambiguous-product", "count": len(candidates), **ids}
            )
        problem = {"code": "unknown-product", **ids}
    if sku:
        candidates = by_sku.get(sku, [])
        if len(candidates) == 1:
            return _Match(candidates[0].id, candidates[0].gtin, None)
        if candidates:
            return _Match(None, None, {"code": "ambiguous-sku", "count": len(candidates), **ids})
        return _Match(None, None, {"code": "unknown-sku", **ids})
    return _Match(None, None, problem or {"code": "no-identifier"})


def _line_values(
    lines: Sequence[Mapping[str, Any]], matches: Sequence[_Match]
) -> list[dict[str, Any]]:
    return [
        {
            "line_no": index + 1,
            "shop_line_id": line.get("id"),
            "sku": line.get("sku"),
            "gtin": match.gtin,
            "product_id": match.product_id,
            "batch_id": None,
            "name": line.get("name"),
            "quantity": line["quantity"],
            "status": "open" if match.product_id is not None else "untraced",
            "problem": _problem_text(match.problem),
        }
        for index, (line, match) in enumerate(zip(lines, matches, strict=True))
    ]
