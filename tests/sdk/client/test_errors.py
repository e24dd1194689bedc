"""Errors mapped from problem+json: one class per status, each with status, problem,
headers and request id."""

from __future__ import annotations

import builtins
from typing import Any

import pytest
import requests
import responses

from shoptrace.sdk.client import (
    APIConnectionError,
    APIError,
    AuthenticationError,
    ConflictError,
    FieldError,
    NotFoundError,
    PermissionDeniedError,
    PermissionError,
    RateLimitError,
    TraceClient,
    ValidationError,
)
from shoptrace.sdk.client.errors import error_for
from shoptrace.sdk.errors import ShoptraceError
from tests.sdk.client import payloads
from tests.sdk.client.conftest import API, BASE, EPCIS, KEY

PROBLEM = "application/problem+json"


def _problem(status: int, detail: str, errors: list[dict[str, str]] | None = None) -> Any:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": "Title",
        "status": status,
        "detail": detail,
        "instance": "/trace/api/v1/products/9",
    }
    if errors:
        body["errors"] = errors
    return body


@pytest.fixture
def quiet(mocked: responses.RequestsMock) -> TraceClient:
    """A client that does not retry, so each registered answer is the one raised."""
    return TraceClient(KEY, base_url=BASE, max_retries=0)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, ValidationError),
        (401, AuthenticationError),
        (403, PermissionError),
        (404, NotFoundError),
        (406, APIError),
        (409, ConflictError),
        (413, ValidationError),
        (415, ValidationError),
        (422, ValidationError),
        (429, RateLimitError),
        (500, APIError),
        (503, APIError),
    ],
)
def test_every_status_maps_to_its_class(
    quiet: TraceClient, mocked: responses.RequestsMock, status: int, cls: type[APIError]
) -> None:
    errors = [{"field": "gtin", "rule": "gtin-14", "detail": "must be 14 digits"}]
    mocked.get(
        API + "/products/9",
        status=status,
        json=_problem(status, "it went wrong", errors),
        content_type=PROBLEM,
        headers={"X-Extra": "yes"},
    )
    with pytest.raises(APIError) as caught:
        quiet.products.get(9)
    error = caught.value
    assert type(error) is cls
    assert isinstance(error, ShoptraceError)
    assert error.status == status
    assert error.problem is not None and error.problem["detail"] == "it went wrong"
    assert error.detail == "it went wrong" and error.type == "about:blank"
    assert error.headers["X-Extra"] == "yes"
    assert error.request_id == mocked.calls[0].request.headers["X-Request-Id"]
    assert str(error).startswith(f"[{error.request_id}] {status} Title: it went wrong")
    assert error.errors == (FieldError("gtin", "gtin-14", "must be 14 digits"),)
    assert "gtin (gtin-14): must be 14 digits" in str(error)
    assert error.method == "GET" and error.url == API + "/products/9"


def test_validation_error_lists_every_field_and_is_a_value_error(
    quiet: TraceClient, mocked: responses.RequestsMock
) -> None:
    errors = [
        {"field": "gtin", "rule": "gtin-14", "detail": "must be 14 digits"},
        {"field": "category", "rule": "enum", "detail": "'x' is not a class"},
    ]
    mocked.post(
        API + "/products",
        status=422,
        json=_problem(422, "Invalid gtin (gtin-14), category (enum)", errors),
        content_type=PROBLEM,
    )
    with pytest.raises(ValueError) as caught:
        quiet.products.create(gtin="1", name={"en": "x"}, category="x")
    error = caught.value
    assert isinstance(error, ValidationError)
    assert [(e.field, e.rule) for e in error.errors] == [("gtin", "gtin-14"), ("category", "enum")]


