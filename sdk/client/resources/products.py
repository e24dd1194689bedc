"""``client.products``: the merchant's products (GTINs) and their trace completeness."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from shoptrace.sdk.client.models import Deleted, I18nText, Product, ProductCompleteness
from shoptrace.sdk.client.pagination import Pager, fetch_pages
from shoptrace.sdk.client.resources.base import NOT_GIVEN, NotGiven, Service, body, id_path

__all__ = ["ProductsService"]


class ProductsService(Service):
    """Create, read, change, list and delete products."""

    def create(
        self,
        *,
        gtin: str,
        name: I18nText,
        category: str,
        description: I18nText | None = None,
        listing_url: str | None = None,
        shop_product_id: str | None = None,
        certifications: Sequence[Mapping[str, Any]] | None = None,
        visibility: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Product:
        """Register a product. ``name`` and ``description`` are ``{"zh-CN": ..., "en": ...}``;
        ``category`` a catalogue class code (see ``client.categories.list()``);
        ``certifications`` items and ``extra`` members are written as the API names them."""
        payload = body(
            {
                "gtin": gtin,
                "name": name,
                "category": category,
                "description": description,
                "listingUrl": listing_url,
                "shopProductId": shop_product_id,
                "certifications": certifications,
                "visibility": visibility,
            },
            extra,
            skip_none=True,
        )
        response = self._post("/products", payload, idempotency_key)
        return Product.from_json(response.json())

    def get(self, product_id: int) -> Product:
        """One product."""
        return Product.from_json(self._get(f"/products/{id_path(product_id, 'product_id')}"))

    def update(
        self,
        product_id: int,
        *,
        name: I18nText | NotGiven = NOT_GIVEN,
        category: str | NotGiven = NOT_GIVEN,
        description: I18nText | None | NotGiven = NOT_GIVEN,
        listing_url: str | None | NotGiven = NOT_GIVEN,
        shop_product_id: str | None | NotGiven = NOT_GIVEN,
        certifications: Sequence[Mapping[str, Any]] | NotGiven = NOT_GIVEN,
        visibility: Mapping[str, str] | NotGiven = NOT_GIVEN,
        extra: Mapping[str, Any] | None = None,
    ) -> Product:
        """Change a product: the members given replace the stored ones (None clears one);
        the GTIN is fixed."""
        payload = body(
            {
                "name": name,
                "category": category,
                "description": description,
                "listingUrl": listing_url,
                "shopProductId": shop_product_id,
                "certifications": certifications,
                "visibility": visibility,
            },
            extra,
            skip_none=False,
        )
        path = f"/products/{id_path(product_id, 'product_id')}"
        return Product.from_json(self._send("PATCH", path, payload).json())

    def delete(self, product_id: int) -> Deleted:
        """Delete a product nothing refers to (one registered with a wrong GTIN). A product
        with lots, order lines, recalls or events is kept: ``ConflictError`` whose errors
        (rule ``in-use``) name what refers to it (``lots``, ``orderLines``, ...)."""
        path = f"/products/{id_path(product_id, 'product_id')}"
        return Deleted.from_json(self._delete(path).json())

    def list(
        self,
        *,
        gtin: str | None = None,
        category: str | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> Pager[Product]:
        """The products, optionally of one GTIN or class; iterating follows every page."""
        return fetch_pages(
            self._transport,
            self._transport.api("/products"),
            {"gtin": gtin, "category": category, "pageSize": page_size},
            extract=lambda page: page["products"],
            build=Product.from_json,
            token_param="pageToken",
            start=page_token,
        )

    def completeness(self, product_id: int) -> ProductCompleteness:
        """The trace data the product's class requires that it and its batches lack."""
        path = f"/products/{id_path(product_id, 'product_id')}/completeness"
        return ProductCompleteness.from_json(self._get(path))
