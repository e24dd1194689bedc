"""shoptrace shop plugin: the Flask extension that puts the trace service inside a shop.

Inside a shop::

    from shoptrace.shop_plugin import ShopTrace
    ShopTrace(app)                       # or: shoptrace = ShopTrace(); shoptrace.init_app(app)

Standalone: ``create_app(**config)``, or ``shoptrace serve`` on the command line. Settings
are the ``SHOPTRACE_*`` keys of :data:`OPTIONS` (documented in ``shop_plugin/README.md``).
"""

from shoptrace.shop_plugin.app import create_app
from shoptrace.shop_plugin.config import OPTIONS, ConfigError, Settings
from shoptrace.shop_plugin.extension import ShopTrace, ShopTraceState, state_of
from shoptrace.shop_plugin.store import Store, open_store

__all__ = [
    "OPTIONS",
    "ConfigError",
    "Settings",
    "ShopTrace",
    "ShopTraceState",
    "Store",
    "create_app",
    "open_store",
    "state_of",
]
