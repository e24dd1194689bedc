"""The service objects of :class:`~shoptrace.sdk.client.TraceClient`, one per resource."""

from shoptrace.sdk.client.resources.base import NOT_GIVEN, NotGiven
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

__all__ = [
    "NOT_GIVEN",
    "BatchesService",
    "CategoriesService",
    "CodesService",
    "ConnectionsService",
    "EventsService",
    "IntegrityService",
    "LocationsService",
    "NotGiven",
    "OrdersService",
    "ProductsService",
    "RecallsService",
    "TracesService",
    "UpstreamsService",
    "WebhookEndpointsService",
]
