"""Services of the trace service: plain functions over the store, no Flask.

Each takes a SQLAlchemy ``Connection`` (the caller owns the transaction) and the merchant it
acts for, and raises :class:`~shoptrace.shop_plugin.services.errors.ServiceError` subclasses
the API maps to RFC 7807 problems.
"""

from shoptrace.shop_plugin.services.errors import (
    Conflict,
    FieldError,
    InUse,
    InvalidInput,
    NotFound,
    ServiceError,
    Unavailable,
)

__all__ = [
    "Conflict",
    "FieldError",
    "InUse",
    "InvalidInput",
    "NotFound",
    "ServiceError",
    "Unavailable",
]
