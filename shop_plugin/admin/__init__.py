"""The merchant admin under ``{prefix}/admin``: server-rendered pages over the services.

Behind the host app's sign-in: ``SHOPTRACE_ADMIN_AUTH`` (or ``@shoptrace.admin_auth``) names
a function that takes the request and returns the merchant the signed-in user manages. See
``shop_plugin/README.md``, "Merchant admin".
"""

from shoptrace.shop_plugin.admin.blueprint import ADMIN_PATH, BLUEPRINT, AdminAuth, make_blueprint

__all__ = ["ADMIN_PATH", "BLUEPRINT", "AdminAuth", "make_blueprint"]
