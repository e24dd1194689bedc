"""``client.codes``: unit code issuance, issuance jobs, code lists, CSV and PDF labels."""

from __future__ import annotations

import builtins
from collections.abc import Iterator

from shoptrace.sdk.client.models import Code, IssuanceJob, IssueResult, LabelPdf
from shoptrace.sdk.client.pagination import Pager, fetch_pages, next_token
from shoptrace.sdk.client.resources.base import Service, id_path, poll

__all__ = ["CodesService"]


class CodesService(Service):
    """Issue unit codes (serials under a batch) and get them back as lists, CSV or labels."""

    def issue(
        self,
        batch_id: int,
        count: int,
        *,
        wait: bool = False,
        timeout: float = 300.0,
        poll_interval: float = 1.0,
        idempotency_key: str | None = None,
    ) -> IssueResult:
        """Issue ``count`` unit codes for a batch.

        Up to the service's sync limit the codes come back at once (``result.codes``); a
        larger count becomes a job (``result.codes`` None) whose progress
        :meth:`get_issuance` reports; with ``wait`` this call polls it until it is done or
        failed (see :meth:`wait`). List the codes of a job with
        ``list(batch_id, issuance=result.issuance.id)``.
        """
        path = f"/batches/{id_path(batch_id, 'batch_id')}/codes"
        response = self._post(path, {"count": count}, idempotency_key)
        result = IssueResult.from_json(response.json(), location=self._location(response))
        if wait and result.pending:
            job = self.wait(result.issuance, timeout=timeout, interval=poll_interval)
            return IssueResult(raw=result.raw, issuance=job, codes=None, location=result.location)
        return result

    def get_issuance(self, issuance_id: int) -> IssuanceJob:
        """The progress of an issuance."""
        path = f"/issuances/{id_path(issuance_id, 'issuance_id')}"
        return IssuanceJob.from_json(self._get(path))

    def wait(
        self, issuance: IssuanceJob | int, *, timeout: float = 300.0, interval: float = 1.0
    ) -> IssuanceJob:
        """Poll an issuance until it is ``done`` or ``failed`` (check ``status``; ``error``
        says why it failed); WaitTimeoutError after ``timeout`` seconds."""
        seen: IssuanceJob | None = None
        if isinstance(issuance, IssuanceJob):
            if issuance.finished:
                return issuance
            seen, issuance = issuance, issuance.id
        number = issuance
        return poll(
            self._transport,
            lambda: self.get_issuance(number),
            lambda job: job.finished,
            timeout=timeout,
            interval=interval,
            what=f"issuance {number}",
            seen=seen,
        )

    def issuances(self, batch_id: int) -> builtins.list[IssuanceJob]:
        """Every issuance of a batch."""
        path = f"/batches/{id_path(batch_id, 'batch_id')}/issuances"
        return [IssuanceJob.from_json(item) for item in self._get(path)["issuances"]]

    def list(
        self,
        batch_id: int,
        *,
        issuance: int | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> Pager[Code]:
        """The batch's codes with their Digital Link URIs (optionally of one issuance)."""
        path = f"/batches/{id_path(batch_id, 'batch_id')}/codes"
        return fetch_pages(
            self._transport,
            self._transport.api(path),
            {"issuance": issuance, "pageSize": page_size},
            extract=lambda page: page["codes"],
            build=Code.from_json,
            token_param="pageToken",
            start=page_token,
        )

    def csv(self, batch_id: int, *, issuance: int | None = None, lang: str | None = None) -> str:
        """The batch's codes as CSV text (``lang``: ``zh-CN`` or ``en`` product names)."""
        path = f"/batches/{id_path(batch_id, 'batch_id')}/codes.csv"
        response = self._transport.request(
            "GET",
            self._transport.api(path),
            params={k: v for k, v in (("issuance", issuance), ("lang", lang)) if v is not None},
            accept="text/csv",
        )
        return response.content.decode("utf-8")

    def labels(
        self,
        batch_id: int,
        *,
        layout: str | None = None,
        issuance: int | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> LabelPdf:
        """One PDF of QR labels (``layout``: a label stock such as ``a4-3x8``). A selection
        larger than one PDF holds has a ``next_page_token``; :meth:`label_pages` follows it."""
        path = f"/batches/{id_path(batch_id, 'batch_id')}/codes.pdf"
        params = {
            "layout": layout,
            "issuance": issuance,
            "pageSize": page_size,
            "pageToken": page_token,
        }
        response = self._transport.request(
            "GET",
            self._transport.api(path),
            params={k: v for k, v in params.items() if v is not None},
            accept="application/pdf",
        )
        count = response.headers.get("X-Label-Count", "")
        return LabelPdf(
            content=response.content,
            count=int(count) if count.isascii() and count.isdigit() and len(count) < 19 else 0,
            next_page_token=next_token(response, None, "pageToken"),
        )

    def label_pages(
        self,
        batch_id: int,
        *,
        layout: str | None = None,
        issuance: int | None = None,
        page_size: int | None = None,
    ) -> Iterator[LabelPdf]:
        """Every PDF of the selection's labels, one after another."""
        token: str | None = None
        while True:
            pdf = self.labels(
                batch_id, layout=layout, issuance=issuance, page_size=page_size, page_token=token
            )
            yield pdf
            if pdf.next_page_token is None or pdf.next_page_token == token:
                return
            token = pdf.next_page_token
