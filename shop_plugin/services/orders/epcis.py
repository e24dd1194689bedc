"""What the order's EPCIS events name (the order, the masked destination, units and
lots) and how they are captured."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from sqlalchemy.engine import Connection

from shoptrace.sdk import digital_link
from shoptrace.sdk.epcis.documents import standalone_event
from shoptrace.shop_plugin.services.capture import capture_event


def order_uri(merchant_id: int, shop_order_id: str) -> str:
    """The URI events name the order by (a ``po`` business transaction)."""
    return f"urn:shoptrace:order:{merchant_id}:{quote(shop_order_id, safe='')}"


def _destination_uri(destination: Mapping[str, Any] | None) -> str | None:
    """The destination masked to country and region (city, postcode and customer never
    reach an event)."""
    if not destination or not destination.get("country"):
        return None
    uri = f"urn:shoptrace:destination:{destination['country']}"
    if destination.get("region"):
        uri += ":" + quote(str(destination["region"]).strip(), safe="")
    return uri


def _unit_uri(base: str, gtin: str, lot: str, serial: str) -> str:
    return digital_link.build(base, gtin, lot=lot, serial=serial)


def _lot_uri(base: str, gtin: str, lot: str) -> str:
    return digital_link.build(base, gtin, lot=lot)


def _capture(conn: Connection, merchant_id: int, event: dict[str, Any]) -> None:
    capture_event(conn, merchant_id, standalone_event(event))
