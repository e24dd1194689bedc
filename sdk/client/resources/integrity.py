"""``client.integrity``: the tamper evidence of the merchant's events (the hash chain)."""

from __future__ import annotations

from shoptrace.sdk.client.models import Integrity
from shoptrace.sdk.client.resources.base import Service

__all__ = ["IntegrityService"]


class IntegrityService(Service):
    """Recompute the hash chain over the merchant's events."""

    def verify(self) -> Integrity:
        """The chain recomputed: ``valid``, and the first event that breaks it if any."""
        return Integrity.from_json(self._get("/integrity"))
