"""The public side of the trace service: a GS1-Conformant Resolver for the codes on packs,
the trace pages and JSON it resolves to, the iframe embed and the widget script.

``/01/{gtin}[/22/{cpv}][/10/{lot}][/21/{serial}]``, ``/00/{sscc}``, ``/414/{gln}`` and
``/8004/{giai}`` under ``SHOPTRACE_URL_PREFIX``; ``/.well-known/gs1resolver``,
``/widget.js`` and ``/embed/01/...`` beside them. No API key: every answer holds public data
only.
"""

from shoptrace.shop_plugin.resolver.blueprint import BLUEPRINT, make_blueprint
from shoptrace.shop_plugin.resolver.lookup import Resolver
from shoptrace.shop_plugin.resolver.state import ResolverState, resolver_state, setup

__all__ = ["BLUEPRINT", "Resolver", "ResolverState", "make_blueprint", "resolver_state", "setup"]
