"""Why a line is untraced or short: the stored problem (a code and its facts) and its
message in both languages."""

from __future__ import annotations

import json
from typing import Any

_PROBLEMS: dict[str, tuple[str, str]] = {
    "unknown-gtin": (
        "No product with GTIN {gtin} is registered: register it before fulfilment.",
        "未登记商品条码（GTIN）为 {gtin} 的商品：请在发货前登记。",
    ),
    "unknown-product": (
        "No product has the shop product id {productId}: set it on the product.",
        "没有商品的店铺商品 ID 为 {productId}：请在商品上填写。",
    ),
    "unknown-sku": (
        "No product has the SKU {sku}: set it on the product.",
        "没有商品的 SKU 为 {sku}：请在商品上填写。",
    ),
    "ambiguous-product": (
        "{count} products have the shop product id {productId}: give the line's GTIN or SKU.",
        "有 {count} 个商品的店铺商品 ID 为 {productId}：请在订单行中给出商品条码（GTIN）或 SKU。",
    ),
    "ambiguous-sku": (
        "{count} products have the SKU {sku}: give the line's GTIN.",
        "有 {count} 个商品的 SKU 为 {sku}：请在订单行中给出商品条码（GTIN）。",
    ),
    "no-identifier": (
        "The line names no GTIN, SKU or product id.",
        "订单行没有商品条码（GTIN）、SKU 或商品 ID。",
    ),
    "no-stock": (
        "No unit of GTIN {gtin} was in stock (coded and registered, not recalled, lot not "
        "expired) when the order was fulfilled.",
        "发货时商品条码 {gtin} 没有可用库存单品（已赋码登记、未召回、批次未过期）。",
    ),
    "short-stock": (
        "Only {count} of {quantity} units were in stock when the order was fulfilled.",
        "发货时仅有 {count} 件库存单品，订购了 {quantity} 件。",
    ),
    "not-scanned": (
        "No unit of GTIN {gtin} was scanned at fulfilment.",
        "发货时未扫描商品条码 {gtin} 的单品。",
    ),
    "short-scan": (
        "{count} of {quantity} units were scanned at fulfilment.",
        "发货时扫描了 {count} 件，订购了 {quantity} 件。",
    ),
    "no-lot": (
        "GTIN {gtin} had no lot that is neither recalled nor expired when the order was fulfilled.",
        "发货时商品条码 {gtin} 没有未召回且未过期的批次。",
    ),
}
PROBLEM_CODES = tuple(_PROBLEMS)
"""Why a line is untraced or short, as ``problem.code`` says."""
_MATCH_PROBLEMS = frozenset(
    {
        "unknown-gtin",
        "unknown-product",
        "unknown-sku",
        "ambiguous-product",
        "ambiguous-sku",
        "no-identifier",
    }
)


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


def _problem_text(payload: dict[str, Any] | None) -> str | None:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")) if payload else None


def _problem_payload(stored: str | None) -> dict[str, Any] | None:
    if not stored:
        return None
    try:
        payload = json.loads(stored)
    except ValueError:
        return {"code": "other", "text": stored}
    return payload if isinstance(payload, dict) else None


def _render_problem(stored: str | None) -> dict[str, Any] | None:
    payload = _problem_payload(stored)
    if payload is None:
        return None
    code = str(payload.get("code"))
    fallback = str(payload.get("text", code))
    en, zh = _PROBLEMS.get(code, (fallback, fallback))
    values = _Blank(payload)
    return {"code": code, "message": {"en": en.format_map(values), "zh-CN": zh.format_map(values)}}
