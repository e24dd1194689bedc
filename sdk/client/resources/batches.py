"""``client.batches``: batches (lots) of the merchant's products."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from shoptrace.sdk.client.models import Batch, BatchCompleteness, Deleted
from shoptrace.sdk.client.pagination import Pager, fetch_pages
from shoptrace.sdk.client.resources.base import NOT_GIVEN, NotGiven, Service, body, id_path

__all__ = ["BatchesService"]


class BatchesService(Service):
    """Record, read, change, list and delete batches."""

    def create(
        self,
        *,
        product_id: int,
        lot: str,
        production_date: date | str | None = None,
        expiry_date: date | str | None = None,
        origin: Mapping[str, Any] | None = None,
        producer: Mapping[str, Any] | None = None,
        inspection_reports: Sequence[Mapping[str, Any]] | None = None,
        certifications: Sequence[Mapping[str, Any]] | None = None,
        visibility: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Batch:
        """Record a batch (lot, AI 10) of a product. ``origin``, ``producer`` and the list
        items are written as the API names them, e.g. ``origin={"place": {"zh-CN": "烟台",
        "en": "Yantai"}, "countryCode": "CN"}``."""
        payload = body(
            {
                "productId": product_id,
                "lot": lot,
                "productionDate": production_date,
                "expiryDate": expiry_date,
                "origin": origin,
                "producer": producer,
                "inspectionReports": inspection_reports,
                "certifications": certifications,
                "visibility": visibility,
            },
            extra,
            skip_none=True,
        )
        response = self._post("/batches", payload, idempotency_key)
        return Batch.from_json(response.json())

    def get(self, batch_id: int) -> Batch:
        """One batch."""
        return Batch.from_json(self._get(f"/batches/{id_path(batch_id, 'batch_id')}"))

    def update(
        self,
        batch_id: int,
        *,
        production_date: date | str | None | NotGiven = NOT_GIVEN,
        expiry_date: date | str | None | NotGiven = NOT_GIVEN,
        origin: Mapping[str, Any] | None | NotGiven = NOT_GIVEN,
        producer: Mapping[str, Any] | None | NotGiven = NOT_GIVEN,
        inspection_reports: Sequence[Mapping[str, Any]] | NotGiven = NOT_GIVEN,
        certifications: Sequence[Mapping[str, Any]] | NotGiven = NOT_GIVEN,
        visibility: Mapping[str, str] | NotGiven = NOT_GIVEN,
        extra: Mapping[str, Any] | None = None,
    ) -> Batch:
        """Change a batch: the members given replace the stored ones (None clears one);
        product and lot are fixed."""
        payload = body(
            {
                "productionDate": production_date,
                "expiryDate": expiry_date,
                "origin": origin,
                "producer": producer,
                "inspectionReports": inspection_reports,
                "certifications": certifications,
                "visibility": visibility,
            },
            extra,
            skip_none=False,
        )
        path = f"/batches/{id_path(batch_id, 'batch_id')}"
        return Batch.from_json(self._send("PATCH", path, payload).json())

    def delete(self, batch_id: int) -> Deleted:
        """Delete a lot nothing refers to (one recorded with a wrong lot number). A lot with
        codes issued, an issuance started, a recall, order lines or events is kept:
        ``ConflictError`` whose errors (rule ``in-use``) name what refers to it (``codes``,
        ``issuances``, ``recalls``, ``orderLines``, ``events``)."""
        path = f"/batches/{id_path(batch_id, 'batch_id')}"
        return Deleted.from_json(self._delete(path).json())

    def list(
        self,
        *,
        product_id: int | None = None,
        lot: str | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> Pager[Batch]:
        """The batches, optionally of one product or lot; iterating follows every page."""
        return fetch_pages(
            self._transport,
            self._transport.api("/batches"),
            {"productId": product_id, "lot": lot, "pageSize": page_size},
            extract=lambda page: page["batches"],
            build=Batch.from_json,
            token_param="pageToken",
            start=page_token,
        )

    def completeness(self, batch_id: int) -> BatchCompleteness:
        """The trace data the batch's class requires that it lacks."""
        path = f"/batches/{id_path(batch_id, 'batch_id')}/completeness"
        return BatchCompleteness.from_json(self._get(path))
