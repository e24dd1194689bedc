"""shoptrace SDK: GS1 Digital Link trace codes, QR codes and labels, EPCIS 2.0 events.

Pure Python; no Flask. Import the pieces you need::

    from shoptrace.sdk import digital_link, serials, qr
    link = digital_link.parse("https://shop.example.com/trace/01/09506000134352/10/LOT42")
"""

from shoptrace.sdk.errors import InvalidDigitalLink, InvalidElementString, ShoptraceError

__all__ = ["InvalidDigitalLink", "InvalidElementString", "ShoptraceError"]
__version__ = "0.1.0"
