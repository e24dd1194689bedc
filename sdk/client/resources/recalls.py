"""``client.recalls``: recalls of lots or units, their impact, closing them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from shoptrace.sdk.client.models import I18nText, Recall, RecallImpact, RecallOrder
from shoptrace.sdk.client.pagination import Pager, fetch_pages
from shoptrace.sdk.client.resources.base import Service, body, id_path

__all__ = ["RecallsService"]


def _path(recall_id: int) -> str:
    return f"/recalls/{id_path(recall_id, 'recall_id')}"


class RecallsService(Service):
    """Recall lots of a GTIN or single units (召回), follow whom they reach, close them."""

    def create(
        self,
        *,
        gtin: str,
        reason: str | I18nText,
        severity: int | str,
        lots: Sequence[str] | None = None,
        units: Sequence[str] | None = None,
        location: str | None = None,
        extra: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Recall:
        """Recall ``lots`` of a GTIN, or single ``units`` (codes as scanned, or serials).

        ``reason`` is shown to shoppers (``{"zh-CN": ..., "en": ...}``, or plain text);
        ``severity`` the recall level, 1 (most serious) to 3; ``location`` the GLN where
        the recalled stock is held. The result's ``impact.orders`` is the first page of
        orders to notify; :meth:`impact_orders` lists them all.
        """
        if (lots is None) == (units is None):
            raise ValueError("give lots or units (one of them)")
        payload = body(
            {
                "gtin": gtin,
                "lots": None if lots is None else list(lots),
                "units": None if units is None else list(units),
                "reason": reason,
                "severity": str(severity),
                "location": location,
            },
            extra,
            skip_none=True,
        )
        return Recall.from_json(self._post("/recalls", payload, idempotency_key).json())

    def get(self, recall_id: int) -> Recall:
        """A recall, with its impact as counted when it was created."""
        return Recall.from_json(self._get(_path(recall_id)))

    def list(
        self,
        *,
        status: str | None = None,
        gtin: str | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> Pager[Recall]:
        """Recalls, optionally ``open`` or ``closed`` ones, or of one GTIN."""
        return fetch_pages(
            self._transport,
            self._transport.api("/recalls"),
            {"status": status, "gtin": gtin, "pageSize": page_size},
            extract=lambda page: page["recalls"],
            build=Recall.from_json,
            token_param="pageToken",
            start=page_token,
        )

    def impact(
        self, recall_id: int, *, page_size: int | None = None, page_token: str | None = None
    ) -> RecallImpact:
        """The recall's impact now, with one page of the orders to notify."""
        params = {"pageSize": page_size, "pageToken": page_token}
        return RecallImpact.from_json(self._get(f"{_path(recall_id)}/impact", params))

    def impact_orders(self, recall_id: int, *, page_size: int | None = None) -> Pager[RecallOrder]:
        """Every order the recall reaches (to notify its customer), page after page."""
        return fetch_pages(
            self._transport,
            self._transport.api(f"{_path(recall_id)}/impact"),
            {"pageSize": page_size},
            extract=lambda page: page["orders"],
            build=RecallOrder.from_json,
            token_param="pageToken",
        )

    def impact_csv(self, recall_id: int) -> str:
        """Every affected order line as CSV text (one row a line)."""
        response = self._transport.request(
            "GET",
            self._transport.api(f"{_path(recall_id)}/impact"),
            params={"format": "csv"},
            accept="text/csv",
        )
        return response.content.decode("utf-8-sig")

    def close(
        self, recall_id: int, *, note: str | None = None, idempotency_key: str | None = None
    ) -> Recall:
        """Close an open recall (the public banner goes); ConflictError when it is closed."""
        payload = {"note": note} if note is not None else None
        return Recall.from_json(
            self._post(f"{_path(recall_id)}/close", payload, idempotency_key).json()
        )
