"""The shop's side of shoptrace: the extension object, the order hooks, trace links and QRs.

The shop tells shoptrace about its orders with plain dicts (the order shape documented in
``shop_plugin/README.md``, "Orders and listings"): ``shoptrace.order_placed(order)`` at
checkout, ``shoptrace.order_fulfilled(order, units=[...])`` when the packing station has
scanned the packs, ``order_delivered`` and ``order_cancelled`` after. shoptrace answers with
the order as it shows it, including ``traceUrl``: the shopper's order trace page.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from flask import current_app
from markupsafe import Markup

from shoptrace.sdk import digital_link, qr
from shoptrace.shop_plugin import ShopTrace, state_of
from shoptrace.shop_plugin.services.errors import ServiceError

__all__ = [
    "ACTIONS",
    "MERCHANT_KEY",
    "Outcome",
    "base_url",
    "lot_uri",
    "merchant_id",
    "notify",
    "order_page",
    "product_saved",
    "qr_svg",
    "shoptrace",
    "unit_uri",
]

log = logging.getLogger(__name__)

shoptrace = ShopTrace()
"""The extension object; ``create_app`` calls ``shoptrace.init_app(app)``."""

ACTIONS = ("placed", "fulfilled", "delivered", "cancelled")
MERCHANT_KEY = "DEMO_MERCHANT_ID"
"""App config key holding the demo merchant's id (set once the merchant exists)."""


@dataclass(frozen=True)
class Outcome:
    """What shoptrace answered to a hook: the order as it shows it, or why it refused."""

    order: dict[str, Any] | None = None
    problem: str | None = None
    refused: tuple[tuple[int, str], ...] = ()
    """Scanned codes shoptrace refused: their index in ``units`` and the reason (``recalled``,
    ``sold``, ``expired``, ...)."""

    @property
    def ok(self) -> bool:
        return self.problem is None

    @property
    def token(self) -> str | None:
        """The token of the shopper's order trace page (see :func:`order_page`)."""
        token = (self.order or {}).get("token")
        return token if isinstance(token, str) else None


def merchant_id() -> int:
    """The demo merchant: the shop's own orders and products belong to it."""
    value: int = current_app.config[MERCHANT_KEY]
    return value


def _problem_text(exc: Exception) -> str:
    if isinstance(exc, ServiceError):
        details = "; ".join(f"{e.field}: {e.detail}" for e in exc.errors)
        return exc.detail + (f" ({details})" if details else "")
    return f"{type(exc).__name__}: {exc}"


_UNIT_FIELD = re.compile(r"units\[(\d+)\]")


def _refused(exc: ServiceError) -> tuple[tuple[int, str], ...]:
    found = []
    for error in exc.errors:
        match = _UNIT_FIELD.fullmatch(error.field)
        if match:
            found.append((int(match.group(1)), error.rule))
    return tuple(found)


def notify(action: str, order: dict[str, Any], *, units: list[str] | None = None) -> Outcome:
    """Send the order hook ``order_<action>``; a refusal comes back as ``problem``.

    The shop keeps selling when tracing refuses (a unit recalled meanwhile, ...) or fails:
    the refusal is shown to whoever acted, a failure is logged too.
    """
    try:
        if action == "placed":
            answer = shoptrace.order_placed(order)
        elif action == "fulfilled":
            answer = shoptrace.order_fulfilled(order, units=units)
        elif action == "delivered":
            answer = shoptrace.order_delivered(order)
        elif action == "cancelled":
            answer = shoptrace.order_cancelled(order)
        else:
            raise ValueError(f"unknown order action {action!r}")
    except ServiceError as exc:
        return Outcome(problem=_problem_text(exc), refused=_refused(exc))
    except Exception as exc:  # a broken trace service must not break the shop
        log.exception("shoptrace order_%s failed for order %s", action, order.get("id"))
        return Outcome(problem=_problem_text(exc))
    return Outcome(order=answer)


def product_saved(product: dict[str, Any]) -> Outcome:
    """Send ``product_saved``: the listing's URL, SKU and the shop's product id."""
    try:
        answer = shoptrace.product_saved(product)
    except Exception as exc:
        log.exception("shoptrace product_saved failed for product %s", product.get("id"))
        return Outcome(problem=_problem_text(exc))
    return Outcome(order=answer)


def base_url() -> str:
    """The trace service's public base (``http://127.0.0.1:5000/trace``)."""
    configured = state_of(current_app).settings.public_base_url
    assert configured is not None, "create_app sets SHOPTRACE_PUBLIC_BASE_URL"
    return configured


def order_page(token: str) -> str:
    """The shopper's order trace page: every line with its trace links and QR codes."""
    return f"{base_url()}/orders/{token}"


def unit_uri(gtin: str, lot: str, serial: str) -> str:
    """The Digital Link URI on a pack (what its QR code holds), on the shop's own address."""
    return digital_link.build(base_url(), gtin, lot=lot, serial=serial)


def lot_uri(gtin: str, lot: str) -> str:
    """The Digital Link URI of a lot (what the bag of a lot-traced product carries)."""
    return digital_link.build(base_url(), gtin, lot=lot)


def qr_svg(uri: str, *, title: str | None = None) -> Markup:
    """An inline SVG QR code of ``uri`` (the SDK escapes the title, so it is safe HTML)."""
    return Markup(qr.svg(uri, module_size=3, title=title))
