"""``client.categories``: the catalogue classes and the trace data each requires."""

from __future__ import annotations

import builtins

from shoptrace.sdk.client.models import Category
from shoptrace.sdk.client.resources.base import Service

__all__ = ["CategoriesService"]


class CategoriesService(Service):
    """The national important-product classes a product's ``category`` is one of."""

    def list(self) -> builtins.list[Category]:
        """Every class, with its names and requirements."""
        return [Category.from_json(item) for item in self._get("/categories")["categories"]]
