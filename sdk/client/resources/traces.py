"""``client.traces``: the trace of a code, forward tracing of a lot."""

from __future__ import annotations

from shoptrace.sdk.client.models import Downstream, Trace
from shoptrace.sdk.client.resources.base import Service, id_path

__all__ = ["TracesService"]


class TracesService(Service):
    """Trace assembly over the merchant's records and events."""

    def get(self, code: str) -> Trace:
        """The trace of a unit, lot or container: ``code`` is a GS1 Digital Link URI (any
        domain) or an EPC URN (``urn:epc:id:sgtin:...``, ``urn:epc:class:lgtin:...``,
        ``urn:epc:id:sscc:...``). NotFoundError when the merchant has neither a record of
        the item nor an event naming it."""
        if not isinstance(code, str) or not code.strip():
            raise ValueError("code must be a Digital Link URI or an EPC URN")
        return Trace.from_json(self._get("/trace", {"code": code}))

    def downstream(self, batch_id: int, *, unit_limit: int | None = None) -> Downstream:
        """Forward tracing of a batch: its units (up to ``unit_limit`` listed, default 1000),
        containers, orders, destinations and transformation outputs."""
        path = f"/batches/{id_path(batch_id, 'batch_id')}/downstream"
        return Downstream.from_json(self._get(path, {"unitLimit": unit_limit}))
