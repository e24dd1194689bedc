"""``client.upstreams``: the request each method sends and the typed result it builds."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, cast

import pytest
import responses
from responses import matchers

from shoptrace.sdk.client import (
    NOT_GIVEN,
    ConflictError,
    Deleted,
    NotFoundError,
    TraceClient,
    ValidationError,
)
from shoptrace.sdk.client.models import Upstream, UpstreamAuth, UpstreamStatus
from tests.sdk.client import payloads
from tests.sdk.client.conftest import API

JSON = matchers.json_params_matcher
QUERY = matchers.query_param_matcher
PROBLEM = "application/problem+json"
TOKEN = "tok_" + "T" * 40
EPCIS_URL = "https://epcis.example.gov.cn/epcis"


def _upstream(**extra: Any) -> dict[str, Any]:
    return {
        "id": 3,
        "name": "Province",
        "url": EPCIS_URL,
        "kind": "provincial",
        "partner": False,
        "mode": "capture",
        "auth": {"type": "bearer", "header": None, "readable": True},
        "batchSize": 100,
        "enabled": True,
        "status": {
            "state": "pending",
            "pushedSeq": 0,
            "headSeq": 5,
            "backlog": 5,
            "attempts": 0,
            "nextAttemptAt": payloads.STAMP,
            "lastAttemptAt": None,
            "lastStatus": None,
            "lastError": None,
            "lastSuccessAt": None,
            "deadAt": None,
            "pulledUntil": None,
        },
        "createdAt": payloads.STAMP,
        "updatedAt": payloads.STAMP,
        **extra,
    }


def _problem(status: int, detail: str, errors: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "type": "about:blank",
        "title": "Problem",
        "status": status,
        "detail": detail,
        "errors": errors,
    }


def test_create_sends_the_members_given_and_keeps_the_credential_out_of_sight(
    client: TraceClient, mocked: responses.RequestsMock
) -> None:
    mocked.post(
        API + "/upstreams",
        status=201,
        json=_upstream(),
        headers={"Location": "/trace/api/v1/upstreams/3"},
        match=[
            JSON(
                {
                    "name": "Province",
                    "url": EPCIS_URL,
                    "kind": "provincial",
                    "auth": {"type": "bearer", "token": TOKEN},
                    "batchSize": 100,
                    "backfill": False,
                    "extraField": 1,
                }
            )
        ],
    )
    made = client.upstreams.create(
        name="Province",
        url=EPCIS_URL,
        kind="provincial",
        auth={"type": "bearer", "token": TOKEN},
        batch_size=100,
        backfill=False,
        extra={"extraField": 1},
    )
    assert (made.id, made.name, made.url, made.kind, made.mode) == (
        3,
        "Province",
        EPCIS_URL,
        "provincial",
        "capture",
    )
    assert (made.partner, made.enabled, made.batch_size) == (False, True, 100)
    assert made.auth == UpstreamAuth.from_json({"type": "bearer", "header": None, "readable": True})
    assert (made.auth.type, made.auth.header, made.auth.readable) == ("bearer", None, True)
    status = made.status
    assert (status.state, status.pushed_seq, status.head_seq, status.backlog) == (
        "pending",
        0,
        5,
        5,
    )
    assert status.next_attempt_at == datetime(2024, 5, 1, 10, tzinfo=UTC)
    assert status.last_error is None and status.dead_at is None
    assert made.created_at == datetime(2024, 5, 1, 10, tzinfo=UTC)
    assert made["auth"]["type"] == "bearer"  # the JSON as received is kept
    request = mocked.calls[0].request
    assert request.headers["Idempotency-Key"]
    assert request.headers["Content-Type"] == "application/json"
    for shown in (repr(made), repr(client.upstreams), repr(client)):
        assert TOKEN not in shown


def test_create_leaves_out_the_members_not_given_and_takes_a_key(
    client: TraceClient, mocked: responses.RequestsMock
) -> None:
    mocked.post(
        API + "/upstreams",
        status=201,
        json=_upstream(auth={"type": "none", "header": None, "readable": True}),
        match=[JSON({"name": "Partner", "url": EPCIS_URL})],
    )
    made = client.upstreams.create(name="Partner", url=EPCIS_URL, idempotency_key="up-1")
    assert made.auth.type == "none"
    assert mocked.calls[0].request.headers["Idempotency-Key"] == "up-1"


def test_get_update_delete(client: TraceClient, mocked: responses.RequestsMock) -> None:
    mocked.get(API + "/upstreams/3", json=_upstream())
    mocked.patch(
        API + "/upstreams/3",
        json=_upstream(
            name="Province 2",
            batchSize=50,
            enabled=False,
            auth={"type": "header", "header": "X-API-Key", "readable": True},
        ),
        match=[
            JSON(
                {
                    "name": "Province 2",
                    "batchSize": 50,
                    "enabled": False,
                    "auth": {"type": "header", "name": "X-API-Key", "value": TOKEN},
                    "extraField": True,
                }
            )
        ],
    )
    mocked.delete(API + "/upstreams/3", json={"id": 3, "deleted": True})
    ups = client.upstreams
    assert ups.get(3) == Upstream.from_json(_upstream())
    changed = ups.update(
        3,
        name="Province 2",
        url=NOT_GIVEN,
        batch_size=50,
        enabled=False,
        auth={"type": "header", "name": "X-API-Key", "value": TOKEN},
        extra={"extraField": True},
    )
    assert (changed.name, changed.batch_size, changed.enabled) == ("Province 2", 50, False)
    assert (changed.auth.type, changed.auth.header) == ("header", "X-API-Key")
    assert TOKEN not in repr(changed)
    deleted = ups.delete(3)
    assert isinstance(deleted, Deleted) and (deleted.id, deleted.deleted) == (3, True)
    assert [c.request.method for c in mocked.calls] == ["GET", "PATCH", "DELETE"]
    assert ["Idempotency-Key" in c.request.headers for c in mocked.calls] == [False, False, True]


def test_list_follows_the_pages(client: TraceClient, mocked: responses.RequestsMock) -> None:
    mocked.get(
        API + "/upstreams",
        json={"upstreams": [_upstream()], "nextPageToken": "n1"},
        match=[QUERY({"pageSize": "1"})],
    )
    mocked.get(
        API + "/upstreams",
        json={"upstreams": [_upstream(id=4, name="Market")], "nextPageToken": None},
        match=[QUERY({"pageSize": "1", "pageToken": "n1"})],
    )
    found = client.upstreams.list(page_size=1)
    assert [(u.id, u.name) for u in found] == [(3, "Province"), (4, "Market")]


def test_list_resumes_from_a_page_token(
    client: TraceClient, mocked: responses.RequestsMock
) -> None:
    mocked.get(
        API + "/upstreams",
        json={"upstreams": [], "nextPageToken": None},
        match=[QUERY({"pageToken": "n7"})],
    )
    page = client.upstreams.list(page_token="n7").first_page()
    assert (page.items, page.next_page_token) == ([], None)


def test_resume_and_rewind(client: TraceClient, mocked: responses.RequestsMock) -> None:
    due = {**_upstream()["status"], "state": "pending", "attempts": 0}
    mocked.post(API + "/upstreams/3/resume", json=_upstream(status=due))
    mocked.post(
        API + "/upstreams/3/rewind",
        json=_upstream(status={**due, "pushedSeq": 2, "backlog": 3}),
        match=[QUERY({"seq": "2"})],
    )
    mocked.post(
        API + "/upstreams/3/rewind",
        json=_upstream(status={**due, "pushedSeq": 0, "backlog": 5}),
        match=[QUERY({"seq": "0"})],
    )
    ups = client.upstreams
    assert ups.resume(3, idempotency_key="resume-3").status.state == "pending"
    rewound = ups.rewind(3, 2)
    assert (rewound.status.pushed_seq, rewound.status.backlog) == (2, 3)
    assert ups.rewind(3, seq=0).status.pushed_seq == 0
    assert mocked.calls[0].request.headers["Idempotency-Key"] == "resume-3"
    for call in mocked.calls:
        assert call.request.body is None  # neither sends a body
        assert call.request.headers["Idempotency-Key"]


def test_wrong_arguments_fail_before_any_request(client: TraceClient) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        ups = client.upstreams
        for bad_id in (0, -1, True, "3", None):
            with pytest.raises(ValueError, match="upstream_id"):
                ups.get(bad_id)  # type: ignore[arg-type]
        for bad_seq in (-1, True, 1.5, "2"):
            with pytest.raises(ValueError, match="seq"):
                ups.rewind(3, bad_seq)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="auth must be a mapping") as caught:
            ups.create(name="x", url=EPCIS_URL, auth=f"Bearer {TOKEN}")  # type: ignore[arg-type]
        assert TOKEN not in str(caught.value)
        with pytest.raises(ValueError, match="upstream_id"):
            ups.update(0, enabled=True)
        assert not mock.calls


def test_errors_are_mapped_and_never_show_the_credential(
    client: TraceClient, mocked: responses.RequestsMock
) -> None:
    mocked.post(
        API + "/upstreams",
        status=422,
        content_type=PROBLEM,
        json=_problem(
            422,
            "the request body breaks 1 rule",
            [
                {
                    "field": "auth.token",
                    "rule": "characters",
                    "detail": "must be printable ASCII without spaces (as a header takes it)",
                }
            ],
        ),
    )
    mocked.get(
        API + "/upstreams/9",
        status=404,
        content_type=PROBLEM,
        json=_problem(
            404,
            "upstream endpoint 9 does not exist",
            [{"field": "upstream_id", "rule": "not-found", "detail": "no such endpoint"}],
        ),
    )
    mocked.post(
        API + "/upstreams/3/resume",
        status=409,
        content_type=PROBLEM,
        json=_problem(
            409,
            "upstream endpoint 3 is disabled; enable it first",
            [{"field": "upstream_id", "rule": "disabled", "detail": "the endpoint is disabled"}],
        ),
    )
    secret = "bad token " + TOKEN
    with pytest.raises(ValidationError) as invalid:
        client.upstreams.create(
            name="Province", url=EPCIS_URL, auth={"type": "bearer", "token": secret}
        )
    assert invalid.value.status == 422 and invalid.value.errors[0].field == "auth.token"
    for shown in (str(invalid.value), repr(invalid.value), repr(invalid.value.__dict__)):
        assert TOKEN not in shown
    assert (
        json.loads(cast(bytes, mocked.calls[0].request.body))["auth"]["token"] == secret
    )  # it was sent
    with pytest.raises(NotFoundError) as missing:
        client.upstreams.get(9)
    assert missing.value.errors[0].rule == "not-found"
    with pytest.raises(ConflictError) as clash:
        client.upstreams.resume(3)
    assert clash.value.errors[0].rule == "disabled"
    assert len(mocked.calls) == 3  # none of them retried


def test_a_lost_answer_is_retried_with_the_same_key(
    client: TraceClient, mocked: responses.RequestsMock, sleeps: list[float]
) -> None:
    mocked.post(API + "/upstreams/3/rewind", status=502, match=[QUERY({"seq": "1"})])
    mocked.post(API + "/upstreams/3/rewind", json=_upstream(), match=[QUERY({"seq": "1"})])
    assert client.upstreams.rewind(3, 1).id == 3
    keys = {c.request.headers["Idempotency-Key"] for c in mocked.calls}
    assert len(mocked.calls) == 2 and len(keys) == 1 and sleeps == [0.5]


def test_results_tolerate_missing_and_unknown_members() -> None:
    bare = Upstream.from_json({"id": 3, "futureField": [1]})
    assert bare["futureField"] == [1]
    assert (bare.name, bare.auth.type, bare.auth.readable, bare.status.state) == (
        "",
        "",
        True,
        "",
    )
    assert bare.status == UpstreamStatus.from_json({})
    odd = Upstream.from_json({"id": "3", "auth": "bearer", "status": [], "batchSize": True})
    assert (odd.id, odd.auth.type, odd.batch_size, odd.status.backlog) == (0, "", 0, 0)
    unreadable = UpstreamAuth.from_json({"type": "basic", "readable": False})
    assert unreadable.readable is False
