"""Places: the names (and coarse addresses) of the places the merchant's events record,
listed, created, edited and deleted; shoppers see a name only once it is made public."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from shoptrace.shop_plugin.admin.forms import FormErrors, errors_of, location_body
from shoptrace.shop_plugin.admin.support import (
    go,
    lang,
    merchant_id,
    other_link,
    page_after,
    reading,
    render,
    writing,
)
from shoptrace.shop_plugin.services import locations
from shoptrace.shop_plugin.services.errors import Conflict, InvalidInput
from shoptrace.shop_plugin.services.schemas import VISIBILITY_LEVELS

__all__ = ["register"]

PAGE = 50
_PRIVATE = dict.fromkeys(locations.LOCATION_VISIBILITY_FIELDS, "private")


def location_list() -> Response:
    with reading() as conn:
        page = locations.list_locations(conn, merchant_id(), after=page_after(), limit=PAGE)
    return render("locations.html", locations=page.items, next_token=page.next_token)


def _form(
    data: dict[str, Any], *, location: dict[str, Any] | None, errors: FormErrors, status: int = 200
) -> Response:
    switch = None
    if request.method == "POST":
        switch = (
            other_link(".new_location")
            if location is None
            else other_link(".edit_location", location_id=location["id"])
        )
    return render(
        "location_form.html",
        status=status,
        switch=switch,
        data=data,
        location=location,
        errors=errors,
        visibility={**_PRIVATE, **(data.get("visibility") or {})},
        visibility_levels=VISIBILITY_LEVELS,
    )


def new_location() -> Response:
    if request.method == "GET":
        return _form({}, location=None, errors=FormErrors(lang=lang()))
    body = location_body(request.form, create=True)
    try:
        with writing() as conn:
            locations.create_location(conn, merchant_id(), body)
    except (InvalidInput, Conflict) as exc:
        return _form(body, location=None, errors=errors_of(exc, lang()), status=exc.status)
    return go(".locations", notice="created")


def edit_location(location_id: int) -> Response:
    owner = merchant_id()
    with reading() as conn:
        found = locations.get_location(conn, owner, location_id)
    if request.method == "GET":
        return _form(
            {**found, "id": found["placeId"]}, location=found, errors=FormErrors(lang=lang())
        )
    body = location_body(request.form, create=False)
    try:
        with writing() as conn:
            locations.update_location(conn, owner, location_id, body)
    except (InvalidInput, Conflict) as exc:
        shown = {**found, **body}
        return _form(shown, location=found, errors=errors_of(exc, lang()), status=exc.status)
    return go(".locations", notice="saved")


def delete_location(location_id: int) -> Response:
    with writing() as conn:
        locations.delete_location(conn, merchant_id(), location_id)
    return go(".locations", notice="deleted")


def register(bp: Blueprint) -> None:
    """Add the place pages."""
    one = "/locations/<shoptrace_id:location_id>"
    bp.add_url_rule("/locations", "locations", location_list, methods=["GET"])
    bp.add_url_rule("/locations/new", "new_location", new_location, methods=["GET", "POST"])
    bp.add_url_rule(one + "/edit", "edit_location", edit_location, methods=["GET", "POST"])
    bp.add_url_rule(one + "/delete", "delete_location", delete_location, methods=["POST"])
