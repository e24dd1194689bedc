"""Merchant API: the catalogue classes and the trace data each requires."""

from __future__ import annotations

from flask import Blueprint
from sqlalchemy.engine import Connection

from shoptrace.shop_plugin.api.support import Answer, read_route
from shoptrace.shop_plugin.services.catalogue import CATEGORIES, REQUIREMENTS

__all__ = ["register"]


@read_route
def list_categories(conn: Connection) -> Answer:
    listed = [
        {
            "code": c.code,
            "name": {"en": c.en, "zh-CN": c.zh},
            "mandatory": c.mandatory,
            "requirements": [
                {"field": r.field, "level": r.level, "label": {"en": r.en, "zh-CN": r.zh}}
                for r in REQUIREMENTS[c.code]
            ],
        }
        for c in CATEGORIES
    ]
    return {"categories": listed}, 200, {}


def register(bp: Blueprint) -> None:
    """Add the catalogue route to the API blueprint."""
    bp.add_url_rule("/categories", view_func=list_categories, methods=["GET"])
