"""The standalone trace service: ``create_app(**config)``, what ``shoptrace serve`` runs."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

from shoptrace.shop_plugin.config import from_environ
from shoptrace.shop_plugin.extension import ShopTrace

__all__ = ["create_app", "default_instance_path"]


def default_instance_path() -> str:
    """``$SHOPTRACE_INSTANCE_PATH``, else ``./instance`` under the working directory."""
    return str(Path(os.environ.get("SHOPTRACE_INSTANCE_PATH") or "instance").resolve())


def create_app(instance_path: str | os.PathLike[str] | None = None, **config: Any) -> Flask:
    """Build the standalone service.

    Settings come from ``SHOPTRACE_*`` environment variables, then ``config`` (which wins;
    any Flask key may be given too). The instance folder holds the embedded SQLite database
    and, when no ``SHOPTRACE_SIGNING_KEY`` is set, the generated signing key.
    """
    here = os.path.dirname(os.path.abspath(__file__))
    instance = str(Path(instance_path).resolve()) if instance_path else default_instance_path()
    # An explicit root and instance path: in an editable install Flask cannot find the
    # package folder of the namespace package (StopIteration in _find_package_path).
    app = Flask("shoptrace.shop_plugin", root_path=here, instance_path=instance)
    app.config.update(from_environ())
    app.config.update(config)
    ShopTrace(app)
    return app
