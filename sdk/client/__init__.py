"""The trace service client: :class:`TraceClient`, its errors and result objects.

::

    from shoptrace.sdk.client import TraceClient, NotFoundError

    client = TraceClient(api_key, base_url="http://127.0.0.1:5000/trace")
    for product in client.products.list(category="food"):
        print(product.gtin, product.name)

See ``sdk/CLIENT.md`` for the services, retries, idempotency and errors.
"""

from shoptrace.sdk.client.client import TraceClient
from shoptrace.sdk.client.errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    ConflictError,
    FieldError,
    NotFoundError,
    PermissionDeniedError,
    PermissionError,
    RateLimitError,
    ValidationError,
    WaitTimeoutError,
)
from shoptrace.sdk.client.models import (
    Batch,
    BatchCompleteness,
    CapturedEvent,
    CaptureJob,
    Category,
    Code,
    Deleted,
    Downstream,
    Integrity,
    IssuanceJob,
    IssuedCode,
    IssueResult,
    LabelPdf,
    Location,
    Order,
    OrderLine,
    Product,
    ProductCompleteness,
    Recall,
    RecallImpact,
    RecallOrder,
    ShopConnection,
    Trace,
    TraceEvent,
    Upstream,
    WebhookDelivery,
    WebhookEndpoint,
)
from shoptrace.sdk.client.pagination import Page, Pager
from shoptrace.sdk.client.resources.base import NOT_GIVEN

__all__ = [
    "NOT_GIVEN",
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AuthenticationError",
    "Batch",
    "BatchCompleteness",
    "CaptureJob",
    "CapturedEvent",
    "Category",
    "Code",
    "ConflictError",
    "Deleted",
    "Downstream",
    "FieldError",
    "Integrity",
    "IssuanceJob",
    "IssueResult",
    "IssuedCode",
    "LabelPdf",
    "Location",
    "NotFoundError",
    "Order",
    "OrderLine",
    "Page",
    "Pager",
    "PermissionDeniedError",
    "PermissionError",
    "Product",
    "ProductCompleteness",
    "Recall",
    "RecallImpact",
    "RecallOrder",
    "RateLimitError",
    "ShopConnection",
    "Trace",
    "TraceClient",
    "TraceEvent",
    "Upstream",
    "ValidationError",
    "WaitTimeoutError",
    "WebhookDelivery",
    "WebhookEndpoint",
]
