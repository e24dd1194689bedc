"""Inbound webhooks of shop platforms (Shopify, WooCommerce, Saleor) under
``{prefix}/hooks``: each is verified against the shop's connection, deduplicated by the
platform's event id, and mapped onto the order and product shapes of ``services/orders/shapes.py``.

Import the blueprint from :mod:`shoptrace.shop_plugin.hooks.blueprint`; the platform modules
(``shopify``, ``woocommerce``, ``saleor``) hold the mappings and signature checks, usable
without Flask.
"""
