"""``client.upstreams``: upstream EPCIS endpoints the merchant's events are pushed to."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shoptrace.sdk.client.models import Deleted, Upstream
from shoptrace.sdk.client.pagination import Pager, fetch_pages
from shoptrace.sdk.client.resources.base import NOT_GIVEN, NotGiven, Service, body, id_path
from shoptrace.sdk.client.transport import new_idempotency_key

__all__ = ["UpstreamsService"]


def _endpoint(upstream_id: int) -> str:
    return f"/upstreams/{id_path(upstream_id, 'upstream_id')}"


def _auth(value: Any) -> Any:
    """``auth`` as sent: a mapping (its values are never shown, not even in errors)."""
    if value is None or isinstance(value, NotGiven):
        return value
    if not isinstance(value, Mapping):
        raise TypeError(
            'auth must be a mapping such as {"type": "bearer", "token": ...}, '
            f"not {type(value).__name__}"
        )
    return dict(value)


def _seq(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"seq must be a whole number from 0, not {value!r}")
    return value


class UpstreamsService(Service):
    """Register upstream EPCIS endpoints (national or provincial trace platforms,
    marketplaces, partners), follow the state of pushing to each, resume and rewind them.

    ``auth`` is one of ``{"type": "none"}``, ``{"type": "bearer", "token": ...}``,
    ``{"type": "basic", "username": ..., "password": ...}`` or
    ``{"type": "header", "name": "X-API-Key", "value": ...}``. The service stores the
    credential sealed and never returns it; the client never shows it.
    """

    def create(
        self,
        *,
        name: str,
        url: str,
        kind: str | None = None,
        partner: bool | None = None,
        mode: str | None = None,
        auth: Mapping[str, Any] | None = None,
        batch_size: int | None = None,
        enabled: bool | None = None,
        backfill: bool | None = None,
        extra: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Upstream:
        """Register an endpoint; events are pushed to it from now on, all stored ones first
        (``backfill=False`` starts with the next event)."""
        payload = body(
            {
                "name": name,
                "url": url,
                "kind": kind,
                "partner": partner,
                "mode": mode,
                "auth": _auth(auth),
                "batchSize": batch_size,
                "enabled": enabled,
                "backfill": backfill,
            },
            extra,
            skip_none=True,
        )
        response = self._post("/upstreams", payload, idempotency_key)
        return Upstream.from_json(response.json())

    def get(self, upstream_id: int) -> Upstream:
        """One endpoint and its push state: cursor, backlog, tries, last error (never its
        credential)."""
        return Upstream.from_json(self._get(_endpoint(upstream_id)))

    def update(
        self,
        upstream_id: int,
        *,
        name: str | NotGiven = NOT_GIVEN,
        url: str | NotGiven = NOT_GIVEN,
        kind: str | NotGiven = NOT_GIVEN,
        partner: bool | NotGiven = NOT_GIVEN,
        mode: str | NotGiven = NOT_GIVEN,
        auth: Mapping[str, Any] | NotGiven = NOT_GIVEN,
        batch_size: int | NotGiven = NOT_GIVEN,
        enabled: bool | NotGiven = NOT_GIVEN,
        extra: Mapping[str, Any] | None = None,
    ) -> Upstream:
        """Change an endpoint; a new ``url``, ``mode`` or ``auth`` resets the tries and
        resumes a dead endpoint (the cursor stays: :meth:`rewind` to push again)."""
        payload = body(
            {
                "name": name,
                "url": url,
                "kind": kind,
                "partner": partner,
                "mode": mode,
                "auth": _auth(auth),
                "batchSize": batch_size,
                "enabled": enabled,
            },
            extra,
            skip_none=False,
        )
        return Upstream.from_json(self._send("PATCH", _endpoint(upstream_id), payload).json())

    def delete(self, upstream_id: int) -> Deleted:
        """Delete an endpoint (nothing more is pushed to it)."""
        return Deleted.from_json(self._delete(_endpoint(upstream_id)).json())

    def list(
        self, *, page_size: int | None = None, page_token: str | None = None
    ) -> Pager[Upstream]:
        """The merchant's endpoints, each with its push state."""
        return fetch_pages(
            self._transport,
            self._transport.api("/upstreams"),
            {"pageSize": page_size},
            extract=lambda page: page["upstreams"],
            build=Upstream.from_json,
            token_param="pageToken",
            start=page_token,
        )

    def resume(self, upstream_id: int, *, idempotency_key: str | None = None) -> Upstream:
        """Try now: a dead endpoint gets a new round of tries, a retrying one skips the rest
        of its backoff (a disabled one is a ConflictError)."""
        response = self._post(f"{_endpoint(upstream_id)}/resume", None, idempotency_key)
        return Upstream.from_json(response.json())

    def rewind(self, upstream_id: int, seq: int, *, idempotency_key: str | None = None) -> Upstream:
        """Move the cursor to ``seq`` (0: before the merchant's first event): the events
        after it are pushed (again), in order; forward skips events. Resumes a dead
        endpoint."""
        path = f"{_endpoint(upstream_id)}/rewind"
        response = self._transport.request(
            "POST",
            self._transport.api(path),
            params={"seq": _seq(seq)},
            idempotency_key=idempotency_key or new_idempotency_key(),
        )
        return Upstream.from_json(response.json())
