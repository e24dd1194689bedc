"""The Flask extension: ``ShopTrace(app)`` or ``ShopTrace().init_app(app)``.

``init_app`` validates the ``SHOPTRACE_*`` settings, opens the store (migrating the embedded
SQLite default on first start), mounts the merchant API under the URL prefix and adds the
``flask shoptrace ...`` commands. Its state lives in ``app.extensions["shoptrace"]``; the
extension object keeps no app, so one object may serve several apps.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from limits import RateLimitItem, parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter, RateLimiter

from shoptrace.shop_plugin.api import API_PATH, IdConverter, epcis, make_blueprint
from shoptrace.shop_plugin.cli import shoptrace_group
from shoptrace.shop_plugin.config import OPTIONS, Settings
from shoptrace.shop_plugin.resolver import ResolverState
from shoptrace.shop_plugin.resolver import make_blueprint as make_resolver_blueprint
from shoptrace.shop_plugin.resolver import setup as setup_resolver
from shoptrace.shop_plugin.services.issuance import run_pending
from shoptrace.shop_plugin.services.signing import resolve_signing_key
from shoptrace.shop_plugin.store import Store, open_store, upgrade

__all__ = ["EXTENSION_KEY", "ShopTrace", "ShopTraceState", "state_of"]

EXTENSION_KEY = "shoptrace"
log = logging.getLogger(__name__)


@dataclass
class ShopTraceState:
    """What one app's shoptrace needs at request time."""

    settings: Settings
    store: Store
    signing_key: str = field(repr=False)
    limiter: RateLimiter | None
    limits: list[RateLimitItem]
    schema_ok: bool = False
    public: ResolverState | None = None
    """The public routes' state: resolver, scan recorder, public rate limit."""

    def start_job_runner(self) -> None:
        """Run pending issuance jobs in a background thread of this process."""
        thread = threading.Thread(target=self._run_jobs, name="shoptrace-issuance", daemon=True)
        thread.start()

    def _run_jobs(self) -> None:
        try:
            run_pending(self.store, self.signing_key)
        except Exception:
            log.exception("issuance job runner stopped; `shoptrace jobs run` resumes its jobs")


class ShopTrace:
    """The shoptrace Flask extension.

    ``options`` are defaults for settings the app's config does not set, named without the
    prefix in lower case: ``ShopTrace(app, url_prefix="/t")`` for ``SHOPTRACE_URL_PREFIX``.
    """

    def __init__(self, app: Flask | None = None, **options: Any) -> None:
        known = {o.key.removeprefix("SHOPTRACE_").lower() for o in OPTIONS}
        unknown = sorted(set(options) - known)
        if unknown:
            raise TypeError(f"ShopTrace: unknown option {unknown[0]!r}")
        self._options = {f"SHOPTRACE_{k.upper()}": v for k, v in options.items()}
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Validate settings, open the store and mount the routes and commands on ``app``."""
        if EXTENSION_KEY in app.extensions:
            raise RuntimeError("shoptrace is already registered on this app")
        for key, value in self._options.items():
            app.config.setdefault(key, value)
        for option in OPTIONS:
            app.config.setdefault(option.key, option.default)
        settings = Settings.from_mapping(app.config, instance_path=app.instance_path)
        signing_key = resolve_signing_key(settings)
        store = open_store(settings.database_url)
        if settings.auto_migrate:
            upgrade(store)
        limiter = None
        limits: list[RateLimitItem] = []
        if settings.rate_limit:
            limiter = MovingWindowRateLimiter(storage_from_string(settings.rate_limit_storage_url))
            limits = parse_many(settings.rate_limit)
        app.extensions[EXTENSION_KEY] = ShopTraceState(
            settings=settings,
            store=store,
            signing_key=signing_key,
            limiter=limiter,
            limits=limits,
            public=setup_resolver(app, settings, store, signing_key),
        )
        app.url_map.converters.setdefault("shoptrace_id", IdConverter)
        app.register_blueprint(make_blueprint(), url_prefix=settings.url_prefix + API_PATH)
        app.register_blueprint(
            epcis.make_blueprint(), url_prefix=settings.url_prefix + epcis.EPCIS_PATH
        )
        app.register_blueprint(make_resolver_blueprint(), url_prefix=settings.url_prefix)
        app.cli.add_command(shoptrace_group)


def state_of(app: Flask) -> ShopTraceState:
    """The shoptrace state of ``app`` (KeyError if the extension is not registered)."""
    shop: ShopTraceState = app.extensions[EXTENSION_KEY]
    return shop
