"""Locations: a merchant's names for the places its EPCIS events name, per merchant.

Events name places (``readPoint``, ``bizLocation``) by GLN-based ids, which mean nothing to a
shopper and may be trade secrets. A location gives such a place a name in zh-CN and en and an
optional coarse address (country, region, city), each private until the merchant makes it
public in ``visibility``; the public trace shows a place only then (:func:`public_places`).
``placeId`` is the place's id as the event store keeps it (a canonical GS1 Digital Link,
``https://id.gs1.org/414/{gln}[/254/{ext}]``), so a location matches its events exactly.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from shoptrace.sdk.epcis.epc import EPCError, to_canonical_dl
from shoptrace.sdk.gs1 import has_valid_check_digit
from shoptrace.shop_plugin.services.clock import iso, utcnow
from shoptrace.shop_plugin.services.errors import Conflict, FieldError, NotFound
from shoptrace.shop_plugin.services.pagination import Page, fetch_page
from shoptrace.shop_plugin.services.schemas import jsonable, visibility
from shoptrace.shop_plugin.services.validation import (
    INVALID,
    Check,
    Field,
    i18n,
    obj,
    text,
    validate,
)
from shoptrace.shop_plugin.store.tables import locations

__all__ = [
    "LOCATION_VISIBILITY_FIELDS",
    "PlaceIdError",
    "PublicPlace",
    "create_location",
    "delete_location",
    "get_location",
    "list_locations",
    "location_row",
    "place_check",
    "place_id",
    "places_version",
    "public_places",
    "update_location",
]

LOCATION_VISIBILITY_FIELDS = ("name", "address")
"""Fields whose visibility a merchant sets; both private until opened (unlike products)."""

_PRIVATE = "private"
_PUBLIC = "public"
_PLACE_STEM = "https://id.gs1.org/414/"
_GLN = re.compile(r"[0-9]{13}")
_COUNTRY = re.compile(r"[A-Z]{2}")

PublicPlace = dict[str, str]
"""A place as shoppers may see it: ``{"zh-CN": ..., "en": ...}``, one or both."""


class PlaceIdError(ValueError):
    """A value that names no place: ``rule`` is the rule it breaks, ``detail`` says how."""

    def __init__(self, rule: str, detail: str) -> None:
        super().__init__(detail)
        self.rule = rule
        self.detail = detail


def place_id(value: str) -> str:
    """The place id the event store keeps for ``value``: a GLN-13 (the GLN itself, SGLN
    extension 0, which GS1 writes without AI 254), an SGLN URN or a Digital Link with AI 414
    (+ 254). Raises :class:`PlaceIdError` naming the broken rule."""
    value = value.strip()
    if _GLN.fullmatch(value):
        if not has_valid_check_digit(value):
            raise PlaceIdError(
                "check-digit", "the GS1 check digit (last digit) of the GLN is wrong"
            )
        value = _PLACE_STEM + value
    elif not (value.startswith("urn:epc:id:sgln:") or value[:4].lower() == "http"):
        raise PlaceIdError(
            "place-id",
            "must be a GLN (13 digits), an SGLN URN (urn:epc:id:sgln:...) or a GS1 Digital "
            "Link with AI 414",
        )
    try:
        canonical = to_canonical_dl(value)
    except EPCError as exc:
        raise PlaceIdError("place-id", f"not a valid GLN-based place id: {exc}") from None
    if not canonical.startswith(_PLACE_STEM):
        raise PlaceIdError("place-id", "must name a place (a GLN, AI 414), not a product or unit")
    return canonical


_PLACE_TEXT = text(max_length=500)
_COUNTRY_TEXT = text(min_length=2, max_length=2)


def place_check(value: Any, path: str, errors: list[FieldError]) -> Any:
    """``id``: a GLN, SGLN URN or Digital Link, cleaned to the store's place id."""
    value = _PLACE_TEXT(value, path, errors)
    if value is INVALID:
        return INVALID
    try:
        return place_id(value)
    except PlaceIdError as exc:
        errors.append(FieldError(path, exc.rule, exc.detail))
        return INVALID


def _country(value: Any, path: str, errors: list[FieldError]) -> Any:
    """``address.countryCode``: ISO 3166-1 alpha-2, as batches' origins write it."""
    value = _COUNTRY_TEXT(value, path, errors)
    if value is INVALID:
        return INVALID
    if not _COUNTRY.fullmatch(value):
        errors.append(FieldError(path, "iso-3166-alpha-2", "must be two capital letters, e.g. CN"))
        return INVALID
    return value


