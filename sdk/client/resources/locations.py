"""``client.locations``: names for the places the merchant's events name."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shoptrace.sdk.client.models import Deleted, I18nText, Location
from shoptrace.sdk.client.pagination import Pager, fetch_pages
from shoptrace.sdk.client.resources.base import NOT_GIVEN, NotGiven, Service, body, id_path

__all__ = ["LocationsService"]


def _location(location_id: int) -> str:
    return f"/locations/{id_path(location_id, 'location_id')}"


class LocationsService(Service):
    """Name the places of readPoint and bizLocation, so shoppers see where each step
    happened; a name and address stay private until ``visibility`` makes them public."""

    def create(
        self,
        *,
        place: str,
        name: I18nText,
        address: Mapping[str, Any] | None = None,
        visibility: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Location:
        """Name a place. ``place`` is a GLN (13 digits), an SGLN URN or a Digital Link with
        AI 414; ``name`` is ``{"zh-CN": ..., "en": ...}``; ``address`` is
        ``{"countryCode": "CN", "region": {...}, "city": {...}}``; ``visibility`` maps
        ``name`` and ``address`` to ``public``, ``partner`` or ``private`` (the default)."""
        payload = body(
            {"id": place, "name": name, "address": address, "visibility": visibility},
            extra,
            skip_none=True,
        )
        response = self._post("/locations", payload, idempotency_key)
        return Location.from_json(response.json())

    def get(self, location_id: int) -> Location:
        """One location."""
        return Location.from_json(self._get(_location(location_id)))

    def update(
        self,
        location_id: int,
        *,
        place: str | NotGiven = NOT_GIVEN,
        name: I18nText | NotGiven = NOT_GIVEN,
        address: Mapping[str, Any] | None | NotGiven = NOT_GIVEN,
        visibility: Mapping[str, str] | NotGiven = NOT_GIVEN,
        extra: Mapping[str, Any] | None = None,
    ) -> Location:
        """Change a location: the members given replace the stored ones (None clears the
        address); ``visibility`` is merged field by field."""
        payload = body(
            {"id": place, "name": name, "address": address, "visibility": visibility},
            extra,
            skip_none=False,
        )
        return Location.from_json(self._send("PATCH", _location(location_id), payload).json())

    def delete(self, location_id: int) -> Deleted:
        """Delete a location: its place is unnamed again (events keep their place ids)."""
        return Deleted.from_json(self._delete(_location(location_id)).json())

    def list(
        self,
        *,
        place: str | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> Pager[Location]:
        """The locations, optionally the one of ``place`` (any form ``create`` takes)."""
        return fetch_pages(
            self._transport,
            self._transport.api("/locations"),
            {"place": place, "pageSize": page_size},
            extract=lambda page: page["locations"],
            build=Location.from_json,
            token_param="pageToken",
            start=page_token,
        )
