"""``client.locations``: the requests each method sends and the typed results it returns."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import responses
from responses import matchers

from shoptrace.sdk.client import Location, TraceClient
from shoptrace.sdk.client.errors import ConflictError, ValidationError
from tests.sdk.client import payloads
from tests.sdk.client.conftest import API

PLACE = "https://id.gs1.org/414/9506000000022"


def _location(id_: int = 3, **extra: Any) -> dict[str, Any]:
    return {
        "id": id_,
        "placeId": PLACE,
        "name": {"zh-CN": "西湖门店", "en": "West Lake store"},
        "address": {"countryCode": "CN", "region": None, "city": {"en": "Hangzhou"}},
        "visibility": {"name": "public", "address": "private"},
        "createdAt": payloads.STAMP,
        "updatedAt": payloads.STAMP,
        **extra,
    }


def test_create_sends_the_members_given_with_an_idempotency_key(
    client: TraceClient, mocked: responses.RequestsMock
) -> None:
    mocked.post(
        API + "/locations",
        json=_location(),
        status=201,
        match=[
            matchers.json_params_matcher(
                {
                    "id": "9506000000022",
                    "name": {"en": "West Lake store"},
                    "visibility": {"name": "public"},
                }
            )
        ],
    )
    made = client.locations.create(
        place="9506000000022", name={"en": "West Lake store"}, visibility={"name": "public"}
    )
    assert isinstance(made, Location)
    assert made.id == 3 and made.place_id == PLACE
    assert made.name == {"zh-CN": "西湖门店", "en": "West Lake store"}
    assert made.address is not None and made.address.country_code == "CN"
    assert made.address.city == {"en": "Hangzhou"} and made.address.region is None
    assert made.visibility["address"] == "private"
    assert made.created_at == datetime(2024, 5, 1, 10, tzinfo=UTC)
    assert mocked.calls[0].request.headers["Idempotency-Key"]


def test_get_update_delete_and_list(client: TraceClient, mocked: responses.RequestsMock) -> None:
    mocked.get(API + "/locations/3", json=_location())
    mocked.patch(
        API + "/locations/3",
        json=_location(address=None),
        match=[matchers.json_params_matcher({"address": None, "visibility": {"name": "private"}})],
    )
    mocked.delete(API + "/locations/3", json={"id": 3, "deleted": True})
    mocked.get(
        API + "/locations",
        json={"locations": [_location(3)], "nextPageToken": "t2"},
        match=[matchers.query_param_matcher({"place": "9506000000022", "pageSize": "1"})],
    )
    mocked.get(
        API + "/locations",
        json={"locations": [_location(4)], "nextPageToken": None},
        match=[
            matchers.query_param_matcher(
                {"place": "9506000000022", "pageSize": "1", "pageToken": "t2"}
            )
        ],
    )
    assert client.locations.get(3).place_id == PLACE
    changed = client.locations.update(3, address=None, visibility={"name": "private"})
    assert changed.address is None
    gone = client.locations.delete(3)
    assert gone.id == 3 and gone.deleted
    found = list(client.locations.list(place="9506000000022", page_size=1))
    assert [loc.id for loc in found] == [3, 4]


def test_problems_become_typed_errors(client: TraceClient, mocked: responses.RequestsMock) -> None:
    problem = {
        "type": "about:blank",
        "title": "Conflict",
        "status": 409,
        "detail": "place is already registered",
        "errors": [{"field": "id", "rule": "unique", "detail": "location 3 names this place"}],
    }
    mocked.post(
        API + "/locations", json=problem, status=409, content_type="application/problem+json"
    )
    bad = {**problem, "status": 422, "title": "Invalid input"}
    bad["errors"] = [{"field": "id", "rule": "check-digit", "detail": "wrong"}]
    mocked.patch(
        API + "/locations/3", json=bad, status=422, content_type="application/problem+json"
    )
    with pytest.raises(ConflictError) as conflict:
        client.locations.create(place=PLACE, name={"en": "Again"}, idempotency_key="loc-1")
    assert conflict.value.status == 409
    assert [(e.field, e.rule) for e in conflict.value.errors] == [("id", "unique")]
    posts = [c.request for c in mocked.calls if c.request.method == "POST"]
    assert {p.headers["Idempotency-Key"] for p in posts} == {"loc-1"}  # retries keep the key
    with pytest.raises(ValidationError) as invalid:
        client.locations.update(3, place="9506000000023")
    assert invalid.value.status == 422
    assert [(e.field, e.rule) for e in invalid.value.errors] == [("id", "check-digit")]
    patches = [c.request for c in mocked.calls if c.request.method == "PATCH"]
    assert len(patches) == 1  # a 422 is not retried


def test_ids_are_checked_before_sending(
    client: TraceClient, mocked: responses.RequestsMock
) -> None:
    with pytest.raises((TypeError, ValueError)):
        client.locations.get(0)
    assert len(mocked.calls) == 0