_ADDRESS = obj(
    {
        "countryCode": Field(_country),
        "region": Field(i18n(max_length=100)),
        "city": Field(i18n(max_length=100)),
    }
)


def _schema(*, partial: bool) -> Check:
    return obj(
        {
            "id": Field(place_check, required=True, nullable=False),
            "name": Field(i18n(max_length=200), required=True, nullable=False),
            "address": Field(_ADDRESS),
            "visibility": Field(visibility(LOCATION_VISIBILITY_FIELDS), nullable=False),
        },
        partial=partial,
    )


_CREATE = _schema(partial=False)
_UPDATE = _schema(partial=True)


def _visibility(stored: dict[str, str] | None) -> dict[str, str]:
    """Every field's visibility: private unless the merchant made it public (or partner)."""
    return {**dict.fromkeys(LOCATION_VISIBILITY_FIELDS, _PRIVATE), **(stored or {})}


def _i18n(zh: str | None, en: str | None) -> dict[str, str] | None:
    texts = {k: v for k, v in (("zh-CN", zh), ("en", en)) if v is not None}
    return texts or None


def render_location(row: Any) -> dict[str, Any]:
    """The API form of a location row."""
    return {
        "id": row.id,
        "placeId": row.place_id,
        "name": _i18n(row.name_zh, row.name_en),
        "address": row.address or None,
        "visibility": _visibility(row.visibility),
        "createdAt": iso(row.created_at),
        "updatedAt": iso(row.updated_at),
    }


_LIVE = locations.c.deleted_at.is_(None)


def location_row(conn: Connection, merchant_id: int, location_id: int) -> Any:
    """The merchant's location row ``location_id``; NotFound for anyone else's, and for a
    deleted one."""
    row = conn.execute(
        sa.select(locations).where(
            locations.c.id == location_id, locations.c.merchant_id == merchant_id, _LIVE
        )
    ).one_or_none()
    if row is None:
        raise NotFound.of("location_id", f"location {location_id} does not exist")
    return row


def _claim(conn: Connection, merchant_id: int, value: str, *, but: int | None = None) -> None:
    """Make way for a location of place ``value``: Conflict when another (live) location
    names it; the row a deleted location of it left is removed."""
    query = sa.select(locations.c.id, locations.c.deleted_at).where(
        locations.c.merchant_id == merchant_id, locations.c.place_id == value
    )
    if but is not None:
        query = query.where(locations.c.id != but)
    taken = conn.execute(query).first()
    if taken is None:
        return
    if taken.deleted_at is None:
        raise Conflict(
            f"place {value} is already registered as location {taken.id}",
            errors=[FieldError("id", "unique", f"location {taken.id} names this place")],
        )
    conn.execute(
        locations.delete().where(locations.c.id == taken.id, locations.c.merchant_id == merchant_id)
    )


