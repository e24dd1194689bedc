"""What of an event leaves the shop for an upstream endpoint: the visibility rules.

Products and batches mark their descriptive fields ``public``, ``partner`` or ``private``
(``visibility``). An event pushed upstream is the stored event with these changes:

- **ILMD.** An entry that carries a batch field (``cbvmda:productionDate`` and the harvest
  dates: ``productionDate``; ``cbvmda:itemExpirationDate``, ``bestBeforeDate``,
  ``sellByDate``: ``expiryDate``; ``cbvmda:countryOfOrigin``, ``farmList``: ``origin``), or
  an extension entry whose name is a batch or product field (``acme:producer``,
  ``acme:inspectionReports``), follows that field's visibility in the batches the event names
  (its units' lots and its lot classes; the strictest when it names several). Other CBV
  master data (``cbvmda:lotNumber``, ...) is public; other extension entries are partner data.
- **Extension fields** of the event itself (``prefix:name`` members) follow the same rule:
  the named field's visibility, else partner data.
- **certificationInfo** follows the ``certifications`` visibility of the batches and products.
- **Shop orders.** For endpoints not marked as partners, ``urn:shoptrace:order:...`` business
  transactions become ``urn:shoptrace:order-ref:<digest>`` (the same digest for one order in
  every event, so a platform still links sale, shipment and delivery, without the shop's order
  id), and ``urn:shoptrace:destination:<country>:<region>`` destinations (and sources) keep
  only the country.

Private data never leaves; partner data leaves only for endpoints marked ``partner``. What
the events say about EPCs, times, places, business steps and dispositions always goes.
Nothing else is removed: the event keeps its ``eventID``, so a receiver de-duplicates a
retried batch by eventID (the filtered event's hash differs from the stored one's).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shoptrace.sdk import digital_link
from shoptrace.sdk.errors import ShoptraceError
from shoptrace.shop_plugin.services.batches import BATCH_VISIBILITY_FIELDS
from shoptrace.shop_plugin.services.event_store import EPC_FIELDS, QUANTITY_FIELDS, epc_rows
from shoptrace.shop_plugin.services.products import PRODUCT_VISIBILITY_FIELDS
from shoptrace.shop_plugin.services.schemas import VISIBILITY_LEVELS, merged_visibility
from shoptrace.shop_plugin.store.tables import batches, products, units

__all__ = [
    "ILMD_BATCH_FIELDS",
    "ORDER_PREFIX",
    "Levels",
    "disclosure",
    "mask_key",
    "outbound_event",
]

ILMD_BATCH_FIELDS = {
    "productionDate": "productionDate",
    "harvestStartDate": "productionDate",
    "harvestEndDate": "productionDate",
    "itemExpirationDate": "expiryDate",
    "bestBeforeDate": "expiryDate",
    "sellByDate": "expiryDate",
    "countryOfOrigin": "origin",
    "farmList": "origin",
}
"""CBV master data attributes (``cbvmda:``) that carry a batch field."""

ORDER_PREFIX = "urn:shoptrace:order:"
ORDER_REF_PREFIX = "urn:shoptrace:order-ref:"
DESTINATION_PREFIX = "urn:shoptrace:destination:"
_CBVMDA = ("cbvmda:", "urn:epcglobal:cbv:mda#")
_RANK = {level: rank for rank, level in enumerate(VISIBILITY_LEVELS)}
_PUBLIC, _PARTNER, _PRIVATE = (_RANK[level] for level in ("public", "partner", "private"))
_STEM = "https://id.gs1.org/01/"
_CHUNK = 400
_MASK_DOMAIN = b"shoptrace upstream order reference v1\x00"


@dataclass
class Levels:
    """The strictest visibility (0 public, 1 partner, 2 private) of each batch and product
    field among the batches and products one event names."""

    batch: dict[str, int] = field(default_factory=dict)
    product: dict[str, int] = field(default_factory=dict)

    def of(self, name: str) -> int | None:
        """The level of the field ``name`` (an ILMD attribute or a field name), None when it
        names no batch or product field."""
        if name in ILMD_BATCH_FIELDS:
            return self.batch.get(ILMD_BATCH_FIELDS[name], _PUBLIC)
        found = []
        if name in BATCH_VISIBILITY_FIELDS:
            found.append(self.batch.get(name, _PUBLIC))
        if name in PRODUCT_VISIBILITY_FIELDS:
            found.append(self.product.get(name, _PUBLIC))
        return max(found) if found else None


def mask_key(signing_key: str, merchant_id: int) -> bytes:
    """The key of the merchant's order references (``urn:shoptrace:order-ref:...``)."""
    message = _MASK_DOMAIN + str(merchant_id).encode("ascii")
    return hmac.digest(signing_key.encode("utf-8"), message, "sha256")


