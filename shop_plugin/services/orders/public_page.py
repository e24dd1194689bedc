"""The shopper's order page: each line's trace links with QR codes and recall notices,
never customer or address data."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shoptrace.sdk import qr
from shoptrace.shop_plugin.services.clock import iso
from shoptrace.shop_plugin.services.orders.epcis import _lot_uri, _unit_uri
from shoptrace.shop_plugin.services.orders.rows import _first_units, _line_rows, _lots
from shoptrace.shop_plugin.store.tables import products, recalls
from shoptrace.widgets import i18n as phrases

PUBLIC_LINKS = 20
"""Trace links (with QR codes) per line on the shopper's order page."""


def _qr(code: str, label: str) -> str:
    svg = qr.svg(code, module_size=3, title=label)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _pick(zh: str | None, en: str | None, lang: str) -> str | None:
    first, second = (zh, en) if lang == "zh-CN" else (en, zh)
    return first or second


def _reason(value: Any, lang: str) -> str | None:
    if isinstance(value, str) and value.strip():
        return value
    if isinstance(value, Mapping):
        for key in ("text", "reason", "description"):
            if key in value:
                return _reason(value[key], lang)
        texts = [value.get(lang), value.get("en" if lang == "zh-CN" else "zh-CN")]
        return next((t for t in texts if isinstance(t, str) and t.strip()), None)
    return None


def public_order(
    conn: Connection, merchant_id: int, row: Any, *, base: str, lang: str
) -> dict[str, Any]:
    """What the shopper's order page shows, in ``lang``: the order number and date, each
    line's name, quantity and status, its trace links (units or lot) with QR codes, and
    recall notices. Never the customer, the address or the shop's internal ids."""
    lg = phrases.normalize_lang(lang)
    lines = _line_rows(conn, merchant_id, row.id)
    line_ids = [x.id for x in lines]
    lot_rows = _lots(conn, merchant_id, {x.batch_id for x in lines if x.batch_id is not None})
    names: dict[int, Any] = {}
    product_ids = sorted({x.product_id for x in lines if x.product_id is not None})
    if product_ids:
        names = {
            p.id: p
            for p in conn.execute(
                sa.select(
                    products.c.id, products.c.name_zh, products.c.name_en, products.c.visibility
                ).where(products.c.id.in_(product_ids), products.c.merchant_id == merchant_id)
            )
        }
    found, counts = _first_units(conn, merchant_id, line_ids, PUBLIC_LINKS)
    recall_ids = {u.recall_id or u.lot_recall_id for us in found.values() for u in us} | {
        r.recall_id for r in lot_rows.values()
    }
    recall_ids.discard(None)
    recall_rows: dict[int, Any] = {}
    if recall_ids:
        recall_rows = {
            r.id: r
            for r in conn.execute(
                sa.select(recalls.c.id, recalls.c.reason, recalls.c.created_at).where(
                    recalls.c.id.in_(sorted(recall_ids)), recalls.c.merchant_id == merchant_id
                )
            )
        }

    def recall_notice(recall_id: int | None) -> dict[str, Any]:
        notice: dict[str, Any] = {"recalled": True, "label": phrases.t("ui.recall_title", lg)}
        recall = recall_rows.get(recall_id) if recall_id is not None else None
        if recall is not None:
            if reason := _reason(recall.reason, lg):
                notice["reason"] = reason
            notice["since"] = iso(recall.created_at.date())
        notice["advice"] = phrases.t("ui.recall_advice", lg)
        return notice

    out_lines = []
    any_recall = False
    for line in lines:
        product = names.get(line.product_id) if line.product_id is not None else None
        name = None
        if product is not None and (product.visibility or {}).get("name", "public") == "public":
            name = _pick(product.name_zh, product.name_en, lg)
        name = name or line.name or phrases.t("order.item", lg)
        status = line.status
        label_key = f"order.line.{status}"
        if status == "allocated":
            label_key = f"order.status.{row.status}"
        item: dict[str, Any] = {
            "name": name,
            "quantity": line.quantity,
            "gtin": line.gtin,
            "status": status,
            "statusLabel": phrases.t(label_key, lg),
        }
        links: list[dict[str, Any]] = []
        recall_id: int | None = None
        recalled = False
        lot = lot_rows.get(line.batch_id) if line.batch_id is not None else None
        if lot is not None:
            code = _lot_uri(base, lot.gtin, lot.lot)
            hit = lot.recall_id is not None
            recalled = recalled or hit
            recall_id = recall_id or lot.recall_id
            item["lot"] = lot.lot
            links.append(
                {
                    "kind": "lot",
                    "code": code,
                    "lot": lot.lot,
                    "label": phrases.t("order.lot", lg, lot=lot.lot),
                    "recalled": hit,
                    "qr": _qr(code, phrases.t("order.qr_label", lg, code=code)),
                }
            )
        for unit in found.get(line.id, []):
            code = _unit_uri(base, unit.gtin, unit.lot, unit.serial)
            hit = unit.recall_id is not None or unit.lot_recall_id is not None
            hit = hit or unit.status == "recalled"
            recalled = recalled or hit
            recall_id = recall_id or unit.recall_id or unit.lot_recall_id
            links.append(
                {
                    "kind": "unit",
                    "code": code,
                    "lot": unit.lot,
                    "serial": unit.serial,
                    "label": phrases.t("order.unit", lg, serial=unit.serial),
                    "status": unit.status,
                    "statusLabel": phrases.status_phrase("recalled" if hit else unit.status, lg),
                    "recalled": hit,
                    "qr": _qr(code, phrases.t("order.qr_label", lg, code=code)),
                }
            )
        item["links"] = links
        more = counts.get(line.id, 0) - len(found.get(line.id, []))
        if more > 0:
            item["moreLinks"] = more
        if recalled:
            any_recall = True
            item["recall"] = recall_notice(recall_id)
        out_lines.append(item)
    body: dict[str, Any] = {
        "kind": "order",
        "lang": lg,
        "number": row.shop_order_number,
        "placedAt": iso(row.placed_at),
        "status": row.status,
        "statusLabel": phrases.t(f"order.status.{row.status}", lg),
        "lines": out_lines,
    }
    if any_recall:
        body["recall"] = {
            "recalled": True,
            "label": phrases.t("order.recall_in_order", lg),
            "advice": phrases.t("ui.recall_advice", lg),
        }
    return body
