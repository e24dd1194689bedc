"""Signals the trace service sends, in a private blinker namespace.

Connect a receiver that takes the sender and ``**extra`` (new keyword arguments may be added)::

    from shoptrace.shop_plugin.signals import code_suspicious

    @code_suspicious.connect_via(app)
    def alert(app, *, merchant_id, gtin, serial, reason, **extra):
        ...

Signals are sent from the thread that did the work, after its transaction committed.
"""

from __future__ import annotations

from blinker import Namespace

__all__ = [
    "code_suspicious",
    "order_cancelled",
    "order_delivered",
    "order_fulfilled",
    "order_placed",
    "order_returned",
    "order_traced",
    "product_saved",
    "recall_closed",
    "recall_created",
]

_signals = Namespace()

code_suspicious = _signals.signal("code-suspicious")
"""A unit code looks misused; sent once per code and reason.

Sender: the Flask app. Keyword arguments: ``merchant_id``, ``gtin``, ``lot`` (None when the
scanned URI had none), ``serial``, ``unit_id`` (None for a serial no unit has), ``reason``
(``"many-clients"``: more distinct clients than ``SHOPTRACE_SUSPICIOUS_CLIENTS`` scanned the
delivered unit; ``"forged-serial"``: the serial's check tag is wrong for this merchant's
GTIN; ``"unknown-serial"``: a serial of the merchant's GTIN that no unit has) and
``clients`` (distinct clients counted). Sent from the scan recorder's thread, after the scan
that triggered it is stored.
"""

# Signals the host shop sends; shoptrace handles them like the ``ShopTrace.order_*`` methods
# (the order and product shapes are documented in shop_plugin/README.md). Sender: the Flask
# app; keyword arguments: ``order=`` (and ``units=`` for fulfilment and returns) or
# ``product=``, plus ``merchant_id=`` when the app serves more than SHOPTRACE_SHOP_MERCHANT.

order_placed = _signals.signal("order-placed")
"""The shop took an order: ``order=``."""

order_fulfilled = _signals.signal("order-fulfilled")
"""The shop packed and shipped an order: ``order=``, ``units=`` (scanned codes, optional)."""

order_delivered = _signals.signal("order-delivered")
"""The order reached the customer: ``order=``."""

order_cancelled = _signals.signal("order-cancelled")
"""The order was cancelled before fulfilment: ``order=``."""

order_returned = _signals.signal("order-returned")
"""Units came back: ``order=``, ``units=``."""

product_saved = _signals.signal("product-saved")
"""A listing was created or changed: ``product=``."""

# Signals shoptrace sends, after the transaction that caused them committed.

recall_created = _signals.signal("recall-created")
"""A recall was created. Keyword arguments: ``merchant_id``, ``recall`` (as the API shows it,
impact included)."""

recall_closed = _signals.signal("recall-closed")
"""A recall was closed. Keyword arguments: ``merchant_id``, ``recall``."""

order_traced = _signals.signal("order-traced")
"""An order's lines were bound to units or lots at fulfilment. Keyword arguments:
``merchant_id``, ``order`` (as the API shows it, with its trace links)."""
