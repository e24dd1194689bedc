"""Helpers of the shop plugin tests: an API client bound to a merchant, app and row helpers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from shoptrace.shop_plugin import create_app
from shoptrace.shop_plugin.services.merchants import create_merchant

SIGNING_KEY = "test-signing-key-0123456789-abcdefghijklmnop"
API = "/trace/api/v1"
GTIN = "09506000134352"
GTIN2 = "09506000134369"


def make_app(db_url: str, instance: Path, **config: Any) -> Flask:
    settings: dict[str, Any] = {
        "TESTING": True,
        "SHOPTRACE_DATABASE_URL": db_url,
        "SHOPTRACE_SIGNING_KEY": SIGNING_KEY,
        "SHOPTRACE_JOB_RUNNER": "external",
        "SHOPTRACE_OUTBOX_RUNNER": "off",
        "SHOPTRACE_SYNC_RUNNER": "off",
        "SHOPTRACE_RATE_LIMIT": "",
        "SHOPTRACE_PUBLIC_BASE_URL": "https://shop.example.com/trace",
    }
    settings.update(config)
    return create_app(instance_path=instance, **settings)


class Api:
    """A test client bound to one merchant's API key and the API root."""

    def __init__(self, client: FlaskClient, key: str, merchant_id: int) -> None:
        self.client = client
        self.key = key
        self.merchant_id = merchant_id

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}", **(extra or {})}

    @staticmethod
    def url(path: str) -> str:
        """``path`` under the API root, unless it already is a full path (a Location)."""
        return path if path.startswith(API + "/") else API + path

    def get(self, path: str, **kwargs: Any) -> Any:
        headers = self.headers(kwargs.pop("headers", None))
        return self.client.get(self.url(path), headers=headers, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        headers = self.headers(kwargs.pop("headers", None))
        return self.client.post(self.url(path), json=body, headers=headers, **kwargs)

    def patch(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        headers = self.headers(kwargs.pop("headers", None))
        return self.client.patch(self.url(path), json=body, headers=headers, **kwargs)

    def product(self, gtin: str = GTIN, **fields: Any) -> dict[str, Any]:
        body = {
            "gtin": gtin,
            "name": {"zh-CN": "有机苹果", "en": "Organic apples"},
            "category": "food",
        }
        body.update(fields)
        response = self.post("/products", body)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def batch(self, product_id: int, lot: str = "LOT42", **fields: Any) -> dict[str, Any]:
        body = {"productId": product_id, "lot": lot, **fields}
        response = self.post("/batches", body)
        assert response.status_code == 201, response.get_json()
        return response.get_json()


def add_merchant(app: Flask, name: str) -> tuple[int, str]:
    with app.extensions["shoptrace"].store.begin() as conn:
        merchant, key = create_merchant(conn, name)
    return merchant["id"], key


def count_rows(app: Flask, table: sa.Table) -> int:
    with app.extensions["shoptrace"].store.read() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
