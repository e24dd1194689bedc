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

__all__ = ["code_suspicious"]

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
