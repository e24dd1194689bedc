"""``client.integrity``: the tamper evidence of the merchant's events (the hash chain).

The service checks a long chain a page at a time (100,000 events by default), so that no
request runs for minutes; :meth:`IntegrityService.verify` follows the pages to the end and
:meth:`IntegrityService.pages` hands them over one by one, for progress.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from shoptrace.sdk.client.models import Integrity
from shoptrace.sdk.client.resources.base import Service

__all__ = ["IntegrityService"]

MAX_PAGES = 100_000
"""Pages one :meth:`IntegrityService.pages` follows at most (a guard against a server that
never says ``complete``)."""


class IntegrityService(Service):
    """Recompute the hash chain over the merchant's events."""

    def verify(self, *, page_size: int | None = None) -> Integrity:
        """The whole chain recomputed: ``valid``, and the first event that breaks it if any.

        Follows the pages; the answer is the last page with ``events`` counting all of them
        and ``checked_from`` from the first.
        """
        first: Integrity | None = None
        total = 0
        page: Integrity | None = None
        for page in self.pages(page_size=page_size):
            first = first or page
            total += page.events
        assert page is not None and first is not None  # pages() yields at least one
        checked = {"from": first.checked_from, "through": page.checked_through}
        raw = {**page.raw, "events": total, "checked": checked}
        return dataclasses.replace(page, raw=raw, events=total, checked_from=first.checked_from)

    def pages(self, *, page_size: int | None = None) -> Iterator[Integrity]:
        """The check a page at a time, to the last (``complete``) one."""
        token: str | None = None
        for _ in range(MAX_PAGES):
            page = self.verify_page(page_token=token, page_size=page_size)
            yield page
            if page.complete or page.next_page_token is None:
                return
            token = page.next_page_token
        raise RuntimeError(f"the integrity check did not finish within {MAX_PAGES} pages")

    def verify_page(
        self, *, page_token: str | None = None, page_size: int | None = None
    ) -> Integrity:
        """One page of the check: from the start, or after the page ``page_token`` ended."""
        if page_size is not None and (
            isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1
        ):
            raise ValueError(f"page_size must be a positive whole number, not {page_size!r}")
        params = {"pageToken": page_token, "pageSize": page_size}
        return Integrity.from_json(self._get("/integrity", params))
