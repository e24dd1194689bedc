"""The requestor: retries, backoff, Retry-After, idempotency keys, request ids, options."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
import requests
import responses
from responses import matchers

from shoptrace.sdk.client import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    ConflictError,
    RateLimitError,
    TraceClient,
)
from shoptrace.sdk.client.transport import (
    MAX_BACKOFF,
    MAX_RETRY_AFTER,
    Transport,
    new_idempotency_key,
    parse_retry_after,
)
from tests.sdk.client import payloads
from tests.sdk.client.conftest import API, BASE, KEY

PRODUCTS = API + "/products"
NEW_PRODUCT = {"gtin": payloads.GTIN, "name": {"en": "Apples"}, "category": "food"}


def _problem(status: int, detail: str = "failed") -> dict[str, object]:
    return {"type": "about:blank", "title": "x", "status": status, "detail": detail}


def _create(client: TraceClient, **kwargs: object) -> object:
    return client.products.create(
        gtin=payloads.GTIN, name={"en": "Apples"}, category="food", **kwargs
    )


def test_500_500_200_sends_one_idempotency_key_three_times(
    client: TraceClient, mocked: responses.RequestsMock, sleeps: list[float]
) -> None:
    for _ in range(2):
        mocked.post(
            PRODUCTS, json=_problem(500), status=500, content_type="application/problem+json"
        )
    mocked.post(PRODUCTS, json=payloads.product(), status=201)
    product = _create(client)
    assert product.id == 1  # type: ignore[attr-defined]
    sent = [call.request.headers for call in mocked.calls]
    assert len(sent) == 3
    keys = {h["Idempotency-Key"] for h in sent}
    assert len(keys) == 1 and len(keys.pop()) == 36
    assert len({h["X-Request-Id"] for h in sent}) == 1
    assert [call.request.body for call in mocked.calls] == [mocked.calls[0].request.body] * 3
    assert sleeps == [0.5, 1.0]  # 0.5 s doubling (the fixture takes the backoff without jitter)


def test_each_logical_post_gets_its_own_key(
    client: TraceClient, mocked: responses.RequestsMock
) -> None:
    mocked.post(PRODUCTS, json=payloads.product(), status=201)
    mocked.post(PRODUCTS, json=payloads.product(), status=201)
    _create(client)
    _create(client)
    first, second = (c.request.headers["Idempotency-Key"] for c in mocked.calls)
    assert first != second


def test_a_key_the_caller_gives_wins(client: TraceClient, mocked: responses.RequestsMock) -> None:
    mocked.post(
        PRODUCTS,
        json=payloads.product(),
        status=201,
        match=[matchers.header_matcher({"Idempotency-Key": "order-1001-product"})],
    )
    _create(client, idempotency_key="order-1001-product")


def test_bad_idempotency_key_fails_before_sending(client: TraceClient) -> None:
    with pytest.raises(ValueError, match="idempotency_key"):
        _create(client, idempotency_key="has space")


def test_a_post_without_a_key_is_never_retried(mocked: responses.RequestsMock) -> None:
    transport = Transport(KEY, base_url=BASE, max_retries=5)
    transport.sleep = pytest.fail  # type: ignore[method-assign]
    mocked.post(PRODUCTS, json=_problem(503), status=503, content_type="application/problem+json")
    with pytest.raises(APIError) as caught:
        transport.request("POST", PRODUCTS, json_body=NEW_PRODUCT)
    assert caught.value.status == 503
    assert len(mocked.calls) == 1
    assert "Idempotency-Key" not in mocked.calls[0].request.headers


def test_a_post_without_a_key_is_not_retried_after_a_connection_error(
    mocked: responses.RequestsMock,
) -> None:
    transport = Transport(KEY, base_url=BASE)
    transport.sleep = pytest.fail  # type: ignore[method-assign]
    mocked.post(PRODUCTS, body=requests.ConnectionError("reset"))
    with pytest.raises(APIConnectionError):
        transport.request("POST", PRODUCTS, json_body=NEW_PRODUCT)
    assert len(mocked.calls) == 1


def test_post_with_a_key_is_retried_after_a_connection_error_and_a_timeout(
    client: TraceClient, mocked: responses.RequestsMock, sleeps: list[float]
) -> None:
    mocked.post(PRODUCTS, body=requests.ConnectionError("refused"))
    mocked.post(PRODUCTS, body=requests.ReadTimeout("slow"))
    mocked.post(PRODUCTS, json=payloads.product(), status=201)
    _create(client)
    assert len({c.request.headers["Idempotency-Key"] for c in mocked.calls}) == 1
    assert sleeps == [0.5, 1.0]


def test_get_is_retried_on_connection_errors_until_max_retries(
    client: TraceClient, mocked: responses.RequestsMock, sleeps: list[float]
) -> None:
    for _ in range(3):
        mocked.get(PRODUCTS + "/1", body=requests.ConnectionError("down"))
    with pytest.raises(APIConnectionError) as caught:
        client.products.get(1)
    assert len(mocked.calls) == 3
    assert sleeps == [0.5, 1.0]
    assert caught.value.status is None
    assert isinstance(caught.value.__cause__, requests.ConnectionError)
    assert "Idempotency-Key" not in mocked.calls[0].request.headers


def test_timeouts_raise_api_timeout_error(mocked: responses.RequestsMock) -> None:
    client = TraceClient(KEY, base_url=BASE, max_retries=0, timeout=(1, 2))
    mocked.get(PRODUCTS + "/1", body=requests.ConnectTimeout("slow"))
    with pytest.raises(APITimeoutError) as caught:
        client.products.get(1)
    assert isinstance(caught.value, APIConnectionError)
    assert caught.value.request_id == mocked.calls[0].request.headers["X-Request-Id"]
    assert "(1.0, 2.0) s" in str(caught.value)


def test_every_request_sends_the_timeout(mocked: responses.RequestsMock) -> None:
    client = TraceClient(KEY, base_url=BASE, timeout=3.5)
    mocked.get(PRODUCTS + "/1", json=payloads.product())
    client.products.get(1)
    assert mocked.calls[0].request.req_kwargs["timeout"] == 3.5


def test_429_waits_for_retry_after_seconds(
    client: TraceClient, mocked: responses.RequestsMock, sleeps: list[float]
) -> None:
    mocked.get(PRODUCTS + "/1", status=429, json=_problem(429), headers={"Retry-After": "7"})
    mocked.get(PRODUCTS + "/1", json=payloads.product())
    assert client.products.get(1).id == 1
    assert sleeps == [7.0]


def test_429_waits_for_retry_after_as_http_date(
    client: TraceClient, mocked: responses.RequestsMock, sleeps: list[float]
) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    mocked.get(PRODUCTS + "/1", status=429, json=_problem(429), headers={"Retry-After": when})
    mocked.get(PRODUCTS + "/1", json=payloads.product())
    client.products.get(1)
    assert len(sleeps) == 1 and 27 <= sleeps[0] <= 30


def test_429_with_a_long_retry_after_is_raised_at_once(
    client: TraceClient, mocked: responses.RequestsMock, sleeps: list[float]
) -> None:
    wait = str(int(MAX_RETRY_AFTER) + 1)
    mocked.get(PRODUCTS + "/1", status=429, json=_problem(429), headers={"Retry-After": wait})
    with pytest.raises(RateLimitError) as caught:
        client.products.get(1)
    assert caught.value.retry_after == MAX_RETRY_AFTER + 1
    assert sleeps == []


def test_429_after_the_last_retry_is_raised(
    client: TraceClient, mocked: responses.RequestsMock, sleeps: list[float]
) -> None:
    for _ in range(3):
        mocked.get(PRODUCTS + "/1", status=429, json=_problem(429), headers={"Retry-After": "1"})
    with pytest.raises(RateLimitError) as caught:
        client.products.get(1)
    assert caught.value.retry_after == 1.0
    assert sleeps == [1.0, 1.0]


def test_a_plain_409_is_a_conflict_not_retried(
    client: TraceClient, mocked: responses.RequestsMock, sleeps: list[float]
) -> None:
    mocked.post(PRODUCTS, status=409, json=_problem(409, "GTIN already registered"))
    with pytest.raises(ConflictError):
        _create(client)
    assert len(mocked.calls) == 1 and sleeps == []


def test_a_409_with_retry_after_is_retried_with_the_same_key(
    client: TraceClient, mocked: responses.RequestsMock, sleeps: list[float]
) -> None:
    mocked.post(PRODUCTS, status=409, json=_problem(409), headers={"Retry-After": "2"})
    mocked.post(PRODUCTS, json=payloads.product(), status=201)
    _create(client)
    assert sleeps == [2.0]
    assert len({c.request.headers["Idempotency-Key"] for c in mocked.calls}) == 1


def test_503_retry_after_longer_than_the_backoff_wins(
    client: TraceClient, mocked: responses.RequestsMock, sleeps: list[float]
) -> None:
    mocked.get(PRODUCTS + "/1", status=503, json=_problem(503), headers={"Retry-After": "4"})
    mocked.get(PRODUCTS + "/1", json=payloads.product())
    client.products.get(1)
    assert sleeps == [4.0]


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422, 501])
def test_other_statuses_are_not_retried(
    client: TraceClient, mocked: responses.RequestsMock, sleeps: list[float], status: int
) -> None:
    mocked.get(PRODUCTS + "/1", status=status, json=_problem(status))
    with pytest.raises(APIError):
        client.products.get(1)
    assert len(mocked.calls) == 1 and sleeps == []


def test_patch_and_delete_are_retried_as_idempotent(
    client: TraceClient, mocked: responses.RequestsMock, sleeps: list[float]
) -> None:
    mocked.patch(PRODUCTS + "/1", status=502, body="bad gateway")
    mocked.patch(PRODUCTS + "/1", json=payloads.product())
    mocked.delete(API + "/webhooks/2", status=500, json=_problem(500))
    mocked.delete(API + "/webhooks/2", json={"id": 2, "deleted": True})
    client.products.update(1, listing_url=None)
    assert client.webhook_endpoints.delete(2).deleted
    assert sleeps == [0.5, 0.5]


def test_no_retries_with_max_retries_zero(mocked: responses.RequestsMock) -> None:
    client = TraceClient(KEY, base_url=BASE, max_retries=0)
    mocked.get(PRODUCTS + "/1", status=500, json=_problem(500))
    with pytest.raises(APIError):
        client.products.get(1)
    assert len(mocked.calls) == 1


def test_backoff_doubles_is_capped_and_fully_jittered() -> None:
    transport = Transport(KEY, base_url=BASE, max_retries=10)
    transport.jitter = lambda delay: delay  # type: ignore[method-assign]
    assert [transport.backoff(n) for n in range(7)] == [0.5, 1, 2, 4, 8, 8, 8]
    assert MAX_BACKOFF == 8
    real = Transport(KEY, base_url=BASE)
    waits = [real.jitter(2.0) for _ in range(300)]
    assert all(0 <= w <= 2.0 for w in waits)
    assert min(waits) < 0.5 and max(waits) > 1.5  # spread over the whole range


def test_parse_retry_after() -> None:
    now = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after("Wed, 01 May 2024 10:00:30 GMT", now=now.timestamp()) == 30.0
    assert parse_retry_after("Wed, 01 May 2024 09:00:00 GMT", now=now.timestamp()) == 0.0
    for bad in (None, "", "-1", "soon", "nan", "inf"):
        assert parse_retry_after(bad) is None


def test_headers_of_every_request(client: TraceClient, mocked: responses.RequestsMock) -> None:
    mocked.get(PRODUCTS + "/1", json=payloads.product())
    client.products.get(1)
    headers = mocked.calls[0].request.headers
    assert headers["Authorization"] == f"Bearer {KEY}"
    assert headers["Accept"] == "application/json"
    assert headers["User-Agent"].startswith("shoptrace-sdk/")
    assert headers["X-Request-Id"].startswith("req_")


def test_json_bodies_are_utf8_and_typed(
    client: TraceClient, mocked: responses.RequestsMock
) -> None:
    mocked.post(PRODUCTS, json=payloads.product(), status=201)
    client.products.create(gtin=payloads.GTIN, name={"zh-CN": "有机苹果"}, category="food")
    request = mocked.calls[0].request
    assert request.headers["Content-Type"] == "application/json"
    assert "有机苹果".encode() in request.body


def test_the_api_key_is_never_shown_nor_logged(
    client: TraceClient, mocked: responses.RequestsMock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="shoptrace.sdk.client")
    mocked.get(PRODUCTS + "/1", status=500, json=_problem(500))
    mocked.get(PRODUCTS + "/1", status=404, json=_problem(404))
    with pytest.raises(APIError) as caught:
        client.products.get(1)
    secret = KEY.rpartition("_")[2]
    shown = [repr(client), str(client.transport), str(caught.value), repr(caught.value)]
    shown += [str(dict(caught.value.headers)), caplog.text]
    assert "retry 1 of 2" in caplog.text
    assert all(secret not in text for text in shown)
    assert repr(client) == f"<TraceClient base_url='{BASE}' api_key='st_k3j9x2ab_***'>"
    assert repr(TraceClient("sk-" + "x" * 20, base_url=BASE)).endswith("api_key='***'>")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"base_url": "ftp://x/trace"}, "base_url"),
        ({"base_url": "http:///trace"}, "base_url"),
        ({"base_url": "http://x/trace?a=1"}, "query"),
        ({"base_url": BASE, "timeout": 0}, "timeout"),
        ({"base_url": BASE, "timeout": None}, "timeout"),
        ({"base_url": BASE, "timeout": (1, -1)}, "timeout"),
        ({"base_url": BASE, "timeout": True}, "timeout"),
        ({"base_url": BASE, "max_retries": -1}, "max_retries"),
        ({"base_url": BASE, "max_retries": 1.5}, "max_retries"),
    ],
)
def test_bad_options_fail_early(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TraceClient(KEY, **kwargs)  # type: ignore[arg-type]


def test_bad_api_keys_and_sessions_fail_early() -> None:
    for key in ("", "has space", "line\nbreak"):
        with pytest.raises(ValueError, match="api_key"):
            TraceClient(key, base_url=BASE)
    with pytest.raises(TypeError, match="session"):
        TraceClient(KEY, base_url=BASE, session=object())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="base_url"):
        TraceClient(KEY, base_url=None)  # type: ignore[arg-type]


def test_base_url_trailing_slash_and_urls() -> None:
    client = TraceClient(KEY, base_url=BASE + "/")
    assert client.base_url == BASE
    assert client.transport.api("/products") == API + "/products"
    assert client.transport.epcis("/capture") == BASE + "/epcis/capture"
    assert client.transport.resolve("/trace/epcis/capture/3") == BASE + "/epcis/capture/3"
    with pytest.raises(APIError, match="another origin"):
        client.transport.resolve("https://elsewhere.example/steal")


def test_own_session_is_closed_a_given_one_is_not() -> None:
    closed: list[str] = []

    class Recording(requests.Session):
        def close(self) -> None:
            closed.append("given")
            super().close()

    given = Recording()
    with TraceClient(KEY, base_url=BASE, session=given) as client:
        assert client.transport._session is given
    assert closed == []
    own = TraceClient(KEY, base_url=BASE)
    own.transport._session.close = lambda: closed.append("own")  # type: ignore[method-assign]
    own.close()
    assert closed == ["own"]


def test_given_session_headers_are_not_changed(mocked: responses.RequestsMock) -> None:
    session = requests.Session()
    client = TraceClient(KEY, base_url=BASE, session=session)
    mocked.get(PRODUCTS + "/1", json=payloads.product())
    client.products.get(1)
    assert "Authorization" not in session.headers


def test_idempotency_keys_are_fresh_uuids() -> None:
    keys = {new_idempotency_key() for _ in range(100)}
    assert len(keys) == 100


def test_an_invalid_url_is_a_connection_error_not_retried(sleeps: list[float]) -> None:
    transport = Transport(KEY, base_url=BASE)
    transport.sleep = sleeps.append  # type: ignore[method-assign]
    with pytest.raises(APIConnectionError, match="could not be sent"):
        transport.request("GET", "http://")
    assert sleeps == []


def test_request_arguments_are_checked(mocked: responses.RequestsMock) -> None:
    transport = Transport(KEY, base_url=BASE)
    with pytest.raises(ValueError, match="not both"):
        transport.request("POST", PRODUCTS, json_body={}, body=b"{}")
    with pytest.raises(ValueError, match="POST or a DELETE only"):
        transport.request("GET", PRODUCTS, idempotency_key="k1")
    with pytest.raises(ValueError, match="POST or a DELETE only"):
        transport.request("PATCH", PRODUCTS, idempotency_key="k1")
    with pytest.raises(ValueError):
        transport.request("POST", PRODUCTS, json_body={"x": float("nan")})
    assert len(mocked.calls) == 0
    assert transport.monotonic() > 0


def test_a_broken_problem_body_is_kept_as_text(mocked: responses.RequestsMock) -> None:
    transport = Transport(KEY, base_url=BASE, max_retries=0)
    mocked.get(PRODUCTS, status=400, body="{not json", content_type="application/problem+json")
    with pytest.raises(APIError) as caught:
        transport.request("GET", PRODUCTS)
    assert caught.value.problem is None and "400: {not json" in str(caught.value)
