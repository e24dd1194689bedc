"""``TraceClient``: the facade over the trace service's merchant API and EPCIS binding."""

from __future__ import annotations

from types import TracebackType

import requests

from shoptrace.sdk.client.resources.batches import BatchesService
from shoptrace.sdk.client.resources.categories import CategoriesService
from shoptrace.sdk.client.resources.codes import CodesService
from shoptrace.sdk.client.resources.connections import ConnectionsService
from shoptrace.sdk.client.resources.events import EventsService
from shoptrace.sdk.client.resources.integrity import IntegrityService
from shoptrace.sdk.client.resources.locations import LocationsService
from shoptrace.sdk.client.resources.orders import OrdersService
from shoptrace.sdk.client.resources.products import ProductsService
from shoptrace.sdk.client.resources.recalls import RecallsService
from shoptrace.sdk.client.resources.traces import TracesService
from shoptrace.sdk.client.resources.upstreams import UpstreamsService
from shoptrace.sdk.client.resources.webhook_endpoints import WebhookEndpointsService
from shoptrace.sdk.client.transport import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    Timeout,
    Transport,
)

__all__ = ["TraceClient"]


class TraceClient:
    """A client of one trace service for one merchant API key.

    ::

        from shoptrace.sdk import TraceClient

        with TraceClient(api_key, base_url="http://127.0.0.1:5000/trace") as client:
            product = client.products.create(
                gtin="09506000134352",
                name={"zh-CN": "有机苹果", "en": "Organic apples"},
                category="edible-agricultural-products",
            )

    ``base_url`` is where the service is mounted (its ``SHOPTRACE_URL_PREFIX`` included);
    the merchant API is ``{base_url}/api/v1`` and EPCIS ``{base_url}/epcis``. ``timeout`` is
    seconds per attempt (or ``(connect, read)``); ``max_retries`` how often a failed
    request that is safe to repeat is sent again (see :mod:`.transport`). A ``session`` given
    is used, and left open by :meth:`close`.
    """

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str,
        timeout: Timeout = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        session: requests.Session | None = None,
    ) -> None:
        self.transport = Transport(
            api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            session=session,
        )
        self.products = ProductsService(self.transport)
        """Products (GTINs) and their trace completeness."""
        self.batches = BatchesService(self.transport)
        """Batches (lots) of products."""
        self.codes = CodesService(self.transport)
        """Unit code issuance, code lists, CSV and PDF labels."""
        self.events = EventsService(self.transport)
        """EPCIS capture and queries."""
        self.traces = TracesService(self.transport)
        """Traces of codes, forward tracing of lots."""
        self.integrity = IntegrityService(self.transport)
        """The hash chain over the merchant's events."""
        self.categories = CategoriesService(self.transport)
        """Catalogue classes and the trace data each requires."""
        self.orders = OrdersService(self.transport)
        """Shop orders and their fulfilment, delivery, cancellation and returns."""
        self.recalls = RecallsService(self.transport)
        """Recalls of lots or units and whom they reach."""
        self.webhook_endpoints = WebhookEndpointsService(self.transport)
        """Where the service sends webhooks (recalls, suspicious codes, traced orders)."""
        self.upstreams = UpstreamsService(self.transport)
        """Upstream EPCIS endpoints the merchant's events are pushed to, and their push state."""
        self.connections = ConnectionsService(self.transport)
        """Shop platform connections: the shops whose webhooks the service takes."""
        self.locations = LocationsService(self.transport)
        """Names (and coarse addresses) of the places events name, shown to shoppers when
        public."""

    @property
    def base_url(self) -> str:
        """Where the service is mounted."""
        return self.transport.base_url

    def __repr__(self) -> str:
        return f"<TraceClient base_url={self.base_url!r} api_key={self.transport.key_hint!r}>"

    def close(self) -> None:
        """Close the HTTP session (unless it was given to the client)."""
        self.transport.close()

    def __enter__(self) -> TraceClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
