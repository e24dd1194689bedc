"""Trace completeness: which data a product's catalogue class requires is still missing.

Each requirement of :data:`~shoptrace.shop_plugin.services.catalogue.REQUIREMENTS` is checked
on the product and on each of its batches. A certificate counts when it is third-party
verified and not expired; it may sit on the product or on the batch.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shoptrace.shop_plugin.services.batches import batch_row
from shoptrace.shop_plugin.services.catalogue import REQUIREMENTS, Requirement
from shoptrace.shop_plugin.services.products import product_row
from shoptrace.shop_plugin.store.tables import batches

__all__ = ["batch_completeness", "product_completeness"]

MAX_LISTED = 100


def _valid_third_party(certificates: list[dict[str, Any]] | None, today: date) -> bool:
    for cert in certificates or []:
        until = cert.get("validUntil")
        if cert.get("verification") == "third-party-verified" and (
            until is None or date.fromisoformat(until) >= today
        ):
            return True
    return False


def _present(req: Requirement, product: Any, batch: Any, today: date) -> bool:
    name = req.field
    if name == "name.zh-CN":
        return bool(product.name_zh)
    if name == "certifications.thirdParty":
        return _valid_third_party(product.certifications, today) or (
            batch is not None and _valid_third_party(batch.certifications, today)
        )
    if batch is None:
        return False
    if name == "productionDate":
        return batch.production_date is not None
    if name == "expiryDate":
        return batch.expiry_date is not None
    if name == "origin":
        return bool(batch.origin and batch.origin.get("place"))
    if name == "producer":
        return bool(batch.producer and batch.producer.get("name"))
    if name == "producer.licenseNumber":
        return bool(batch.producer and batch.producer.get("licenseNumber"))
    if name == "inspectionReports":
        return bool(batch.inspection_reports)
    raise AssertionError(f"unknown requirement {name}")


def _item(req: Requirement, present: bool) -> dict[str, Any]:
    return {
        "field": req.field,
        "level": req.level,
        "label": {"en": req.en, "zh-CN": req.zh},
        "present": present,
    }


def _score(present: int, required: int) -> float:
    return round(present / required, 4) if required else 1.0


def batch_completeness(conn: Connection, merchant_id: int, batch_id: int) -> dict[str, Any]:
    """What the batch (with its product) has and lacks of its class's trace data."""
    batch = batch_row(conn, merchant_id, batch_id)
    product = product_row(conn, merchant_id, batch.product_id)
    today = date.today()
    items = [_item(r, _present(r, product, batch, today)) for r in REQUIREMENTS[product.category]]
    have = sum(i["present"] for i in items)
    return {
        "batchId": batch.id,
        "productId": product.id,
        "category": product.category,
        "score": _score(have, len(items)),
        "complete": have == len(items),
        "required": items,
        "missing": [i["field"] for i in items if not i["present"]],
    }


def product_completeness(conn: Connection, merchant_id: int, product_id: int) -> dict[str, Any]:
    """What the product and all its batches have and lack of its class's trace data.

    Product-level requirements are listed once; batch-level ones are counted per batch, and
    the first incomplete batches are named.
    """
    product = product_row(conn, merchant_id, product_id)
    today = date.today()
    reqs = REQUIREMENTS[product.category]
    own = [r for r in reqs if r.level == "product"]
    per_batch = [r for r in reqs if r.level != "product"]
    items = [_item(r, _present(r, product, None, today)) for r in own]
    required = len(items)
    have = sum(i["present"] for i in items)
    total = complete = 0
    incomplete: list[dict[str, Any]] = []
    rows = conn.execute(
        sa.select(batches)
        .where(batches.c.product_id == product.id, batches.c.merchant_id == merchant_id)
        .order_by(batches.c.id)
    )
    for batch in rows:
        total += 1
        missing = [r.field for r in per_batch if not _present(r, product, batch, today)]
        required += len(per_batch)
        have += len(per_batch) - len(missing)
        if missing:
            if len(incomplete) < MAX_LISTED:
                incomplete.append({"batchId": batch.id, "lot": batch.lot, "missing": missing})
        else:
            complete += 1
    missing_own = [i["field"] for i in items if not i["present"]]
    return {
        "productId": product.id,
        "category": product.category,
        "score": _score(have, required),
        "complete": not missing_own and complete == total and total > 0,
        "required": items,
        "missing": missing_own,
        "batchRequired": [
            {"field": r.field, "level": r.level, "label": {"en": r.en, "zh-CN": r.zh}}
            for r in per_batch
        ],
        "batches": {"total": total, "complete": complete, "incomplete": incomplete},
    }