def test_epcis_problems_point_into_the_document(
    quiet: TraceClient, mocked: responses.RequestsMock
) -> None:
    mocked.post(
        EPCIS + "/capture",
        status=400,
        json={
            "type": "epcisException:ValidationException",
            "title": "Bad Request",
            "status": 400,
            "detail": "1 problem found; nothing was stored",
            "errors": [
                {"field": "/epcisBody/eventList/0/eventTime", "rule": "epcis", "detail": "bad"}
            ],
        },
        content_type=PROBLEM,
    )
    with pytest.raises(ValidationError) as caught:
        quiet.events.capture({"type": "EPCISDocument"})
    assert caught.value.type == "epcisException:ValidationException"
    assert caught.value.errors[0].field == "/epcisBody/eventList/0/eventTime"


def test_permission_error_has_a_name_that_does_not_shadow_the_builtin() -> None:
    assert PermissionDeniedError is PermissionError
    assert PermissionError is not builtins.PermissionError
    error = error_for(403, _problem(403, "no"), request_id="req_1")
    assert isinstance(error, PermissionDeniedError)


def test_rate_limit_error_carries_retry_after(
    quiet: TraceClient, mocked: responses.RequestsMock
) -> None:
    mocked.get(
        API + "/products/9",
        status=429,
        json=_problem(429, "Rate limit 600 per 1 minute reached; retry in 12 s."),
        content_type=PROBLEM,
        headers={"Retry-After": "12"},
    )
    with pytest.raises(RateLimitError) as caught:
        quiet.products.get(9)
    assert caught.value.retry_after == 12.0
    assert caught.value.headers["Retry-After"] == "12"


def test_an_answer_that_is_not_json_still_maps(
    quiet: TraceClient, mocked: responses.RequestsMock
) -> None:
    mocked.get(API + "/products/9", status=502, body="<html>Bad gateway</html>")
    with pytest.raises(APIError) as caught:
        quiet.products.get(9)
    assert caught.value.problem is None and caught.value.errors == ()
    assert "502: <html>Bad gateway</html>" in str(caught.value)


def test_a_server_request_id_is_preferred(
    quiet: TraceClient, mocked: responses.RequestsMock
) -> None:
    mocked.get(
        API + "/products/9",
        status=404,
        json=_problem(404, "no product 9"),
        content_type=PROBLEM,
        headers={"X-Request-Id": "srv-42"},
    )
    with pytest.raises(NotFoundError) as caught:
        quiet.products.get(9)
    assert caught.value.request_id == "srv-42"
    assert str(caught.value).startswith("[srv-42] 404")


def test_connection_errors(quiet: TraceClient, mocked: responses.RequestsMock) -> None:
    mocked.get(API + "/products/9", body=requests.ConnectionError("refused"))
    with pytest.raises(APIConnectionError) as caught:
        quiet.products.get(9)
    error = caught.value
    assert error.status is None and error.problem is None and dict(error.headers) == {}
    assert error.request_id is not None and str(error).startswith(f"[{error.request_id}] ")
    assert "could not reach the service" in str(error)


def test_many_field_errors_are_summarised() -> None:
    errors = [{"field": f"f{i}", "rule": "r", "detail": "d"} for i in range(8)]
    error = error_for(422, _problem(422, "Invalid", errors), request_id="req_x")
    assert len(error.errors) == 8
    assert str(error).endswith("; 3 more")
    assert repr(error) == (
        "ValidationError(status=422, request_id='req_x', message='422 Title: Invalid')"
    )


def test_odd_problem_bodies_do_not_break_the_mapping() -> None:
    error = error_for(400, {"errors": "not a list", "detail": 5}, text="")
    assert error.errors == () and error.detail is None
    assert "no problem details" in str(error)
    odd = error_for(400, {"errors": ["plain text", {"pointer": "/x", "detail": "d"}]})
    assert odd.errors == (FieldError("", "", "plain text"), FieldError("/x", "", "d"))


def test_results_are_unaffected_by_errors_elsewhere(
    quiet: TraceClient, mocked: responses.RequestsMock
) -> None:
    mocked.get(API + "/products/1", json=payloads.product())
    assert quiet.products.get(1).gtin == payloads.GTIN
