"""Pulling from a registered endpoint's query interface with its credential, from where
the last pull ended."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shoptrace.shop_plugin.services.epcis_exchange import PULL_OVERLAP, PullReport, pull_events
from shoptrace.shop_plugin.services.errors import Conflict, FieldError
from shoptrace.shop_plugin.services.upstream.credentials import CredentialError, _credential_headers
from shoptrace.shop_plugin.services.upstream.rendering import _endpoint_row, _mine
from shoptrace.shop_plugin.store.engine import Store
from shoptrace.shop_plugin.store.tables import upstream_endpoints


def endpoint_credentials(
    conn: Connection, merchant_id: int, endpoint_id: int, signing_key: str
) -> tuple[str, dict[str, str], datetime | None]:
    """URL, authentication headers and ``pulled_until`` of an endpoint (for a pull).
    Raises NotFound, and Conflict when its credential does not open."""
    row = _endpoint_row(conn, merchant_id, endpoint_id)
    try:
        headers = _credential_headers(signing_key, row)
    except CredentialError as exc:
        raise Conflict(
            str(exc), errors=[FieldError("auth", "unreadable", "set the credential again")]
        ) from None
    return row.url, headers, row.pulled_until


def pull_endpoint(
    store: Store,
    merchant_id: int,
    endpoint_id: int,
    signing_key: str,
    *,
    since: datetime | None = None,
    **options: Any,
) -> PullReport:
    """Pull from a registered endpoint's query interface (``GET {url}/events``) with its
    credential, from ``since`` or else from where the last pull ended (less
    :data:`~.epcis_exchange.PULL_OVERLAP`); the endpoint keeps how far it got."""
    with store.read() as conn:
        address, headers, until = endpoint_credentials(conn, merchant_id, endpoint_id, signing_key)
    start = since if since is not None else (until - PULL_OVERLAP if until is not None else None)

    def keep(conn: Connection, reached: datetime | None) -> None:
        if reached is None:
            return
        current = upstream_endpoints.c.pulled_until
        conn.execute(
            upstream_endpoints.update()
            .where(
                _mine(merchant_id, endpoint_id),
                sa.or_(current.is_(None), current < reached),
            )
            .values(pulled_until=reached)
        )

    return pull_events(
        store, merchant_id, url=address, headers=headers, since=start, on_page=keep, **options
    )
