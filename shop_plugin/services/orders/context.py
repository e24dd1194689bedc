"""What applying an order needs beyond the database (signing key, base URL) and what it
owes afterwards (the ``order_traced`` signals), and what :func:`run_action` reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from shoptrace.shop_plugin import signals
from shoptrace.shop_plugin.services.orders.tokens import token_key

if TYPE_CHECKING:
    from shoptrace.shop_plugin.extension import ShopTraceState


_CANONICAL = "https://id.gs1.org"


@dataclass
class OrderContext:
    """What applying an order needs beyond the database, and what it owes afterwards.

    ``base_url`` is the base of the Digital Link URIs and of the order page
    (``SHOPTRACE_PUBLIC_BASE_URL``, else the request's host and prefix; None outside a
    request: events then name items on ``https://id.gs1.org`` and ``traceUrl`` is a path).
    ``traced`` collects the orders fulfilled in the transaction: call
    :func:`send_order_signals` once it committed.
    """

    signing_key: str = field(repr=False)
    base_url: str | None = None
    url_prefix: str = "/trace"
    traced: list[tuple[int, dict[str, Any]]] = field(default_factory=list)

    @property
    def token_key(self) -> bytes:
        return token_key(self.signing_key)

    @property
    def link_base(self) -> str:
        """Base of the Digital Link URIs the service writes."""
        return self.base_url or _CANONICAL

    def page_url(self, token: str) -> str:
        """The shopper's order page."""
        return f"{self.base_url or self.url_prefix}/orders/{token}"


def order_context(state: ShopTraceState, *, base_url: str | None = None) -> OrderContext:
    """The context of an app's shoptrace state; ``base_url`` (the request's) is used when
    ``SHOPTRACE_PUBLIC_BASE_URL`` is not set."""
    settings = state.settings
    return OrderContext(
        signing_key=state.signing_key,
        base_url=settings.public_base_url or base_url,
        url_prefix=settings.url_prefix,
    )


def send_order_signals(sender: Any, context: OrderContext) -> None:
    """Send ``order_traced`` for each order the context's transaction traced (call after it
    committed); the list is emptied."""
    pending, context.traced[:] = list(context.traced), []
    for merchant_id, order in pending:
        signals.order_traced.send(sender, merchant_id=merchant_id, order=order)


@dataclass(frozen=True)
class Outcome:
    """What :func:`run_action` did: the order as the API shows it, whether this call placed
    it, and whether it traced it (fulfilment bound a line)."""

    order: dict[str, Any]
    created: bool
    traced: bool
