"""The demo shop of issue #9: a small Flask shop selling traceable goods with shoptrace inside.

Run it with ``make run`` (or ``python -m examples.demo_shop`` from the project root); build it
in Python with :func:`create_app`.
"""

from examples.demo_shop.app import create_app

__all__ = ["create_app"]