def _order_ref(key: bytes, uri: str) -> str:
    return ORDER_REF_PREFIX + hmac.new(key, uri.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


# --- what an event names ------------------------------------------------------------------


def _raw_epcs(event: Mapping[str, Any]) -> list[str]:
    values: list[Any] = [event.get("parentID")]
    for name, _role in EPC_FIELDS:
        found = event.get(name)
        values.extend(found if isinstance(found, list) else ())
    for name, _role in QUANTITY_FIELDS:
        found = event.get(name)
        for item in found if isinstance(found, list) else ():
            values.append(item.get("epcClass") if isinstance(item, Mapping) else None)
    return [v for v in values if isinstance(v, str)]


def _lot_of(value: str) -> tuple[str, str] | None:
    """``(gtin, lot)`` of a Digital Link that carries a lot (unit URIs keep their lot there,
    while their canonical EPC drops it)."""
    if "/10/" not in value:
        return None
    try:
        ais = dict(digital_link.parse(value).ais)
    except ShoptraceError:
        return None
    if "01" in ais and "10" in ais:
        return ais["01"], ais["10"]
    return None


def _named(event: Mapping[str, Any]) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """Units ``(gtin, serial)`` and lots ``(gtin, lot)`` the event names: by its EPCs, and
    by the ``cbvmda:lotNumber`` of its ILMD with each GTIN it names."""
    unit_keys: set[tuple[str, str]] = set()
    lot_keys: set[tuple[str, str]] = set()
    for value in _raw_epcs(event):
        lot = _lot_of(value)
        if lot is not None:
            lot_keys.add(lot)
    for epc, _role in epc_rows(event):
        if not epc.startswith(_STEM):
            continue
        rest = epc[len(_STEM) :]
        gtin, tail = rest[:14], rest[14:]
        if len(gtin) != 14 or not gtin.isdigit():
            continue
        for marker, found in (("/21/", unit_keys), ("/10/", lot_keys)):
            if tail.startswith(marker) and "/" not in tail[len(marker) :]:
                value = tail[len(marker) :]
                found.add((gtin, digital_link.unescape(value) if "%" in value else value))
    ilmd = event.get("ilmd")
    if isinstance(ilmd, Mapping):
        for key in (f"{prefix}lotNumber" for prefix in _CBVMDA):
            if isinstance(ilmd.get(key), str):
                gtins = {gtin for gtin, _ in (*unit_keys, *lot_keys)}
                lot_keys.update((gtin, ilmd[key]) for gtin in gtins)
    return unit_keys, lot_keys


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _levels(visibility: Any, fields: tuple[str, ...]) -> dict[str, int]:
    merged = merged_visibility(fields, visibility if isinstance(visibility, dict) else None)
    return {name: _RANK.get(level, _PRIVATE) for name, level in merged.items()}


def _strictest(into: dict[str, int], levels: dict[str, int]) -> None:
    for name, level in levels.items():
        into[name] = max(into.get(name, _PUBLIC), level)


def disclosure(
    conn: Connection, merchant_id: int, events: Sequence[Mapping[str, Any]]
) -> list[Levels]:
    """The visibility levels of each event's batches and products (a few queries for all)."""
    named = [_named(event) for event in events]
    all_units = sorted({key for unit_keys, _ in named for key in unit_keys})
    all_lots = sorted({key for _, lot_keys in named for key in lot_keys})
    gtins = sorted({g for unit_keys, lot_keys in named for g, _ in (*unit_keys, *lot_keys)})
    unit_batch: dict[tuple[str, str], int] = {}
    for chunk in _chunks(all_units):
        rows = conn.execute(
            sa.select(units.c.gtin, units.c.serial, units.c.batch_id).where(
                units.c.merchant_id == merchant_id,
                sa.tuple_(units.c.gtin, units.c.serial).in_(list(chunk)),
            )
        )
        unit_batch.update({(r.gtin, r.serial): r.batch_id for r in rows})
    batch_rows: dict[int, Any] = {}
    by_lot: dict[tuple[str, str], int] = {}
    wanted_ids = sorted(set(unit_batch.values()))
    for chunk in _chunks(wanted_ids):
        for row in conn.execute(
            sa.select(batches.c.id, batches.c.gtin, batches.c.lot, batches.c.visibility).where(
                batches.c.merchant_id == merchant_id, batches.c.id.in_(list(chunk))
            )
        ):
            batch_rows[row.id] = row
    for chunk in _chunks(all_lots):
        for row in conn.execute(
            sa.select(batches.c.id, batches.c.gtin, batches.c.lot, batches.c.visibility).where(
                batches.c.merchant_id == merchant_id,
                sa.tuple_(batches.c.gtin, batches.c.lot).in_(list(chunk)),
            )
        ):
            batch_rows[row.id] = row
    for row in batch_rows.values():
        by_lot[(row.gtin, row.lot)] = row.id
    product_levels: dict[str, dict[str, int]] = {}
    for chunk in _chunks(gtins):
        for product in conn.execute(
            sa.select(products.c.gtin, products.c.visibility).where(
                products.c.merchant_id == merchant_id, products.c.gtin.in_(list(chunk))
            )
        ):
            product_levels[product.gtin] = _levels(product.visibility, PRODUCT_VISIBILITY_FIELDS)
    batch_levels = {
        batch_id: _levels(row.visibility, BATCH_VISIBILITY_FIELDS)
        for batch_id, row in batch_rows.items()
    }
    out: list[Levels] = []
    for unit_keys, lot_keys in named:
        levels = Levels()
        ids = {unit_batch[k] for k in unit_keys if k in unit_batch}
        ids |= {by_lot[k] for k in lot_keys if k in by_lot}
        for batch_id in ids:
            if batch_id in batch_levels:
                _strictest(levels.batch, batch_levels[batch_id])
        for gtin in {g for g, _ in (*unit_keys, *lot_keys)}:
            if gtin in product_levels:
                _strictest(levels.product, product_levels[gtin])
        out.append(levels)
    return out


# --- filtering ------------------------------------------------------------------------------


def _local_name(key: str) -> str:
    """``acme:producer``, ``urn:epcglobal:cbv:mda#productionDate``, ``https://x/ns/origin``:
    the name after the prefix or namespace."""
    for separator in ("#", "/", ":"):
        key = key.rpartition(separator)[2] or key
    return key


def _allowed(level: int, partner: bool) -> bool:
    return level == _PUBLIC or (level == _PARTNER and partner)


def _ilmd(ilmd: Mapping[str, Any], levels: Levels, partner: bool) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for key, value in ilmd.items():
        name = _local_name(key)
        level = levels.of(name)
        if level is None:
            standard = key.startswith(_CBVMDA) or ":" not in key
            level = _PUBLIC if standard else _PARTNER
        if _allowed(level, partner):
            kept[key] = value
    return kept


def _masked_party(entry: Any, key: str) -> Any:
    value = entry.get(key) if isinstance(entry, Mapping) else None
    if not isinstance(value, str) or not value.startswith(DESTINATION_PREFIX):
        return entry
    country = value[len(DESTINATION_PREFIX) :].split(":", 1)[0]
    return {**entry, key: DESTINATION_PREFIX + country}


def _masked_transaction(entry: Any, key: bytes) -> Any:
    value = entry.get("bizTransaction") if isinstance(entry, Mapping) else None
    if not isinstance(value, str) or not value.startswith(ORDER_PREFIX):
        return entry
    return {**entry, "bizTransaction": _order_ref(key, value)}


def outbound_event(
    event: Mapping[str, Any], levels: Levels, *, partner: bool, mask: bytes
) -> dict[str, Any] | None:
    """The event as it may leave for an endpoint (``partner`` or not); None when it leaves
    unchanged (so the stored text can be sent as it is)."""
    out: dict[str, Any] = {}
    changed = False
    for key, value in event.items():
        if key == "ilmd" and isinstance(value, Mapping):
            kept = _ilmd(value, levels, partner)
            if len(kept) != len(value):
                changed = True
                if not kept:
                    continue
            out[key] = kept
        elif key == "certificationInfo":
            if _allowed(levels.of("certifications") or _PUBLIC, partner):
                out[key] = value
            else:
                changed = True
        elif ":" in key and not key.startswith("@"):
            level = levels.of(_local_name(key))
            if _allowed(_PARTNER if level is None else level, partner):
                out[key] = value
            else:
                changed = True
        elif not partner and key == "bizTransactionList" and isinstance(value, list):
            masked = [_masked_transaction(entry, mask) for entry in value]
            changed = changed or masked != value
            out[key] = masked
        elif not partner and key in ("sourceList", "destinationList") and isinstance(value, list):
            member = "source" if key == "sourceList" else "destination"
            parties = [_masked_party(entry, member) for entry in value]
            changed = changed or parties != value
            out[key] = parties
        else:
            out[key] = value
    return out if changed else None
