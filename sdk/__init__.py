"""shoptrace SDK: GS1 Digital Link trace codes, QR codes and labels, EPCIS 2.0 events, and
a client of the trace service.

Pure Python; no Flask. Import the pieces you need::

    from shoptrace.sdk import digital_link, serials, qr
    link = digital_link.parse("https://shop.example.com/trace/01/09506000134352/10/LOT42")

    from shoptrace.sdk import TraceClient
    client = TraceClient(api_key, base_url="http://127.0.0.1:5000/trace")
"""

from typing import TYPE_CHECKING, Any

from shoptrace.sdk.errors import InvalidDigitalLink, InvalidElementString, ShoptraceError

if TYPE_CHECKING:
    from shoptrace.sdk.client import TraceClient

__all__ = ["InvalidDigitalLink", "InvalidElementString", "ShoptraceError", "TraceClient"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # The client is imported on first use, so `import shoptrace.sdk` does not load requests.
    if name == "TraceClient":
        from shoptrace.sdk.client import TraceClient

        return TraceClient
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