def _columns(data: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if "id" in data:
        values["place_id"] = data["id"]
    if "name" in data:
        values["name_zh"], values["name_en"] = data["name"].get("zh-CN"), data["name"].get("en")
    if "address" in data:
        values["address"] = jsonable(data["address"]) or None
    return values


def _conflict(value: str) -> Conflict:
    return Conflict(
        f"place {value} is already registered",
        errors=[FieldError("id", "unique", "another location names this place")],
    )


def create_location(conn: Connection, merchant_id: int, body: Any) -> dict[str, Any]:
    """Validate ``body`` and store a new location; a place is named once per merchant."""
    data = validate(body, _CREATE)
    _claim(conn, merchant_id, data["id"])
    now = utcnow()
    try:
        location_id = conn.execute(
            locations.insert()
            .values(
                merchant_id=merchant_id,
                visibility=data.get("visibility") or {},
                created_at=now,
                updated_at=now,
                **_columns(data),
            )
            .returning(locations.c.id)
        ).scalar_one()
    except IntegrityError:
        raise _conflict(data["id"]) from None
    return get_location(conn, merchant_id, location_id)


def get_location(conn: Connection, merchant_id: int, location_id: int) -> dict[str, Any]:
    """One of the merchant's locations."""
    return render_location(location_row(conn, merchant_id, location_id))


def list_locations(
    conn: Connection,
    merchant_id: int,
    *,
    after: int = 0,
    limit: int = 50,
    place: str | None = None,
) -> Page:
    """The merchant's locations in id order, optionally the one of a place id."""
    query = sa.select(locations).where(locations.c.merchant_id == merchant_id, _LIVE)
    if place is not None:
        query = query.where(locations.c.place_id == place)
    return fetch_page(conn, query, locations.c.id, after=after, limit=limit, render=render_location)


def update_location(
    conn: Connection, merchant_id: int, location_id: int, body: Any
) -> dict[str, Any]:
    """Change the members given in ``body`` (``id`` too: the place a name belongs to)."""
    data = validate(body, _UPDATE)
    row = location_row(conn, merchant_id, location_id)
    if "id" in data:
        _claim(conn, merchant_id, data["id"], but=location_id)
    values = _columns(data)
    if "visibility" in data:
        values["visibility"] = {**(row.visibility or {}), **data["visibility"]}
    # Always stamped, even when nothing changed: the resolver's validator reads updated_at.
    try:
        conn.execute(
            locations.update()
            .where(locations.c.id == location_id, locations.c.merchant_id == merchant_id)
            .values(updated_at=utcnow(), **values)
        )
    except IntegrityError:
        raise _conflict(data["id"]) from None
    return get_location(conn, merchant_id, location_id)


def delete_location(conn: Connection, merchant_id: int, location_id: int) -> dict[str, Any]:
    """Remove a location: its place is unnamed again (events keep their place ids). Its
    names and address are erased; the row stays, stamped, so the newest change of the
    merchant's places moves (see :func:`places_version`) until the place is named again."""
    location_row(conn, merchant_id, location_id)
    now = utcnow()
    conn.execute(
        locations.update()
        .where(locations.c.id == location_id, locations.c.merchant_id == merchant_id)
        .values(
            name_zh=None,
            name_en=None,
            address=None,
            visibility={},
            updated_at=now,
            deleted_at=now,
        )
    )
    return {"id": location_id, "deleted": True}


# --- public trace ----------------------------------------------------------------------------


def _pick(texts: Any, lang: str) -> str | None:
    if not isinstance(texts, dict):
        return None
    for key in (lang, "en" if lang == "zh-CN" else "zh-CN"):
        value = texts.get(key)
        if isinstance(value, str) and value.strip():
            return value
    return None


def _shown(row: Any, lang: str) -> str | None:
    """The place as shoppers see it in ``lang``: its public name, ", city" when the address
    is public too; None when the name is not public."""
    seen = _visibility(row.visibility)
    if seen["name"] != _PUBLIC:
        return None
    name = _pick(_i18n(row.name_zh, row.name_en), lang)
    if name is None:
        return None
    if seen["address"] == _PUBLIC and isinstance(row.address, dict):
        city = _pick(row.address.get("city"), lang)
        if city and city != name:
            return f"{name}，{city}" if lang == "zh-CN" else f"{name}, {city}"
    return name


def public_places(
    conn: Connection, merchant_id: int, place_ids: Iterable[str | None]
) -> dict[str, PublicPlace]:
    """The public names (zh-CN and en) of those of ``place_ids`` the merchant named and made
    public, in one query; places without a public name are left out."""
    wanted = sorted({p for p in place_ids if p})
    if not wanted:
        return {}
    rows = conn.execute(
        sa.select(
            locations.c.place_id,
            locations.c.name_zh,
            locations.c.name_en,
            locations.c.address,
            locations.c.visibility,
        ).where(locations.c.merchant_id == merchant_id, locations.c.place_id.in_(wanted), _LIVE)
    ).all()
    found: dict[str, PublicPlace] = {}
    for row in rows:
        shown = {lang: _shown(row, lang) for lang in ("zh-CN", "en")}
        texts = {lang: value for lang, value in shown.items() if value}
        if texts:
            found[row.place_id] = texts
    return found


def places_version(merchant_id_column: Any) -> Any:
    """A correlated scalar subquery: the newest ``updated_at`` of the merchant's location
    rows, deleted ones included. Every create, change and delete stamps a row with the time,
    so a resolver validator that includes it never serves stale place names; it costs one
    index lookup (``merchant_id, updated_at``) whatever the number of places."""
    return (
        sa.select(sa.func.max(locations.c.updated_at))
        .where(locations.c.merchant_id == merchant_id_column)
        .scalar_subquery()
        .label("places_updated")
    )
