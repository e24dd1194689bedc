"""Upstream EPCIS endpoints: where a merchant's events are pushed, and the worker that does it.

A merchant registers the EPCIS 2.0 endpoints of the trace platforms (national, provincial),
marketplaces and partners its events go to, with their authentication (sealed, never shown).
Each endpoint keeps a cursor, ``pushed_seq``: the merchant's events form one append-only
sequence (``events.seq``, the hash chain), and every event up to the cursor was accepted by
the endpoint. :func:`push_due` pushes the next events in seq order as EPCISDocuments of up to
``batchSize`` events (``POST {url}/capture``, or ``POST {url}`` in ``document`` mode) and
moves the cursor only after a 2xx answer. So capture costs nothing extra, every event is
queued for every endpoint by construction, and each endpoint receives the events in order;
a batch whose answer was lost is sent again and de-duplicated by the receiver by eventID, as
EPCIS capture does.

A failed batch is retried with exponential backoff and jitter (:mod:`.retry`); after the
last try (``SHOPTRACE_SYNC_MAX_ATTEMPTS``) the endpoint is *dead* and waits until it is
resumed (:func:`resume_endpoint`) or rewound (:func:`rewind_endpoint`). Workers lease an
endpoint (``lease_until``) so two never push to one endpoint at once, and make HTTP requests
outside any database transaction. What of each event leaves the shop follows the visibility
rules of :mod:`.upstream_visibility`.
"""

from shoptrace.shop_plugin.services.upstream.endpoints import (
    DEFAULT_BATCH_SIZE,
    MAX_ENDPOINTS,
    create_endpoint,
    delete_endpoint,
    update_endpoint,
)
from shoptrace.shop_plugin.services.upstream.pulling import endpoint_credentials, pull_endpoint
from shoptrace.shop_plugin.services.upstream.pushing import (
    DEFAULT_MAX_ATTEMPTS,
    DEFAULT_TIMEOUT,
    SyncReport,
    push_due,
)
from shoptrace.shop_plugin.services.upstream.recovery import resume_endpoint, rewind_endpoint
from shoptrace.shop_plugin.services.upstream.rendering import (
    STATES,
    get_endpoint,
    head_seq,
    list_endpoints,
)
from shoptrace.shop_plugin.services.upstream.shapes import MAX_BATCH_SIZE
from shoptrace.shop_plugin.services.upstream.sync_runner import SyncRunner

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_MAX_ATTEMPTS",
    "DEFAULT_TIMEOUT",
    "MAX_BATCH_SIZE",
    "MAX_ENDPOINTS",
    "STATES",
    "SyncReport",
    "SyncRunner",
    "create_endpoint",
    "delete_endpoint",
    "endpoint_credentials",
    "get_endpoint",
    "head_seq",
    "list_endpoints",
    "pull_endpoint",
    "push_due",
    "resume_endpoint",
    "rewind_endpoint",
    "update_endpoint",
]
